"""The sentences every report format shares, so text, JSON and GitHub annotations say the same.

Each format is a module ``report_NAME`` with a pure ``render(report, ...) -> str``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envsnap._text import counted

if TYPE_CHECKING:
    from envsnap.compare.changes import Change, ChangeKind, Report

__all__ = ["HEADINGS", "heading", "message", "summary"]

HEADINGS: dict[ChangeKind, str] = {
    "missing": "missing",
    "extra": "extra",
    "changed": "version changed",
    "source-changed": "source changed",
    "extras-changed": "extras changed",
    "broken": "broken requirements",
    "missing-declared": "declared but not locked",
    "outside-specifier": "locked outside the declared specifier",
    "stale": "stale (top-level, no longer declared)",
    "file-modified": "installed files modified",
    "file-missing": "installed files missing",
    "reclassified": "reclassified",
}
"""The heading of each kind in human output (:func:`heading` adds "(not drift)")."""


def heading(kind: ChangeKind, *, drift: bool) -> str:
    """Return the heading of ``kind``, saying ``(not drift)`` for informational items."""
    return HEADINGS[kind] if drift else f"{HEADINGS[kind]} (not drift)"


def message(change: Change, report: Report) -> str:  # noqa: PLR0911 - one sentence per kind
    """Return one plain sentence describing ``change`` on its own (``report`` names both sides).

    E.g. ``idna==3.10 is in requirements.txt but not in env /srv/.venv``.
    """
    a, b, name = report.a_label, report.b_label, change.name
    extra = f" ({change.detail})" if change.detail else ""
    match change.kind:
        case "missing":
            return f"{change.expected} is in {a} but not in {b}{extra}"
        case "extra":
            return f"{change.found} is in {b} but not in {a}{extra}"
        case "changed" | "extras-changed":
            return f"{name}: {a} has {change.expected}, {b} has {change.found}{extra}"
        case "source-changed":
            return f"{name}: {change.detail}: {a} has {change.expected}, {b} has {change.found}"
        case "broken":
            return change.detail or f"{name} requires {change.expected}"
        case "missing-declared":
            return f"{change.expected} is {change.detail} but not in the lock"
        case "outside-specifier":
            return f"{name}=={change.found} is locked, outside {change.expected} ({change.detail})"
        case "stale":
            return f"{change.found} is {change.detail}"
        case "file-modified":
            return f"{name}: {change.detail} was changed after install (its RECORD hash differs)"
        case "file-missing":
            return f"{name}: {change.detail} was deleted after install (it is listed in RECORD)"
        case "reclassified":
            return f"{name}: {change.expected} in {a}, {change.found} in {b}"


def summary(report: Report) -> str:
    """Return the one-line summary: ``OK ...`` when clean, else the counts.

    Examples: ``OK requirements.txt matches env /srv/.venv (12 packages)``;
    ``drift: 1 missing, 2 changed (requirements.txt vs env /srv/.venv)`` (the
    kinds by their schema names).
    """
    drift = report.drift_only().counts()
    info = {kind: n - drift.get(kind, 0) for kind, n in report.counts().items()}
    parts = ", ".join(f"{n} {kind}" for kind, n in info.items() if n)
    tail = f"; {parts} (not drift)" if parts else ""
    if not report:
        checked = counted(report.checked, "package")
        return f"OK {report.a_label} matches {report.b_label} ({checked}{tail})"
    parts = ", ".join(f"{n} {kind}" for kind, n in drift.items())
    return f"drift: {parts} ({report.a_label} vs {report.b_label}){tail}"

"""The human report: grouped by kind, one line per item, a one-line summary.

When clean, the whole output is the ``OK ...`` line. Colour (ANSI) only when
the caller asks for it; the CLI does when stdout is a terminal. Every line's
values (names, versions, paths, URLs, files of a RECORD) have their control
characters escaped (:func:`envsnap._text.printable`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envsnap._text import printable
from envsnap.render.report import heading, message, summary

if TYPE_CHECKING:
    from envsnap.compare.changes import Report

__all__ = ["render"]

_RED, _YELLOW, _GREEN, _BOLD, _RESET = "\033[31m", "\033[33m", "\033[32m", "\033[1m", "\033[0m"


def render(report: Report, *, color: bool = False) -> str:
    """Render ``report`` for people.

    Args:
        report: the drift report.
        color: wrap headings and the summary in ANSI colour codes.

    Returns:
        For each kind present (in :data:`envsnap.compare.drift.KINDS` order) a
        ``heading (N):`` line and one indented line per item (with
        ``(line N)`` when its line in side a's file is known, ``(FILE, line
        N)`` in another file: side b's, an ``-r`` include, ``pyproject.toml``);
        then the summary line.
        Ends with a newline. ``report.notes`` are left to the caller (the
        CLI prints them on stderr), so a clean report is one ``OK`` line.
    """

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = []
    for kind, items in report.by_kind().items():
        drift = any(c.is_drift for c in items)
        code = _RED if drift else _YELLOW
        lines.append(paint(f"{heading(kind, drift=drift)} ({len(items)}):", _BOLD + code))
        for change in items:
            where = ""
            if change.line is not None:
                own = change.path is None or change.path == report.a_label
                where = (
                    f"  (line {change.line})" if own else f"  ({change.path}, line {change.line})"
                )
            lines.append(printable(f"  {message(change, report)}{where}"))
    lines.append(paint(printable(summary(report)), _RED if report else _GREEN))
    return "\n".join(lines) + "\n"

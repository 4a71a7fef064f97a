"""The human report: grouped by kind, one line per item, a one-line summary.

ANSI colour only when the caller asks (the CLI does for a terminal); values have their
control characters escaped (:func:`envsnap._text.printable`).
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
    """Render ``report`` for people; ``color`` wraps headings and the summary in ANSI codes.

    Returns:
        For each kind present (in ``KINDS`` order) a ``heading (N):`` line and one
        indented line per item, with ``(line N)`` for a line of side a's file or
        ``(FILE, line N)`` for another file's; then the summary line and a newline.
        ``report.notes`` are left to the caller, so a clean report is one ``OK`` line.
    """

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = []
    for kind, items in report.by_kind().items():
        drift = any(c.is_drift for c in items)
        title = f"{heading(kind, drift=drift)} ({len(items)}):"
        lines.append(paint(title, _BOLD + (_RED if drift else _YELLOW)))
        for change in items:
            where = "" if change.line is None else f"  (line {change.line})"
            if where and change.path not in (None, report.a_label):
                where = f"  ({change.path}, line {change.line})"
            lines.append(printable(f"  {message(change, report)}{where}"))
    lines.append(paint(printable(summary(report)), _RED if report else _GREEN))
    return "\n".join(lines) + "\n"

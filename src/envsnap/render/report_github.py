"""GitHub Actions workflow commands: one annotation per item.

``::error file=F,line=N,title=T::message`` makes the annotation land on line
N of file F in the pull request's diff (for a lock file entry, the line of the
package). Values are escaped as the Actions toolkit does: ``%``, CR and LF in
the message; also ``:`` and ``,`` in properties. Every other control
character is escaped too (:func:`envsnap._text.printable`), so a value can
neither end the line nor reach the terminal. Drift items are errors,
informational ones notices; the last line is the plain summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from envsnap._text import printable
from envsnap.render.report import heading, message, summary

if TYPE_CHECKING:
    from envsnap.compare.changes import Change, Report

__all__ = ["render"]


def _escape_data(text: str) -> str:
    toolkit = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(toolkit)  # the toolkit leaves the other control characters raw


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _file(change: Change, root: Path | None) -> str | None:
    """Return the repository-relative file to annotate, or ``None`` for installed files."""
    if change.path is None or change.kind in ("file-modified", "file-missing"):
        return None
    path = Path(change.path)
    if root is not None and path.is_absolute():
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return change.path
    return path.as_posix()


def render(report: Report, *, root: Path | None = None) -> str:
    """Render ``report`` as GitHub Actions workflow commands.

    Args:
        report: the drift report.
        root: the repository root; absolute file paths under it are made
            relative, as GitHub expects.

    Returns:
        One ``::error`` (``::notice`` for informational items) line per item,
        then the summary line. Ends with a newline.
    """
    lines = []
    for change in report.changes:
        level = "error" if change.is_drift else "notice"
        props = []
        file = _file(change, root)
        if file is not None:
            props.append(f"file={_escape_property(file)}")
            if change.line is not None:
                props.append(f"line={change.line}")
        title = "envsnap: " + heading(change.kind, drift=change.is_drift)
        props.append(f"title={_escape_property(title)}")
        lines.append(f"::{level} {','.join(props)}::{_escape_data(message(change, report))}")
    lines.append(printable(summary(report)))
    return "\n".join(lines) + "\n"

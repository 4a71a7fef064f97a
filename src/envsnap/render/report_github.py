"""GitHub Actions workflow commands: one annotation per item, then the plain summary.

``::error file=F,line=N,title=T::message`` lands on line N of F in the pull request's
diff. Values are escaped as the Actions toolkit does (``%``, CR, LF; also ``:`` and ``,``
in properties), and every other control character too (:func:`envsnap._text.printable`).
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
    """Render ``report`` as GitHub Actions workflow commands, ending with a newline.

    One ``::error`` (``::notice`` for informational items) line per item, then the
    summary; absolute file paths under ``root`` (the repository) are made relative.
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

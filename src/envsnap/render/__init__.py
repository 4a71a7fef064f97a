"""Renderers: drift reports (text, JSON, GitHub annotations) and dependency tree views.

Format names are a ``Literal`` whose values are the CLI's ``--format`` choices; one
exhaustive ``match`` per subject maps each to a pure renderer returning a string,
imported only when used. See docs/architecture.md ("a new report or tree output").
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NoReturn, get_args

if TYPE_CHECKING:
    from pathlib import Path

    from envsnap.compare.changes import Report
    from envsnap.render.tree import Tree

__all__ = [
    "REPORT_FORMATS",
    "TREE_FORMATS",
    "ReportFormat",
    "Style",
    "TreeFormat",
    "render_report",
    "render_tree",
]

ReportFormat = Literal["text", "json", "github"]
"""A drift report's output format."""
TreeFormat = Literal["text", "json", "dot", "mermaid"]
"""A dependency tree's output format."""

REPORT_FORMATS: tuple[ReportFormat, ...] = get_args(ReportFormat)
"""The report formats: the ``--format`` choices of check and diff."""
TREE_FORMATS: tuple[TreeFormat, ...] = get_args(TreeFormat)
"""The tree formats: the ``--format`` choices of tree."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Style:
    """What a renderer may take from where the output goes."""

    color: bool = False
    """ANSI colours (text report, when stdout is a terminal and ``NO_COLOR`` is unset)."""
    root: Path | None = None
    """The directory GitHub annotation paths are relative to (the checkout)."""


if sys.version_info >= (3, 11):
    from typing import assert_never
else:  # pragma: no cover - Python 3.10

    def assert_never(value: NoReturn, /) -> NoReturn:
        """``typing.assert_never`` (3.11+): a format the ``match`` does not map."""
        raise AssertionError(f"unmapped format: {value!r}")


def render_report(report: Report, format: ReportFormat, style: Style | None = None) -> str:
    """Return ``report`` rendered as ``format``, ending with a newline.

    ``format`` is ``text``, ``json`` or ``github`` (workflow annotations); ``style``
    gives the colour and the annotation root (default: none).
    """
    style = style or Style()
    match format:
        case "text":
            from envsnap.render.report_text import render as text  # noqa: PLC0415

            return text(report, color=style.color)
        case "json":
            from envsnap.render.report_json import render as json  # noqa: PLC0415

            return json(report)
        case "github":
            from envsnap.render.report_github import render as github  # noqa: PLC0415

            return github(report, root=style.root)
        case _:
            assert_never(format)


def render_tree(tree: Tree, format: TreeFormat) -> str:
    """Return ``tree`` rendered as ``format`` (see :mod:`.tree_formats`; ends with a newline)."""
    from envsnap.render import tree_formats  # noqa: PLC0415

    match format:
        case "text":
            return tree_formats.render_text(tree)
        case "json":
            return tree_formats.render_json(tree)
        case "dot":
            return tree_formats.render_dot(tree)
        case "mermaid":
            return tree_formats.render_mermaid(tree)
        case _:
            assert_never(format)

"""``envsnap tree``: show the dependency graph of the target environment."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click

from envsnap.cli import announce, note_pythonpath, started_probe
from envsnap.cli.options import debug_option, format_option, python_option, quiet_option
from envsnap.cli.output import say, show
from envsnap.render import TREE_FORMATS

if TYPE_CHECKING:
    from envsnap.render import TreeFormat

_EPILOG = """\b
Exit codes: 0 shown, 2 unusable input (a bad target, a --package not
installed), 3 could not finish.

\b
Example:
  envsnap tree -p .venv --reverse --package urllib3
"""


@click.command(epilog=_EPILOG)
@python_option()
@click.option("--reverse", is_flag=True, help="Show what depends on each package instead.")
@click.option(
    "--package",
    "packages",
    multiple=True,
    metavar="NAME",
    help="Start from this package instead of the top-level ones (repeatable).",
)
@click.option(
    "--all",
    "include_tools",
    is_flag=True,
    help="Also show pip, setuptools, wheel and distribute as roots.",
)
@format_option(
    TREE_FORMATS,
    default="text",
    envvar="ENVSNAP_TREE_FORMAT",
    help="text (indented tree), json (schema envsnap.tree/1), dot (Graphviz) or mermaid.",
)
@quiet_option()
@debug_option
def tree(
    python: str | None,
    reverse: bool,
    packages: tuple[str, ...],
    include_tools: bool,
    format_name: str,
    quiet: bool,
) -> None:
    """Show the dependency tree of the target environment.

    Each top-level package with what it requires, as evaluated for this
    environment's markers and extras. A subtree shown once is marked "(see
    above)" when met again, and a dependency cycle "(cycle)"; neither is
    expanded twice.
    """
    with started_probe(python) as probing:
        # the probe runs meanwhile: import the heavy modules only now
        from envsnap.environment.snapshot import take_snapshot  # noqa: PLC0415
        from envsnap.render import render_tree  # noqa: PLC0415
        from envsnap.render.tree import build_tree  # noqa: PLC0415

        note_pythonpath()
        snapshot = take_snapshot(python, started_probe=probing)
        announce(snapshot.environment)
        for warning in snapshot.warnings:
            say(f"warning: {warning}")
        graph = build_tree(
            snapshot, reverse=reverse, packages=packages, include_tools=include_tools
        )
        show(render_tree(graph, cast("TreeFormat", format_name)))

"""The command line: parses options, calls the library, renders, exits.

This package is the only place that imports click, prints or exits. Each
command lives in its own module and is imported only when it runs (``--help``
stays cheap); the table :data:`COMMANDS` names them.

Exit codes (DESIGN): 0 ok, 1 drift found (check/diff), 2 unusable input,
3 could not finish.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from envsnap import __version__
from envsnap.errors import EnvsnapError

__all__ = ["COMMANDS", "debug_option", "handle_errors", "main", "python_option"]

F = TypeVar("F", bound=Callable[..., Any])

COMMANDS: dict[str, tuple[str, str]] = {
    "freeze": ("envsnap.cli.freeze", "Snapshot an environment into requirements.txt or JSON."),
    "restore": ("envsnap.cli.restore", "Build a fresh venv exactly as a lock file says."),
    "check": ("envsnap.cli.check", "Report drift between the env, the lock file and pyproject."),
    "diff": ("envsnap.cli.diff", "Compare two lock files or environments."),
    "tree": ("envsnap.cli.tree", "Show the dependency tree of the environment."),
}
"""Command name -> (module holding a click command of that name, one-line help)."""


class _LazyGroup(click.Group):
    """A group that imports a command's module only when the command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[cmd_name][0])
        command: click.Command = getattr(module, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="envsnap")
def cli() -> None:
    """Freeze a Python environment into a file and restore exactly that environment.

    The target environment of every command is given with -p/--python (a venv
    directory or an interpreter). Default: $VIRTUAL_ENV, else ./.venv, else
    the running interpreter if it is a venv; never the system Python silently.

    Exit codes: 0 ok, 1 drift (check, diff), 2 unusable input, 3 could not finish.
    """


def python_option(func: F) -> F:
    """Add ``-p/--python PATH``, the target environment shared by all commands."""
    return click.option(
        "-p",
        "--python",
        "python",
        metavar="PATH",
        envvar="ENVSNAP_PYTHON",
        help="Target environment: a venv directory or a Python interpreter "
        "[default: $VIRTUAL_ENV, else ./.venv, else the running venv; env: ENVSNAP_PYTHON].",
    )(func)


def debug_option(func: F) -> F:
    """Add ``--debug``: show a traceback instead of the one-line error."""
    return click.option(
        "--debug", is_flag=True, help="Show the full traceback of an error (for bug reports)."
    )(func)


@contextmanager
def handle_errors(*, debug: bool = False) -> Iterator[None]:
    """Turn an :class:`EnvsnapError` into ``error: ...`` / ``hint: ...`` and its exit code."""
    try:
        yield
    except EnvsnapError as exc:
        if debug:
            raise
        click.echo(f"error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(130)


def note_pythonpath() -> None:
    """Say once that the caller's ``PYTHONPATH`` does not reach the target probe."""
    if os.environ.get("PYTHONPATH"):
        click.echo(
            "note: PYTHONPATH is set in your shell; it is ignored when reading the "
            "target environment (the probe runs isolated)",
            err=True,
        )


def main() -> None:
    """Run the ``envsnap`` console script."""
    cli(prog_name="envsnap")

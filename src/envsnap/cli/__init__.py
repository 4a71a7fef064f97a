"""The command line: parses options, calls the library, renders, exits.

This package is the only place that imports click, prints or exits. Each
command lives in its own module and is imported only when it runs (``--help``
stays cheap); the table :data:`COMMANDS` names them.

Exit codes (DESIGN): 0 ok, 1 drift found (check/diff), 2 unusable input,
3 could not finish.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from envsnap import __version__
from envsnap.errors import EnvsnapError

if TYPE_CHECKING:
    from envsnap.environment.target import PendingProbe, TargetEnvironment

__all__ = [
    "COMMANDS",
    "announce_target",
    "debug_option",
    "handle_errors",
    "main",
    "project_options",
    "python_option",
    "quiet_option",
    "started_probe",
]

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
    directory, an interpreter, or a $WORKON_HOME env name). Default:
    $VIRTUAL_ENV, else the nearest .venv up to the project root; never the
    system Python nor envsnap's own environment silently.

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
        help="Target environment: a venv directory, a Python interpreter, or the name of "
        "a $WORKON_HOME env [default: $VIRTUAL_ENV, else the nearest .venv up to the "
        "project root; env: ENVSNAP_PYTHON].",
    )(func)


def project_options(*, project_help: str, also: str) -> Callable[[F], F]:
    """Add ``--project``, ``--extra`` and ``--group``: which declarations of a project count.

    Args:
        project_help: the ``--project`` help after "pyproject.toml (or its directory)".
        also: the ``--extra``/``--group`` help as a format string with ``{what}``,
            e.g. ``"Also check {what}"``.

    Returns:
        A decorator adding the three options (values ``project``, ``extras``, ``groups``).
    """

    def decorate(func: F) -> F:
        func = click.option(
            "--group",
            "groups",
            multiple=True,
            metavar="NAME",
            help=also.format(what="this PEP 735 dependency group") + " ('*' for all).",
        )(func)
        func = click.option(
            "--extra",
            "extras",
            multiple=True,
            metavar="NAME",
            help=also.format(what="this optional-dependency group of the project")
            + " ('*' for all).",
        )(func)
        return click.option(
            "--project",
            type=click.Path(path_type=Path, exists=True),
            help=f"pyproject.toml (or its directory) {project_help} "
            "[default: ./pyproject.toml if present].",
        )(func)

    return decorate


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


@contextmanager
def started_probe(python: str | None, *, skip: bool = False) -> Iterator[PendingProbe | None]:
    """Start probing the target environment now, to run while the command imports.

    A command enters this before its heavy imports (packaging and the
    snapshot engine take 40-60 ms, the probe 15-30 ms) and hands what it
    yields to :func:`envsnap.environment.snapshot.take_snapshot`. A target that cannot be
    resolved yields ``None``: ``take_snapshot`` raises that error again, in
    its turn, so a missing FILE is still reported before a missing target. A
    probe whose answer is not taken is stopped on exit.

    Args:
        python: ``-p/--python`` (see :func:`envsnap.environment.target.find_interpreter`).
        skip: yield ``None`` without starting anything (the command reads no env).

    Yields:
        The running :class:`~envsnap.environment.target.PendingProbe`, or ``None``.
    """
    from envsnap.environment.target import find_interpreter, start_probe  # noqa: PLC0415

    interpreter = None
    if not skip:
        try:
            interpreter = find_interpreter(python)
        except EnvsnapError:
            interpreter = None
    if interpreter is None:
        yield None
        return
    with start_probe(interpreter) as pending:
        yield pending


def announce_target(*, quiet: bool = False) -> Callable[[TargetEnvironment], None]:
    """Return the callback that says which environment a command acts on.

    Hand it to :func:`envsnap.environment.snapshot.take_snapshot` (``announce=``): once
    the target is probed it prints ``Using environment at: PATH (Python
    X.Y.Z)`` on stderr, as uv does, unless ``quiet`` (``-q``). The path is
    relative to the current directory when inside it.
    """

    def announce(environment: TargetEnvironment) -> None:
        if quiet:
            return
        where = environment.prefix
        try:
            shown = os.fspath(where.relative_to(Path.cwd()))
        except ValueError:
            shown = os.fspath(where)
        version = environment.python_version_text
        click.echo(f"Using environment at: {shown} (Python {version})", err=True)

    return announce


def quiet_option(func: F) -> F:
    """Add ``-q/--quiet``: errors and warnings only (no notes, no summary, no target line)."""
    return click.option("-q", "--quiet", is_flag=True, help="Print errors and warnings only.")(func)


def note_pythonpath(*, quiet: bool = False) -> None:
    """Say once that the caller's ``PYTHONPATH`` does not reach the target probe (not with -q)."""
    if os.environ.get("PYTHONPATH") and not quiet:
        click.echo(
            "note: PYTHONPATH is set in your shell; it is ignored when reading the "
            "target environment (the probe runs isolated)",
            err=True,
        )


def main() -> None:
    """Run the ``envsnap`` console script.

    When the command is done, every object left is moved out of the garbage
    collector's reach (:func:`gc.freeze`): the interpreter's shutdown would
    otherwise walk them all once more, 15-30 ms on every run (measured with
    bench/run.py) for a process that is about to end. Exit handlers and
    stream flushing are unaffected.
    """
    try:
        cli(prog_name="envsnap")
    finally:
        gc.freeze()

"""The command line: parses options, calls the library, renders, exits.

The only package that imports click, prints or exits. Each command's module is imported
only when it runs (``--help`` stays cheap). Errors become ``error:``/``hint:`` lines and
an exit code once, in the group; library argument names are shown as options
(:func:`as_flags`). Exit codes: 0 ok, 1 drift (check/diff), 2 unusable input (also
click's usage errors), 3 could not finish, 130 interrupted.
"""

from __future__ import annotations

import gc
import importlib
import os
import re
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from envsnap import _report
from envsnap.cli.options import DEBUG_KEY, debug_option, version_option
from envsnap.cli.output import reporting, say
from envsnap.errors import EnvsnapError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from envsnap.environment.target import PendingProbe, TargetEnvironment

__all__ = [
    "COMMANDS",
    "announce",
    "cli",
    "handle_errors",
    "main",
    "note_pythonpath",
    "started_probe",
]

COMMANDS: dict[str, tuple[str, str]] = {
    "freeze": ("envsnap.cli.freeze", "Snapshot an environment into requirements.txt or JSON."),
    "restore": ("envsnap.cli.restore", "Build a fresh venv exactly as a lock file says."),
    "bundle": ("envsnap.cli.bundle", "Write a lock and its files for a restore with no network."),
    "check": ("envsnap.cli.check", "Report drift between the env, the lock file and pyproject."),
    "diff": ("envsnap.cli.diff", "Compare two lock files or environments."),
    "tree": ("envsnap.cli.tree", "Show the dependency tree of the environment."),
}
"""Command name -> (module holding a click command of that name, one-line help)."""


class _LazyGroup(click.Group):
    """A group that imports a command's module only when it runs, and handles its errors."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        command: click.Command = getattr(importlib.import_module(COMMANDS[cmd_name][0]), cmd_name)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        mistyped = name and not name.startswith("-") and name not in COMMANDS
        if mistyped and not ctx.resilient_parsing:  # not while completing
            import difflib  # noqa: PLC0415 - only for a mistyped name

            close = difflib.get_close_matches(name, COMMANDS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])

    def invoke(self, ctx: click.Context) -> Any:  # noqa: ANN401 - what the command returns
        with handle_errors(debug=lambda: bool(ctx.meta.get(DEBUG_KEY))), reporting():
            return super().invoke(ctx)


_EPILOG = """\b
Shell completion (bash; zsh_source and fish_source likewise):
  eval "$(_ENVSNAP_COMPLETE=bash_source envsnap)"

\b
Example:
  envsnap freeze -o requirements.txt && envsnap check
"""


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=_EPILOG,
)
@version_option
@debug_option
def cli() -> None:
    """Freeze a Python environment into a file and restore exactly that environment.

    The target environment of every command is given with -p/--python (a venv
    directory, an interpreter, or a $WORKON_HOME env name). Default:
    $VIRTUAL_ENV, else the nearest .venv up to the project root. A
    $VIRTUAL_ENV that is envsnap's own environment (pre-commit, pipx and uv
    tool set it so) is passed over with a note; a default that is not a venv
    (.venv -> /usr) is refused: the system Python is read only when named. A
    venv that an envsnap restore is rebuilding is not read (exit 2). For
    restore, -p/--python names the interpreter the new venv is built from.

    Exit codes: 0 ok, 1 drift (check, diff), 2 unusable input or usage error,
    3 could not finish, 130 interrupted. An error prints one "error:" line and
    a "hint:" line; --debug (or ENVSNAP_DEBUG=1) shows the traceback instead.
    """


_FLAGS = {
    "with_pip=False": "--without-pip",
    "use_cache=False": "--no-cache",
    "strict=True": "--strict",
    "extras=": "--extra",
    "groups=": "--group",
}
"""Library argument settings -> the option that sets them."""
_VALUED = r"\b(python|venv|installer|package)=(?=([^\s,.;:)]?))"
"""``python=PATH`` and friends: the same-named option, its value after a space."""


def as_flags(text: str) -> str:
    """Return a library error's text with its argument names as this CLI's options.

    ``name another with python=PATH`` becomes ``name another with --python PATH``,
    ``with_pip=False`` becomes ``--without-pip`` (see :data:`_FLAGS`).
    """
    for argument, flag in _FLAGS.items():
        text = text.replace(argument, flag)
    return re.sub(_VALUED, lambda m: f"--{m[1]}" + (" " if m[2] else ""), text)


@contextmanager
def handle_errors(*, debug: bool | Callable[[], bool] = False) -> Iterator[None]:
    """Turn an :class:`EnvsnapError` into ``error: ...`` / ``hint: ...`` and its exit code.

    URL credentials in both lines are masked; ``KeyboardInterrupt`` exits 130 with
    ``error: interrupted``.

    Args:
        debug: re-raise the error instead (a traceback), or a function asked when an
            error happens (``--debug`` may be parsed after the handler is entered).
    """
    try:
        yield
    except EnvsnapError as exc:
        if debug() if callable(debug) else debug:
            raise
        from envsnap._text import redact_urls  # noqa: PLC0415 - only when something failed

        # an error may quote a URL of a lock, an index or an installer's output
        say(f"error: {redact_urls(as_flags(exc.message))}")
        if exc.hint:
            say(f"hint: {redact_urls(as_flags(exc.hint))}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        say("error: interrupted")
        sys.exit(130)


@contextmanager
def started_probe(python: str | None, *, skip: bool = False) -> Iterator[PendingProbe | None]:
    """Start probing the target now, to run while the command imports (40-60 ms vs 15-30 ms).

    What it yields goes to :func:`envsnap.environment.snapshot.take_snapshot`. A target
    that cannot be resolved yields ``None``: ``take_snapshot`` raises that error in its
    turn, so a missing FILE is still reported first. An unused probe is stopped on exit.
    The choice's notes (a ``$VIRTUAL_ENV`` passed over) are said here, once.

    Args:
        python: ``-p/--python`` (see :func:`envsnap.environment.find.choose_target`).
        skip: yield ``None`` without starting anything (the command reads no env).

    Yields:
        The running :class:`~envsnap.environment.target.PendingProbe`, or ``None``.
    """
    from envsnap.environment.find import choose_target  # noqa: PLC0415
    from envsnap.environment.target import start_probe  # noqa: PLC0415

    try:
        choice = None if skip else choose_target(python)
    except EnvsnapError:
        choice = None
    if choice is None:
        yield None
        return
    for note in choice.notes:
        _report.note(f"note: {as_flags(note)}")
    with start_probe(choice.interpreter) as pending:
        yield pending


def announce(environment: TargetEnvironment) -> None:
    """Say ``Using environment at: PATH (Python X.Y.Z)``, as uv does (not with ``-q``).

    PATH is relative to the current directory when inside it; a target that is not a
    venv says so: ``(Python X.Y.Z, not a virtual environment)``.
    """
    from pathlib import Path  # noqa: PLC0415 - not needed for --help

    where = environment.prefix
    try:
        shown = os.fspath(where.relative_to(Path.cwd()))
    except ValueError:
        shown = os.fspath(where)
    kind = "" if environment.is_venv else ", not a virtual environment"
    _report.note(f"Using environment at: {shown} (Python {environment.python_version_text}{kind})")


def note_pythonpath() -> None:
    """Say once that the caller's ``PYTHONPATH`` does not reach the target probe (not with -q)."""
    if os.environ.get("PYTHONPATH"):
        _report.note(
            "note: PYTHONPATH is set in your shell; it is ignored when reading the "
            "target environment (the probe runs isolated)"
        )


def main() -> None:
    """Run the ``envsnap`` console script.

    Afterwards :func:`gc.freeze` spares the shutdown a last walk over every object
    (15-30 ms a run, bench/run.py); exit handlers and stream flushing are unaffected.
    """
    try:
        cli(prog_name="envsnap")
    finally:
        gc.freeze()

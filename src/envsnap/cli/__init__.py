"""The command line: parses options, calls the library, renders, exits.

This package is the only place that imports click, prints or exits. Each
command lives in its own module and is imported only when it runs (``--help``
stays cheap); the table :data:`COMMANDS` names them, and
:mod:`envsnap.cli.options` declares the options they share. Errors are turned
into ``error: ...`` / ``hint: ...`` and an exit code once, by the group
(:meth:`_LazyGroup.invoke`); ``--debug`` shows the traceback instead.

Library errors name arguments (``python=PATH``, ``with_pip=False``); the
handler shows them as this CLI's options (:func:`as_flags`).

Exit codes (docs/architecture.md, errors.py): 0 ok, 1 drift found (check/diff), 2 unusable input
(also click's usage errors), 3 could not finish, 130 interrupted.
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

from envsnap.cli.options import DEBUG_KEY, debug_option, version_option
from envsnap.cli.output import say
from envsnap.errors import EnvsnapError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from envsnap.environment.target import PendingProbe, TargetEnvironment

__all__ = [
    "COMMANDS",
    "announce_target",
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
    """A group that imports a command's module only when the command runs.

    It also owns what every command shares: the error handling (an
    :class:`EnvsnapError` becomes ``error:``/``hint:`` and its exit code, the
    traceback only with ``--debug``) and a close-match suggestion for a
    mistyped command name.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[cmd_name][0])
        command: click.Command = getattr(module, cmd_name)
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
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:  # noqa: ANN401 - what the command returns
        with handle_errors(debug=lambda: bool(ctx.meta.get(DEBUG_KEY))):
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

    The credentials of every URL in the two lines are masked
    (:func:`envsnap._text.redact_urls`), and both are printed by
    :func:`envsnap.cli.output.say` (control characters escaped).

    Args:
        debug: re-raise the error instead (its traceback is shown), or a
            function asked when an error happens (``--debug`` may be parsed
            after the handler is entered).

    A ``KeyboardInterrupt`` exits 130 with ``error: interrupted``.
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
    """Start probing the target environment now, to run while the command imports.

    A command enters this before its heavy imports (packaging and the
    snapshot engine take 40-60 ms, the probe 15-30 ms) and hands what it
    yields to :func:`envsnap.environment.snapshot.take_snapshot`. A target that cannot be
    resolved yields ``None``: ``take_snapshot`` raises that error again, in
    its turn, so a missing FILE is still reported before a missing target. A
    probe whose answer is not taken is stopped on exit.

    The notes of the choice (:attr:`~envsnap.environment.target.TargetChoice.notes`:
    a ``$VIRTUAL_ENV`` passed over) are said here, once, on stderr, unless the
    command was given ``-q``.

    Args:
        python: ``-p/--python`` (see :func:`envsnap.environment.target.choose_target`).
        skip: yield ``None`` without starting anything (the command reads no env).

    Yields:
        The running :class:`~envsnap.environment.target.PendingProbe`, or ``None``.
    """
    from envsnap.environment.target import choose_target, start_probe  # noqa: PLC0415

    choice = None
    if not skip:
        try:
            choice = choose_target(python)
        except EnvsnapError:
            choice = None
    if choice is None:
        yield None
        return
    ctx = click.get_current_context(silent=True)
    if not (ctx is not None and ctx.params.get("quiet")):
        for note in choice.notes:
            say(f"note: {as_flags(note)}")
    with start_probe(choice.interpreter) as pending:
        yield pending


def announce_target(*, quiet: bool = False) -> Callable[[TargetEnvironment], None]:
    """Return the callback that says which environment a command acts on.

    Hand it to :func:`envsnap.environment.snapshot.take_snapshot` (``announce=``): once
    the target is probed it prints ``Using environment at: PATH (Python
    X.Y.Z)`` on stderr, as uv does, unless ``quiet`` (``-q``). The path is
    relative to the current directory when inside it. A target that is not a
    venv (the system Python, named with ``-p``) is said to be one:
    ``(Python X.Y.Z, not a virtual environment)``.
    """

    def announce(environment: TargetEnvironment) -> None:
        if quiet:
            return
        from pathlib import Path  # noqa: PLC0415 - not needed for --help

        where = environment.prefix
        try:
            shown = os.fspath(where.relative_to(Path.cwd()))
        except ValueError:
            shown = os.fspath(where)
        version = environment.python_version_text
        kind = "" if environment.is_venv else ", not a virtual environment"
        say(f"Using environment at: {shown} (Python {version}{kind})")

    return announce


def note_pythonpath(*, quiet: bool = False) -> None:
    """Say once that the caller's ``PYTHONPATH`` does not reach the target probe (not with -q)."""
    if os.environ.get("PYTHONPATH") and not quiet:
        say(
            "note: PYTHONPATH is set in your shell; it is ignored when reading the "
            "target environment (the probe runs isolated)"
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

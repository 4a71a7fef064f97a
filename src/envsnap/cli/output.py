"""What the CLI prints: messages by :func:`say` (stderr), outputs by :func:`show` (stdout).

Both escape every control character but envsnap's own line breaks and defuse GitHub
Actions workflow commands envsnap did not write (:func:`envsnap._text.terminal_text`):
the runner reads ``::command::`` lines from both streams, and ESC repaints the terminal.
The library's progress (:mod:`envsnap._report`) comes here too, through :func:`reporting`.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

import click

from envsnap import _report

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["reporting", "say", "show"]


def say(message: str, *, err: bool = True) -> None:
    r"""Print one message, made safe, and a newline; ``err=False``: on stdout (``--dry-run``).

    A line break followed by two spaces (envsnap's indented lines, ``  | ...``) is kept,
    any other is an untrusted value's and is printed as ``\n``.
    """
    from envsnap._text import terminal_text  # noqa: PLC0415 - its regexes: not for --help

    if "\n" in message:
        first, *rest = message.split("\n")
        message = first + "".join(("\n" if r.startswith("  ") else "\\n") + r for r in rest)
    click.echo(terminal_text(message), err=err)


def show(text: str, *, commands: bool = False, colour: bool = False) -> None:
    """Print a rendered lock, report or tree on stdout as it is (its own newlines), made safe.

    Args:
        text: the output, its values escaped by the renderer.
        commands: the text is the ``--format github`` report, whose workflow commands are ours.
        colour: keep the report's ANSI colours (stdout is a terminal).
    """
    from envsnap._text import terminal_text  # noqa: PLC0415 - its regexes: not for --help

    click.echo(terminal_text(text, commands=commands, colour=colour), nl=False, color=colour)


class _Reporter:
    """The CLI's reporter, by :func:`say`: ``-q`` silences stages and notes, ``-v`` adds output.

    A stage is ``STAGE: MESSAGE [1.2s]`` (the time since the command began).
    """

    def __init__(self) -> None:
        self._start = time.monotonic()

    @property
    def verbose(self) -> bool:
        return _flag("verbose")

    def stage(self, name: str, message: str) -> None:
        if not _flag("quiet"):
            say(f"{name}: {message} [{time.monotonic() - self._start:.1f}s]")

    def note(self, message: str) -> None:
        if not _flag("quiet"):
            say(message)

    def output(self, line: str) -> None:
        if self.verbose:
            say(f"  | {line}")


def _flag(name: str) -> bool:
    """Return the running command's flag ``name`` (``quiet``, ``verbose``; off if it has none)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.params.get(name))


@contextlib.contextmanager
def reporting() -> Iterator[None]:
    """Run a command with the CLI's reporter (:mod:`envsnap._report`), set once by the group."""
    with _report.reporting(_Reporter()):
        yield

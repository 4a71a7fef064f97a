"""What the CLI prints: every message and every output goes through :func:`say` or :func:`show`.

Messages (``error:``, ``hint:``, ``warning:``, ``note:``, progress lines, the
installer's lines with ``-v``) go to stderr, outputs (a lock, a report, a
tree) to stdout. Both quote untrusted values: paths, URLs, names, versions,
lock and index values, an installer's output. Here, once, every control
character but envsnap's own line breaks is escaped and no line can start a
GitHub Actions workflow command that envsnap did not write
(:func:`envsnap._text.terminal_text`): the runner reads ``::command::`` lines
from both streams, and an ESC byte repaints the terminal.
"""

from __future__ import annotations

import click

__all__ = ["say", "show"]


def say(message: str, *, err: bool = True) -> None:
    r"""Print one message, made safe (see the module docstring), and a newline.

    A message is one line, or several when envsnap puts an indented line
    under it (an installer's last lines, ``  | ...``): a line break followed
    by two spaces is kept, any other is an untrusted value's and is printed
    as ``\n``. Every line is indented or starts with envsnap's own word.

    Args:
        message: the text, values already in it.
        err: to stderr (default); ``False``: stdout (``--dry-run``'s plan).
    """
    from envsnap._text import terminal_text  # noqa: PLC0415 - its regexes: not for --help

    if "\n" in message:
        first, *rest = message.split("\n")
        message = first + "".join(("\n" if r.startswith("  ") else "\\n") + r for r in rest)
    click.echo(terminal_text(message), err=err)


def show(text: str, *, commands: bool = False, colour: bool = False) -> None:
    """Print an output on stdout as it is (its own newlines), made safe.

    Args:
        text: a rendered lock, report or tree; its values escaped by the
            renderer, its line breaks its own.
        commands: the text is the ``--format github`` report, whose workflow
            commands are envsnap's.
        colour: keep the report's ANSI colours (stdout is a terminal).
    """
    from envsnap._text import terminal_text  # noqa: PLC0415 - its regexes: not for --help

    click.echo(terminal_text(text, commands=commands, colour=colour), nl=False, color=colour)

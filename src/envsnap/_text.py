"""Untrusted text: control characters found where values are read, escaped where printed.

Every value envsnap reads from a lock file, an environment or an index may
end up in a line handed to pip or uv, on a terminal, or in a CI log. A line
separator inside a URL becomes a second line of pip's input (an
``--index-url`` of the attacker's choosing); an ESC byte repaints the
terminal; GitHub Actions reads ``::command::`` lines from both streams. So a
value holding a control character is refused where it is read (the readers
share :func:`first_control` and :func:`first_line_control`), and whatever is
printed goes through :func:`printable` (each value, in the renderers) and
:func:`terminal_text` (each message and output, in the CLI).
"""

from __future__ import annotations

import re

__all__ = [
    "EXPANSION",
    "excerpt",
    "first_control",
    "first_line_control",
    "printable",
    "terminal_text",
]

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""C0 and C1 control characters, DEL, and the Unicode line and paragraph
separators: none belongs in a name, version, URL, path or marker."""
_LINE_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
"""The same inside a text file's lines, where tab, LF and CR are ordinary
(:meth:`str.splitlines`, which pip also uses, splits on every other separator)."""

EXPANSION = re.compile(r"\$\{[A-Za-z0-9_]+\}")
"""``${NAME}``: what pip (``req_file.expand_env_variables``) and uv replace with
the value of an environment variable in a requirements file."""


def first_control(value: str) -> str | None:
    """Return the first control character of a value (``U+000A``), or ``None``."""
    found = _CONTROL.search(value)
    return None if found is None else f"U+{ord(found[0]):04X}"


def first_line_control(text: str) -> tuple[int, str] | None:
    """Return ``(1-based line, U+XXXX)`` of a text file's first stray control character.

    Tab, LF and CR are not counted: they are the file's layout.
    """
    found = _LINE_CONTROL.search(text)
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    return line, f"U+{ord(found[0]):04X}"


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(found: re.Match[str]) -> str:
    char = found[0]
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def printable(value: str, *, lines: bool = False) -> str:
    r"""Return ``value`` with each control character written as an escape.

    ``\n``, ``\r`` and ``\t`` for those three, ``\uXXXX`` for the others (C0,
    DEL, C1, U+2028/2029): the spelling JSON, TOML basic strings and Python
    share, so a JSON or TOML text stays the same data. Text without control
    characters is returned as it is (so escaping twice changes nothing).

    Args:
        value: an untrusted value (a path, URL, name, lock or index value), or
            a whole text.
        lines: keep LF, the text's own line breaks (a rendered report or lock).
    """
    pattern = _LINE_BREAKS_KEPT if lines else _CONTROL
    return pattern.sub(_escape, value) if pattern.search(value) else value


_LINE_BREAKS_KEPT = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
""":data:`_CONTROL` but LF."""

_COMMAND_LINE = re.compile(r"^([^\S\n]*)::", re.MULTILINE)
"""A line GitHub Actions reads as a workflow command: ``::`` after any blanks
(the runner trims leading white space, Unicode's included, before it looks)."""
_LEGACY_COMMAND = "##["
"""The older ``##[command]`` form, which the runner finds anywhere in a line."""
_SGR = re.compile(r"(\x1b\[[0-9;]*m)")
"""An ANSI colour sequence (Select Graphic Rendition): what envsnap's own
coloured report writes, nothing else."""


def terminal_text(text: str, *, commands: bool = False, colour: bool = False) -> str:
    r"""Return text envsnap composed, safe to print on a terminal and in a CI log.

    Every control character but LF is escaped (:func:`printable`); a line that
    GitHub Actions would read as a workflow command gets a backslash before its
    ``::`` (``\::error ...``), and ``##[`` anywhere becomes ``##[\`` (the
    runner's own way of defusing it), so only envsnap's own annotations are
    commands.

    Args:
        text: lines joined by LF (the values in it escaped or not).
        commands: the text is envsnap's ``--format github`` report, whose
            ``::error``/``::notice`` lines are its own (their values escaped
            by the renderer): those are left as they are.
        colour: keep ANSI colour sequences (the text report on a terminal);
            every other ESC is escaped.
    """
    if colour and "\x1b" in text:
        parts = _SGR.split(text)
        text = "".join(p if i % 2 else printable(p, lines=True) for i, p in enumerate(parts))
    else:
        text = printable(text, lines=True)
    if not commands and "::" in text:
        text = _COMMAND_LINE.sub(r"\1\\::", text)
    return text.replace(_LEGACY_COMMAND, "##[\\") if _LEGACY_COMMAND in text else text


def excerpt(text: str, limit: int = 60, *, quoted: bool = True) -> str:
    """Return a short, escaped quotation of ``text``: ``'its start'... (N characters)``.

    For a line (or a word) of a file that may hold anything (``-r
    /proc/self/environ``): an error quotes no more than ``limit`` characters
    of it, escaped, with ``...`` and the text's length when there is more.

    Args:
        text: what to quote.
        limit: the most characters shown.
        quoted: in quotes, escaped by :func:`repr` (as a requirement is
            quoted); ``False``: bare, escaped by :func:`printable` (an option
            word, a path).
    """
    short = text[:limit]
    shown = repr(short) if quoted else printable(short)
    return shown if len(text) <= limit else f"{shown}... ({len(text)} characters)"

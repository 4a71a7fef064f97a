"""Untrusted text: control characters found where values are read, ``${VAR}`` found.

Every value envsnap reads from a lock file, an environment or an index may
end up in a line handed to pip or uv, on a terminal, or in a CI log. A line
separator inside a URL becomes a second line of pip's input (an
``--index-url`` of the attacker's choosing); an ESC byte repaints the
terminal; GitHub Actions reads ``::command::`` lines from both streams. So a
value holding a control character is refused where it is read, and the
readers share these two tests.
"""

from __future__ import annotations

import re

__all__ = ["EXPANSION", "first_control", "first_line_control"]

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

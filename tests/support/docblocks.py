"""The fenced code blocks of README.md and docs/*.md, and how shown output is compared.

:func:`collect` finds every fenced block (also one indented under a list
item) with its language and the ``<!-- example: ... -->`` comment right
before it, if any. The comment says how the block is checked:

- ``<!-- example: not run: REASON -->``: not run; the reason is required.
- ``<!-- example: scenario=NAME -->``: run in that scenario (see
  ``tests/docs/scenarios.py``) instead of the default one.
- ``<!-- example: scenario=NAME file=PATH -->``: a block that shows a file
  is compared with that file of the scenario (a glob, one match).
- ``<!-- example: scenario=NAME command="envsnap ..." -->``: a block that
  shows a program's output is compared with that command's stdout.

``console`` blocks are commands (``$ ...``) each followed by what it
prints; :func:`commands` splits them. :func:`matches` compares what a block
shows with real text: exactly, line by line, except that a line holding
only ``...`` stands for any number of lines and ``...`` inside a line for
any text on that line (doctest's ELLIPSIS, used where the docs shorten).
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Block", "Command", "collect", "commands", "matches", "mismatch"]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*example:\s*(?P<body>.*?)\s*-->\s*$")
_KEYS = frozenset({"scenario", "file", "command"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    """One fenced code block of a markdown file."""

    path: str
    """The markdown file, relative to the repository root (``docs/freeze.md``)."""
    line: int
    """1-based line of the opening fence."""
    lang: str
    """The first word of the info string (``console``, ``python``, ``""``)."""
    text: str
    """The content, without the fence lines and the list indent, ending with a newline."""
    not_run: str | None = None
    """The reason given in ``<!-- example: not run: REASON -->``."""
    options: dict[str, str] = field(default_factory=dict)
    """The ``key=value`` pairs of the ``<!-- example: ... -->`` comment."""

    @property
    def id(self) -> str:
        """``docs/freeze.md:8``, the test id of the block."""
        return f"{self.path}:{self.line}"

    @property
    def first_line(self) -> str:
        """The first line of the content (names a block independently of its line number)."""
        return self.text.split("\n", 1)[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One ``$ command`` of a console block and the output shown under it."""

    line: str
    """The command as shown, without ``$ ``."""
    shown: str
    """The lines shown under it, up to the next command (trailing blank lines dropped)."""


def _directive(lines: list[str], fence_index: int, where: str) -> tuple[str | None, dict[str, str]]:
    index = fence_index - 1
    while index >= 0 and not lines[index].strip():
        index -= 1
    if index < 0 or not (found := _DIRECTIVE.match(lines[index])):
        return None, {}
    body = found["body"]
    if body.startswith("not run:"):
        reason = body.removeprefix("not run:").strip()
        if not reason:
            raise ValueError(f"{where}: 'not run:' needs a reason")
        return reason, {}
    options: dict[str, str] = {}
    for word in shlex.split(body):
        key, sep, value = word.partition("=")
        if not sep or key not in _KEYS:
            raise ValueError(f"{where}: unknown example option {word!r} (known: {sorted(_KEYS)})")
        options[key] = value
    return None, options


def parse(path: str, text: str) -> list[Block]:
    """Return the fenced blocks of one markdown text.

    Raises:
        ValueError: an unclosed fence or a malformed ``<!-- example: -->`` comment.
    """
    lines = text.split("\n")
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        where = f"{path}:{index + 1}"
        body: list[str] = []
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            line = lines[end]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            end += 1
        if end == len(lines):
            raise ValueError(f"{where}: the fence is never closed")
        not_run, options = _directive(lines, index, where)
        info = opening["info"].strip()
        blocks.append(
            Block(
                path=path,
                line=index + 1,
                lang=info.split()[0] if info else "",
                text="\n".join(body) + "\n",
                not_run=not_run,
                options=options,
            )
        )
        index = end + 1
    return blocks


def collect(root: Path) -> list[Block]:
    """Return the blocks of ``root/README.md`` and ``root/docs/*.md``, in file order."""
    files = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    blocks: list[Block] = []
    for file in files:
        blocks += parse(file.relative_to(root).as_posix(), file.read_text(encoding="utf-8"))
    return blocks


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def commands(block: Block) -> list[Command]:
    """Split a console block into its commands and the output shown under each.

    Raises:
        ValueError: text before the first ``$ `` line.
    """
    found: list[Command] = []
    current: str | None = None
    shown: list[str] = []
    for line in block.text.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            if current is not None:
                found.append(Command(line=current, shown="\n".join(_trim(shown))))
            current, shown = line[2:], []
        elif current is None:
            if line.strip():
                raise ValueError(f"{block.id}: output before the first '$ ' command: {line!r}")
        else:
            shown.append(line)
    if current is not None:
        found.append(Command(line=current, shown="\n".join(_trim(shown))))
    return found


def _clean(text: str) -> list[str]:
    return _trim([line.rstrip() for line in text.rstrip("\n").split("\n")]) if text else []


def _pattern(shown: list[str]) -> re.Pattern[str]:
    parts: list[str] = []
    for line in shown:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append("[^\n]*?".join(re.escape(piece) for piece in line.split("...")) + r"\n")
    return re.compile("".join(parts))


def matches(shown: str, real: str) -> bool:
    """Return whether ``real`` is what ``shown`` shows (see the module docstring for ``...``).

    Trailing spaces and trailing blank lines are ignored on both sides.
    """
    shown_lines, real_lines = _clean(shown), _clean(real)
    if shown_lines == real_lines:
        return True
    body = "".join(f"{line}\n" for line in real_lines)
    return _pattern(shown_lines).fullmatch(body) is not None


def mismatch(shown: str, real: str, *, what: str) -> str:
    """Return an assertion message: a unified diff from what is shown to what is real."""
    diff = difflib.unified_diff(
        _clean(shown), _clean(real), fromfile=f"{what} (shown)", tofile="real", lineterm=""
    )
    return "\n".join(diff)

"""The requirements-file scanner: files read, logical lines with ``FILE:LINE``, pip's line grammar.

Continuation lines are joined, includes followed and every line split and its options
checked as pip does (``req_file``); the writer and the reader share the comment lines below.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envsnap._text import EXPANSION, excerpt, first_line_control
from envsnap.errors import LockFileError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

__all__ = ["INDEX_OPTIONS", "Line", "PipLine", "expansions", "read_lines", "read_text", "scan"]

HEADER_PREFIX = "# envsnap "
"""Every file envsnap writes starts with this; the reader uses it to know the file."""
PORTABLE_HEADER = "# envsnap freeze --portable"
"""The first line of a portable requirements file (``freeze --portable``)."""
REQUIRES_PYTHON_LINE = "# requires-python: "
"""The portable header line giving the targets' Python range."""
TOP_LEVEL_LINE = "# top-level: "
"""The portable header line naming the top-level packages, comma separated."""
TOP_LEVEL = "# top-level"
TRANSITIVE = "# transitive"
VIA_PREFIX = "# via "
EDITABLE_LINE = "# editable:"
"""The header line of a constraints file (``freeze --constraints``) naming the
packages written ``name @ file:///PATH`` that are editable installs."""
DECLARED_LINE = "    # declared"
"""The line under a top-level pin the project declares (``freeze`` writes it)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """One logical line of a requirements file (continuations joined)."""

    file: Path
    """The file it is in."""
    number: int
    """1-based number of its first physical line."""
    text: str
    """The joined text, without the trailing newline."""

    @property
    def where(self) -> str:
        """``FILE:LINE``, how messages name it."""
        return f"{self.file}:{self.number}"


def read_text(path: Path) -> str:
    """Return the text of a requirements file.

    Raises:
        LockFileError: missing, a directory, unreadable, not a regular file, in ``/proc`` or
            ``/sys``, over :data:`~envsnap._io.LOCK_FILE_LIMIT`, not UTF-8, or holding a
            control character but tab, LF and CR (pip would split the line there).
    """
    from envsnap._io import LOCK_FILE_LIMIT, read_limited  # noqa: PLC0415

    if _kernel_file(path):
        raise LockFileError(f"{path}: {_KERNEL_FILE}", hint=_KERNEL_HINT)
    try:  # a regular file of at most 64 MiB: an included FIFO or /dev/zero is refused
        text = read_limited(path, LOCK_FILE_LIMIT).decode("utf-8")
    except FileNotFoundError:
        raise LockFileError(
            f"{path}: no such file",
            hint="name an existing lock file, or write one with `envsnap freeze -o FILE`",
        ) from None
    except IsADirectoryError:
        raise LockFileError(f"{path}: is a directory, not a lock file") from None
    except UnicodeDecodeError as exc:
        raise LockFileError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise LockFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    stray = first_line_control(text)
    if stray is not None:
        line, char = stray
        raise LockFileError(
            f"{path}:{line}: holds a control character ({char}); refused",
            hint="a requirements file holds printable text only: pip would read the rest "
            "as more lines or options",
        )
    return text


_KERNEL_DIRS = ("/proc", "/sys")
_KERNEL_FILE = "a file of /proc or /sys, not a requirements file; refused"
_KERNEL_HINT = (
    "include requirements files only: /proc and /sys are the kernel's views of processes "
    "and devices (a process's environment, for one)"
)


def _kernel_file(path: Path) -> bool:
    """Whether ``path`` (as named, or where its links lead) is in ``/proc`` or ``/sys``."""
    named, real = os.path.normpath(path.absolute()), os.path.realpath(path)
    return any(p == d or p.startswith(d + "/") for p in (named, real) for d in _KERNEL_DIRS)


def read_lines(path: Path) -> list[Line]:
    """Read a requirements file (:func:`read_text`) as logical lines, as pip and pip-api do.

    A line ending in a backslash continues on the next; a logical line has the number of its
    first physical line. Blank lines are kept, so the n-th item is pip-api's line ``n``.
    """
    lines: list[Line] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        start = start if pending else number
        pending.append(raw.removesuffix("\\"))
        if not raw.endswith("\\"):
            lines.append(Line(file=path, number=start, text="".join(pending)))
            pending = []
    if pending:
        lines.append(Line(file=path, number=start, text="".join(pending)))
    return lines


def expansions(lines: Iterable[Line]) -> tuple[tuple[str, str], ...]:
    """Return ``(FILE:LINE, "${NAME}")`` for each ``${NAME}`` pip or uv would expand.

    Comments count too: pip expands variables before it strips them.
    """
    return tuple(
        (line.where, found[0]) for line in lines for found in EXPANSION.finditer(line.text)
    )


# ---- pip's line grammar ----------------------------------------------------------------------

_TAKING_A_VALUE = frozenset(
    {"--index-url", "--extra-index-url", "--constraint", "--requirement", "--editable"}
    | {"--find-links", "--no-binary", "--only-binary", "--all-releases", "--only-final"}
    | {"--trusted-host", "--use-feature", "--hash", "--config-settings"}
)
_FLAGS = frozenset(
    {"--no-index", "--prefer-binary", "--require-hashes", "--no-require-hashes", "--pre"}
)
_SPELLINGS = {
    "-i": "--index-url",
    "--pypi-url": "--index-url",
    "-c": "--constraint",
    "-r": "--requirement",
    "-e": "--editable",
    "-f": "--find-links",
    "-C": "--config-settings",
}
"""Every option pip accepts in a requirements file (pip 26's ``req_file``
``SUPPORTED_OPTIONS`` and ``SUPPORTED_OPTIONS_REQ``): the long forms, those taking
a value and flags; other spellings -> the long form. pip's parser takes any of
them on any line."""

INDEX_OPTIONS = frozenset({"--index-url", "--extra-index-url", "--find-links", "--no-index"})
"""The options kept in :attr:`Lock.index_options <envsnap.lock.Lock.index_options>`."""

_COMMENT = re.compile(r"(^|\s+)#.*$")
"""pip's comment rule (``req_file.COMMENT_RE``): ``#`` at the start or after whitespace."""

_QUOTING = re.compile(r"[\"'\\]")
"""What :func:`shlex.split` reads otherwise than :meth:`str.split` (in ASCII text)."""
_HASH_KINDS = ("sha256", "sha384", "sha512")
"""The ``--hash`` algorithms pip allows."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PipLine:
    """A logical line split as pip splits it (``req_file.break_args_options``)."""

    line: Line
    """The line, comments and all."""
    requirement: str
    """The words before the first option, comment removed; ``""`` for none."""
    options: tuple[tuple[str, str | None], ...]
    """``(long option, value or None)`` for each option, in order."""
    constraint: bool
    """Whether the line is in a ``-c`` constraints file."""

    @property
    def hashes(self) -> tuple[str, ...]:
        """The values of its ``--hash`` options (``ALG:HEX``)."""
        return tuple(value for option, value in self.options if option == "--hash" and value)


def scan(path: Path, lines: list[Line]) -> Iterator[PipLine]:
    """Yield every line of ``path`` (whose ``lines`` the caller read) and its includes, split.

    As pip does: ``-r FILE`` files are read after the file that names them, ``-c FILE``
    files after every ``-r`` file, each once, relative to the including file; a
    constraints file's options, and those after a requirement, are checked, not followed.

    Raises:
        LockFileError: an unreadable file, an option pip does not accept or without its
            value, a missing include or one in ``/proc`` or ``/sys`` (``FILE:LINE``).
    """
    found: list[tuple[Path, bool]] = []  # (file, whether a -c file), in the order named
    seen = {path}
    file, constraint = path, False
    while True:
        for line in lines:
            requirement, options = split(line)
            yield PipLine(
                line=line, requirement=requirement, options=options, constraint=constraint
            )
            for option, value in () if constraint or requirement else options:
                if option in {"--requirement", "--constraint"}:
                    short = "-r" if option == "--requirement" else "-c"
                    where = f"{line.where}: {short}"
                    found.append((_included(file, value or "", where=where), short == "-c"))
        pending = [item for item in sorted(found, key=lambda item: item[1]) if item[0] not in seen]
        if not pending:
            return
        file, constraint = pending[0]
        seen.add(file)
        lines = read_lines(file)


def _included(file: Path, value: str, *, where: str) -> Path:
    """Return the file a ``-r`` / ``-c`` line of ``file`` names, relative to it.

    A file of ``/proc`` or ``/sys`` is refused and the name quoted short and escaped:
    ``-r /proc/self/environ`` made every error quote the whole process environment.
    """
    included = file.parent / value
    shown = excerpt(value, quoted=False)
    if _kernel_file(included):
        raise LockFileError(f"{where} {shown}: {_KERNEL_FILE}", hint=_KERNEL_HINT)
    if not included.is_file():
        raise LockFileError(f"{where} {shown}: no such file")
    return included


def split(line: Line) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    """Split a line into its requirement text and options, as pip does.

    The requirement is the words before the first one starting with ``-``; pip's option
    parser ignores stray words after the options.

    Returns:
        ``(requirement text or "", ((long option, value or None), ...))``.

    Raises:
        LockFileError: an option pip does not know, one without its value, a value pip
            refuses, unclosed quotes (``FILE:LINE``).
    """
    text = _COMMENT.sub("", line.text) if "#" in line.text else line.text
    words = text.split(" ")
    first = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
    requirement = " ".join(words[:first]).strip()
    if first == len(words):
        return requirement, ()
    rest = " ".join(words[first:])
    try:  # shlex only where it changes something: 50,000 hashed pins took 4 s more
        left = shlex.split(rest) if not rest.isascii() or _QUOTING.search(rest) else rest.split()
    except ValueError:
        raise LockFileError(
            f"{line.where}: cannot split the options: {excerpt(rest, quoted=False)}",
            hint="close the quotes",
        ) from None
    options: list[tuple[str, str | None]] = []
    while left:
        word = left.pop(0)
        if not word.startswith("-") or word == "-":
            continue
        if word.startswith("--"):
            spelling, equals, attached = word.partition("=")
            value: str | None = attached if equals else None
        else:
            spelling, value = word[:2], word[2:] or None
        long = _SPELLINGS.get(spelling, spelling)
        takes_value = long in _TAKING_A_VALUE
        if not takes_value and long not in _FLAGS:
            raise LockFileError(
                f"{line.where}: {excerpt(spelling, quoted=False)}: not an option pip accepts in "
                "a requirements file",
                hint="remove the line, or fix the option's spelling",
            )
        if takes_value and value is None and left:
            value = left.pop(0)
        if long == "--editable" and not value:
            raise LockFileError(f"{line.where}: -e without a path or URL")
        if takes_value and value is None:
            raise LockFileError(
                f"{line.where}: {spelling} needs a value",
                hint=f"write {spelling} VALUE (pip's requirements format)",
            )
        if value is not None:
            _check_value(long, value, line.where)
        options.append((long, value if takes_value else None))
    return requirement, tuple(options)


def _check_value(option: str, value: str, where: str) -> None:
    """Refuse, as LockFileError, the ``--hash`` and ``--config-settings`` values pip refuses."""
    if option == "--hash":
        kind, colon, digest = value.partition(":")
        if not colon or not digest:
            raise LockFileError(
                f"{where}: cannot parse --hash={excerpt(value, quoted=False)}",
                hint="pip writes --hash=ALGORITHM:HEX",
            )
        if kind not in _HASH_KINDS:
            raise LockFileError(
                f"{where}: Invalid --hash kind {excerpt(kind, quoted=False)}, expected one of "
                f"{', '.join(_HASH_KINDS)}"
            )
    elif option == "--config-settings" and "=" not in value:
        raise LockFileError(
            f"{where}: --config-settings {excerpt(value, quoted=False)}: not of the form KEY=VALUE",
            hint="pip takes --config-settings KEY=VALUE",
        )

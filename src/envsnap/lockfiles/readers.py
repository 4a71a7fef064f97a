"""Read any lock file into the :class:`~envsnap.lock.Lock` model.

:func:`read_lock` picks the reader from the file's name and first line:

- ``pylock.toml`` / ``pylock.NAME.toml`` (PEP 751 names): :mod:`envsnap.lockfiles.pylock.read`;
- a requirements file whose first line is envsnap's header: the strict,
  packaging-only reader :func:`envsnap.lockfiles.requirements.read_strict.load` (no pip-api
  import, no pip call);
- a plain pinned file of another tool (``pip-compile``, ``uv pip compile``,
  ``pip freeze``: pins, hashes, index options, comments): the same,
  :func:`envsnap.lockfiles.requirements.read_strict.load_pinned`;
- any other requirements file: :func:`envsnap.lockfiles.requirements.read_any.load`
  (pip-api: ``-r``/``-c`` includes, hashes, editables, direct URLs).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap.errors import InputError, LockFileError
from envsnap.lockfiles import format_for_path

if TYPE_CHECKING:
    from envsnap.lock import Lock

__all__ = ["DEFAULT_LOCK_FILES", "default_lock_file", "read_lock"]

DEFAULT_LOCK_FILES = ("pylock.toml", "requirements.txt")
"""The files looked for in the current directory, in this order."""


def read_lock(path: Path) -> Lock:
    """Read a ``pylock.toml`` or requirements file.

    Args:
        path: the file.

    Returns:
        The :class:`~envsnap.lock.Lock`. A pylock file pins the whole
        closure, so its ``complete`` is set.

    Raises:
        LockFileError: the file is missing, a directory, unreadable, or invalid
            for its format (the message names ``FILE:LINE`` where it can).
    """
    if not path.exists():
        raise LockFileError(
            f"{path}: no such file",
            hint="name an existing lock file, or write one with `envsnap freeze -o FILE`",
        )
    if path.is_dir():
        raise LockFileError(f"{path}: is a directory, not a lock file")
    kind = format_for_path(path)
    if kind == "json":
        raise LockFileError(
            f"{path}: a JSON file, not a lock file (envsnap freeze --format json is a report)",
            hint="compare requirements files or pylock.toml files",
        )
    if kind == "pylock" or path.suffix == ".toml":
        from envsnap.lockfiles.pylock import read as pylock  # noqa: PLC0415

        lock = replace(pylock.load(path), complete=True)
        if kind != "pylock":
            note = (
                f"{path.name}: read as a pylock file; PEP 751 names them "
                "pylock.toml or pylock.NAME.toml"
            )
            lock = replace(lock, problems=(*lock.problems, note))
        return lock
    from envsnap._io import LOCK_FILE_LIMIT, FileTooLargeError, open_regular  # noqa: PLC0415
    from envsnap.lockfiles.requirements.lines import HEADER_PREFIX  # noqa: PLC0415
    from envsnap.lockfiles.requirements.read_portable import PORTABLE_HEADER  # noqa: PLC0415

    try:  # a FIFO or a device is refused here, before a reader blocks on it or fills memory
        with open_regular(path) as handle:
            if os.fstat(handle.fileno()).st_size > LOCK_FILE_LIMIT:
                raise FileTooLargeError(path, LOCK_FILE_LIMIT)
            first = handle.read(len(PORTABLE_HEADER))
    except OSError as exc:
        raise LockFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    from envsnap.lockfiles.requirements import read_strict as requirements  # noqa: PLC0415

    if first == PORTABLE_HEADER.encode():  # markers kept for the target, not this interpreter
        from envsnap.lockfiles.requirements import read_portable as portable  # noqa: PLC0415

        return portable.load(path)
    if first.startswith(HEADER_PREFIX.encode()):
        return requirements.load(path)
    plain = requirements.load_pinned(path)
    if plain is not None:
        return plain
    from envsnap.lockfiles.requirements import read_any as pip_requirements  # noqa: PLC0415

    return pip_requirements.load(path)


def default_lock_file(cwd: Path | None = None, *, command: str = "restore") -> Path:
    """Return the lock file to use when none is named.

    Args:
        cwd: the directory to look in (default: the current one).
        command: the envsnap command asking, for the hint.

    Returns:
        ``cwd/pylock.toml`` if it exists, else ``cwd/requirements.txt``
        (relative paths when ``cwd`` is not given).

    Raises:
        InputError: neither exists.
    """
    # relative to the current directory when none is given, so reports (and
    # GitHub annotations) name the file as the repository does
    here = Path() if cwd is None else cwd
    for name in DEFAULT_LOCK_FILES:
        candidate = here / name
        if candidate.is_file():
            return candidate
    here = here.absolute()
    raise InputError(
        f"no lock file: neither {' nor '.join(DEFAULT_LOCK_FILES)} in {here}",
        hint=f"name the file (envsnap {command} FILE), or write one with "
        "`envsnap freeze -o requirements.txt`",
    )

"""Read any lock file into the :class:`~envsnap.lock.Lock` model.

:func:`read_lock` picks the reader from the file's name: ``pylock.toml`` /
``pylock.NAME.toml`` (PEP 751 names) and other ``.toml`` files go to
:mod:`envsnap.lockfiles.pylock.read`, anything else to the requirements reader
:func:`envsnap.lockfiles.requirements.read.load` (a file envsnap wrote, a fully
pinned file of another tool, or anything else, read through pip-api).
"""

from __future__ import annotations

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
    from envsnap.lockfiles.requirements.read import load  # noqa: PLC0415

    return load(path)


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

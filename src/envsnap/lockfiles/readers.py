"""Read any lock file into the :class:`~envsnap.lock.Lock` model, the reader chosen by its name."""

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
    """Read a lock file: ``*.toml`` as a pylock file (PEP 751), anything else as requirements.

    Returns:
        The :class:`~envsnap.lock.Lock`; a pylock file's is ``complete`` (it pins the closure).

    Raises:
        LockFileError: missing, a directory, a JSON report, unreadable, or invalid for its
            format (``FILE:LINE`` where it can).
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

        lock = pylock.load(path)  # complete: a lock pins the closure
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
    """Return ``cwd/pylock.toml`` if it exists, else ``cwd/requirements.txt``.

    Args:
        cwd: the directory to look in; when ``None``, the paths are relative to the current
            one, so reports (and GitHub annotations) name the file as the repository does.
        command: the envsnap command asking, for the hint.

    Raises:
        InputError: neither exists.
    """
    here = Path() if cwd is None else cwd
    for name in DEFAULT_LOCK_FILES:
        if (here / name).is_file():
            return here / name
    raise InputError(
        f"no lock file: neither {' nor '.join(DEFAULT_LOCK_FILES)} in {here.absolute()}",
        hint=f"name the file (envsnap {command} FILE), or write one with "
        "`envsnap freeze -o requirements.txt`",
    )

"""The restore's target directory: its hidden siblings, leftovers, lock, and whether it may go.

An existing venv ``DIR`` is moved aside as ``.DIR.envsnap-old-PID`` during a
restore (:data:`OLD_MARK`); :func:`find_leftovers` finds the ones a killed
restore left; :func:`target_lock` keeps two restores of one target from
interleaving; :func:`check_target` refuses to replace anything but a venv or
an empty directory. Both planning and swapping ask these questions.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from envsnap.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = [
    "KEPT_MARK",
    "OLD_MARK",
    "REPLACED_MARK",
    "TRASH_FILE",
    "TRASH_MARK",
    "aside",
    "asides",
    "check_target",
    "find_leftovers",
    "target_lock",
]

OLD_MARK = ".envsnap-old-"
"""An existing venv ``DIR`` is kept as ``.DIR.envsnap-old-PID`` next to it during a restore.

``DIR`` is the target's exact name, so ``.venv`` is kept as ``..venv.envsnap-old-PID``
and ``venv`` as ``.venv.envsnap-old-PID``: two targets never share an aside-name."""


KEPT_MARK = ".envsnap-kept-"
"""With ``keep_old`` the replaced venv ends as ``.DIR.envsnap-kept-PID``: a name
:func:`find_leftovers` does not take for an interrupted restore."""


TRASH_MARK = ".envsnap-trash-"
"""A replaced venv is deleted from ``.DIR.envsnap-trash-PID/venv``."""


REPLACED_MARK = ".envsnap-replaced-"
""":func:`recover` moves what stood at the target to ``.DIR.envsnap-replaced-PID``."""


TRASH_FILE = "ENVSNAP-TRASH"
"""The marker file in a trash directory: envsnap made it, it may be deleted."""


def check_target(target: Path) -> bool:
    """Return whether ``target`` is a venv to replace; refuse anything else but emptiness."""
    from envsnap.install.venvs import is_venv  # noqa: PLC0415

    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InputError(
            f"{target}: exists and is not a directory",
            hint="choose another place with venv=DIR",
        )
    if not target.exists():
        return False
    if is_venv(target):
        return True
    if any(target.iterdir()):
        raise InputError(
            f"{target}: exists, is not a virtual environment (no pyvenv.cfg) and is not empty",
            hint="envsnap never deletes what it did not create: choose another venv=DIR, "
            "or empty it yourself",
        )
    return False


def aside(target: Path, mark: str, pid: int | None = None) -> Path:
    """Return the hidden sibling ``.NAME{mark}PID`` of ``target`` (this process's PID by default).

    ``NAME`` is the target's exact name: ``.venv`` and ``venv`` get
    ``..venv...`` and ``.venv...``.
    """
    return target.parent / f".{target.name}{mark}{os.getpid() if pid is None else pid}"


def asides(target: Path, mark: str) -> list[tuple[Path, int]]:
    """Return ``target``'s siblings named by :func:`aside` with ``mark``, and their PIDs.

    The parent directory is listed and each name compared with the exact
    prefix (no glob: ``[``, ``*`` and ``?`` are ordinary in a user's path);
    only ASCII digits may follow it, so ``venv.envsnap-old-1``'s asides are
    not ``venv``'s.
    """
    prefix = f".{target.name}{mark}"
    try:
        names = [entry.name for entry in target.parent.iterdir()]
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for name in names:
        pid = name[len(prefix) :]
        if name.startswith(prefix) and pid.isascii() and pid.isdigit():
            found.append((target.parent / name, int(pid)))
    return found


def find_leftovers(target: Path) -> list[Path]:
    """Return old venvs of ``target`` kept by a restore that did not finish (newest first).

    Args:
        target: the venv directory (absolute).

    Returns:
        Its ``.NAME.envsnap-old-PID`` siblings that are directories (not symlinks).
    """
    found = [p for p, _ in asides(target, OLD_MARK) if p.is_dir() and not p.is_symlink()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


@contextlib.contextmanager
def target_lock(target: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``target``'s parent directory for the restore.

    Raises:
        InputError: the parent is missing; another restore holds the lock.
    """
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"{parent}: no such directory (the parent of venv=)")
    try:
        import fcntl  # noqa: PLC0415
    except ImportError:  # pragma: no cover - Windows: no flock, restore still safe alone
        yield
        return
    fd = os.open(parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"another envsnap restore is running in {parent}",
                hint="wait for it to finish, then run this one again",
            ) from None
        yield
    finally:
        os.close(fd)

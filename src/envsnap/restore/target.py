"""The restore's target directory: its hidden siblings, leftovers, lock, and whether it may go.

Only a venv or an empty directory is ever replaced; planning and swapping both ask.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "KEPT_MARK",
    "OLD_MARK",
    "REPLACED_MARK",
    "TRASH_FILE",
    "TRASH_MARK",
    "VENV_LAYOUT",
    "aside",
    "asides",
    "check_target",
    "find_leftovers",
    "foreign_entries",
    "refuse_foreign",
    "target_lock",
]

OLD_MARK = ".envsnap-old-"
"""An existing venv ``DIR`` is kept as ``.DIR.envsnap-old-PID`` next to it during a restore."""

KEPT_MARK = ".envsnap-kept-"
"""With ``keep_old`` the replaced venv ends as ``.DIR.envsnap-kept-PID``: a name
:func:`find_leftovers` does not take for an interrupted restore."""

TRASH_MARK = ".envsnap-trash-"
"""A replaced venv is deleted from ``.DIR.envsnap-trash-PID/venv``."""

REPLACED_MARK = ".envsnap-replaced-"
""":func:`recover` moves what stood at the target to ``.DIR.envsnap-replaced-PID``."""

TRASH_FILE = "ENVSNAP-TRASH"
"""The marker file in a trash directory: envsnap made it, it may be deleted."""

VENV_LAYOUT = frozenset(
    {
        "pyvenv.cfg",  # PEP 405
        "bin",
        "Scripts",
        "include",
        "Include",
        "lib",
        "Lib",
        "lib64",
        ".gitignore",  # uv, virtualenv and Python 3.13's venv: "*"
        "CACHEDIR.TAG",  # uv, virtualenv
        ".lock",  # uv's lock on the venv
        ".project",  # virtualenvwrapper and pipenv: the project's path
        "pip-selfcheck.json",  # pip before 20
        "selfcheck.json",
    }
)
"""Names a venv holds at its top by its layout (PEP 405) or the tools that make it."""


def check_target(target: Path) -> bool:
    """Return whether ``target`` is a venv to replace; refuse anything else but emptiness.

    Raises:
        InputError: ``target`` is a file or a symbolic link; a venv that holds
            more than a venv (:func:`refuse_foreign`); a non-empty directory
            that is not a venv.
    """
    from envsnap.install.venvs import is_venv  # noqa: PLC0415

    if target.is_symlink():
        raise InputError(
            f"{target}: is a symbolic link; envsnap replaces only a venv directory itself",
            hint="name the directory the link points to, or another place with venv=DIR",
        )
    if target.exists() and not target.is_dir():
        raise InputError(
            f"{target}: exists and is not a directory",
            hint="choose another place with venv=DIR",
        )
    if not target.exists():
        return False
    if is_venv(target):
        refuse_foreign(target)
        return True
    if any(target.iterdir()):
        raise InputError(
            f"{target}: exists, is not a virtual environment (no pyvenv.cfg) and is not empty",
            hint="envsnap never deletes what it did not create: choose another venv=DIR, "
            "or empty it yourself",
        )
    return False


def refuse_foreign(target: Path) -> None:
    """Refuse (InputError) a directory holding what a venv does not (:func:`foreign_entries`)."""
    foreign = foreign_entries(target)
    if not foreign:
        return
    shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
    raise InputError(
        f"{target}: holds {shown}, which no venv holds; refused, nothing was built or moved",
        hint="envsnap replaces only a directory that holds nothing but a venv (a project "
        "made with `python -m venv .` keeps its files there): restore into another "
        "directory with venv=DIR, such as a .venv inside the project",
    )


def foreign_entries(venv: Path) -> list[str]:
    """Return the top-level entries of ``venv`` that no venv layout and no RECORD accounts for.

    A venv holds :data:`VENV_LAYOUT`, the files its distributions installed
    (PEP 376/627 ``RECORD`` rows; data files such as ``share/`` lie beside
    ``bin``), and pip's checkouts of editable VCS installs in ``src/NAME``
    (PEP 610 ``direct_url.json`` pointing there). Anything else (``.git``,
    ``pyproject.toml``, a ``src/`` of sources) is the user's. RECORDs are read
    only when some entry is outside the layout, bounded like every read. Returns
    the names sorted, ``src/NAME`` for an unaccounted entry of ``src``.
    """
    names = {entry.name for entry in venv.iterdir()}
    unknown = names - VENV_LAYOUT
    if not unknown:
        return []
    accounted, checkouts = _installed_entries(venv)
    unknown -= accounted
    found = sorted(unknown - {"src"})
    if "src" in unknown:
        source = venv / "src"
        entries = {e.name for e in source.iterdir()} if source.is_dir() else {""}
        found += sorted(f"src/{name}" if name else "src" for name in entries - checkouts)
    return found


def _installed_entries(venv: Path) -> tuple[set[str], set[str]]:
    """Return the top-level names the venv's RECORD rows reach, and its ``src/`` checkouts."""
    import csv  # noqa: PLC0415
    import io  # noqa: PLC0415
    import json  # noqa: PLC0415

    from envsnap._io import RECORD_LIMIT, SMALL_FILE_LIMIT, read_limited  # noqa: PLC0415
    from envsnap._text import file_url_path  # noqa: PLC0415

    top: set[str] = set()
    checkouts: set[str] = set()
    infos = [*venv.glob("lib*/python*/site-packages/*.dist-info")]
    infos += venv.glob("Lib/site-packages/*.dist-info")
    for info in infos:
        try:
            text = read_limited(info / "RECORD", RECORD_LIMIT).decode("utf-8", "replace")
        except OSError:
            text = ""
        for row in csv.reader(io.StringIO(text)):
            first = _first_part(venv, info.parent / row[0]) if row else None
            if first is not None:
                top.add(first)
        try:
            recorded = json.loads(read_limited(info / "direct_url.json", SMALL_FILE_LIMIT))
            url = recorded.get("url") if isinstance(recorded, dict) else None
        except (OSError, ValueError):
            url = None
        local = file_url_path(url) if isinstance(url, str) else None
        if local is not None and _first_part(venv, local) == "src":
            relative = Path(os.path.normpath(local)).relative_to(venv)
            if len(relative.parts) == 2:
                checkouts.add(relative.parts[1])
    return top, checkouts


def _first_part(venv: Path, place: Path) -> str | None:
    """Return the first part of ``place`` inside ``venv`` (``..`` folded lexically), or ``None``."""
    try:
        parts = Path(os.path.normpath(place)).relative_to(venv).parts
    except ValueError:
        return None
    return parts[0] if parts else None


def aside(target: Path, mark: str, pid: int | None = None) -> Path:
    """Return the hidden sibling ``.NAME{mark}PID`` of ``target`` (this process's PID by default).

    ``NAME`` is the exact name (``.venv`` gets ``..venv...``): two targets never share one.
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
    """Return ``target``'s ``.NAME.envsnap-old-PID`` directories (not links), newest first."""
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

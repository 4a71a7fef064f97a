"""Find the target environment: ``-p/--python``, ``$VIRTUAL_ENV``, the nearest ``.venv``.

Only a venv is taken by default (PEP 405: a ``pyvenv.cfg``); the system
Python is read only when named. A venv that an envsnap restore may be
rebuilding is refused before anything of it is read, and a read during which
a restore started is void (:func:`guard_read`). The interpreter found is
probed by :mod:`envsnap.environment.target`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap.errors import TargetError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from envsnap.environment.target import TargetEnvironment

__all__ = [
    "TargetChoice",
    "choose_target",
    "find_interpreter",
    "guard_read",
    "project_root",
    "refuse_if_restoring",
    "restore_running",
]

_BIN = "Scripts" if sys.platform == "win32" else "bin"
_EXE = "python.exe" if sys.platform == "win32" else "python"


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetChoice:
    """The interpreter :func:`choose_target` chose, and what the user should be told about it."""

    interpreter: Path
    """The interpreter's path, not resolved (see :func:`find_interpreter`)."""
    notes: tuple[str, ...] = ()
    """Plain lines about the choice (a ``$VIRTUAL_ENV`` passed over), for the CLI's ``note:``."""


def find_interpreter(
    python: str | os.PathLike[str] | None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Resolve the target interpreter from ``-p/--python`` and the defaults.

    The interpreter of :func:`choose_target`, whose rules and errors it has.

    Returns:
        The interpreter's path, not resolved (a venv's ``bin/python`` is a
        link that must stay a link for ``sys.prefix`` to be the venv).
    """
    return choose_target(python, cwd=cwd, environ=environ).interpreter


def choose_target(
    python: str | os.PathLike[str] | None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> TargetChoice:
    """Choose the target interpreter from ``-p/--python`` and the defaults.

    Named (``python``), anything that runs is taken: a venv, the system
    Python, envsnap's own environment. The defaults take venvs only:

    1. ``$VIRTUAL_ENV``, unless it is envsnap's own environment
       (``sys.prefix``): pre-commit, pipx and ``uv tool`` point it at the
       tool's environment, so it is passed over (with a note) for the next rule;
    2. the nearest ``.venv`` in the current directory or its parents up to the
       project root (see :func:`project_root`), as uv looks for it.

    A default that is not a venv (no ``pyvenv.cfg``, PEP 405: ``.venv -> /usr``)
    is refused rather than read as the system Python. A venv that an envsnap
    restore may be rebuilding is refused too (:func:`refuse_if_restoring`),
    before anything of it is looked at.

    Args:
        python: an interpreter path, a venv directory, or the name of a
            virtualenvwrapper environment (``$WORKON_HOME/NAME``, default
            ``~/.virtualenvs``, as ``workon NAME`` finds it) when no file of
            that name exists; ``None`` for the defaults.
        cwd: the directory the ``.venv`` search starts from (default: the current one).
        environ: the environment variables to read (default: ``os.environ``).

    Returns:
        The :class:`TargetChoice`.

    Raises:
        TargetError: the path does not exist or is a broken venv; a default is
            not a venv; a restore is running beside the venv; no target was
            given and no default applies.
    """
    env = os.environ if environ is None else environ
    here = Path.cwd() if cwd is None else cwd
    if python is not None:
        path, given = Path(python), "python="
        named = _workon_env(os.fspath(python), env)
        if named is not None and not path.exists() and not path.is_symlink():
            path, given = named, f"python={python} ($WORKON_HOME)"
        refuse_if_restoring(_venv_dir_of(path))
        return TargetChoice(interpreter=_interpreter_at(path, given=given))
    own = None
    if env.get("VIRTUAL_ENV"):
        path = Path(env["VIRTUAL_ENV"])
        if not _is_running_environment(path):
            refuse_if_restoring(path)
            found = _default_at(path, shown=f"$VIRTUAL_ENV={path}", given="$VIRTUAL_ENV")
            return TargetChoice(interpreter=found)
        own = path
    for directory in _search_dirs(here):
        candidate = directory / ".venv"
        refuse_if_restoring(candidate)
        if candidate.exists() or candidate.is_symlink():
            found = _default_at(candidate, shown=os.fspath(candidate), given=os.fspath(candidate))
            if own is None or _is_running_environment(candidate):
                return TargetChoice(interpreter=found)
            note = (
                f"$VIRTUAL_ENV ({own}) is envsnap's own environment, not the project's: "
                f"reading {candidate} instead"
            )
            return TargetChoice(interpreter=found, notes=(note,))
    if own is not None:
        raise TargetError(
            f"no target environment: $VIRTUAL_ENV ({own}) is envsnap's own environment, "
            f"and there is no .venv in {here} or its parents up to the project root",
            hint="name the environment to read with python=PATH (python=$VIRTUAL_ENV for "
            "envsnap's own), or create ./.venv",
        )
    raise TargetError(
        "no target environment: $VIRTUAL_ENV is not set and there is no .venv in "
        f"{here} or its parents up to the project root",
        hint="name one with python=PATH (a venv directory, its interpreter, or a "
        "$WORKON_HOME env name), activate a venv, or create ./.venv",
    )


def _is_running_environment(path: Path) -> bool:
    """Whether ``path`` is the environment envsnap runs in (``sys.prefix``, by file identity)."""
    try:
        return path.samefile(sys.prefix)
    except OSError:
        return False


def _venv_dir_of(path: Path) -> Path:
    """Return the venv directory a named target belongs to: ``DIR`` for ``DIR/bin/python``."""
    if path.parent.name == _BIN and not path.is_dir():
        return path.parent.parent
    return path


def _default_at(path: Path, *, shown: str, given: str) -> Path:
    """Return the interpreter of a default target, refusing one that is not a venv.

    ``.venv -> /usr`` or ``$VIRTUAL_ENV=/usr`` has a ``bin/`` and an
    interpreter like a venv, but no ``pyvenv.cfg`` (PEP 405): it is the system
    Python, read only when named.
    """
    if path.is_dir() and (path / _BIN).is_dir() and not (path / "pyvenv.cfg").is_file():
        real = Path(os.path.realpath(path))
        leads = f"leads to {real}, " if real != path.absolute() else ""
        interpreters = [real / _BIN / name for name in (_EXE, "python3")]
        named = next((exe for exe in interpreters if exe.exists()), interpreters[0])
        raise TargetError(
            f"{shown}: {leads}a Python installation, not a virtual environment (no "
            "pyvenv.cfg); refused: the system Python is read only when named",
            hint=f"to read it anyway, name it: python={named}",
        )
    return _interpreter_at(path, given=given)


def restore_running(venv: Path) -> bool:
    """Return whether an envsnap restore holds the lock beside ``venv``.

    A restore holds an exclusive ``flock`` on the venv's parent directory for
    its whole build (``envsnap.restore.target.target_lock``); this takes a
    shared one without waiting and lets it go at once. That lock covers every
    venv in the directory: a restore of ``DIR/venv2`` also counts for
    ``DIR/.venv``.

    Args:
        venv: a venv directory (it need not exist: a restore moves the old one aside).

    Returns:
        ``True`` when the lock is held; ``False`` when it is free, when the
        parent cannot be opened, and where there is no ``flock`` (Windows).
    """
    try:
        import fcntl  # noqa: PLC0415
    except ImportError:  # pragma: no cover - Windows: restores do not lock there either
        return False
    try:
        fd = os.open(venv.parent, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # closing lets the shared lock go
    return False


def refuse_if_restoring(venv: Path) -> None:
    """Refuse to read ``venv`` while an envsnap restore may be rebuilding it.

    A restore moves the old venv aside and builds the new one in its place; a
    reader would see a half-built environment (or none) and write a lock with
    part of its pins. Readers stop at once rather than wait: a restore may take
    minutes, and its outcome (the new venv, or the old one put back) is not
    known until it ends.

    Raises:
        TargetError: exit 2, when :func:`restore_running`.
    """
    if restore_running(venv):
        raise TargetError(
            f"{venv}: an envsnap restore is running in {venv.absolute().parent} and may be "
            "rebuilding it; refused to read it, nothing was written",
            hint="run this again once the restore has finished",
        )


@contextlib.contextmanager
def guard_read(environment: TargetEnvironment) -> Iterator[None]:
    """Refuse to read a venv that an envsnap restore builds, before and after the read.

    Before: :func:`refuse_if_restoring`. After: a restore that started during
    the read (it holds the lock, or the venv directory is another one by now)
    makes the read void. Not for the venv a restore verifies itself, under its
    own lock. A target that is not a venv is never built by a restore.

    Raises:
        TargetError: exit 2, before the read or at its end.
    """
    if not environment.is_venv:
        yield
        return
    venv = environment.prefix
    refuse_if_restoring(venv)
    before = _identity(venv)
    yield
    if restore_running(venv) or _identity(venv) != before:
        raise TargetError(
            f"{venv}: an envsnap restore started while it was being read; what was read "
            "is discarded, nothing was written",
            hint="run this again once the restore has finished",
        )


def _identity(path: Path) -> tuple[int, int] | None:
    """Return ``(st_dev, st_ino)`` of ``path``, ``None`` when it is gone."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


_PROJECT_MARKERS = (".git", "pyproject.toml")


def project_root(start: Path) -> Path | None:
    """Return the project root at or above ``start``, or ``None`` outside any project.

    The nearest directory holding ``.git``, else the nearest holding
    ``pyproject.toml``. ``.git`` first, so that a ``.venv`` at the root of a repository (a uv
    workspace, say) is found from any member project inside it.
    """
    chain = [start, *start.parents]
    for marker in _PROJECT_MARKERS:
        for directory in chain:
            if (directory / marker).exists():
                return directory
    return None


def _search_dirs(start: Path) -> list[Path]:
    """``start`` and its parents up to the project root (only ``start`` outside a project).

    ``uv pip`` looks at every parent; stopping at the project root keeps a
    stray ``~/.venv`` from being picked for a command run in an unrelated
    directory.
    """
    start = start.absolute()
    root = project_root(start)
    if root is None:
        return [start]
    chain = [start, *start.parents]
    return chain[: chain.index(root) + 1]


def _workon_env(name: str, environ: Mapping[str, str]) -> Path | None:
    """Return ``$WORKON_HOME/NAME`` (default ``~/.virtualenvs``) for a bare name, if it exists."""
    if not name or os.sep in name or (os.altsep and os.altsep in name) or name in {".", ".."}:
        return None
    home = Path(environ.get("WORKON_HOME") or "~/.virtualenvs").expanduser()
    candidate = home / name
    return candidate if candidate.is_dir() else None


def _interpreter_at(path: Path, *, given: str) -> Path:
    """Return the interpreter of a venv directory or check an interpreter path."""
    if path.is_dir():
        if not (path / "pyvenv.cfg").is_file() and not (path / _BIN).is_dir():
            raise TargetError(
                f"{path}: not a virtual environment (no pyvenv.cfg, no {_BIN}/)",
                hint=f"{given} takes a venv directory or a Python interpreter",
            )
        for name in (_EXE, "python3"):
            exe = path / _BIN / name
            if exe.is_symlink() and not exe.exists():
                raise TargetError(
                    f"{path}: broken virtual environment: {exe} points to missing "
                    f"{os.readlink(exe)}",
                    hint="recreate it (python -m venv) or name another with python=",
                )
            if exe.exists():
                return exe
        raise TargetError(
            f"{path}: no interpreter in {path / _BIN}",
            hint="recreate the venv, or name the interpreter with python=",
        )
    if path.is_symlink() and not path.exists():
        raise TargetError(
            f"{path}: broken link to missing {os.readlink(path)}",
            hint="recreate the venv, or name another interpreter with python=",
        )
    if not path.exists():
        raise TargetError(f"{path}: no such file or directory ({given})")
    return path

"""Find the target environment: ``-p/--python``, ``$VIRTUAL_ENV``, the nearest ``.venv``.

Defaults take a venv only (PEP 405: a ``pyvenv.cfg``); the system Python is read only
when named. A venv an envsnap restore may be rebuilding is not read.
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
    """Return the interpreter :func:`choose_target` chooses (same rules and errors).

    Returns:
        Its path, not resolved: a venv's ``bin/python`` link must stay one for ``sys.prefix``.
    """
    return choose_target(python, cwd=cwd, environ=environ).interpreter


def choose_target(
    python: str | os.PathLike[str] | None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> TargetChoice:
    """Choose the target interpreter from ``-p/--python`` and the defaults.

    A named target may be anything that runs. The defaults take venvs only:
    ``$VIRTUAL_ENV`` unless it is envsnap's own environment (pre-commit, pipx and
    ``uv tool`` set it: passed over with a note), then the nearest ``.venv`` up to
    the project root (:func:`project_root`), as uv looks for it.

    Args:
        python: an interpreter, a venv directory, or a virtualenvwrapper name
            (``$WORKON_HOME/NAME``, default ``~/.virtualenvs``) when no such file
            exists; ``None`` for the defaults.
        cwd: where the ``.venv`` search starts (default: the current directory).
        environ: the environment variables to read (default: ``os.environ``).

    Raises:
        TargetError: the path does not exist or is a broken venv; a default is
            not a venv; a restore is running beside the venv; no target at all.
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
    """Whether ``path`` is envsnap's own environment (``sys.prefix``)."""
    try:
        return path.samefile(sys.prefix)
    except OSError:
        return False


def _venv_dir_of(path: Path) -> Path:
    """Return ``DIR`` for ``DIR/bin/python``, else ``path``."""
    if path.parent.name == _BIN and not path.is_dir():
        return path.parent.parent
    return path


def _default_at(path: Path, *, shown: str, given: str) -> Path:
    """Return a default target's interpreter; refuse the system Python (``.venv -> /usr``)."""
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
    """Return whether an envsnap restore holds the lock beside ``venv`` (which need not exist).

    A restore holds an exclusive ``flock`` on the venv's parent directory
    (``envsnap.restore.target.target_lock``): a shared one is tried without waiting.
    ``False`` also when the parent cannot be opened, and on Windows (no ``flock``).
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
    """Refuse to read ``venv`` while an envsnap restore may be rebuilding it (half-built).

    No waiting: a restore may take minutes, and its outcome is unknown until it ends.

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

    After: a restore that started meanwhile (it holds the lock, or the venv directory is
    another one) voids the read. Not for the venv a restore verifies under its own lock.

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
    """Return ``(st_dev, st_ino)``, ``None`` when ``path`` is gone."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def project_root(start: Path) -> Path | None:
    """Return the nearest directory at or above ``start`` holding ``.git``, else ``pyproject.toml``.

    ``.git`` first: a ``.venv`` at a repository's root (a uv workspace) is found from any
    member project. ``None`` outside any project.
    """
    chain = [start, *start.parents]
    for marker in (".git", "pyproject.toml"):
        for directory in chain:
            if (directory / marker).exists():
                return directory
    return None


def _search_dirs(start: Path) -> list[Path]:
    """Return ``start`` and its parents up to the project root (only ``start`` outside one).

    uv looks at every parent; stopping at the root keeps a stray ``~/.venv`` out.
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

"""Swap a restored venv into place: move the old one aside, build, swap, or put it back.

The old venv is renamed to a hidden sibling first (venvs are not relocatable:
the new one is built in place); on any failure, Ctrl-C or SIGTERM the partial
venv is removed and the old one renamed back. A crash leaves the sibling:
the next run refuses and :func:`recover` puts it back. A replaced venv is
deleted through a marked trash directory that the next run clears if killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap import _report
from envsnap.errors import InputError, OperationError
from envsnap.restore.target import (
    KEPT_MARK,
    OLD_MARK,
    REPLACED_MARK,
    TRASH_FILE,
    TRASH_MARK,
    aside,
    asides,
    check_target,
    find_leftovers,
    refuse_foreign,
    target_lock,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from envsnap.compare.changes import Report
    from envsnap.restore.plan import RestorePlan

__all__ = ["RestoreResult", "recover", "remove_stale_trash", "restore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreResult:
    """What a successful restore did."""

    target: Path
    """The new venv."""
    python: Path
    """Its interpreter."""
    installed: int
    """How many packages the file lists."""
    report: Report
    """The verification (no drift; may list extras pip added when resolving)."""
    kept_old: Path | None = None
    """Where the replaced venv was kept (``keep_old``)."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Remarks (packages pip added that the file does not list...)."""


def restore(plan: RestorePlan) -> RestoreResult:
    """Build, install, verify and swap in the venv ``plan`` (:func:`plan_restore`) describes.

    Each stage (``clean``, ``create``, ``install``, ``verify``, ``done``) and
    the installer's output go to the reporter (:mod:`envsnap._report`).

    Raises:
        InputError: another restore holds the target (never waits forever).
        OperationError: the venv could not be created, the install failed
            (the installer's last lines in the message; a hash mismatch names
            the package), or the result does not match the file. In every
            case the old venv is back in place, byte for byte.
        KeyboardInterrupt: Ctrl-C or SIGTERM; same clean-up first.
    """
    from envsnap.restore.build import build_venv  # noqa: PLC0415 - plan_restore needs none of it

    target = plan.target
    with target_lock(target), _signals_as_interrupt():
        for stale in remove_stale_trash(target):
            _report.stage(
                "clean", f"removed {stale}, left by a restore that was killed while deleting"
            )
        leftovers = find_leftovers(target)
        if leftovers:
            raise InputError(
                f"{target}: a previous restore left the old venv at {leftovers[0]}",
                hint=f"put it back with `envsnap restore --recover --venv {target}`",
            )
        replaces = check_target(target)
        old = aside(target, OLD_MARK) if replaces else None
        existed_empty = target.is_dir() and not replaces
        if old is not None:
            with _signals_deferred():
                _move_aside(target, old)
        try:
            result = build_venv(plan)
        except BaseException:
            with _signals_deferred():
                _remove_partial(target, keep_empty_dir=existed_empty)
                if old is not None:
                    old.rename(target)
            raise
        kept = None
        if old is not None:
            if plan.options.keep_old:
                kept = aside(target, KEPT_MARK)
                with _signals_deferred():
                    old.rename(kept)
            else:
                # moved first (atomic): a kill during the delete must not leave a
                # half-deleted venv that looks like a leftover to --recover
                with _signals_deferred():
                    _delete(old, aside(target, TRASH_MARK))
        _report.stage("done", f"{target} matches {plan.file}")
        return RestoreResult(
            target=target,
            python=result[0],
            installed=len(plan.lock.packages),
            report=result[1],
            kept_old=kept,
            notes=result[2],
        )


def _move_aside(target: Path, old: Path) -> None:
    """Rename the old venv to its hidden sibling, or raise OperationError (nothing changed)."""
    try:
        target.rename(old)
    except OSError as exc:
        raise OperationError(
            f"{target}: cannot move it aside to {old.name} ({exc.strerror or exc}); "
            "nothing was changed",
            hint=f"restore keeps the old venv beside it while it builds: it needs to write "
            f"to {target.parent}",
        ) from None


def _delete(old: Path, trash: Path) -> None:
    """Delete a replaced venv through ``trash``: every state a kill leaves there is recognisable."""
    if trash.exists():  # our PID was used before by a killed restore
        _empty_trash(trash)
    trash.mkdir(exist_ok=True)
    (trash / TRASH_FILE).write_text(f"{os.getpid()}\n", encoding="utf-8")
    old.rename(trash / "venv")
    _empty_trash(trash)


def _empty_trash(trash: Path) -> None:
    shutil.rmtree(trash / "venv", ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (trash / TRASH_FILE).unlink()
    with contextlib.suppress(OSError):
        trash.rmdir()


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists
        return True
    return True


def remove_stale_trash(target: Path) -> list[Path]:
    """Remove the trash directories of ``target`` that killed restores left behind.

    Only ``.NAME.envsnap-trash-PID`` directories whose process is gone and
    that hold nothing but the marker file and a ``venv`` directory (or
    nothing) are removed: what envsnap made. The caller holds the target's
    lock, so no running restore is deleting them. Returns the directories removed.
    """
    removed: list[Path] = []
    for trash, pid in sorted(asides(target, TRASH_MARK)):
        if _alive(pid) or trash.is_symlink() or not trash.is_dir():
            continue
        entries = {p.name for p in trash.iterdir()}
        if entries <= {TRASH_FILE, "venv"} and (TRASH_FILE in entries or not entries):
            _empty_trash(trash)
            removed.append(trash)
    return removed


def _remove_partial(target: Path, *, keep_empty_dir: bool) -> None:
    """Remove what this restore built at ``target`` (it did not exist or was empty)."""
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target, ignore_errors=True)
    if keep_empty_dir:
        target.mkdir(exist_ok=True)


@contextlib.contextmanager
def _signals_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM (and SIGHUP) into ``KeyboardInterrupt`` while restoring, so clean-up runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    names = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    previous = {name: signal.signal(getattr(signal, name), interrupt) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold back Ctrl-C and SIGTERM (delivered at the end): a rename never stops half way."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    names = [s for s in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, s)]
    held = {getattr(signal, name) for name in names}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def recover(venv: Path) -> tuple[Path, Path | None]:
    """Put back the old venv an interrupted restore left next to ``venv``.

    Whatever is at ``venv`` now (the partial venv of the crashed run) is not
    deleted: it is renamed to ``.NAME.envsnap-replaced-PID`` next to it. Only a
    venv (:func:`~envsnap.restore.target.refuse_foreign`) or an empty directory
    is moved so: anything else is the user's, and stays where it is. Returns
    ``(restored venv, where what was at venv went or None)``.

    Raises:
        InputError: there is nothing to recover; what is at ``venv`` is not
            a venv (a project, a file, a link) and so is not moved.
    """
    target = Path(os.path.normpath(venv.absolute()))
    with target_lock(target), _signals_deferred():
        leftovers = find_leftovers(target)
        if not leftovers:
            raise InputError(f"{target}: no old venv left by an interrupted restore")
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise InputError(
                f"{target}: is not a directory; refused, nothing was moved",
                hint=f"move it away yourself, then run --recover again; the old venv is at "
                f"{leftovers[0]}",
            )
        moved = None
        if target.is_dir():  # a killed restore leaves (part of) a venv there, never a project
            refuse_foreign(target)
            moved = aside(target, REPLACED_MARK)
            target.rename(moved)
        leftovers[0].rename(target)
        return target, moved

"""envsnap's public Python API: snapshot, read, render, write, compare, restore.

The models (:class:`~envsnap.environment.snapshot.Snapshot`,
:class:`~envsnap.lock.Lock`) do no I/O; what reads and writes them is here.
The package root re-exports these names (not :func:`restore`, whose name there
is the :mod:`envsnap.restore` package); everything else may change.

>>> import envsnap
>>> snap = envsnap.take_snapshot(".venv")                  # doctest: +SKIP
>>> envsnap.dump(snap, "requirements.txt")                 # doctest: +SKIP
>>> lock = envsnap.read_lock("requirements.txt")           # doctest: +SKIP
>>> envsnap.compare_env_to_lock(snap, lock).drift          # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from envsnap._report import Reporter, reporting
from envsnap.compare.changes import Report
from envsnap.compare.drift import compare_env_to_lock, compare_locks
from envsnap.compare.project import compare_lock_to_project
from envsnap.environment.snapshot import Snapshot, take_snapshot
from envsnap.errors import EnvsnapError, InputError, OperationError
from envsnap.lock import Lock, LockedPackage
from envsnap.lockfiles.readers import read_lock
from envsnap.restore import RestoreOptions, RestorePlan, RestoreResult, plan_restore, restore

if TYPE_CHECKING:
    import os

__all__ = [
    "EnvsnapError",
    "InputError",
    "Lock",
    "LockedPackage",
    "OperationError",
    "Report",
    "Reporter",
    "RestoreOptions",
    "RestorePlan",
    "RestoreResult",
    "Snapshot",
    "compare_env_to_lock",
    "compare_lock_to_project",
    "compare_locks",
    "dump",
    "dumps",
    "plan_restore",
    "read_lock",
    "reporting",
    "requirements_of",
    "restore",
    "take_snapshot",
]


def dumps(snapshot: Snapshot, format: str = "requirements", /, **options: object) -> str:
    """Return a snapshot (from :func:`take_snapshot`) as the text of a lock file.

    ``format`` is a key of :data:`envsnap.lockfiles.FORMATS` (``requirements``,
    ``pylock``, ``json``); ``options`` are fields of :class:`envsnap.lockfiles.DumpOptions`
    (``annotate``, ``top_level_only``, ``hash_source``, ...).

    Raises:
        InputError: an unknown format or option.
        EnvsnapError: what the writer raises (e.g. pylock without a
            ``hash_source`` for index packages).
    """
    from envsnap.lockfiles import FORMATS, DumpOptions, get_writer  # noqa: PLC0415

    if format not in FORMATS:
        raise InputError(
            f"unknown format {format!r}", hint=f"format= takes {', '.join(sorted(FORMATS))}"
        )
    try:
        dump_options = DumpOptions(**cast("dict[str, Any]", options))
    except TypeError as exc:
        raise InputError(
            f"unknown option: {exc}", hint="options are the fields of DumpOptions"
        ) from None
    return get_writer(format)(snapshot, dump_options)


def requirements_of(lock: Lock) -> str:
    """Return a Lock as a pip requirements file, whatever format it was read from.

    Its :attr:`Lock.index_options` first, then one checked line per package with
    its hashes and marker: what an installer gets for a pylock file.
    """
    from envsnap.lockfiles.requirements.write import pip_line, requirements_text  # noqa: PLC0415

    source = str(lock.path or "the lock")
    options = "".join(f"{pip_line(line, source=source)}\n" for line in lock.index_options)
    return options + requirements_text(lock)


def dump(
    what: Snapshot | Lock,
    path: str | os.PathLike[str],
    format: str | None = None,
    **options: object,
) -> Path:
    """Write a snapshot (any format) or a Lock (a requirements file) atomically.

    Args:
        what: a :class:`Snapshot`, or a :class:`Lock` (as :func:`requirements_of`).
        path: the file to write; returned.
        format: as :func:`dumps`; ``None``: from the file name (``pylock.toml``,
            ``pylock.*.toml``: pylock; ``*.json``: json; else requirements).
        **options: as :func:`dumps`; ``output_dir`` (local paths are written
            relative to it) defaults to the file's directory.

    Raises:
        InputError: a Lock to a pylock or JSON file (freeze the environment
            for those), an unknown format or option.
    """
    from envsnap._io import atomic_write  # noqa: PLC0415
    from envsnap.lockfiles import format_for_path  # noqa: PLC0415

    target = Path(path)
    chosen = format or format_for_path(target)
    if isinstance(what, Lock):
        if chosen != "requirements":
            raise InputError(
                f"{target}: a Lock is written as a requirements file, not {chosen}",
                hint="pass a path like requirements.txt, or dump a snapshot of the environment",
            )
        text = requirements_of(what)
    else:
        options.setdefault("output_dir", target.absolute().parent)
        text = dumps(what, chosen, **options)
    atomic_write(target, text)
    return target

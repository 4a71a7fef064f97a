"""envsnap: freeze a Python environment into a file and restore it exactly.

The package namespace stays cheap to import: the names of :mod:`envsnap.api`,
the library's public API, are loaded on first use (PEP 562).

>>> import envsnap
>>> snap = envsnap.take_snapshot(".venv")     # doctest: +SKIP
>>> envsnap.dump(snap, "requirements.txt")    # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envsnap._version import __version__

if TYPE_CHECKING:
    from envsnap.api import (
        EnvsnapError,
        InputError,
        Lock,
        LockedPackage,
        OperationError,
        Report,
        RestoreOptions,
        RestorePlan,
        RestoreResult,
        Snapshot,
        compare_env_to_lock,
        compare_lock_to_project,
        compare_locks,
        dump,
        dumps,
        plan_restore,
        read_lock,
        requirements_of,
        take_snapshot,
    )

__all__ = [
    "EnvsnapError",
    "InputError",
    "Lock",
    "LockedPackage",
    "OperationError",
    "Report",
    "RestoreOptions",
    "RestorePlan",
    "RestoreResult",
    "Snapshot",
    "__version__",
    "compare_env_to_lock",
    "compare_lock_to_project",
    "compare_locks",
    "dump",
    "dumps",
    "plan_restore",
    "read_lock",
    "requirements_of",
    "take_snapshot",
]


def __getattr__(name: str) -> Any:  # noqa: ANN401 - PEP 562 module attribute hook
    """Load the public names of :mod:`envsnap.api` on first use (PEP 562).

    ``restore`` is not among them: at the root that name is the
    :mod:`envsnap.restore` package (``envsnap.restore.restore(plan)``).
    """
    if name in __all__:
        from envsnap import api  # noqa: PLC0415 - keep ``import envsnap`` cheap

        return getattr(api, name)
    raise AttributeError(f"module 'envsnap' has no attribute {name!r}")

"""envsnap: freeze a Python environment into a file and restore it exactly.

The public API's names (:mod:`envsnap.api`) are loaded on first use (PEP 562).

>>> import envsnap
>>> snap = envsnap.take_snapshot(".venv")     # doctest: +SKIP
>>> envsnap.dump(snap, "requirements.txt")    # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envsnap._version import __version__ as __version__

if TYPE_CHECKING:
    # for type checkers: envsnap.api's ``__all__``, the one list read at run time
    from envsnap.api import EnvsnapError as EnvsnapError
    from envsnap.api import InputError as InputError
    from envsnap.api import Lock as Lock
    from envsnap.api import LockedPackage as LockedPackage
    from envsnap.api import OperationError as OperationError
    from envsnap.api import Report as Report
    from envsnap.api import Reporter as Reporter
    from envsnap.api import RestoreOptions as RestoreOptions
    from envsnap.api import RestorePlan as RestorePlan
    from envsnap.api import RestoreResult as RestoreResult
    from envsnap.api import Snapshot as Snapshot
    from envsnap.api import compare_env_to_lock as compare_env_to_lock
    from envsnap.api import compare_lock_to_project as compare_lock_to_project
    from envsnap.api import compare_locks as compare_locks
    from envsnap.api import dump as dump
    from envsnap.api import dumps as dumps
    from envsnap.api import plan_restore as plan_restore
    from envsnap.api import read_lock as read_lock
    from envsnap.api import reporting as reporting
    from envsnap.api import requirements_of as requirements_of
    from envsnap.api import take_snapshot as take_snapshot


def __getattr__(name: str) -> Any:  # noqa: ANN401 - PEP 562 module attribute hook
    """Load the public names of :mod:`envsnap.api` on first use (PEP 562).

    ``__all__`` is the API's list with ``__version__``, but ``restore``: at the
    root that is the :mod:`envsnap.restore` package. A private name never
    loads the API, any other public name does (``from envsnap import lockfiles`` too).
    """
    if name == "restore" or (name.startswith("_") and name != "__all__"):
        raise AttributeError(f"module 'envsnap' has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - not on ``envsnap --help``'s path

    # not ``from envsnap import api``: that asks this hook for ``api`` again
    api = importlib.import_module("envsnap.api")
    if name == "__all__":
        return [n for n in api.__all__ if n != "restore"] + ["__version__"]
    if name in api.__all__:
        return getattr(api, name)
    raise AttributeError(f"module 'envsnap' has no attribute {name!r}")

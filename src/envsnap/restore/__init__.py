"""Restore: plan from a lock file, build a fresh venv, verify it, swap it into place.

The CLI calls :func:`plan_restore` and :func:`restore`; ``find_leftovers``,
``remove_stale_trash`` and ``recover`` clean up after an interrupted run.
See docs/architecture.md.
"""

from envsnap.restore.plan import (
    RestoreOptions,
    RestorePlan,
    RestoreResult,
    find_leftovers,
    plan_restore,
    recover,
    remove_stale_trash,
    restore,
)

__all__ = [
    "RestoreOptions",
    "RestorePlan",
    "RestoreResult",
    "find_leftovers",
    "plan_restore",
    "recover",
    "remove_stale_trash",
    "restore",
]

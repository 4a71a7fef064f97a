"""Restore: build a fresh venv exactly as a lock file says, verify it, put it in place.

envsnap decides and verifies; an installer installs. The stages: :mod:`.plan`
(changes nothing), :mod:`.build`, :mod:`.verify`, :mod:`.swap` (the old venv
is moved aside first and put back on any failure, Ctrl-C or SIGTERM).
"""

from envsnap.restore.plan import RestoreOptions, RestorePlan, plan_restore
from envsnap.restore.swap import RestoreResult, recover, remove_stale_trash, restore
from envsnap.restore.target import find_leftovers

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

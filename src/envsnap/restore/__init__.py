"""Restore: build a fresh venv exactly as a lock file says, verify it, put it in place.

envsnap decides and verifies; an installer installs. One module per stage:

1. :mod:`~envsnap.restore.plan` reads the file once into a
   :class:`~envsnap.lock.Lock`, checks what it names
   (:mod:`~envsnap.restore.sources`: local paths, ``${NAME}``, plain http),
   picks a base interpreter whose ``major.minor`` matches it and the
   installer (uv, or the new venv's pip where uv cannot serve), and builds
   the requests it will run (:mod:`~envsnap.restore.requests`);
2. :mod:`~envsnap.restore.build` has the backend (:mod:`envsnap.install`)
   create the venv and install, hashes enforced, every setting passed
   explicitly;
3. :mod:`~envsnap.restore.verify` marks the file's top-level packages as
   REQUESTED and compares the venv with the Lock (the comparison ``check``
   uses) and every ``Requires-Python`` with the venv's Python;
4. :mod:`~envsnap.restore.swap` puts it in place of the old venv, which is
   moved aside first and put back on any failure, Ctrl-C or SIGTERM
   (:mod:`~envsnap.restore.target`: a directory that holds anything but a
   venv is never replaced).
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

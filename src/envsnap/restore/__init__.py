"""Restore: build a fresh venv exactly as a lock file says, verify it, put it in place.

Three modules, one per stage: :mod:`~envsnap.restore.plan` (read, choose,
refuse), :mod:`~envsnap.restore.build` (create, install, mark, verify) and
:mod:`~envsnap.restore.swap` (move aside, swap in, recover). The build uses
:mod:`~envsnap.restore.backends` (one per ``--installer``: prepare, then
install), :mod:`~envsnap.restore.seed` (pip in the new venv) and
:mod:`~envsnap.restore.programs` (pip or uv run on the whole file), which
share :mod:`~envsnap.restore.context`. See
docs/architecture.md.

The steps (each reported to a ``progress`` callback, never printed here):

1. **read** the file into a :class:`~envsnap.lock.Lock`
   (:func:`envsnap.lockfiles.readers.read_lock`); unpinned requirements are reported,
   and refused with ``strict``;
2. **create** a venv at the target directory from a base interpreter whose
   ``major.minor`` matches the file (:mod:`envsnap.install.venvs`: the standard
   library's ``venv`` without ensurepip; pip is installed from its wheel);
3. **install** with the ``direct`` backend (:mod:`envsnap.install.builtin`: files
   fetched into a content-addressed cache, every hash verified before
   anything is installed, wheels installed with the ``installer`` library),
   or with pip or uv (:mod:`envsnap.install.external`): ``--no-deps`` when the file
   pins the whole closure, ``--require-hashes`` when it has hashes. A file
   that pins every package without saying it pins the closure (pip-compile,
   uv, pip freeze) is checked from its wheels' requirements
   (:mod:`envsnap.compare.closure`): installed exactly when nothing is missing,
   resolved by pip when something is (a note names it); then make
   the REQUESTED markers match the file's top-level list, so that
   ``envsnap freeze`` of the new venv writes the same file;
4. **verify**: snapshot the venv and compare it with the Lock through
   :func:`envsnap.compare.drift.compare_env_to_lock`, the comparison ``check`` uses.

Nothing is lost (docs/architecture.md, reliability): an existing venv at the target
is renamed to a hidden sibling first (venvs are not relocatable, so the new
one is built in place); on any failure, Ctrl-C or SIGTERM the partial venv is
removed and the old one renamed back; on success the old one is deleted (or
kept with ``keep_old``). A crash that skipped this leaves the sibling behind:
the next run refuses and :func:`recover` puts it back. A lock on the parent
directory (``flock``) keeps two restores of one target from interleaving; the
check for such leftovers runs under that lock, so a restore started while
another one runs is told so, not that one was interrupted. A replaced venv is
deleted as ``.NAME.envsnap-trash-PID/venv`` next to a marker file; a trash
directory left by a killed run (its PID gone) is removed by the next one.

Before anything is built, :func:`plan_restore` refuses plain-http index,
find-links and file URLs to hosts that are not secure origins unless trusted
(pip's rule, :mod:`envsnap.index.secure`), and lists every local path of the file
(``path =``, ``directory =``, ``-e``, ``file:``) that lies outside the lock
file's directory; relative ones resolve from that directory (PEP 751).
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

"""Build the venv a restore plan describes: create, install through a backend, mark, verify.

Create a venv from the plan's base interpreter (:mod:`envsnap.install.venvs`:
the standard library's ``venv`` without ensurepip; pip from its wheel,
:mod:`envsnap.restore.seed`) while the backend prepares
(:mod:`envsnap.restore.backends`: the built-in backend plans, fetches and
checks every file for the base interpreter's markers and tags, which a venv
shares); then install, make the REQUESTED markers match the file's top-level
list, and verify by comparing a snapshot of the venv with the Lock
(:func:`envsnap.compare.drift.compare_env_to_lock`, the comparison ``check``
uses). The caller (:mod:`envsnap.restore.swap`) cleans up on failure.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from envsnap.errors import OperationError
from envsnap.install.backend import program_backend
from envsnap.restore.backends import BACKENDS
from envsnap.restore.context import NewVenv, RestoreRun
from envsnap.restore.programs import TAIL, install_base_packages

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from concurrent.futures import Future
    from pathlib import Path

    from envsnap.compare.drift import Report
    from envsnap.environment.snapshot import Snapshot
    from envsnap.environment.target import TargetEnvironment
    from envsnap.index.file_cache import FileCache
    from envsnap.restore.plan import RestoreOptions, RestorePlan

__all__ = ["build_venv"]


def build_venv(
    plan: RestorePlan,
    say: Callable[[str, str], None],
    output: Callable[[str], None] | None,
    counter: Callable[[str, int, int], None] | None = None,
) -> tuple[Path, Report, tuple[str, ...]]:
    """Create, install, mark and verify the new venv at ``plan.target``.

    Two threads: one creates the venv, probes it and installs pip's wheel,
    while this one probes the base interpreter (in-process when it is the
    Python running envsnap) and runs the backend's :meth:`~envsnap.restore.backends.Backend.prepare`
    (plan, downloads, re-hash of cache entries). pip's check starts as soon
    as pip is in, and runs alongside the rest.

    Args:
        plan: from :func:`envsnap.restore.plan.plan_restore`.
        say: called as ``say(stage, message)`` at each stage.
        output: called with each line of an installer's output (``-v``).
        counter: called as ``counter(stage, done, total)`` while files are
            downloaded and installed.

    Returns:
        ``(the venv's interpreter, the verification report, notes)``.

    Raises:
        OperationError: the venv cannot be made, the install failed, or the
            venv does not match the file after it; the caller cleans up.
    """
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    from envsnap.compare.drift import compare_env_to_lock  # noqa: PLC0415
    from envsnap.environment.snapshot import take_snapshot  # noqa: PLC0415
    from envsnap.environment.target import probe  # noqa: PLC0415
    from envsnap.install.external import set_requested  # noqa: PLC0415
    from envsnap.install.pip_seed import check_pip  # noqa: PLC0415
    from envsnap.restore.seed import check_seeded_pip  # noqa: PLC0415

    options = plan.options
    backend = BACKENDS[plan.installer]
    say(
        "create",
        f"{plan.target} with venv (Python {plan.interpreter.version})"
        + (", pip from its wheel" if options.with_pip else ""),
    )
    # leaving the block waits for the threads: the caller never removes a venv being made
    with _cache(options) as cache, ThreadPoolExecutor(max_workers=2) as pool:
        run = RestoreRun(cache, say, output, counter)

        def make() -> tuple[NewVenv, Future[str] | None]:
            venv = _make_venv(plan, cache)
            # pip's check starts once pip is in: a first check also writes pip's bytecode
            if venv.seeded is None:
                return venv, None
            return venv, pool.submit(check_seeded_pip, venv.python, venv.seeded, cache)

        making = pool.submit(make)
        base = _probe_base(plan)
        prepared = backend.prepare(plan, base, run)
        venv, pip_check = making.result()
        if not _same_target(base, venv.environment):  # never seen; plan for the venv itself
            prepared = backend.prepare(plan, venv.environment, run)
        installed = backend.install(plan, prepared, venv, run)
        lock, no_deps, environment = installed.lock, installed.exact, installed.environment
        if plan.base_installs:
            lock = install_base_packages(plan, venv, run, lock)
            environment = probe(venv.python)
        say("verify", f"{plan.target} against {plan.file}")
        if options.with_pip and pip_check is None:  # the file's own pip
            pip_check = pool.submit(check_pip, venv.python)
        top: list[str] = [p.name for p in lock.top_level]
        snapshot = None
        if not top:  # the file does not say (pip lock, uv): what nothing requires was named
            snapshot = take_snapshot(environment=environment)
            top = _roots(snapshot)
        set_requested(environment.site_packages, top)
        snapshot = snapshot or take_snapshot(environment=environment)
        report = compare_env_to_lock(
            snapshot,
            lock,
            allow_extra=not no_deps,
            extras=options.extras,  # the entries of a pylock file installed are the ones chosen
            groups=options.groups,
        )
        if pip_check is not None:
            say("check", f"pip {pip_check.result()} runs in {plan.target}")
    if report:
        lines = [_change_line(c) for c in report.drift]
        raise OperationError(
            f"{plan.target} does not match {plan.file} after the install:\n  "
            + "\n  ".join(lines[:TAIL]),
            hint=_verify_hint(plan, report),
        )
    notes: list[str] = []
    if not no_deps:
        listed = {p.name for p in lock.packages}
        added = [
            f"{d.display_name}=={d.version}" for d in snapshot.listed() if d.name not in listed
        ]
        if added:
            notes.append(
                # the built-in backend resolves nothing: pip did, when the closure had a gap
                f"{program_backend(plan.installer).name} added packages "
                "the file does not list: " + ", ".join(added)
            )
    return venv.python, report, tuple(notes)


def _roots(snapshot: Snapshot) -> list[str]:
    """Return the packages no other installed package requires (for a file without top-level).

    An extra envsnap inferred does not count as requiring: without it, a
    ``pip lock celery sqlalchemy`` file marks sqlalchemy as named, so the next
    freeze keeps it top-level instead of explaining it by ``celery[sqlalchemy]``.
    """
    required = {
        edge.child
        for edge in snapshot.edges
        if edge.extra is None or edge.extra not in snapshot.inferred_extras.get(edge.parent, ())
    }
    return [d.name for d in snapshot.distributions if d.name not in required]


def _make_venv(plan: RestorePlan, cache: FileCache) -> NewVenv:
    """Create the venv, probe it, install pip's wheel (:func:`envsnap.restore.seed.seed_pip`)."""
    from envsnap.environment.target import probe  # noqa: PLC0415
    from envsnap.install.venvs import check_created, create_venv  # noqa: PLC0415
    from envsnap.restore.seed import seed_pip  # noqa: PLC0415

    creator = create_venv(
        plan.target, plan.interpreter, system_site_packages=plan.system_site_packages
    )
    python = check_created(plan.target, creator)
    environment = probe(python)
    return NewVenv(python, environment, seed_pip(plan, python, environment, cache))


def _probe_base(plan: RestorePlan) -> TargetEnvironment:
    """Probe the base interpreter: in-process when it is the Python running envsnap."""
    from envsnap.environment.target import probe, probe_running  # noqa: PLC0415
    from envsnap.install.venvs import is_running  # noqa: PLC0415

    return probe_running() if is_running(plan.interpreter) else probe(plan.interpreter.path)


def _same_target(base: TargetEnvironment, venv: TargetEnvironment) -> bool:
    """Whether files chosen for ``base`` fit ``venv``: same markers, Python and platform."""
    return (
        dict(base.markers) == dict(venv.markers)
        and base.python_version == venv.python_version
        and base.implementation == venv.implementation
        and base.platform == venv.platform
    )


@contextlib.contextmanager
def _cache(options: RestoreOptions) -> Iterator[FileCache]:
    """Yield the user's file cache, or a temporary one for ``--no-cache``."""
    from envsnap.index.file_cache import FileCache, default_cache_dir  # noqa: PLC0415

    if options.use_cache:
        yield FileCache(default_cache_dir())
    else:
        with FileCache.temporary() as cache:
            yield cache


def _verify_hint(plan: RestorePlan, report: Report) -> str:
    """Name the likely fix for a restore whose result does not match the file."""
    broken = any(c.kind == "broken" for c in report.drift)
    if broken and plan.lock.system_site_packages is None and plan.lock.complete:
        return (
            "a package needs one the file does not list; if the venv it was frozen from "
            "saw the base Python's packages (--system-site-packages), freeze it again with "
            "this envsnap (it records them) or with --include-system"
        )
    if broken and plan.base_installs:
        return "a base package the file's venv used is missing: check the index has it"
    return (
        "the file may not describe an installable environment "
        "(run `envsnap check` on it), or strict=True to refuse unpinned files"
    )


def _change_line(change: object) -> str:
    from envsnap.compare.drift import Change  # noqa: PLC0415

    assert isinstance(change, Change)  # noqa: S101 - Report.drift holds Changes
    parts = [change.kind, change.name]
    if change.expected or change.found:
        parts.append(f"(file: {change.expected or '-'}, venv: {change.found or '-'})")
    if change.detail:
        parts.append(f"- {change.detail}")
    return " ".join(parts)

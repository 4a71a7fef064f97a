"""The install backends restore uses, one per ``--installer`` name (:data:`BACKENDS`).

A backend works in two steps, so that its slow part overlaps the making of
the new venv (:func:`envsnap.restore.build.build_venv`):

- :meth:`Backend.prepare` runs while the venv is created, probed and given
  pip. It sees the base interpreter's probe: a venv has its base's PEP 508
  markers and wheel tags, so the built-in backend plans, fetches and
  re-hashes the files there (:mod:`envsnap.install.builtin`, every hash
  verified before anything is installed) and reads their requirements when
  the file's closure must be checked (:mod:`envsnap.compare.closure`).
- :meth:`Backend.install` installs into the new venv: the built-in backend
  links the prepared wheels; pip and uv (:mod:`envsnap.install.external`)
  install the whole file with their own resolver and hash checks.

Restore never checks a backend's name or the lock's format.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from envsnap.index.file_cache import cache_error
from envsnap.install.backend import PIP
from envsnap.restore.programs import install_file

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from envsnap.compare.closure import Gap
    from envsnap.environment.target import TargetEnvironment
    from envsnap.index.http import HttpClient
    from envsnap.index.settings import IndexSettings
    from envsnap.install import builtin as direct
    from envsnap.install.external import InstallerName
    from envsnap.lock import Lock
    from envsnap.restore.context import NewVenv, RestoreRun
    from envsnap.restore.plan import RestorePlan

__all__ = [
    "BACKENDS",
    "Backend",
    "Installed",
    "Prepared",
]


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a backend did before the venv existed (:meth:`Backend.prepare`)."""

    lock: Lock
    """The Lock to install and verify (the built-in backend narrows it to what
    applies: a pylock file's extras and groups, markers)."""
    files: direct.InstallPlan | None = None
    """The built-in backend's plan; ``None`` for pip and uv."""
    fetched: Mapping[str, Path] | None = None
    """sha256 -> file in the cache, for the plan's files fetched (the others
    are intact unpacked cache entries)."""
    gaps: tuple[Gap, ...] = ()
    """Requirements the pinned file leaves unmet: pip resolves the file instead."""


@dataclass(frozen=True, slots=True)
class Installed:
    """What a backend installed, for the verification after it."""

    lock: Lock
    """The Lock to verify against (narrowed to what applies to this venv)."""
    exact: bool
    """Whether exactly its packages were installed (else a resolver may have added some)."""
    environment: TargetEnvironment
    """The venv, probed after the install."""


class Backend(Protocol):
    """One install backend as restore asks it (:data:`BACKENDS` maps every ``--installer``).

    Each one enforces the lock's hashes, passes the plan's trusted hosts in
    its own form (:mod:`envsnap.install.backend`), and raises
    :class:`~envsnap.errors.OperationError` with nothing installed (the
    caller throws the new venv away) when it cannot finish.
    """

    def prepare(self, plan: RestorePlan, base: TargetEnvironment, run: RestoreRun) -> Prepared:
        """Do what needs no venv yet, for a venv of the probed base interpreter ``base``."""
        ...

    def install(
        self, plan: RestorePlan, prepared: Prepared, venv: NewVenv, run: RestoreRun
    ) -> Installed:
        """Install ``prepared`` into ``venv``."""
        ...


class _Program:
    """pip or uv: one run on the whole file, their own resolver and hash checks."""

    def prepare(self, plan: RestorePlan, base: TargetEnvironment, run: RestoreRun) -> Prepared:
        """Nothing to do before the venv: pip and uv read the file themselves."""
        del base, run
        return Prepared(plan.lock)

    def install(
        self, plan: RestorePlan, prepared: Prepared, venv: NewVenv, run: RestoreRun
    ) -> Installed:
        """Install the whole file with the new venv's pip, or with uv."""
        from envsnap.environment.target import probe  # noqa: PLC0415

        install_file(plan, venv, run)
        return Installed(prepared.lock, exact=plan.no_deps, environment=probe(venv.python))


class _Direct:
    """The built-in backend: files fetched into the cache, hashes checked, wheels linked."""

    def prepare(self, plan: RestorePlan, base: TargetEnvironment, run: RestoreRun) -> Prepared:
        """Plan the files for ``base``'s markers and tags, fetch them and check them.

        With ``plan.closure_check`` the wheels' requirements are read
        (:func:`envsnap.compare.closure.find_gaps`); when something is not
        pinned, a note says what, and :meth:`install` hands the file to pip.

        Raises:
            OperationError: a file is on no index, cannot be fetched or does
                not match its hash (nothing is installed), or the cache
                cannot be used.
        """
        from envsnap.environment.target import environment_tags  # noqa: PLC0415
        from envsnap.install import builtin as direct  # noqa: PLC0415

        settings = _settings(plan)
        client = _client(settings)
        fetched: Mapping[str, Path] | None = None
        try:
            files = direct.plan_lock(
                plan.lock,
                base,
                environment_tags(base),
                settings,
                extras=plan.options.extras,
                groups=plan.options.groups,
                cache_root=run.cache.root,
                client=client,
            )
            lock = replace(
                plan.lock, packages=tuple(p for p in plan.lock.packages if p.name in files.names)
            )
            if plan.closure_check:
                run.say("check", f"{files.count} pinned packages: reading their requirements")
                gaps, fetched = _closure_gaps(plan.lock, files, base, client, run)
                if gaps:
                    more = f" (and {len(gaps) - 1} more)" if len(gaps) > 1 else ""
                    run.say(
                        "note", f"{plan.file.name}: {gaps[0].describe()}{more}; pip resolves it"
                    )
                    return Prepared(lock, files, fetched, gaps)
            wheels = sum(1 for f in files.files if f.is_wheel)
            built = files.count - wheels
            run.say(
                "install",
                f"{files.count} packages ({wheels} wheels direct"
                + (f", {built} built by pip)" if built else ")"),
            )
            if fetched is None:
                fetched = direct.fetch(files, run.cache, client=client, counter=run.counter)
        except OSError as exc:
            raise cache_error(exc) from None
        return Prepared(lock, files, fetched)

    def install(
        self, plan: RestorePlan, prepared: Prepared, venv: NewVenv, run: RestoreRun
    ) -> Installed:
        """Link the prepared wheels into the venv (pip builds the rest); or pip resolves."""
        from envsnap.install import builtin as direct  # noqa: PLC0415

        if prepared.gaps:
            install_file(plan, venv, run)
            return Installed(prepared.lock, exact=False, environment=venv.environment)
        assert prepared.files is not None  # noqa: S101 - prepare() plans every file
        try:
            direct.install(
                prepared.files,
                python=venv.python,
                environment=venv.environment,
                cache=run.cache,
                index_args=[*plan.options.index_args, *PIP.trust_args(plan.trusted_hosts)],
                with_pip=plan.options.with_pip and venv.seeded is None,
                compile_bytecode=plan.options.compile_bytecode,
                counter=run.counter,
                output=run.output,
                fetched=prepared.fetched,
            )
        except OSError as exc:
            raise cache_error(exc) from None
        return Installed(prepared.lock, exact=True, environment=venv.environment)


BACKENDS: Mapping[InstallerName, Backend] = {
    "direct": _Direct(),
    "pip": _Program(),
    "uv": _Program(),
}
"""Every backend restore can install with, by its ``--installer`` name."""


def _settings(plan: RestorePlan) -> IndexSettings:
    """Return where the built-in backend looks for files: the plan's, else its options'."""
    from envsnap.index.settings import settings_from_pip_args  # noqa: PLC0415

    return plan.index_settings or settings_from_pip_args(
        plan.options.index_args,
        plan.lock.index_options,
        base=plan.file.parent.absolute(),
        trusted_hosts=plan.trusted_hosts,
    )


def _client(settings: IndexSettings) -> HttpClient:
    """Return the HTTP client for these indexes (their credentials, trust and certificates)."""
    from envsnap.index.http import Credentials, HttpClient  # noqa: PLC0415

    return HttpClient(
        credentials=Credentials([u for u in (settings.index_url, *settings.extra_index_urls) if u]),
        trusted_hosts=settings.trusted_hosts,
        cert=settings.cert,
        client_cert=settings.client_cert,
    )


def _closure_gaps(
    lock: Lock,
    install_plan: direct.InstallPlan,
    environment: TargetEnvironment,
    client: HttpClient,
    run: RestoreRun,
) -> tuple[tuple[Gap, ...], dict[str, Path] | None]:
    """Fetch the wheels of a pinned file and list what their requirements leave unmet.

    A package that has no wheel in the plan (an sdist, a direct reference pip
    installs) is a gap at once, and nothing is fetched: pip will resolve.

    Returns:
        ``(the gaps, the fetched files or None)``.
    """
    from envsnap.compare.closure import find_gaps, unreadable  # noqa: PLC0415
    from envsnap.install import builtin as direct  # noqa: PLC0415

    wheels = {f.name for f in install_plan.files if f.is_wheel}
    sdists = {f.name for f in install_plan.files if not f.is_wheel}
    unread = [
        unreadable(
            p,
            "only an sdist for this environment"
            if p.name in sdists
            else "a direct reference pip installs"
            if p.origin.is_direct
            else "on no named index or wheelhouse (pip fetches it)",
        )
        for p in lock.packages
        if p.name in install_plan.names and p.name not in wheels
    ]
    if unread:
        return tuple(unread), None
    fetched = direct.fetch(install_plan, run.cache, client=client, counter=run.counter)
    requires = direct.wheel_requirements(install_plan, run.cache, fetched)
    return find_gaps(lock, requires, environment.markers), fetched

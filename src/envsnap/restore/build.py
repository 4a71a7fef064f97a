"""Build the venv a restore plan describes: create, install through a backend, mark, verify.

Create a venv from the plan's base interpreter (:mod:`envsnap.install.venvs`:
the standard library's ``venv`` without ensurepip; pip from its wheel);
install with the built-in backend (:mod:`envsnap.install.builtin`: files
fetched into a content-addressed cache, every hash verified before anything
is installed) or with pip or uv (:mod:`envsnap.install.external`); make the
REQUESTED markers match the file's top-level list; then verify by comparing a
snapshot of the venv with the Lock (:func:`envsnap.compare.drift.compare_env_to_lock`,
the comparison ``check`` uses). The caller (:mod:`envsnap.restore.swap`) cleans up
on failure.

Restore asks the :data:`BACKENDS` table (one :class:`Backend` per ``--installer``
name) and never checks a backend's name or the lock's format.

Why one module of this size: each backend's install step (built-in, pip, uv, base
packages, the closure check) and pip's seeding and check, which every backend
shares, live here, behind the :class:`Backend` seam of docs/architecture.md;
moving them into ``install/`` is the next step.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from envsnap.errors import OperationError
from envsnap.install.backend import PIP, program_backend

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from envsnap.compare.closure import Gap
    from envsnap.compare.drift import Report
    from envsnap.environment.target import TargetEnvironment
    from envsnap.index.file_cache import FileCache
    from envsnap.index.http import HttpClient
    from envsnap.install import builtin as direct
    from envsnap.install.backend import ProgramBackend
    from envsnap.install.external import InstallerName
    from envsnap.lock import Lock
    from envsnap.restore.plan import RestoreOptions, RestorePlan

__all__ = ["BACKENDS", "TAIL", "Backend", "Installed", "build_venv"]

TAIL = 15
"""How many installer output lines / drift items an error shows."""


def build_venv(
    plan: RestorePlan,
    say: Callable[[str, str], None],
    output: Callable[[str], None] | None,
    counter: Callable[[str, int, int], None] | None = None,
) -> tuple[Path, Report, tuple[str, ...]]:
    """Create, install, mark and verify; the caller cleans up on failure."""
    from envsnap.compare.drift import compare_env_to_lock  # noqa: PLC0415
    from envsnap.environment.snapshot import take_snapshot  # noqa: PLC0415
    from envsnap.environment.target import probe  # noqa: PLC0415
    from envsnap.install.external import set_requested  # noqa: PLC0415
    from envsnap.install.venvs import check_created, create_venv  # noqa: PLC0415

    options = plan.options
    say(
        "create",
        f"{plan.target} with venv (Python {plan.interpreter.version})"
        + (", pip from its wheel" if options.with_pip else ""),
    )
    creator = create_venv(
        plan.target, plan.interpreter, system_site_packages=plan.system_site_packages
    )
    python = check_created(plan.target, creator)
    environment = probe(python)

    with contextlib.ExitStack() as stack:
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        from envsnap.install.pip_seed import check_pip  # noqa: PLC0415

        # pip's start-up (about a second) overlaps the install and the verification
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        seeded = _seed_pip_first(plan, python, environment)
        pip_check = pool.submit(_check_seeded_pip, plan, python, seeded) if seeded else None
        installed = BACKENDS[plan.installer](
            plan, python, environment, say, output, counter, seeded is not None
        )
        lock, no_deps, environment = installed.lock, installed.exact, installed.environment
        if plan.base_installs:
            lock = _install_base_packages(plan, python, environment, say, output, lock)
            environment = probe(python)
        say("verify", f"{plan.target} against {plan.file}")
        if options.with_pip and pip_check is None:  # the file's own pip
            pip_check = pool.submit(check_pip, python)
        set_requested(environment.site_packages, [p.name for p in lock.top_level])
        snapshot = take_snapshot(environment=environment)
        report = compare_env_to_lock(snapshot, lock, allow_extra=not no_deps)
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
    return python, report, tuple(notes)


@contextlib.contextmanager
def _cache(options: RestoreOptions) -> Iterator[FileCache]:
    """Yield the user's file cache, or a temporary one for ``--no-cache``."""
    from envsnap.index.file_cache import FileCache, default_cache_dir  # noqa: PLC0415

    if options.use_cache:
        yield FileCache(default_cache_dir())
    else:
        with FileCache.temporary() as cache:
            yield cache


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
    """One install backend as restore asks it: install ``plan``'s lock into the new venv.

    The table :data:`BACKENDS` maps every ``--installer`` name to one; restore
    never checks a backend's name. Each one enforces the lock's hashes, passes
    the plan's trusted hosts in its own form (:mod:`envsnap.install.backend`),
    and raises :class:`~envsnap.errors.OperationError` with nothing installed
    (the caller throws the new venv away) when it cannot finish.
    """

    def __call__(
        self,
        plan: RestorePlan,
        python: Path,
        environment: TargetEnvironment,
        say: Callable[[str, str], None],
        output: Callable[[str], None] | None,
        counter: Callable[[str, int, int], None] | None,
        seeded: bool,
        /,
    ) -> Installed:
        """Install into the venv of ``python`` (probed as ``environment``).

        ``seeded``: pip's wheel is in the venv already (:func:`_seed_pip_first`).
        """
        ...


def _install_program(
    plan: RestorePlan,
    python: Path,
    environment: TargetEnvironment,
    say: Callable[[str, str], None],
    output: Callable[[str], None] | None,
    counter: Callable[[str, int, int], None] | None,
    seeded: bool,
    /,
) -> Installed:
    """Install the whole file with pip or uv (one run, their own resolver and hash checks)."""
    from envsnap.environment.target import probe  # noqa: PLC0415

    with _cache(plan.options) as cache:
        pip_path = _seed_pip(plan, python, environment, cache, seeded=seeded)
        _install_with(plan, python, say, output, pip_path)
    return Installed(plan.lock, exact=plan.no_deps, environment=probe(python))


def _install_builtin(
    plan: RestorePlan,
    python: Path,
    environment: TargetEnvironment,
    say: Callable[[str, str], None],
    output: Callable[[str], None] | None,
    counter: Callable[[str, int, int], None] | None,
    seeded: bool,
    /,
) -> Installed:
    """Plan, fetch, verify and install with the built-in backend.

    The Lock is narrowed to the packages planned for this environment (a
    pylock file's extras and groups, markers), so verification expects exactly those.
    With ``plan.closure_check`` the files are fetched first and their wheels'
    requirements checked (:func:`envsnap.compare.closure.find_gaps`); when something
    is not pinned, a note says what and pip installs the file, resolving.

    Returns:
        What was installed.
    """
    from envsnap.environment.target import environment_tags  # noqa: PLC0415
    from envsnap.index.http import Credentials, HttpClient  # noqa: PLC0415
    from envsnap.index.settings import settings_from_pip_args  # noqa: PLC0415
    from envsnap.install import builtin as direct  # noqa: PLC0415

    options = plan.options
    tags = environment_tags(environment)
    settings = plan.index_settings or settings_from_pip_args(
        options.index_args,
        plan.lock.index_options,
        base=plan.file.parent.absolute(),
        trusted_hosts=plan.trusted_hosts,
    )
    client = HttpClient(
        credentials=Credentials([u for u in (settings.index_url, *settings.extra_index_urls) if u]),
        trusted_hosts=settings.trusted_hosts,
        cert=settings.cert,
        client_cert=settings.client_cert,
    )
    try:
        with _cache(options) as cache:
            install_plan = direct.plan_lock(
                plan.lock,
                environment,
                tags,
                settings,
                extras=options.extras,
                groups=options.groups,
                cache_root=cache.root,
                client=client,
            )
            names = install_plan.names
            lock = replace(
                plan.lock, packages=tuple(p for p in plan.lock.packages if p.name in names)
            )
            fetched = None
            if plan.closure_check:
                say("check", f"{install_plan.count} pinned packages: reading their requirements")
                gaps, fetched = _closure_gaps(
                    plan.lock, install_plan, cache, environment, client, counter
                )
                if gaps:
                    more = f" (and {len(gaps) - 1} more)" if len(gaps) > 1 else ""
                    say("note", f"{plan.file.name}: {gaps[0].describe()}{more}; pip resolves it")
                    pip_path = _seed_pip(plan, python, environment, cache, seeded=seeded)
                    _install_with(plan, python, say, output, pip_path)
                    return Installed(lock, exact=False, environment=environment)
            wheels = sum(1 for f in install_plan.files if f.is_wheel)
            built = install_plan.count - wheels
            say(
                "install",
                f"{install_plan.count} packages ({wheels} wheels direct"
                + (f", {built} built by pip)" if built else ")"),
            )
            direct.install(
                install_plan,
                python=python,
                environment=environment,
                cache=cache,
                index_args=[*options.index_args, *PIP.trust_args(plan.trusted_hosts)],
                client=client,
                with_pip=options.with_pip and not seeded,
                compile_bytecode=options.compile_bytecode,
                counter=counter,
                output=output,
                fetched=fetched,
            )
    except OSError as exc:
        raise _cache_error(exc) from None
    return Installed(lock, exact=True, environment=environment)


BACKENDS: Mapping[InstallerName, Backend] = {
    "direct": _install_builtin,
    "pip": _install_program,
    "uv": _install_program,
}
"""Every backend restore can install with, by its ``--installer`` name."""


def _closure_gaps(
    lock: Lock,
    install_plan: direct.InstallPlan,
    cache: FileCache,
    environment: TargetEnvironment,
    client: HttpClient,
    counter: Callable[[str, int, int], None] | None,
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
    fetched = direct.fetch(install_plan, cache, client=client, counter=counter)
    requires = direct.wheel_requirements(install_plan, cache, fetched)
    return find_gaps(lock, requires, environment.markers), fetched


def _cache_error(exc: OSError) -> OperationError:
    """Return the error for an ``OSError`` of the cache or the new venv during the install."""
    return OperationError(
        f"cannot use the cache or the venv: {exc}",
        hint="check the permissions of the cache directory (ENVSNAP_CACHE_DIR) "
        "or use use_cache=False",
    )


@dataclass(frozen=True, slots=True)
class _SeededPip:
    """pip's wheel, installed into the new venv before the file."""

    entry: Path
    """Its unpacked cache entry."""
    purelib: Path
    """The venv's ``purelib``."""
    tag: str | None
    """The venv's bytecode tag (``cpython-312``); ``None``: no bytecode kept."""
    bytecode: bool
    """Whether kept bytecode was linked in (:mod:`envsnap.install.pip_bytecode`)."""


def _seed_pip_first(
    plan: RestorePlan, python: Path, environment: TargetEnvironment
) -> _SeededPip | None:
    """Install pip's wheel into the new venv before the file, unless the file pins pip.

    Done first so that the check that pip runs overlaps the install. A file
    that pins pip gets its own pip from the backend instead (two pips in one
    venv would be two ``.dist-info`` directories).

    Returns:
        What was installed, or ``None`` (not wanted, or the file pins pip).
    """
    from envsnap.install.pip_bytecode import bytecode_tag, link_pip_bytecode  # noqa: PLC0415

    if not plan.options.with_pip or any(p.name == "pip" for p in plan.lock.packages):
        return None
    try:
        with _cache(plan.options) as cache:
            entry, purelib = _install_pip_wheel(python, environment, cache)
            # a temporary cache keeps nothing
            tag = bytecode_tag(environment) if plan.options.use_cache else None
            linked = tag is not None and link_pip_bytecode(cache, entry, purelib, tag)
    except OSError as exc:
        raise _cache_error(exc) from None
    return _SeededPip(entry=entry, purelib=purelib, tag=tag, bytecode=linked)


def _check_seeded_pip(plan: RestorePlan, python: Path, seeded: _SeededPip) -> str:
    """Check that the seeded pip runs; keep the bytecode that first run writes.

    Returns:
        pip's version.

    Raises:
        OperationError: pip does not start.
    """
    from envsnap.install.pip_bytecode import keep_pip_bytecode, link_pip_bytecode  # noqa: PLC0415
    from envsnap.install.pip_seed import check_pip  # noqa: PLC0415

    if seeded.tag is None or seeded.bytecode:
        return check_pip(python)
    with tempfile.TemporaryDirectory(prefix="envsnap-bytecode-") as written:
        version = check_pip(python, bytecode_dir=Path(written))
        with _cache(plan.options) as cache:
            keep_pip_bytecode(cache, seeded.entry, Path(written), seeded.tag)
            link_pip_bytecode(cache, seeded.entry, seeded.purelib, seeded.tag)
    return version


def _install_pip_wheel(
    python: Path, environment: TargetEnvironment, cache: FileCache
) -> tuple[Path, Path]:
    """Install pip's wheel (:func:`envsnap.install.pip_seed.choose_pip_wheel`) into a venv.

    Returns:
        ``(pip's unpacked cache entry, the venv's purelib)``.

    Raises:
        OperationError: no pip wheel fits, or it cannot be installed.
    """
    from envsnap.install.builtin import venv_scheme  # noqa: PLC0415
    from envsnap.install.pip_seed import choose_pip_wheel, pip_wheel_job  # noqa: PLC0415
    from envsnap.install.wheels import install_unpacked  # noqa: PLC0415

    job = pip_wheel_job(choose_pip_wheel(environment, cache), cache, environment.python_version)
    scheme = venv_scheme(python, environment)
    install_unpacked(job, scheme, interpreter=python)
    return job.unpacked, Path(scheme["purelib"])


def _seed_pip(
    plan: RestorePlan,
    python: Path,
    environment: TargetEnvironment,
    cache: FileCache,
    *,
    seeded: bool,
) -> Path | None:
    """Prepare pip for a pip or uv install of the whole file (:mod:`envsnap.install.pip_seed`).

    That is the pip and uv backends, and the direct backend handing a file
    whose closure is incomplete to pip's resolver.

    Returns:
        ``None`` once pip is in the new venv (``seeded``: it is already) or
        not wanted; for a pip install ``--without-pip`` the unpacked pip
        wheel that runs from ``PYTHONPATH`` instead (the venv keeps no pip).
    """
    if plan.options.with_pip:
        if not seeded:
            _install_pip_wheel(python, environment, cache)
        return None
    if not program_backend(plan.installer).runs_from_venv_pip:
        return None
    return _unpacked_pip(environment, cache)


def _unpacked_pip(environment: TargetEnvironment, cache: FileCache) -> Path:
    """Return the unpacked pip wheel for the venv's Python, to run from ``PYTHONPATH``."""
    from envsnap.install.pip_seed import choose_pip_wheel, pip_wheel_job  # noqa: PLC0415

    seed = choose_pip_wheel(environment, cache)
    return pip_wheel_job(seed, cache, environment.python_version).unpacked


def _install_with(
    plan: RestorePlan,
    python: Path,
    say: Callable[[str, str], None],
    output: Callable[[str], None] | None,
    pip_path: Path | None = None,
) -> None:
    """Install the file with pip (the new venv's) or uv (one subprocess reading the file)."""
    from envsnap.lockfiles.requirements.write import requirements_text  # noqa: PLC0415

    backend = program_backend(plan.installer)
    options = plan.options
    say("install", f"{len(plan.lock.packages)} packages with {backend.name}")
    with contextlib.ExitStack() as stack:
        requirements = plan.file
        # a file envsnap wrote is rendered from the Lock when it has VCS lines,
        # in the form old pips accept (requirements_text); others go as they are
        vcs = plan.lock.written_by_envsnap and any(
            p.origin.kind == "vcs" for p in plan.lock.packages
        )
        if not plan.lock.pip_reads_it or vcs:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="envsnap-")))
            requirements = scratch / "requirements.txt"
            lines = _absolute_options(plan.lock.index_options, plan.file.parent)
            requirements.write_text(
                "".join(f"{line}\n" for line in lines) + requirements_text(plan.lock),
                encoding="utf-8",
            )
        _run_installer(
            plan,
            backend,
            python,
            requirements,
            what=str(plan.file),
            no_deps=plan.no_deps,
            require_hashes=plan.require_hashes,
            index_args=options.index_args,
            output=output,
            pip_path=pip_path,
        )


def _run_installer(
    plan: RestorePlan,
    backend: ProgramBackend,
    python: Path,
    requirements: Path,
    *,
    what: str,
    no_deps: bool,
    require_hashes: bool,
    index_args: Sequence[str],
    output: Callable[[str], None] | None,
    pip_path: Path | None,
) -> None:
    """Run pip or uv on ``requirements`` for the new venv, with the plan's trusted hosts.

    Raises:
        OperationError: the installer failed (its last lines, credentials removed).
    """
    from envsnap.install.external import install_command, run_logged  # noqa: PLC0415

    install = install_command(
        backend.name,
        venv_python=python,
        requirements=requirements,
        no_deps=no_deps,
        require_hashes=require_hashes,
        index_args=[*index_args, *backend.trust_args(plan.trusted_hosts)],
        verbose=output is not None,
        cwd=plan.file.parent,
        pip_path=pip_path,
    )
    code, tail = run_logged(install.argv, cwd=install.cwd, output=output, env=install.env)
    if code != 0:
        raise OperationError(
            _failed(f"{backend.name} could not install {what}", code, tail),
            hint=_install_hint(tail),
        )


def _install_base_packages(
    plan: RestorePlan,
    python: Path,
    environment: TargetEnvironment,
    say: Callable[[str, str], None],
    output: Callable[[str], None] | None,
    lock: Lock,
) -> Lock:
    """Install the base packages the file's venv used (``--no-deps``); return the Lock to verify.

    They come from the index options the restore uses, without hashes (the
    file records versions only), through the new venv's pip (uv with
    ``--installer uv``).
    """
    from dataclasses import replace  # noqa: PLC0415

    from packaging.utils import canonicalize_name  # noqa: PLC0415
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415

    from envsnap.lock import LockedPackage  # noqa: PLC0415

    backend = program_backend(plan.installer)
    say("install", f"{len(plan.base_installs)} base packages with {backend.name}")
    file_options = _absolute_options(plan.lock.index_options, plan.file.parent)
    with _cache(plan.options) as cache, tempfile.TemporaryDirectory(prefix="envsnap-") as scratch:
        pip_path = None
        if backend.runs_from_venv_pip and not plan.options.with_pip:
            pip_path = _unpacked_pip(environment, cache)
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("\n".join(plan.base_installs) + "\n", encoding="utf-8")
        _run_installer(
            plan,
            backend,
            python,
            requirements,
            what="the base packages",
            no_deps=True,
            require_hashes=False,
            index_args=[
                *(word for line in file_options for word in line.split(None, 1)),
                *plan.options.index_args,
            ],
            output=output,
            pip_path=pip_path,
        )
    added = []
    for pin in plan.base_installs:
        name, _, version = (part.strip() for part in pin.partition("=="))
        try:
            added.append(
                LockedPackage(
                    name=canonicalize_name(name), display_name=name, version=Version(version)
                )
            )
        except InvalidVersion:  # a hand-edited header: pip installed it as written
            continue
    known = {p.name for p in lock.packages}
    packages = [*lock.packages, *(p for p in added if p.name not in known)]
    return replace(lock, packages=tuple(sorted(packages, key=lambda p: p.name)))


def _absolute_options(options: Sequence[str], base: Path) -> list[str]:
    """Return index option lines with a relative ``--find-links DIR`` made absolute from ``base``.

    pip reads a relative path in a requirements file from that file's
    directory; a rendered copy lives elsewhere.
    """
    found = []
    for option in options:
        flag, _, value = option.partition(" ")
        if flag == "--find-links" and value and "://" not in value:
            local = Path(value).expanduser()
            if not local.is_absolute() and (base / local).exists():
                option = f"{flag} {(base / local).absolute()}"  # noqa: PLW2901
        found.append(option)
    return found


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


def _failed(what: str, code: int, tail: list[str]) -> str:
    """Return ``what (exit N):`` and the command's last lines, indented."""
    from envsnap._urls import redact_urls  # noqa: PLC0415

    lines = [redact_urls(line) for line in tail[-TAIL:]]
    return f"{what} (exit {code})" + "".join(f"\n  | {line}" for line in lines)


def _install_hint(tail: list[str]) -> str:
    text = "\n".join(tail)
    if "DO NOT MATCH THE HASHES" in text or "hash mismatch" in text.lower():
        return (
            "a downloaded file does not match the hash in the lock file: the file or "
            "the index changed; nothing was replaced"
        )
    return "nothing was replaced; rerun with -v to see the installer's full output"


def _change_line(change: object) -> str:
    from envsnap.compare.drift import Change  # noqa: PLC0415

    assert isinstance(change, Change)  # noqa: S101 - Report.drift holds Changes
    parts = [change.kind, change.name]
    if change.expected or change.found:
        parts.append(f"(file: {change.expected or '-'}, venv: {change.found or '-'})")
    if change.detail:
        parts.append(f"- {change.detail}")
    return " ".join(parts)

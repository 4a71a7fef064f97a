"""Plan a restore from a Lock: the base interpreter, the backend, trust and local paths.

:func:`plan_restore` reads the file once into a :class:`~envsnap.lock.Lock`,
picks a base interpreter whose ``major.minor`` matches it, refuses plain-http
index, find-links and file URLs to hosts that are not secure origins unless
trusted (pip's rule, :mod:`envsnap.index.secure`), and lists every local path of
the file (``path =``, ``directory =``, ``-e``, ``file:``) that lies outside the
lock file's directory; relative ones resolve from that directory (PEP 751).
Nothing is built here: the plan is what ``--dry-run`` shows.

Why one module of this size: the plan's checks (pins, trust, local paths, base
interpreter, system site-packages) each need the whole plan; it is the restore's one
decision point.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap.errors import InputError
from envsnap.restore.target import check_target, find_leftovers, target_lock

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envsnap.index.settings import IndexSettings
    from envsnap.install.external import InstallerName
    from envsnap.install.venvs import Interpreter
    from envsnap.lock import Lock, LockedFile

__all__ = ["RestoreOptions", "RestorePlan", "plan_restore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreOptions:
    """What the user asked for (the CLI's options)."""

    venv: Path = Path(".venv")
    """The target directory."""
    python: str | None = None
    """``--python``: the base interpreter (path or name on PATH)."""
    strict: bool = False
    """Refuse a file that does not pin every package."""
    installer: InstallerName = "direct"
    """``direct`` (envsnap installs the wheels itself), ``pip`` or ``uv``."""
    with_pip: bool = True
    """Seed pip into the new venv (``--without-pip`` turns it off)."""
    extras: tuple[str, ...] = ()
    """``--extra``: extras of a pylock file to install (PEP 751)."""
    groups: tuple[str, ...] | None = None
    """``--group``: dependency groups of a pylock file (``None``: its defaults)."""
    use_cache: bool = True
    """Keep downloads in the user cache (``--no-cache``: a temporary one)."""
    compile_bytecode: bool = False
    """``--compile``: compile the installed modules to bytecode."""
    keep_old: bool = False
    """Keep the replaced venv (as the hidden sibling) instead of deleting it."""
    index_args: tuple[str, ...] = ()
    """``--index-url URL``, ``--extra-index-url URL``, ``--find-links X``, ``--no-index``."""
    search_path: str | None = None
    """The ``PATH`` searched for base interpreters (default: ``$PATH``)."""
    trusted_hosts: tuple[str, ...] = ()
    """``--trusted-host``: plain-http hosts allowed (``PIP_TRUSTED_HOST`` adds to them)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RestorePlan:
    """What a restore will do; :func:`plan_restore` makes it without changing anything."""

    lock: Lock
    """The file's content."""
    file: Path
    """The lock file."""
    target: Path
    """The venv directory to build (absolute)."""
    interpreter: Interpreter
    """The base interpreter."""
    replaces: bool
    """Whether an existing venv at ``target`` will be replaced."""
    no_deps: bool
    """Install exactly the file's packages (it pins the whole closure)."""
    closure_check: bool = False
    """The file pins every package but does not say it pins the whole closure:
    the direct backend reads its wheels' requirements, installs exactly the
    file when they are all pinned, and hands the file to pip's resolver when not."""
    require_hashes: bool
    """Hash-checking mode (the file has hashes)."""
    options: RestoreOptions
    """The options it was made from."""
    installer: InstallerName = "direct"
    """The backend that will install (``direct`` falls back to pip for a file
    that needs resolving)."""
    notes: tuple[str, ...] = ()
    """Things the user should know before the build (unpinned lines, version override,
    paths outside the project)."""
    trusted_hosts: tuple[str, ...] = ()
    """Plain-http hosts the user trusts (command line, file, environment, pip config)."""
    index_settings: IndexSettings | None = None
    """The indexes pip would use for this file (options, file lines, pip's configuration)."""
    system_site_packages: bool = False
    """Make the venv see the base site-packages (the file's venv did, and the base
    interpreter provides the packages it used: :mod:`envsnap.environment.base_packages`)."""
    base_installs: tuple[str, ...] = ()
    """``name==version`` of base packages the file's venv used that the base
    interpreter does not provide: installed into the venv instead."""

    def describe(self) -> list[str]:
        """Return the plan as lines for ``--dry-run``."""
        lines = [
            f"read {self.file}: {len(self.lock.packages)} packages "
            f"({len(self.lock.top_level)} top-level)",
            f"base interpreter: {self.interpreter.path} (Python {self.interpreter.version})",
            f"create {self.target}"
            + (
                " (replacing the venv there, kept until the new one is verified)"
                if self.replaces
                else ""
            )
            + (" without pip" if not self.options.with_pip else "")
            + (", seeing the base Python's site-packages" if self.system_site_packages else ""),
            f"install with {self.installer}"
            + (
                " --no-deps"
                if self.no_deps
                else " --no-deps if its wheels' requirements are all pinned by the file, "
                "else with pip (resolving dependencies)"
                if self.closure_check
                else " (resolving dependencies)"
            )
            + (" --require-hashes" if self.require_hashes else ""),
            *(
                [f"install the base packages the file's venv used: {', '.join(self.base_installs)}"]
                if self.base_installs
                else []
            ),
            "verify against the file, then mark the top-level packages as REQUESTED",
        ]
        return [*lines, *(f"note: {n}" for n in self.notes)]


def plan_restore(file: Path, options: RestoreOptions) -> RestorePlan:
    """Read the file and decide everything, changing nothing.

    Args:
        file: the lock file (``pylock.toml`` or a requirements file).
        options: see :class:`RestoreOptions`.

    Returns:
        The :class:`RestorePlan`.

    Raises:
        LockFileError: the file is missing or invalid.
        InputError: ``${NAME}`` in the file (:func:`_refuse_expansions`);
            ``strict`` and unpinned requirements; the target exists
            and is not a venv and not empty (or is a file); no matching base
            interpreter; a leftover venv from an interrupted restore; another
            restore is running there; a plain-http URL to a host that is not
            trusted.
    """
    from envsnap.index.secure import check_secure  # noqa: PLC0415
    from envsnap.index.settings import settings_from_pip_args  # noqa: PLC0415
    from envsnap.install.venvs import find_base_interpreter  # noqa: PLC0415
    from envsnap.lockfiles.readers import read_lock  # noqa: PLC0415

    lock = _with_resolved_paths(read_lock(file), file)
    _refuse_expansions(lock)
    notes = list(lock.problems)
    if lock.problems and options.strict:
        raise InputError(
            f"{file}: {len(lock.problems)} requirement(s) not pinned to one version "
            f"(first: {lock.problems[0]})",
            hint="pin every package (envsnap freeze writes such files), or drop strict=True "
            "to let pip resolve them",
        )
    sources = _sources(lock)
    settings = settings_from_pip_args(
        options.index_args,
        lock.index_options,
        base=file.parent.absolute(),
        trusted_hosts=[*options.trusted_hosts, *lock.trusted_hosts],
    )
    check_secure(
        [
            *((u, "--index-url") for u in (settings.index_url,) if u),
            *((u, "--extra-index-url") for u in settings.extra_index_urls),
            *((u, "--find-links") for u in settings.find_links if "://" in u),
            *((s.value, s.where or str(file)) for _, s in sources if "://" in s.value),
        ],
        settings.trusted_hosts,
    )
    notes += settings.notes
    local = _local_sources(file, sources)
    _check_local_sources(file, local, sources)
    notes += _outside_notes(file, local)
    target = Path(os.path.normpath(options.venv.absolute()))  # `..` named, not `..`'s name
    # under the lock: a running restore's moved-aside venv is not an interrupted one
    with target_lock(target) if target.parent.is_dir() else contextlib.nullcontext():
        leftovers = find_leftovers(target)  # first: a crash may leave a partial venv at target
        if leftovers:
            raise InputError(
                f"{target}: a previous restore was interrupted and left the old venv at "
                f"{leftovers[0]}",
                hint=f"put it back with `envsnap restore --recover --venv {options.venv}`, "
                f"or delete {leftovers[0]} if you do not need it",
            )
        replaces = check_target(target)
    if lock.python_version is None and lock.requires_python and options.python is None:
        from envsnap.portable.interpreter import newest_in_range  # noqa: PLC0415

        interpreter = newest_in_range(lock.requires_python, search_path=options.search_path)
    else:
        interpreter = find_base_interpreter(
            lock.python_version, python=options.python, search_path=options.search_path
        )
    notes += interpreter.skipped
    system_site: bool = False
    base_installs: tuple[str, ...] = ()
    if lock.system_site_packages is not None:
        system_site, base_installs, note = _system_site_plan(file, lock, interpreter)
        notes.append(note)
    recorded = lock.python_version
    if recorded and interpreter.major_minor != ".".join(recorded.split(".")[:2]):
        notes.append(
            f"the file was made with Python {recorded}; building with {interpreter.version} "
            "as --python says"
        )
    pinned = all(p.pinned for p in lock.packages)
    no_deps = lock.complete and pinned
    installer = options.installer
    # a fully pinned file that envsnap did not write (pip-compile, uv, pip
    # freeze) may be a lock: the direct backend reads its wheels' METADATA
    # (a PEP 751 file is complete: no_deps already holds for it)
    closure_check = installer == "direct" and pinned and not no_deps
    if installer == "direct" and not no_deps and not closure_check:
        installer = "pip"
    if not no_deps and not closure_check:
        notes.append(
            f"the file does not pin the whole dependency closure: {installer} resolves the rest"
        )
    if (options.extras or options.groups is not None) and (
        lock.pylock is None or installer != "direct"
    ):
        raise InputError(
            "extras= and groups= select parts of a pylock file, installed by the direct installer",
            hint="drop them, or restore a pylock.toml with installer=direct",
        )
    return RestorePlan(
        lock=lock,
        file=file,
        target=target,
        interpreter=interpreter,
        replaces=replaces,
        no_deps=no_deps,
        closure_check=closure_check,
        require_hashes=any(p.hashes for p in lock.packages),
        options=options,
        installer=installer,
        notes=tuple(notes),
        trusted_hosts=settings.trusted_hosts,
        index_settings=settings,
        system_site_packages=system_site,
        base_installs=base_installs,
    )


def _refuse_expansions(lock: Lock) -> None:
    """Refuse a file whose ``${NAME}`` pip or uv would expand (:attr:`Lock.expansions`).

    Both installers replace ``${NAME}`` in a requirements file with the
    variable's value, which would then go to the host the line names, and
    into their messages.

    Raises:
        InputError: the first place, and how many more there are.
    """
    from envsnap.lockfiles.requirements.write import EXPANSION_HINT  # noqa: PLC0415

    if not lock.expansions:
        return
    where, name = lock.expansions[0]
    more = len(lock.expansions) - 1
    raise InputError(
        f"{where}: holds {name}, which pip and uv would replace with an environment "
        "variable's value; refused, nothing was built"
        + (f" (and {more} more place(s))" if more else ""),
        hint=EXPANSION_HINT,
    )


def _system_site_plan(
    file: Path, lock: Lock, interpreter: Interpreter
) -> tuple[bool, tuple[str, ...], str]:
    """Decide how the new venv gets the base packages the file's venv used.

    The base interpreter is probed once and its site-packages read: when it
    provides every recorded ``name==version``, the new venv sees them too
    (``include-system-site-packages``, as the frozen venv did); otherwise it
    is made isolated and they are installed into it.

    Returns:
        ``(see the base site-packages, pins to install, note for the user)``.
    """
    from envsnap.environment.base_packages import base_versions, missing_from  # noqa: PLC0415
    from envsnap.environment.target import probe  # noqa: PLC0415

    pins = lock.system_site_packages or ()
    base = probe(interpreter.path)
    dirs = base.base_site_packages if base.is_venv else base.site_packages
    missing = missing_from(pins, base_versions(dirs))
    if not missing:
        used = f" for {_some(pins)}" if pins else ""
        return (
            True,
            (),
            f"{file}: it was frozen from a venv that sees the base Python's site-packages; "
            f"the new venv sees those of {base.base_prefix} too{used}",
        )
    return (
        False,
        tuple(pins),
        f"{file}: it was frozen from a venv that sees the base Python's site-packages, but "
        f"{interpreter.path} does not provide {_some(missing)}: the new venv is isolated "
        f"and gets {_some(pins)} installed from the index",
    )


def _some(pins: Sequence[str], shown: int = 5) -> str:
    """``a==1, b==2`` or, for a long list, ``a==1, ... and 25 more``."""
    if len(pins) <= shown:
        return ", ".join(pins)
    return ", ".join(pins[:shown]) + f" and {len(pins) - shown} more"


def _with_resolved_paths(lock: Lock, file: Path) -> Lock:
    """Make the relative ``file:`` URLs and paths of the Lock's origins absolute.

    They resolve from the file's directory (pip runs from there; PEP 751 says
    the same of pylock paths, which the pylock reader already resolves), so a
    restore gives the same result from any working directory.
    """
    from dataclasses import replace  # noqa: PLC0415

    from envsnap._urls import local_path  # noqa: PLC0415

    base = file.parent.absolute()
    packages = []
    for package in lock.packages:
        url = package.origin.url
        local = local_path(url) if url and package.origin.kind != "vcs" else None
        if local is not None and not local.is_absolute():
            absolute = Path(os.path.normpath(base / local)).as_uri()
            packages.append(replace(package, origin=replace(package.origin, url=absolute)))
        else:
            packages.append(package)
    return replace(lock, packages=tuple(packages))


def _sources(lock: Lock) -> list[tuple[str, LockedFile]]:
    """Return ``(package, file)`` for every URL or path the Lock names, in package order."""
    return [(package.display_name, f) for package in lock.packages for f in package.files]


def _local_sources(
    file: Path, sources: list[tuple[str, LockedFile]]
) -> list[tuple[str, Path, str | None]]:
    """Return ``(package, absolute path, FILE:LINE)`` for every local path the file installs from.

    Relative paths resolve from the lock file's directory (PEP 751; pip runs
    from there for a requirements file), in file order.
    """
    from envsnap._urls import local_path  # noqa: PLC0415

    items: list[tuple[str, Path, str | None]] = []
    for name, source in sources:
        local = local_path(source.value) if source.key == "url" else Path(source.value)
        if local is not None:
            items.append((name, local, source.where))
    base = file.parent.absolute()
    return [
        (name, Path(os.path.normpath(base / local)), where)
        for name, local, where in sorted(items, key=lambda item: _line_number(item[2]))
    ]


def _line_number(where: str | None) -> int:
    """Return the line of ``FILE:LINE`` (0 without one), to sort notes in file order."""
    number = (where or "").rpartition(":")[2]
    return int(number) if number.isdigit() else 0


def _outside_notes(file: Path, local: list[tuple[str, Path, str | None]]) -> list[str]:
    """Return a note for each local path of the file outside its directory (the project)."""
    project = file.parent.resolve()
    notes = []
    for name, path, where in local:
        if not path.resolve().is_relative_to(project):
            notes.append(f"{where or file}: {name} comes from {path}, outside {project}")
    return notes


def _check_local_sources(
    file: Path, local: list[tuple[str, Path, str | None]], sources: list[tuple[str, LockedFile]]
) -> None:
    """Refuse a file whose package can come from no local path that exists (before building).

    A package of a pylock file may list several wheels (one per platform);
    it is refused only when none of its local files exists and it has no
    remote one.

    Raises:
        InputError: the first such package, as ``FILE:LINE: NAME: PATH does not exist``.
    """
    remote = {
        name
        for name, source in sources
        if source.key == "url" and "://" in source.value and not source.value.startswith("file:")
    }
    present = {name for name, path, _where in local if path.exists()}
    missing = [item for item in local if item[0] not in present and item[0] not in remote]
    if not missing:
        return
    name, path, where = missing[0]
    more = len({m[0] for m in missing}) - 1
    raise InputError(
        f"{where or file}: {name}: {path} does not exist"
        + (f" (and {more} more package(s) with missing paths)" if more else ""),
        hint=f"relative paths in a lock file resolve from its directory ({file.parent.absolute()},"
        " PEP 751): keep the lock file where its paths lead, or fix the path; nothing was built",
    )

"""Plan a restore from a Lock: the base interpreter, the installer, and what it will run.

Plain-http URLs to hosts that are not trusted are refused (pip's rule,
:mod:`envsnap.index.secure`). Nothing is built here: the plan is what ``--dry-run`` shows.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap._text import counted
from envsnap.errors import InputError
from envsnap.index.settings import IndexOptions
from envsnap.restore.target import check_target, find_leftovers, target_lock

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envsnap.index.settings import IndexSettings
    from envsnap.install.backend import InstallerName, InstallRequest, LinkMode, VenvRequest
    from envsnap.install.venvs import Interpreter
    from envsnap.lock import Lock

__all__ = ["RestoreOptions", "RestorePlan", "plan_restore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreOptions:
    """What the user asked for (the CLI's options)."""

    venv: Path = Path(".venv")
    """The target directory."""
    python: str | None = None
    """``--python``: the base interpreter (path, version request or name on PATH)."""
    strict: bool = False
    """Refuse a file that does not pin every package."""
    installer: InstallerName | None = None
    """``uv`` or ``pip``; ``None``: uv, or pip where uv cannot serve (a note says why)."""
    with_pip: bool = True
    """Put pip into the new venv (``--without-pip`` turns it off)."""
    extras: tuple[str, ...] = ()
    """``--extra``: extras of a pylock file to install (PEP 751)."""
    groups: tuple[str, ...] | None = None
    """``--group``: dependency groups of a pylock file (``None``: its defaults)."""
    compile_bytecode: bool = False
    """``--compile``: compile the installed modules to bytecode."""
    link_mode: LinkMode | None = None
    """``--link-mode``: how uv puts files from its cache into the venv."""
    offline: bool = False
    """``--offline``: the installer's cache only, no network."""
    use_cache: bool = True
    """``--no-cache`` turns it off: the installer neither reads nor writes its cache."""
    keep_old: bool = False
    """Keep the replaced venv (as the hidden sibling) instead of deleting it."""
    index: IndexOptions = field(default_factory=IndexOptions)
    """The index options of the command line (pip's layers follow them)."""
    index_settings: IndexSettings | None = None
    """Settings used as they are, pip's layers not read (a bundle's); ``None``: :attr:`index`."""
    search_path: str | None = None
    """The ``PATH`` searched for base interpreters (default: ``$PATH``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RestorePlan:
    """What a restore will do; :func:`plan_restore` makes it without changing anything."""

    lock: Lock
    """The file's content."""
    expected: Lock
    """The Lock, plus the base packages installed for a venv frozen with system site-packages."""
    file: Path
    """The lock file."""
    target: Path
    """The venv directory to build (absolute)."""
    interpreter: Interpreter
    """The base interpreter."""
    python_reason: str
    """Why that one (``from .python-version``), for ``Using Python X (REASON)``."""
    replaces: bool
    """Whether an existing venv at ``target`` will be replaced."""
    installer: InstallerName
    """The backend that creates the venv and installs."""
    venv: VenvRequest
    """The venv to create."""
    installs: tuple[InstallRequest, ...]
    """What to install, in order."""
    exact: bool
    """The venv must hold exactly the file's packages; else the installer may add some."""
    options: RestoreOptions
    """The options it was made from."""
    notes: tuple[str, ...] = ()
    """What the user should know before the build (unpinned lines, paths outside, ...)."""

    def describe(self) -> list[str]:
        """Return the plan as lines for ``--dry-run``: each command it would run, secrets masked."""
        from envsnap.install import backend_for  # noqa: PLC0415
        from envsnap.install.venvs import venv_python  # noqa: PLC0415

        backend = backend_for(self.installer)
        replacing = " (replacing the venv there, kept until the new one is verified)"
        lines = [
            f"base interpreter: {self.interpreter.path} (Python {self.interpreter.version}, "
            f"{self.python_reason})",
            f"create {self.target}{replacing if self.replaces else ''}",
            *(f"  $ {c.shown()}" for c in backend.venv_commands(self.venv)),
        ]
        for request in self.installs:
            what = (
                f"{counted(request.count, 'package')} rendered from {self.file} as REQUIREMENTS"
                if request.requirements is not None
                else f"{request.file}, read by {self.installer}"
            )
            lines.append(f"install {what}" + (" (exactly these)" if request.exact else ""))
            rendered = Path("REQUIREMENTS") if request.requirements is not None else None
            commands = backend.install_commands(request, venv_python(self.target), rendered)
            lines += [f"  $ {c.shown()}" for c in commands]
        lines.append("verify against the file, then mark the top-level packages as REQUESTED")
        return [*lines, *(f"note: {n}" for n in self.notes)]


def plan_restore(file: Path, options: RestoreOptions) -> RestorePlan:
    """Read ``file`` (pylock or requirements) and decide everything, changing nothing.

    Raises:
        LockFileError: the file is missing or invalid.
        InputError: ``${NAME}`` in the file; ``strict`` and unpinned requirements;
            a target that is not a venv or an empty directory; no matching base
            interpreter; a leftover of an interrupted restore; another restore
            running there; plain http to an untrusted host; uv asked for and not
            installed; pip with ``--without-pip``; ``requires-python`` excludes
            the interpreter.
        OperationError: the target is a mount point.
    """
    from envsnap.index.secure import check_secure  # noqa: PLC0415
    from envsnap.install.backend import InstallRequest, VenvRequest  # noqa: PLC0415
    from envsnap.lockfiles.readers import read_lock  # noqa: PLC0415
    from envsnap.restore import sources  # noqa: PLC0415
    from envsnap.restore.python import choose_python  # noqa: PLC0415
    from envsnap.restore.requests import install_requests  # noqa: PLC0415

    lock = sources.with_resolved_paths(read_lock(file), file)
    sources.refuse_expansions(lock)
    notes = list(lock.problems)
    if lock.problems and options.strict:
        raise InputError(
            f"{file}: {len(lock.problems)} requirement(s) not pinned to one version "
            f"(first: {lock.problems[0]})",
            hint="pin every package (envsnap freeze writes such files), or drop strict=True "
            "to let the installer resolve them",
        )
    settings = options.index_settings or sources.index_settings_for(lock, file, options.index)
    # offline, the lock's file URLs are never fetched: only its local paths are used
    remote = () if options.offline else sources.remote_sources(lock)
    check_secure(
        [
            *((u, "--index-url") for u in (settings.index_url,) if u),
            *((u, "--extra-index-url") for u in settings.extra_index_urls),
            *((u, "--find-links") for u in settings.find_links if "://" in u),
            *((s.value, s.where or str(file)) for s in remote),
        ],
        settings.trusted_hosts,
    )
    notes += settings.notes
    notes += _included_options(file, lock, options.index)
    notes += sources.check_sources(file, lock)
    target = Path(os.path.normpath(options.venv.absolute()))  # `..` named, not `..`'s name
    replaces = _check_target(target, options.venv)
    choice = choose_python(file, lock, python=options.python, search_path=options.search_path)
    interpreter = choice.interpreter
    _check_requires_python(file, lock, interpreter)
    recorded = lock.python_version
    if recorded and interpreter.major_minor != ".".join(recorded.split(".")[:2]):
        notes.append(
            f"the file was made with Python {recorded}; building with {interpreter.version} "
            "as --python says"
        )
    installer, why = _installer(options, interpreter)
    system_site, base_installs, note = _system_site_plan(file, lock, interpreter)
    notes += [n for n in (why, note) if n]
    pinned = all(p.pinned for p in lock.packages)
    exact = lock.complete and pinned
    if not pinned:
        notes.append(f"{installer} resolves what the file does not pin")
    base = InstallRequest(
        exact=False,
        index=settings,
        cwd=file.parent.absolute(),
        compile_bytecode=options.compile_bytecode,
        link_mode=options.link_mode,
        offline=options.offline,
        no_cache=not options.use_cache,
    )
    installs = install_requests(lock, installer, base, extras=options.extras, groups=options.groups)
    expected = lock
    if base_installs:
        installs, expected = _with_base_installs(lock, installs, base_installs)
    venv = VenvRequest(
        target=target,
        interpreter=interpreter.path,
        python_version=interpreter.version,
        # a file that pins pip brings its own
        with_pip=options.with_pip and not any(p.name == "pip" for p in lock.packages),
        system_site_packages=system_site,
        index=settings,
        offline=options.offline,
        no_cache=not options.use_cache,
    )
    return RestorePlan(
        lock=lock,
        expected=expected,
        file=file,
        target=target,
        interpreter=interpreter,
        python_reason=choice.reason,
        replaces=replaces,
        installer=installer,
        venv=venv,
        installs=installs,
        exact=exact,
        options=options,
        notes=tuple(notes),
    )


def _included_options(file: Path, lock: Lock, given: IndexOptions) -> list[str]:
    """Name each index option an ``-r`` file sets that the installer uses (not overridden)."""
    from envsnap._text import redact_urls  # noqa: PLC0415

    return [
        f"{where}: {redact_urls(option)}: a file {file.name} includes sets it; the "
        "installer uses it"
        for where, option in lock.included_options
        if not (given.no_index or (option.startswith("--index-url") and given.index_url))
    ]


def _check_target(target: Path, named: Path) -> bool:
    """Refuse a target with a leftover, not a venv, envsnap's own or a mount; return if replaced."""
    import sys  # noqa: PLC0415

    if os.path.realpath(sys.prefix) == os.path.realpath(target):
        raise InputError(
            f"{target}: envsnap runs from this venv ({sys.executable}); replacing it would "
            "remove envsnap half way through",
            hint="run envsnap from an environment of its own: `uv tool install envsnap`, "
            "pipx, or another venv",
        )
    if target.is_dir() and not target.is_symlink() and os.path.ismount(target):
        from envsnap.errors import OperationError  # noqa: PLC0415

        raise OperationError(
            f"{target}: is a mount point; restore moves the old venv aside while it builds "
            "the new one, and a mount point cannot be moved; nothing was built",
            hint=f"restore into a directory inside the volume (venv={target / '.venv'}), "
            "or mount the volume one level up",
        )
    # under the lock: a running restore's moved-aside venv is not an interrupted one
    with target_lock(target) if target.parent.is_dir() else contextlib.nullcontext():
        leftovers = find_leftovers(target)  # first: a crash may leave a partial venv at target
        if leftovers:
            raise InputError(
                f"{target}: a previous restore was interrupted and left the old venv at "
                f"{leftovers[0]}",
                hint=f"put it back with `envsnap restore --recover --venv {named}`, "
                f"or delete {leftovers[0]} if you do not need it",
            )
        return check_target(target)


def _check_requires_python(file: Path, lock: Lock, interpreter: Interpreter) -> None:
    """Refuse an interpreter outside the pylock's ``requires-python`` or a portable header's."""
    wanted = getattr(lock.pylock, "requires_python", None) or lock.requires_python
    if wanted is None or wanted.contains(interpreter.version, prereleases=True):
        return
    raise InputError(
        f"{file}: requires-python {wanted}, and {interpreter.path} is Python "
        f"{interpreter.version}; nothing was built",
        hint="choose a Python in that range with python=X.Y",
    )


def _installer(options: RestoreOptions, interpreter: Interpreter) -> tuple[InstallerName, str]:
    """Return the installer asked for, else uv unless it cannot serve, and why pip if so."""
    from envsnap.install.uv import UV_OLDEST_PYTHON, find_uv  # noqa: PLC0415

    version = tuple(int(x) for x in interpreter.version.split(".")[:2])
    reason = ""
    if version < UV_OLDEST_PYTHON:
        reason = f"uv does not work with Python {interpreter.major_minor}"
    else:
        try:
            find_uv()
        except InputError as exc:
            reason = exc.message
    if options.installer == "uv" and reason:
        raise InputError(f"installer=uv: {reason}", hint="restore with installer=pip")
    installer: InstallerName = options.installer or ("pip" if reason else "uv")
    if installer == "pip" and not options.with_pip:
        raise InputError(
            "installer=pip installs with the new venv's own pip: with_pip=False cannot go with it",
            hint="drop with_pip=False, or restore with installer=uv",
        )
    note = (
        f"installing with the new venv's pip: {reason}" if reason and not options.installer else ""
    )
    return installer, note


def _with_base_installs(
    lock: Lock, installs: tuple[InstallRequest, ...], pins: tuple[str, ...]
) -> tuple[tuple[InstallRequest, ...], Lock]:
    """Add the base packages the file's venv used: from the index, no hashes, ``--no-deps``."""
    from packaging.utils import canonicalize_name  # noqa: PLC0415
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415

    from envsnap.lock import LockedPackage  # noqa: PLC0415
    from envsnap.lockfiles.requirements.write import pip_line  # noqa: PLC0415

    source = str(lock.path or "the lock")
    text = "".join(f"{pip_line(pin, source=source, installer=True)}\n" for pin in pins)
    request = replace(installs[0], requirements=text, file=None, exact=True, require_hashes=False)
    added = []
    for pin in pins:
        name, _, version = (part.strip() for part in pin.partition("=="))
        try:
            added.append(
                LockedPackage(
                    name=canonicalize_name(name), display_name=name, version=Version(version)
                )
            )
        except InvalidVersion:  # a hand-edited header: installed as written
            continue
    known = {p.name for p in lock.packages}
    packages = sorted(
        [*lock.packages, *(p for p in added if p.name not in known)], key=lambda p: p.name
    )
    return (*installs, request), replace(lock, packages=tuple(packages))


def _system_site_plan(
    file: Path, lock: Lock, interpreter: Interpreter
) -> tuple[bool, tuple[str, ...], str]:
    """Return (see the base site-packages, pins to install, note): seen if the base has all."""
    if lock.system_site_packages is None:  # not frozen with system site-packages
        return False, (), ""
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

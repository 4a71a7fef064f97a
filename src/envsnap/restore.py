"""Restore: build a fresh venv exactly as a lock file says, verify it, put it in place.

The steps (each reported to a ``progress`` callback, never printed here):

1. **read** the file into a :class:`~envsnap.lock.Lock`
   (:func:`envsnap.readers.read_lock`); unpinned requirements are reported,
   and refused with ``strict``;
2. **create** a venv at the target directory from a base interpreter whose
   ``major.minor`` matches the file (:mod:`envsnap.venvs`: the standard
   library's ``venv`` without ensurepip; pip is installed from its wheel);
3. **install** with the ``direct`` backend (:mod:`envsnap.direct`: files
   fetched into a content-addressed cache, every hash verified before
   anything is installed, wheels installed with the ``installer`` library),
   or with pip or uv (:mod:`envsnap.installers`): ``--no-deps`` when the file
   pins the whole closure, ``--require-hashes`` when it has hashes. A file
   that pins every package without saying it pins the closure (pip-compile,
   uv, pip freeze) is checked from its wheels' requirements
   (:mod:`envsnap.closure`): installed exactly when nothing is missing,
   resolved by pip when something is (a note names it); then make
   the REQUESTED markers match the file's top-level list, so that
   ``envsnap freeze`` of the new venv writes the same file;
4. **verify**: snapshot the venv and compare it with the Lock through
   :func:`envsnap.drift.compare_env_to_lock`, the comparison ``check`` uses.

Nothing is lost (DESIGN, reliability rules): an existing venv at the target
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
(pip's rule, :mod:`envsnap.secure`), and lists every local path of the file
(``path =``, ``directory =``, ``-e``, ``file:``) that lies outside the lock
file's directory; relative ones resolve from that directory (PEP 751).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from envsnap.errors import InputError, OperationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from envsnap import direct
    from envsnap.cache import FileCache
    from envsnap.closure import Gap
    from envsnap.drift import Report
    from envsnap.environment import TargetEnvironment
    from envsnap.index.http import HttpClient
    from envsnap.index.settings import IndexSettings
    from envsnap.installers import InstallerName
    from envsnap.lock import Lock
    from envsnap.venvs import Interpreter

__all__ = [
    "KEPT_MARK",
    "OLD_MARK",
    "RestoreOptions",
    "RestorePlan",
    "RestoreResult",
    "find_leftovers",
    "plan_restore",
    "recover",
    "remove_stale_trash",
    "restore",
]

OLD_MARK = ".envsnap-old-"
"""An existing venv ``DIR`` is kept as ``.DIR.envsnap-old-PID`` next to it during a restore.

``DIR`` is the target's exact name, so ``.venv`` is kept as ``..venv.envsnap-old-PID``
and ``venv`` as ``.venv.envsnap-old-PID``: two targets never share an aside-name."""

KEPT_MARK = ".envsnap-kept-"
"""With ``keep_old`` the replaced venv ends as ``.DIR.envsnap-kept-PID``: a name
:func:`find_leftovers` does not take for an interrupted restore."""

TRASH_MARK = ".envsnap-trash-"
"""A replaced venv is deleted from ``.DIR.envsnap-trash-PID/venv``."""

REPLACED_MARK = ".envsnap-replaced-"
""":func:`recover` moves what stood at the target to ``.DIR.envsnap-replaced-PID``."""

TRASH_FILE = "ENVSNAP-TRASH"
"""The marker file in a trash directory: envsnap made it, it may be deleted."""

TAIL = 15
"""How many installer output lines / drift items an error shows."""


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
    interpreter provides the packages it used: :mod:`envsnap.base_packages`)."""
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


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreResult:
    """What a successful restore did."""

    target: Path
    """The new venv."""
    python: Path
    """Its interpreter."""
    installed: int
    """How many packages the file lists."""
    report: Report
    """The verification (no drift; may list extras pip added when resolving)."""
    kept_old: Path | None = None
    """Where the replaced venv was kept (``keep_old``)."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Remarks (packages pip added that the file does not list...)."""


def plan_restore(file: Path, options: RestoreOptions) -> RestorePlan:
    """Read the file and decide everything, changing nothing.

    Args:
        file: the lock file (``pylock.toml`` or a requirements file).
        options: see :class:`RestoreOptions`.

    Returns:
        The :class:`RestorePlan`.

    Raises:
        LockFileError: the file is missing or invalid.
        InputError: ``strict`` and unpinned requirements; the target exists
            and is not a venv and not empty (or is a file); no matching base
            interpreter; a leftover venv from an interrupted restore; another
            restore is running there; a plain-http URL to a host that is not
            trusted.
    """
    from envsnap.index.settings import settings_from_pip_args  # noqa: PLC0415
    from envsnap.readers import read_lock  # noqa: PLC0415
    from envsnap.secure import check_secure  # noqa: PLC0415
    from envsnap.venvs import find_base_interpreter  # noqa: PLC0415

    lock = _with_resolved_paths(read_lock(file), file)
    notes = list(lock.problems)
    if lock.problems and options.strict:
        raise InputError(
            f"{file}: {len(lock.problems)} requirement(s) not pinned to one version "
            f"(first: {lock.problems[0]})",
            hint="pin every package (envsnap freeze writes such files), or drop --strict "
            "to let pip resolve them",
        )
    # the file is read once here for what the Lock does not carry: pip's
    # --trusted-host lines, and the lines of a pylock file's URLs and paths
    text = _lock_text(lock)
    lines = text.splitlines()
    sources = _pylock_sources(lock, text)
    file_trusted = _TRUSTED_LINE.findall(text) if lock.format == "requirements" else []
    settings = settings_from_pip_args(
        options.index_args,
        lock.index_options,
        base=file.parent.absolute(),
        trusted_hosts=[*options.trusted_hosts, *file_trusted],
    )
    check_secure(
        [
            *((u, "--index-url") for u in (settings.index_url,) if u),
            *((u, "--extra-index-url") for u in settings.extra_index_urls),
            *((u, "--find-links") for u in settings.find_links if "://" in u),
            *_file_urls(lock, file, lines, sources),
        ],
        settings.trusted_hosts,
    )
    notes += settings.notes
    local = _local_sources(lock, file, lines, sources)
    _check_local_sources(file, local, sources)
    notes += _outside_notes(file, local)
    target = options.venv.absolute()
    # under the lock: a running restore's moved-aside venv is not an interrupted one
    with _target_lock(target) if target.parent.is_dir() else contextlib.nullcontext():
        leftovers = find_leftovers(target)  # first: a crash may leave a partial venv at target
        if leftovers:
            raise InputError(
                f"{target}: a previous restore was interrupted and left the old venv at "
                f"{leftovers[0]}",
                hint=f"put it back with `envsnap restore --recover --venv {options.venv}`, "
                f"or delete {leftovers[0]} if you do not need it",
            )
        replaces = _check_target(target)
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
    closure_check = (
        installer == "direct" and pinned and not no_deps and lock.format == "requirements"
    )
    if installer == "direct" and not no_deps and not closure_check:
        installer = "pip"
    if not no_deps and not closure_check:
        notes.append(
            f"the file does not pin the whole dependency closure: {installer} resolves the rest"
        )
    if (options.extras or options.groups is not None) and (
        lock.format != "pylock" or installer != "direct"
    ):
        raise InputError(
            "--extra and --group select parts of a pylock file, installed by the direct installer",
            hint="drop them, or restore a pylock.toml with --installer direct",
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
    from envsnap.base_packages import base_versions, missing_from  # noqa: PLC0415
    from envsnap.environment import probe  # noqa: PLC0415

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


_TRUSTED_LINE = re.compile(r"^\s*--trusted-host(?:\s+|=)(\S+)", re.MULTILINE)


def _lock_text(lock: Lock) -> str:
    """Return the lock file's text ("" without a readable file: read_lock accepted it)."""
    if lock.path is None:
        return ""
    try:
        return lock.path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _line_of(lines: list[str], needle: str) -> int | None:
    """Return the 1-based line holding ``needle`` (a quoted TOML string), if any."""
    for number, line in enumerate(lines, 1):
        if needle in line:
            return number
    return None


def _pylock_sources(lock: Lock, text: str) -> list[tuple[str, str, str]]:
    """Return ``(package, "url"|"path", value)`` for every file/dir a pylock file names."""
    from envsnap.errors import LockFileError  # noqa: PLC0415
    from envsnap.formats.pylock import _parse_toml  # noqa: PLC0415

    if lock.format != "pylock" or lock.path is None or not text:
        return []
    try:
        data = _parse_toml(lock.path, text)
    except LockFileError:  # read_lock accepted it
        return []
    found: list[tuple[str, str, str]] = []
    packages = data.get("packages")
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict):
            continue
        name = str(package.get("name", "?"))
        wheels = package.get("wheels")
        entries = [*(wheels if isinstance(wheels, list) else [])]
        entries += [package.get(key) for key in ("sdist", "archive", "directory")]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ("url", "path"):
                value = entry.get(key)
                if isinstance(value, str):
                    found.append((name, key, value))
    return found


def _file_urls(
    lock: Lock, file: Path, lines: list[str], sources: list[tuple[str, str, str]]
) -> list[tuple[str, str]]:
    """Return the ``(url, FILE:LINE)`` of every http(s) URL the file itself downloads from."""
    found: list[tuple[str, str]] = []

    def where(line: int | None) -> str:
        return f"{file}:{line}" if line else str(file)

    for _name, key, value in sources:
        if key == "url" and "://" in value:
            found.append((value, where(_line_of(lines, f'"{value}"'))))
    if lock.format == "requirements":
        for package in lock.packages:
            url = package.origin.url
            if url and package.origin.kind == "archive" and "://" in url:
                found.append((url, where(package.line)))
    return found


def _local_path(value: str) -> Path | None:
    """Return the path of a ``file:`` URL or a bare path (``./x``, ``../x``, ``/x``), else None."""
    import urllib.parse  # noqa: PLC0415
    from urllib.request import url2pathname  # noqa: PLC0415

    if value.startswith("file:"):
        return Path(url2pathname(urllib.parse.urlsplit(value).path))
    if "://" in value or not value.startswith((".", "/", "~")):
        return None
    return Path(value).expanduser()


def _with_resolved_paths(lock: Lock, file: Path) -> Lock:
    """Make the relative ``file:`` URLs and paths of a requirements file absolute.

    They resolve from the file's directory (pip runs from there; PEP 751 says
    the same of pylock paths, which the pylock reader already resolves), so a
    restore gives the same result from any working directory.
    """
    from dataclasses import replace  # noqa: PLC0415

    if lock.format != "requirements":
        return lock
    base = file.parent.absolute()
    packages = []
    for package in lock.packages:
        url = package.origin.url
        local = _local_path(url) if url and package.origin.kind != "vcs" else None
        if local is not None and not local.is_absolute():
            absolute = Path(os.path.normpath(base / local)).as_uri()
            packages.append(replace(package, origin=replace(package.origin, url=absolute)))
        else:
            packages.append(package)
    return replace(lock, packages=tuple(packages))


def _local_sources(
    lock: Lock, file: Path, lines: list[str], sources: list[tuple[str, str, str]]
) -> list[tuple[str, Path, str | None]]:
    """Return ``(package, absolute path, FILE:LINE)`` for every local path the file installs from.

    Relative paths resolve from the lock file's directory (PEP 751; pip runs
    from there for a requirements file).
    """
    items: list[tuple[str, Path, str | None]] = []
    for name, key, value in sources:
        local = _local_path(value) if key == "url" else Path(value)
        if local is not None:
            line = _line_of(lines, f'"{value}"')
            items.append((name, local, f"{file}:{line}" if line else None))
    if lock.format == "requirements":
        for package in lock.packages:
            url = package.origin.url
            local = _local_path(url) if url and package.origin.kind != "vcs" else None
            if local is not None:
                where = package.location or (f"{file}:{package.line}" if package.line else None)
                items.append((package.display_name, local, where))
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
    file: Path, local: list[tuple[str, Path, str | None]], sources: list[tuple[str, str, str]]
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
        for name, key, value in sources
        if key == "url" and "://" in value and not value.startswith("file:")
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


def _check_target(target: Path) -> bool:
    """Return whether ``target`` is a venv to replace; refuse anything else but emptiness."""
    from envsnap.venvs import is_venv  # noqa: PLC0415

    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InputError(
            f"{target}: exists and is not a directory",
            hint="choose another place with --venv DIR",
        )
    if not target.exists():
        return False
    if is_venv(target):
        return True
    if any(target.iterdir()):
        raise InputError(
            f"{target}: exists, is not a virtual environment (no pyvenv.cfg) and is not empty",
            hint="envsnap never deletes what it did not create: choose another --venv DIR, "
            "or empty it yourself",
        )
    return False


def _aside(target: Path, mark: str, pid: int | None = None) -> Path:
    """Return the hidden sibling ``.NAME{mark}PID`` of ``target`` (this process's PID by default).

    ``NAME`` is the target's exact name: ``.venv`` and ``venv`` get
    ``..venv...`` and ``.venv...``.
    """
    return target.parent / f".{target.name}{mark}{os.getpid() if pid is None else pid}"


def _asides(target: Path, mark: str) -> list[tuple[Path, int]]:
    """Return ``target``'s siblings named by :func:`_aside` with ``mark``, and their PIDs.

    The parent directory is listed and each name compared with the exact
    prefix (no glob: ``[``, ``*`` and ``?`` are ordinary in a user's path);
    only ASCII digits may follow it, so ``venv.envsnap-old-1``'s asides are
    not ``venv``'s.
    """
    prefix = f".{target.name}{mark}"
    try:
        names = [entry.name for entry in target.parent.iterdir()]
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for name in names:
        pid = name[len(prefix) :]
        if name.startswith(prefix) and pid.isascii() and pid.isdigit():
            found.append((target.parent / name, int(pid)))
    return found


def find_leftovers(target: Path) -> list[Path]:
    """Return old venvs of ``target`` kept by a restore that did not finish (newest first).

    Args:
        target: the venv directory (absolute).

    Returns:
        Its ``.NAME.envsnap-old-PID`` siblings that are directories (not symlinks).
    """
    found = [p for p, _ in _asides(target, OLD_MARK) if p.is_dir() and not p.is_symlink()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def restore(
    plan: RestorePlan,
    *,
    progress: Callable[[str, str], None] | None = None,
    output: Callable[[str], None] | None = None,
    counter: Callable[[str, int, int], None] | None = None,
) -> RestoreResult:
    """Build, install, verify and swap in the venv a plan describes.

    Args:
        plan: from :func:`plan_restore`.
        progress: called as ``progress(stage, message)`` at each stage
            (``create``, ``install``, ``verify``, ``done``).
        output: called with each line of the installer's output (``-v``).
        counter: called as ``counter(stage, done, total)`` while the direct
            backend downloads (``download``) and installs (``install``) files.

    Returns:
        The :class:`RestoreResult`.

    Raises:
        InputError: another restore holds the target (never waits forever).
        OperationError: the venv could not be created, the install failed
            (the installer's last lines in the message; a hash mismatch names
            the package), or the result does not match the file. In every
            case the old venv is back in place, byte for byte.
        KeyboardInterrupt: Ctrl-C or SIGTERM; same clean-up first.
    """
    say = progress or (lambda _stage, _message: None)
    target = plan.target
    with _target_lock(target), _signals_as_interrupt():
        for stale in remove_stale_trash(target):
            say("clean", f"removed {stale}, left by a restore that was killed while deleting")
        leftovers = find_leftovers(target)
        if leftovers:
            raise InputError(
                f"{target}: a previous restore left the old venv at {leftovers[0]}",
                hint=f"put it back with `envsnap restore --recover --venv {target}`",
            )
        replaces = _check_target(target)
        old = _aside(target, OLD_MARK) if replaces else None
        existed_empty = target.is_dir() and not replaces
        if old is not None:
            with _signals_deferred():
                target.rename(old)
        try:
            result = _build(plan, say, output, counter)
        except BaseException:
            with _signals_deferred():
                _remove_partial(target, keep_empty_dir=existed_empty)
                if old is not None:
                    old.rename(target)
            raise
        kept = None
        if old is not None:
            if plan.options.keep_old:
                kept = _aside(target, KEPT_MARK)
                with _signals_deferred():
                    old.rename(kept)
            else:
                # moved first (atomic): a kill during the delete must not leave a
                # half-deleted venv that looks like a leftover to --recover
                with _signals_deferred():
                    _delete(old, _aside(target, TRASH_MARK))
        say("done", f"{target} matches {plan.file}")
        return RestoreResult(
            target=target,
            python=result[0],
            installed=len(plan.lock.packages),
            report=result[1],
            kept_old=kept,
            notes=result[2],
        )


def _delete(old: Path, trash: Path) -> None:
    """Delete a replaced venv through a marked trash directory (see :func:`remove_stale_trash`).

    Every state a kill can leave is recognisable: an empty ``trash``, one
    holding only the marker, or the marker and (part of) the venv; the
    marker goes last.
    """
    if trash.exists():  # our PID was used before by a killed restore
        _empty_trash(trash)
    trash.mkdir(exist_ok=True)
    (trash / TRASH_FILE).write_text(f"{os.getpid()}\n", encoding="utf-8")
    old.rename(trash / "venv")
    _empty_trash(trash)


def _empty_trash(trash: Path) -> None:
    shutil.rmtree(trash / "venv", ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (trash / TRASH_FILE).unlink()
    with contextlib.suppress(OSError):
        trash.rmdir()


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists
        return True
    return True


def remove_stale_trash(target: Path) -> list[Path]:
    """Remove the trash directories of ``target`` that killed restores left behind.

    Only ``.NAME.envsnap-trash-PID`` directories whose process is gone and
    that hold nothing but the marker file and a ``venv`` directory (or
    nothing) are removed: what envsnap made. The caller holds the target's
    lock, so no running restore is deleting them.

    Args:
        target: the venv directory (absolute).

    Returns:
        The directories removed.
    """
    removed: list[Path] = []
    for trash, pid in sorted(_asides(target, TRASH_MARK)):
        if _alive(pid):
            continue
        if trash.is_symlink() or not trash.is_dir():
            continue
        entries = {p.name for p in trash.iterdir()}
        ours = entries <= {TRASH_FILE, "venv"} and (TRASH_FILE in entries or not entries)
        if ours:
            _empty_trash(trash)
            removed.append(trash)
    return removed


def _build(
    plan: RestorePlan,
    say: Callable[[str, str], None],
    output: Callable[[str], None] | None,
    counter: Callable[[str, int, int], None] | None = None,
) -> tuple[Path, Report, tuple[str, ...]]:
    """Create, install, mark and verify; the caller cleans up on failure."""
    from envsnap.drift import compare_env_to_lock  # noqa: PLC0415
    from envsnap.environment import probe  # noqa: PLC0415
    from envsnap.installers import set_requested  # noqa: PLC0415
    from envsnap.snapshot import take_snapshot  # noqa: PLC0415
    from envsnap.venvs import check_created, create_venv  # noqa: PLC0415

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

    lock = plan.lock
    no_deps = plan.no_deps
    if plan.installer == "direct":
        lock, no_deps = _install_direct(plan, python, environment, say, output, counter)
    else:
        with _cache(options) as cache:
            pip_path = _seed_pip(plan, python, environment, cache)
            _install_with(plan, python, say, output, pip_path)
        environment = probe(python)
    if plan.base_installs:
        lock = _install_base_packages(plan, python, environment, say, output, lock)
        environment = probe(python)
    with contextlib.ExitStack() as stack:
        pip_check = None
        if options.with_pip:
            # pip's start-up (about a second) overlaps the verification
            from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

            from envsnap.pip_seed import check_pip  # noqa: PLC0415

            pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
            pip_check = pool.submit(check_pip, python)
        set_requested(environment.site_packages, [p.name for p in lock.top_level])
        snapshot = take_snapshot(environment=environment)
        report = compare_env_to_lock(snapshot, lock, allow_extra=not no_deps)
        if pip_check is not None:
            say("check", f"pip {pip_check.result()} runs in {plan.target}")
    say("verify", f"{plan.target} against {plan.file}")
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
                # the direct backend resolves nothing: pip did, when the closure had a gap
                f"{'pip' if plan.installer == 'direct' else plan.installer} added packages "
                "the file does not list: " + ", ".join(added)
            )
    return python, report, tuple(notes)


@contextlib.contextmanager
def _cache(options: RestoreOptions) -> Iterator[FileCache]:
    """Yield the user's file cache, or a temporary one for ``--no-cache``."""
    from envsnap.cache import FileCache, default_cache_dir  # noqa: PLC0415

    if options.use_cache:
        yield FileCache(default_cache_dir())
    else:
        with FileCache.temporary() as cache:
            yield cache


def _install_direct(
    plan: RestorePlan,
    python: Path,
    environment: TargetEnvironment,
    say: Callable[[str, str], None],
    output: Callable[[str], None] | None,
    counter: Callable[[str, int, int], None] | None,
) -> tuple[Lock, bool]:
    """Plan, fetch, verify and install with the direct backend.

    For a pylock file the Lock is narrowed to the packages selected for this
    environment (its extras and groups), so verification expects exactly those.
    With ``plan.closure_check`` the files are fetched first and their wheels'
    requirements checked (:func:`envsnap.closure.find_gaps`); when something
    is not pinned, a note says what and pip installs the file, resolving.

    Returns:
        ``(the Lock to verify against, whether exactly its packages were installed)``.
    """
    from dataclasses import replace  # noqa: PLC0415

    from envsnap import direct  # noqa: PLC0415
    from envsnap.environment import environment_tags  # noqa: PLC0415
    from envsnap.index.http import Credentials, HttpClient  # noqa: PLC0415
    from envsnap.index.settings import settings_from_pip_args  # noqa: PLC0415

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
            if plan.lock.format == "pylock":
                install_plan = direct.plan_pylock(
                    plan.lock, environment, tags, extras=options.extras, groups=options.groups
                )
                names = install_plan.names
                lock = replace(
                    plan.lock, packages=tuple(p for p in plan.lock.packages if p.name in names)
                )
            else:
                install_plan = direct.plan_requirements(
                    plan.lock, environment, tags, settings, cache_root=cache.root, client=client
                )
                lock = plan.lock
            fetched = None
            if plan.closure_check:
                say("check", f"{install_plan.count} pinned packages: reading their requirements")
                gaps, fetched = _closure_gaps(
                    plan.lock, install_plan, cache, environment, client, counter
                )
                if gaps:
                    more = f" (and {len(gaps) - 1} more)" if len(gaps) > 1 else ""
                    say("note", f"{plan.file.name}: {gaps[0].describe()}{more}; pip resolves it")
                    pip_path = _seed_pip(plan, python, environment, cache)
                    _install_with(plan, python, say, output, pip_path)
                    return lock, False
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
                index_args=[*options.index_args, *_trust_args("pip", plan.trusted_hosts)],
                client=client,
                with_pip=options.with_pip,
                compile_bytecode=options.compile_bytecode,
                counter=counter,
                output=output,
                fetched=fetched,
            )
    except OSError as exc:
        raise OperationError(
            f"cannot use the cache or the venv: {exc}",
            hint="check the permissions of the cache directory (ENVSNAP_CACHE_DIR) "
            "or use --no-cache",
        ) from None
    return lock, True


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
    from envsnap import direct  # noqa: PLC0415
    from envsnap.closure import find_gaps, unreadable  # noqa: PLC0415

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


def _seed_pip(
    plan: RestorePlan, python: Path, environment: TargetEnvironment, cache: FileCache
) -> Path | None:
    """Prepare pip for a pip or uv install of the whole file (:mod:`envsnap.pip_seed`).

    That is the pip and uv backends, and the direct backend handing a file
    whose closure is incomplete to pip's resolver.

    Returns:
        ``None`` once pip is installed into the new venv (or not wanted); for
        a pip install ``--without-pip`` the unpacked pip wheel that runs
        from ``PYTHONPATH`` instead (the venv keeps no pip).
    """
    from envsnap import direct  # noqa: PLC0415

    if plan.options.with_pip:
        direct.install(
            direct.InstallPlan(files=()),
            python=python,
            environment=environment,
            cache=cache,
            with_pip=True,
        )
        return None
    if plan.installer == "uv":
        return None
    return _unpacked_pip(environment, cache)


def _unpacked_pip(environment: TargetEnvironment, cache: FileCache) -> Path:
    """Return the unpacked pip wheel for the venv's Python, to run from ``PYTHONPATH``."""
    from envsnap.pip_seed import choose_pip_wheel, pip_wheel_job  # noqa: PLC0415

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
    from envsnap.installers import install_command, requirements_text, run_logged  # noqa: PLC0415

    installer: Literal["pip", "uv"] = "uv" if plan.installer == "uv" else "pip"
    options = plan.options
    say("install", f"{len(plan.lock.packages)} packages with {installer}")
    with contextlib.ExitStack() as stack:
        requirements = plan.file
        # a file envsnap wrote is rendered from the Lock when it has VCS lines,
        # in the form old pips accept (requirements_text); others go as they are
        vcs = plan.lock.written_by_envsnap and any(
            p.origin.kind == "vcs" for p in plan.lock.packages
        )
        if plan.lock.format != "requirements" or vcs:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="envsnap-")))
            requirements = scratch / "requirements.txt"
            lines = _absolute_options(plan.lock.index_options, plan.file.parent)
            requirements.write_text(
                "".join(f"{line}\n" for line in lines) + requirements_text(plan.lock),
                encoding="utf-8",
            )
        install = install_command(
            installer,
            venv_python=python,
            requirements=requirements,
            no_deps=plan.no_deps,
            require_hashes=plan.require_hashes,
            index_args=[*options.index_args, *_trust_args(installer, plan.trusted_hosts)],
            verbose=output is not None,
            cwd=plan.file.parent,
            pip_path=pip_path,
        )
        code, tail = run_logged(install.argv, cwd=install.cwd, output=output, env=install.env)
    if code != 0:
        raise OperationError(
            _failed(f"{installer} could not install {plan.file}", code, tail),
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

    from envsnap.installers import install_command, run_logged  # noqa: PLC0415
    from envsnap.lock import LockedPackage  # noqa: PLC0415

    installer: Literal["pip", "uv"] = "uv" if plan.installer == "uv" else "pip"
    say("install", f"{len(plan.base_installs)} base packages with {installer}")
    file_options = _absolute_options(plan.lock.index_options, plan.file.parent)
    with _cache(plan.options) as cache, tempfile.TemporaryDirectory(prefix="envsnap-") as scratch:
        pip_path = None
        if installer == "pip" and not plan.options.with_pip:
            pip_path = _unpacked_pip(environment, cache)
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("\n".join(plan.base_installs) + "\n", encoding="utf-8")
        install = install_command(
            installer,
            venv_python=python,
            requirements=requirements,
            no_deps=True,
            require_hashes=False,
            index_args=[
                *(word for line in file_options for word in line.split(None, 1)),
                *plan.options.index_args,
                *_trust_args(installer, plan.trusted_hosts),
            ],
            verbose=output is not None,
            cwd=plan.file.parent,
            pip_path=pip_path,
        )
        code, tail = run_logged(install.argv, cwd=install.cwd, output=output, env=install.env)
    if code != 0:
        raise OperationError(
            _failed(f"{installer} could not install the base packages", code, tail),
            hint=_install_hint(tail),
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
        "(run `envsnap check` on it), or --strict to refuse unpinned files"
    )


def _trust_args(installer: Literal["pip", "uv"], hosts: Sequence[str]) -> list[str]:
    """Return ``--trusted-host H`` (pip) / ``--allow-insecure-host H`` (uv) for each host."""
    option = "--trusted-host" if installer == "pip" else "--allow-insecure-host"
    return [arg for host in hosts for arg in (option, host)]


def _failed(what: str, code: int, tail: list[str]) -> str:
    """Return ``what (exit N):`` and the command's last lines, indented."""
    from envsnap.origin import redact_urls  # noqa: PLC0415

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
    from envsnap.drift import Change  # noqa: PLC0415

    assert isinstance(change, Change)  # noqa: S101 - Report.drift holds Changes
    parts = [change.kind, change.name]
    if change.expected or change.found:
        parts.append(f"(file: {change.expected or '-'}, venv: {change.found or '-'})")
    if change.detail:
        parts.append(f"- {change.detail}")
    return " ".join(parts)


def _remove_partial(target: Path, *, keep_empty_dir: bool) -> None:
    """Remove what this restore built at ``target`` (it did not exist or was empty)."""
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target, ignore_errors=True)
    if keep_empty_dir:
        target.mkdir(exist_ok=True)


@contextlib.contextmanager
def _target_lock(target: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``target``'s parent directory for the restore.

    Raises:
        InputError: the parent is missing; another restore holds the lock.
    """
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"{parent}: no such directory (the parent of --venv)")
    try:
        import fcntl  # noqa: PLC0415
    except ImportError:  # pragma: no cover - Windows: no flock, restore still safe alone
        yield
        return
    fd = os.open(parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"another envsnap restore is running in {parent}",
                hint="wait for it to finish, then run this one again",
            ) from None
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _signals_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM (and SIGHUP) into ``KeyboardInterrupt`` while restoring, so clean-up runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    names = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    previous = {name: signal.signal(getattr(signal, name), interrupt) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold back Ctrl-C and SIGTERM during a rename, rollback or delete.

    Those steps must not stop half way. Signals that arrive meanwhile are
    delivered when the block ends (POSIX ``pthread_sigmask``).
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    names = [s for s in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, s)]
    held = {getattr(signal, name) for name in names}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def recover(venv: Path) -> tuple[Path, Path | None]:
    """Put back the old venv an interrupted restore left next to ``venv``.

    Whatever is at ``venv`` now (the partial venv of the crashed run) is not
    deleted: it is renamed to ``.NAME.envsnap-replaced-PID`` next to it.

    Args:
        venv: the target directory of the interrupted restore.

    Returns:
        ``(restored venv, where the thing that was at venv went or None)``.

    Raises:
        InputError: there is nothing to recover.
    """
    target = venv.absolute()
    with _target_lock(target), _signals_deferred():
        leftovers = find_leftovers(target)
        if not leftovers:
            raise InputError(f"{target}: no old venv left by an interrupted restore")
        moved = None
        if target.exists() or target.is_symlink():
            moved = _aside(target, REPLACED_MARK)
            target.rename(moved)
        leftovers[0].rename(target)
        return target, moved

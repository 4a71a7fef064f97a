"""The ``direct`` installer backend: fetch, verify and install wheels without a pip run.

For a new venv and a lock file, in three steps, each finished for every
package before the next starts (so a bad hash stops the restore with nothing
installed):

1. **plan** (:func:`plan_pylock`, :func:`plan_requirements`): the file each
   package needs. A pylock file records its files: PEP 751 selection for the
   venv's markers and tags (:func:`envsnap.lockfiles.pylock.select.select_files`),
   lock extras and groups honoured. A requirements file names versions: the
   files come from the indexes/wheelhouses pip would use, its default index
   included (:mod:`envsnap.index`), the best wheel for the venv's tags among those
   whose hash the file allows (pip's hash-checking mode).
2. **fetch** (:func:`envsnap.index.download.fetch_all`): every file into the
   content-addressed cache (:mod:`envsnap.index.file_cache`), in parallel, each sha256
   checked; a cached file is not fetched again.
3. **install** (:func:`install`): each wheel unpacked once into the cache
   and linked into the venv through the ``installer`` library
   (:mod:`envsnap.install.wheels`), two at a time (the work is file-system calls and
   zlib, which release the GIL). pip is seeded the same way. What only pip
   can install (an sdist, a VCS checkout, a local directory, an editable) is
   handed to the new venv's pip with ``--no-deps``, after the wheels.

Why one module of this size: it is the whole built-in backend (plan the files, fetch and
verify them, install wheels, hand the rest to pip), one concern; its planning half is
the next piece to move out, behind the backend seam of docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from envsnap._threads import run_parallel
from envsnap.distfile import DistFile, ProjectFiles
from envsnap.errors import OperationError

T = TypeVar("T")

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from packaging.requirements import Requirement
    from packaging.tags import Tag
    from packaging.utils import NormalizedName

    from envsnap.environment.target import TargetEnvironment
    from envsnap.index.file_cache import FileCache
    from envsnap.index.http import HttpClient
    from envsnap.index.settings import IndexSettings
    from envsnap.install.wheels import WheelJob
    from envsnap.lock import Lock, LockedPackage

__all__ = [
    "INSTALL_JOBS",
    "METADATA_LIMIT",
    "InstallPlan",
    "fetch",
    "install",
    "plan_lock",
    "plan_pylock",
    "plan_requirements",
    "venv_scheme",
    "wheel_requirements",
]

INSTALL_JOBS = 2
"""Wheels installed at once (this project's CI has 2 cores)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallPlan:
    """Everything the direct backend installs into one venv."""

    files: tuple[DistFile, ...]
    """Wheels (and sdists for pip), each with its name, version and sha256."""
    pip_lines: tuple[str, ...] = ()
    """Requirement lines only pip can install (VCS, directories, editables)."""
    names: frozenset[str] = field(default_factory=frozenset)
    """Every package the plan installs (normalized names)."""
    requested: frozenset[str] = field(default_factory=frozenset)
    """The top-level packages of the lock file (their wheels get ``REQUESTED``)."""
    direct_urls: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    """PEP 610 ``direct_url.json`` of each direct-URL wheel, by normalized name."""

    @property
    def count(self) -> int:
        """How many packages it installs."""
        return len(self.files) + len(self.pip_lines)


# --------------------------------------------------------------------------- plan


def plan_lock(
    lock: Lock,
    environment: TargetEnvironment,
    tags: Sequence[Tag],
    settings: IndexSettings,
    *,
    extras: Sequence[str] = (),
    groups: Sequence[str] | None = None,
    cache_root: Path | None = None,
    client: HttpClient | None = None,
) -> InstallPlan:
    """Plan the install of any lock: from the files it lists, else from the indexes.

    A lock read from a pylock file lists its files (:func:`plan_pylock`, with
    ``extras`` and ``groups``); one that names versions only is looked up
    where ``settings`` say (:func:`plan_requirements`, with ``cache_root`` and
    ``client``). Errors as theirs.
    """
    if lock.pylock is not None:
        return plan_pylock(lock, environment, tags, extras=extras, groups=groups)
    return plan_requirements(
        lock, environment, tags, settings, cache_root=cache_root, client=client
    )


def plan_pylock(
    lock: Lock,
    environment: TargetEnvironment,
    tags: Sequence[Tag],
    *,
    extras: Sequence[str] = (),
    groups: Sequence[str] | None = None,
) -> InstallPlan:
    """Plan the install of a pylock file from the files it records (PEP 751).

    Args:
        lock: the pylock file, read (its PEP 751 document is selected with extras/groups).
        environment: the probed new venv (its markers).
        tags: the venv's supported tags, most preferred first.
        extras: lock extras to install.
        groups: dependency groups to install (``None``: the lock's defaults).

    Returns:
        The :class:`InstallPlan`.

    Raises:
        InputError: the lock does not apply to this environment.
        OperationError: an entry has no sha256 to verify it with.
    """
    from envsnap.lockfiles.pylock.select import select_files  # noqa: PLC0415

    top = frozenset(p.name for p in lock.top_level)
    files: list[DistFile] = []
    direct_urls: dict[str, Mapping[str, object]] = {}
    pip_packages = []
    for selected in select_files(lock, environment.markers, tags, extras=extras, groups=groups):
        file = selected.file
        if file is None or (selected.kind == "archive" and not file.is_wheel):
            # vcs and directories; an archive sdist: pip fetches it and records its URL (PEP 610)
            package = lock.get(selected.name, environment.markers)
            if package is not None:
                pip_packages.append(package)
            continue
        url = file.url or ""
        sha256 = file.hashes.get("sha256")
        if not sha256:
            raise OperationError(
                f"{selected.name}: the lock file has no sha256 for {file.filename}",
                hint="envsnap verifies every file by its sha256; regenerate the lock file",
            )
        checked_filename(selected.name, file.filename, url)
        if selected.kind == "archive":
            direct: dict[str, object] = {
                "url": _public(url),
                "archive_info": {"hashes": {"sha256": sha256.lower()}},
            }
            if selected.subdirectory:
                direct["subdirectory"] = selected.subdirectory
            direct_urls[selected.name] = direct
        local = _local_path(url)
        files.append(replace(file, url=None if local else url, path=local))
    names = frozenset({f.name for f in files if f.name} | {p.name for p in pip_packages})
    return InstallPlan(
        files=tuple(files),
        pip_lines=_pip_lines(lock, pip_packages),
        names=names,
        requested=top,
        direct_urls=direct_urls,
    )


def plan_requirements(
    lock: Lock,
    environment: TargetEnvironment,
    tags: Sequence[Tag],
    settings: IndexSettings,
    *,
    cache_root: Path | None = None,
    client: HttpClient | None = None,
) -> InstallPlan:
    """Plan the install of a fully pinned requirements file from the indexes pip would use.

    Each ``name==version`` whose marker applies is looked up (in parallel)
    in ``settings``' find-links and indexes, pip's default index included
    unless ``--index-url`` or ``--no-index`` says otherwise; the best wheel
    for ``tags`` whose hash the file allows is taken (pip's hash-checking
    mode: with ``--hash`` values only a matching file), else the sdist (pip
    builds it). ``name @ URL`` lines to a wheel or sdist are fetched from the
    URL (their hash, when given, checked); VCS, directory and editable lines
    go to pip.

    Args:
        lock: the file, read; every package pinned.
        environment: the probed new venv.
        tags: its supported tags, most preferred first.
        settings: where to look (:mod:`envsnap.index.settings`).
        cache_root: where index pages are cached (default: the user cache).
        client: the HTTP client for the indexes (default: one from ``settings``).

    Returns:
        The :class:`InstallPlan`.

    Raises:
        OperationError: a package is missing from every source, has no file
            for this environment, or no file matching the file's hashes.
    """
    from envsnap.index.repository import collect, source_for  # noqa: PLC0415

    markers: dict[str, str] = dict(environment.markers)
    wanted = [p for p in lock.packages if _applies(p, markers)]
    files: list[DistFile] = []
    direct_urls: dict[str, Mapping[str, object]] = {}
    pip_packages = []
    by_index = [p for p in wanted if not p.origin.is_direct and p.version is not None]
    found: dict[NormalizedName, ProjectFiles] = {}
    if by_index:
        source = source_for(settings, cache_root=cache_root, client=client)
        if source is None:
            raise OperationError(
                "--no-index and no --find-links: no place to get the files from",
                hint="name a wheelhouse with --find-links DIR, or drop --no-index",
            )
        pairs = [(p.name, p.version) for p in by_index if p.version]
        found = collect(source, pairs, tags=tags)
    rank = {tag: i for i, tag in enumerate(tags)}
    failures = []
    for package in wanted:
        if package.origin.is_direct:
            direct_file = _direct_file(package)
            if direct_file is None:
                pip_packages.append(package)
            else:
                files.append(direct_file[0])
                direct_urls[package.name] = direct_file[1]
            continue
        planned = _index_file(package, found[package.name], rank)
        if isinstance(planned, str):
            failures.append(planned)
        else:
            files.append(planned)
    if failures:
        raise OperationError(
            "; ".join(failures),
            hint="the files on the index changed or the lock file is wrong: nothing was "
            "installed; regenerate the lock file if the change is expected",
        )
    names = frozenset({f.name for f in files if f.name} | {p.name for p in pip_packages})
    return InstallPlan(
        files=tuple(files),
        pip_lines=_pip_lines(lock, pip_packages),
        names=names,
        requested=frozenset(p.name for p in wanted if p.top_level),
        direct_urls=direct_urls,
    )


def _applies(package: LockedPackage, markers: dict[str, str]) -> bool:
    """Whether a package's marker holds for the venv (an unevaluable marker counts as true)."""
    from envsnap._markers import marker_holds  # noqa: PLC0415

    return marker_holds(package.marker, markers)


def _pip_lines(lock: Lock, packages: Sequence[LockedPackage]) -> tuple[str, ...]:
    """Return requirement lines for the packages only pip can install."""
    if not packages:
        return ()
    from dataclasses import replace  # noqa: PLC0415

    from envsnap.lockfiles.requirements.write import requirements_text  # noqa: PLC0415

    text = requirements_text(replace(lock, packages=tuple(packages)))
    return tuple(line for line in text.splitlines() if line)


def _index_file(
    package: LockedPackage, project: ProjectFiles, rank: Mapping[Tag, int]
) -> DistFile | str:
    """Plan the best file of an index package, or return why there is none."""
    label = f"{package.name}=={package.version}"
    allowed = {h.split(":", 1)[1].lower() for h in package.hashes if h.startswith("sha256:")}
    if package.hashes and not allowed:
        return f"{label}: only sha256 hashes are supported"
    best = _best_file(project, rank, allowed)
    if best is None:
        return (
            f"{label}: hash mismatch: no file of {project.index or 'the wheelhouse'} "
            f"matches the lock file's hashes ({', '.join(sorted(package.hashes))})"
        )
    return replace(best, name=package.name, version=package.version)


def _direct_file(package: LockedPackage) -> tuple[DistFile, dict[str, object]] | None:
    """Plan a ``name @ URL`` wheel with a sha256 and its PEP 610 ``direct_url.json``.

    Returns ``None`` when pip must handle it.

    A direct-URL sdist goes to pip with its URL (``name @ URL#sha256=...``):
    pip builds it and records the URL in ``direct_url.json`` (PEP 610), which
    a staged copy installed as ``name==version`` would lose (and such a line
    usually has no version).

    Raises:
        LockFileError: the URL names a ``.whl`` that is not a wheel file name
            of this package (see :func:`checked_filename`).
    """
    url = package.origin.url or ""
    name = _url_filename(url)
    digest = _sha256_of(package.hashes, package.origin.archive_hash)
    if package.origin.kind != "archive" or digest is None or not name.endswith(".whl"):
        return None
    checked_filename(package.name, name, url)
    local = _local_path(url)
    file = DistFile(
        name=package.name,
        version=package.version,
        filename=name,
        hashes={"sha256": digest},
        url=None if local else url,
        path=local,
    )
    return file, {"url": _public(url), "archive_info": {"hashes": {"sha256": digest}}}


def _best_file(
    project: ProjectFiles, rank: Mapping[Tag, int], allowed: set[str]
) -> DistFile | None:
    """Return the most preferred compatible wheel (else the sdist) among the allowed files."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename  # noqa: PLC0415

    best: tuple[int, DistFile] | None = None
    for wheel in project.wheels:
        if allowed and wheel.sha256 not in allowed:
            continue
        try:
            file_tags = parse_wheel_filename(wheel.filename)[3]
        except InvalidWheelFilename:
            continue
        ranks = [rank[t] for t in file_tags if t in rank]
        if ranks and (best is None or min(ranks) < best[0]):
            best = (min(ranks), wheel)
    if best is not None:
        return best[1]
    sdists = [
        f for f in project.files if f.kind == "sdist" and (not allowed or f.sha256 in allowed)
    ]
    return sdists[0] if sdists else None


def _sha256_of(hashes: Sequence[str], archive_hash: str | None) -> str | None:
    for value in hashes:
        if value.startswith("sha256:"):
            return value.split(":", 1)[1].lower()
    if archive_hash and archive_hash.startswith("sha256="):
        return archive_hash.split("=", 1)[1].lower()
    return None


def _url_filename(url: str) -> str:
    """Return the URL-decoded last segment of a URL's path (how pip names a link's file)."""
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def checked_filename(name: NormalizedName, filename: str, url: str | None = None) -> str:
    """Return ``filename`` once it is a plain wheel or sdist file name of the package ``name``.

    Such names are only ever used to tell a wheel from an sdist, in messages,
    and (sdists) to derive the name pip finds a staged copy by; files are
    stored by their sha256. A name decoded from a URL may still be a path
    (``..%2F..%2Fx.tar.gz``) or another project's file: a wrong or hostile
    lock file, refused before anything is fetched.

    Args:
        name: the package's normalized name.
        filename: the file name (from the lock, the index, or the URL).
        url: where it comes from, for the message.

    Raises:
        LockFileError: not one path segment, not a wheel (PEP 427) or sdist
            (PEP 625, ``.tar.gz``/``.zip``) file name, or one of another project.
    """
    from packaging.utils import (  # noqa: PLC0415
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    from envsnap.errors import LockFileError  # noqa: PLC0415

    where = f" (from {_public(url)})" if url else ""
    hint = "the lock file is damaged or was edited by hand: regenerate it"
    project = None
    if filename and not filename.startswith(".") and not set(filename) & {"/", "\\", "\0"}:
        try:
            if filename.endswith(".whl"):
                project = parse_wheel_filename(filename)[0]
            else:
                project = parse_sdist_filename(filename)[0]
        except (InvalidWheelFilename, InvalidSdistFilename):
            project = None
    if project is None:
        raise LockFileError(
            f"{name}: {filename!r}{where} is not a wheel or sdist file name", hint=hint
        )
    if project != name:
        raise LockFileError(
            f"{name}: {filename!r}{where} is a file of {project}, not of {name}", hint=hint
        )
    return filename


def _local_path(url: str) -> Path | None:
    from envsnap._urls import file_url_path  # noqa: PLC0415

    return file_url_path(url)


def _public(url: str) -> str:
    from envsnap._urls import strip_credentials  # noqa: PLC0415

    return strip_credentials(url)[0]


# --------------------------------------------------------------------------- install


def venv_scheme(python: Path, environment: TargetEnvironment) -> dict[str, str]:
    """Return a venv's install scheme: ``purelib``, ``platlib``, ``headers``, ``scripts``, ``data``.

    Computed by :mod:`sysconfig` of the venv's interpreter (in-process when
    it is the Python running envsnap); ``headers`` is pip's venv location
    ``PREFIX/include/site/pythonX.Y`` (the distribution's name is appended
    per wheel).
    """
    prefix = os.fspath(environment.prefix)
    variables = {"base": prefix, "platbase": prefix}
    if _runs_here(environment):
        import sysconfig  # noqa: PLC0415

        paths = sysconfig.get_paths(vars=variables)
    else:
        import json  # noqa: PLC0415

        code = f"import json, sysconfig; print(json.dumps(sysconfig.get_paths(vars={variables!r})))"
        done = subprocess.run(
            [os.fspath(python), "-I", "-c", code], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise OperationError(
                f"{python}: cannot read its install scheme ({done.stderr.strip()})"
            )
        paths = json.loads(done.stdout)
    major, minor = environment.python_version[:2]
    return {
        "purelib": paths["purelib"],
        "platlib": paths["platlib"],
        "scripts": paths["scripts"],
        "data": paths["data"],
        "headers": os.fspath(Path(prefix, "include", "site", f"python{major}.{minor}")),
    }


def _runs_here(environment: TargetEnvironment) -> bool:
    """Whether the venv's Python is the one running envsnap (same base, version, platform)."""
    import sys  # noqa: PLC0415
    import sysconfig  # noqa: PLC0415

    return (
        os.path.realpath(environment.base_prefix) == os.path.realpath(sys.base_prefix)
        and environment.python_version == tuple(sys.version_info[:3])
        and environment.platform == sysconfig.get_platform()
    )


def install(
    plan: InstallPlan,
    *,
    python: Path,
    environment: TargetEnvironment,
    cache: FileCache,
    index_args: Sequence[str] = (),
    client: HttpClient | None = None,
    with_pip: bool = True,
    compile_bytecode: bool = False,
    counter: Callable[[str, int, int], None] | None = None,
    output: Callable[[str], None] | None = None,
    fetched: Mapping[str, Path] | None = None,
) -> None:
    """Fetch, verify and install a plan into the venv of ``python``.

    Args:
        plan: from :func:`plan_pylock` / :func:`plan_requirements`.
        python: the new venv's interpreter.
        environment: its probe.
        cache: the file cache (a temporary one for ``--no-cache``).
        index_args: index options for pip's part (sdists, VCS, directories).
        client: the HTTP client for downloads (default: one with ``~/.netrc`` only).
        with_pip: also install pip (:func:`envsnap.install.pip_seed.choose_pip_wheel`).
        compile_bytecode: compile the installed modules once, in the venv's
            interpreter (``compileall``), like ``pip``'s default or uv's
            ``--compile-bytecode``.
        counter: called as ``counter(stage, done, total)``: ``download`` and
            ``install`` count files (in the calling thread), ``bytes`` counts
            downloaded bytes against the known total (from download threads).
        output: called with each line of pip's output, when pip runs (``-v``).
        fetched: what :func:`fetch` returned for this plan, when it ran already.

    Raises:
        OperationError: a file cannot be fetched or does not match its hash
            (nothing installed then), or an install failed.
    """
    local = fetch(plan, cache, client=client, counter=counter) if fetched is None else fetched
    wheels = [f for f in plan.files if f.is_wheel]
    sdists = [f for f in plan.files if not f.is_wheel]
    jobs = _wheel_jobs(plan, wheels, local, cache, environment, with_pip=with_pip)
    _install_jobs(jobs, python=python, environment=environment, counter=counter)
    if sdists or plan.pip_lines:
        pip_path = None
        if not with_pip:  # pip for the venv's Python, run from the cache, not left there
            from envsnap.install.pip_seed import choose_pip_wheel, pip_wheel_job  # noqa: PLC0415

            seed = choose_pip_wheel(environment, cache)
            pip_path = pip_wheel_job(seed, cache, environment.python_version).unpacked
        _install_with_pip(sdists, plan.pip_lines, local, python, index_args, output, pip_path)
    if compile_bytecode:
        _compile(python, environment)


def fetch(
    plan: InstallPlan,
    cache: FileCache,
    *,
    client: HttpClient | None = None,
    counter: Callable[[str, int, int], None] | None = None,
) -> dict[str, Path]:
    """Fetch the plan's files into ``cache``, each sha256 checked, and unpack the wheels.

    A wheel whose unpacked cache entry is intact is not fetched again; the
    entries are re-hashed :data:`INSTALL_JOBS` at a time (``hashlib`` releases
    the GIL). Every other wheel is unpacked into the cache as soon as it is
    verified, :data:`INSTALL_JOBS` at a time, while the rest download.

    Args:
        plan: from :func:`plan_requirements` / :func:`plan_pylock`.
        cache: the file cache.
        client: the HTTP client (default: one with ``~/.netrc`` only).
        counter: called as ``counter(stage, done, total)`` (``download`` files,
            ``bytes`` downloaded).

    Returns:
        sha256 -> the file in the cache, for every file fetched.

    Raises:
        OperationError: a file cannot be fetched, does not match its hash, or
            is not a valid wheel.
    """
    import threading  # noqa: PLC0415

    from envsnap.index.download import fetch_all  # noqa: PLC0415

    wheels = sorted({f.sha256 for f in plan.files if f.is_wheel})
    intact = dict(
        zip(
            wheels,
            _all_or_raise(run_parallel(lambda h: _reusable(cache, h), wheels, jobs=INSTALL_JOBS)),
            strict=True,
        )
    )
    requests = [f for f in plan.files if not (f.is_wheel and intact[f.sha256])]
    unpacking = threading.Semaphore(INSTALL_JOBS)  # more threads only fight for the GIL

    def unpack(request: DistFile, path: Path) -> None:
        if request.is_wheel:
            with unpacking:
                _unpack(cache, request.sha256, request.filename, path)

    return fetch_all(
        requests,
        cache,
        client=client,
        progress=(lambda done, total: counter("download", done, total)) if counter else None,
        on_bytes=_byte_counter(requests, counter) if counter else None,
        on_fetched=unpack,
    )


METADATA_LIMIT = 16 * 1024 * 1024
"""The largest wheel ``METADATA`` read for its requirements, in bytes."""


def wheel_requirements(
    plan: InstallPlan, cache: FileCache, fetched: Mapping[str, Path]
) -> dict[NormalizedName, list[Requirement] | None]:
    """Read the ``Requires-Dist`` of every wheel of a fetched plan (core metadata).

    Args:
        plan: the plan, after :func:`fetch`.
        cache: the cache it was fetched into (a wheel is read from its
            unpacked entry, which fetch made; without one, from the wheel file).
        fetched: what :func:`fetch` returned.

    Returns:
        Normalized name -> the wheel's requirements; ``None`` for a package
        installed from an sdist or by pip (no wheel to read), or whose
        ``METADATA`` is missing, larger than :data:`METADATA_LIMIT` or not
        valid (pip's resolver then decides).
    """
    from packaging.utils import canonicalize_name  # noqa: PLC0415

    found: dict[NormalizedName, list[Requirement] | None] = {
        canonicalize_name(name): None for name in plan.names
    }
    for planned in plan.files:
        if planned.is_wheel and planned.name is not None:
            found[planned.name] = _read_requires(cache, planned, fetched)
    return found


def _read_requires(
    cache: FileCache, planned: DistFile, fetched: Mapping[str, Path]
) -> list[Requirement] | None:
    """Return the ``Requires-Dist`` of one wheel, or ``None`` when it cannot be read."""
    import zipfile  # noqa: PLC0415

    from packaging.metadata import parse_email  # noqa: PLC0415
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415

    data: bytes | None = None
    try:
        entry = cache.get_unpacked(planned.sha256)
        if entry is not None:
            for info in entry.glob("*.dist-info/METADATA"):
                if info.stat().st_size <= METADATA_LIMIT:
                    data = info.read_bytes()
        elif planned.sha256 in fetched:
            with zipfile.ZipFile(fetched[planned.sha256]) as wheel:
                members = [
                    m
                    for m in wheel.infolist()
                    if m.filename.count("/") == 1 and m.filename.endswith(".dist-info/METADATA")
                ]
                if len(members) == 1 and members[0].file_size <= METADATA_LIMIT:
                    data = wheel.read(members[0])
    except (OSError, zipfile.BadZipFile):
        return None
    if data is None:
        return None
    raw, _ = parse_email(data)
    try:
        return [Requirement(text) for text in raw.get("requires_dist", [])]
    except InvalidRequirement:
        return None


def _byte_counter(
    requests: Sequence[DistFile], counter: Callable[[str, int, int], None]
) -> Callable[[int], None]:
    """Return an ``on_bytes`` that reports ``counter("bytes", done, total)`` (thread-safe)."""
    import threading  # noqa: PLC0415

    total = sum(r.size or 0 for r in requests)
    lock = threading.Lock()
    done = [0]

    def on_bytes(count: int) -> None:
        with lock:
            done[0] += count
            counter("bytes", done[0], max(total, done[0]))

    return on_bytes


def _wheel_jobs(
    plan: InstallPlan,
    wheels: Sequence[DistFile],
    local: Mapping[str, Path],
    cache: FileCache,
    environment: TargetEnvironment,
    *,
    with_pip: bool,
) -> list[WheelJob]:
    from envsnap.install.pip_seed import (  # noqa: PLC0415
        choose_pip_wheel,
        pip_wheel_job,
        register_pip_wheel,
        unpacked_console_scripts,
    )
    from envsnap.install.wheels import WheelJob  # noqa: PLC0415

    items: list[tuple[str, str, Path | None, DistFile]] = [
        (f.sha256, f.filename, local.get(f.sha256), f) for f in wheels
    ]
    seeded: list[WheelJob] = []
    if with_pip and not any(f.name == "pip" for f in wheels):
        seed = choose_pip_wheel(environment, cache)
        seeded.append(pip_wheel_job(seed, cache, environment.python_version))

    def unpacked(item: tuple[str, str, Path | None, DistFile]) -> WheelJob:
        sha256, filename, path, planned = item
        entry = _unpack(cache, sha256, filename, path)
        if planned.name == "pip":  # a later venv may be seeded with it
            register_pip_wheel(cache, sha256, filename)
        return WheelJob(
            filename=filename,
            unpacked=entry,
            requested=planned.name in plan.requested,
            direct_url=plan.direct_urls.get(planned.name or ""),
            # pipX.Y of the venv's Python, as pip writes them when it installs itself
            console_scripts=unpacked_console_scripts(entry, environment.python_version)
            if planned.name == "pip"
            else None,
        )

    # fetch() unpacked every wheel; _unpack only covers an entry gone since then
    return [*(unpacked(item) for item in items), *seeded]


def _reusable(cache: FileCache, sha256: str) -> bool:
    """Whether the wheel's unpacked cache entry exists and still matches its RECORD.

    Installed files are hard links into the entry, so an edit made in place in
    some venv changes it; such an entry is removed, and the wheel fetched (and
    its hash checked) again.
    """
    from envsnap.install.wheels import unpacked_intact  # noqa: PLC0415

    found = cache.get_unpacked(sha256)
    if found is None:
        return False
    if unpacked_intact(found):
        return True
    shutil.rmtree(found, ignore_errors=True)
    return False


def _unpack(cache: FileCache, sha256: str, filename: str, path: Path | None) -> Path:
    from envsnap.install.wheels import unpack_wheel  # noqa: PLC0415

    found = cache.get_unpacked(sha256)
    if found is not None:
        return found
    if path is None:  # the entry vanished since the plan (another run cleaned the cache)
        raise OperationError(
            f"{filename}: gone from the cache while restoring; run again",
            hint="or restore with use_cache=False",
        )
    return cache.add_unpacked(sha256, lambda dest: unpack_wheel(path, filename, dest))


def _install_jobs(
    jobs: Sequence[WheelJob],
    *,
    python: Path,
    environment: TargetEnvironment,
    counter: Callable[[str, int, int], None] | None,
) -> None:
    from envsnap.install.wheels import install_unpacked  # noqa: PLC0415

    scheme = venv_scheme(python, environment)
    _all_or_raise(
        run_parallel(
            lambda job: install_unpacked(job, scheme, interpreter=python),
            jobs,
            jobs=INSTALL_JOBS,
            done=(lambda done, total: counter("install", done, total)) if counter else None,
        )
    )


def _all_or_raise(outcomes: Sequence[T | BaseException]) -> list[T]:
    """Return the results, or raise the first error (in input order)."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return cast("list[T]", list(outcomes))


def _install_with_pip(
    sdists: Sequence[DistFile],
    lines: Sequence[str],
    local: Mapping[str, Path],
    python: Path,
    index_args: Sequence[str],
    output: Callable[[str], None] | None,
    pip_path: Path | None = None,
) -> None:
    """Install what needs pip (the venv's): verified sdists (staged) and pip-only lines."""
    from envsnap.install.external import install_command, run_logged  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="envsnap-pip-") as scratch:
        staging = Path(scratch) / "files"
        staging.mkdir()
        requirement_lines = list(lines)
        for sdist in sdists:
            if sdist.name is None:  # the plans name every file; a caller's own plan may not
                raise OperationError(f"{sdist.filename}: no package name to install it as")
            target = staging / checked_filename(sdist.name, sdist.filename, sdist.url)
            with contextlib.suppress(OSError):
                os.link(local[sdist.sha256], target)
            if not target.exists():
                import shutil  # noqa: PLC0415

                shutil.copyfile(local[sdist.sha256], target)
            pin = f"=={sdist.version}" if sdist.version else ""
            requirement_lines.append(f"{sdist.name}{pin} --hash=sha256:{sdist.sha256}")
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("\n".join(requirement_lines) + "\n", encoding="utf-8")
        command = install_command(
            "pip",
            venv_python=python,
            requirements=requirements,
            no_deps=True,
            require_hashes=False,
            index_args=[*index_args, "--find-links", os.fspath(staging)],
            verbose=output is not None,
            cwd=Path.cwd(),
            pip_path=pip_path,
        )
        code, tail = run_logged(command.argv, cwd=command.cwd, output=output, env=command.env)
    if code != 0:
        shown = "".join(f"\n  | {line}" for line in tail[-15:])
        raise OperationError(
            f"pip could not install {', '.join(s.label for s in sdists) or 'the direct references'}"
            f" (exit {code}){shown}",
            hint="nothing was replaced; rerun with -v to see pip's full output",
        )


def _compile(python: Path, environment: TargetEnvironment) -> None:
    """Compile the venv's site-packages once, in its own interpreter.

    Like pip and uv, a module that does not compile (test data, another
    Python's syntax) is not an error: it is imported from source later.
    """
    dirs = [os.fspath(p) for p in environment.site_packages]
    try:
        subprocess.run(
            [os.fspath(python), "-I", "-m", "compileall", "-q", "-j", "0", *dirs],
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise OperationError(f"cannot run {python} to compile: {exc.strerror or exc}") from None

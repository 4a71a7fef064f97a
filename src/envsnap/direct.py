"""The ``direct`` installer backend: fetch, verify and install wheels without a pip run.

For a new venv and a lock file, in three steps, each finished for every
package before the next starts (so a bad hash stops the restore with nothing
installed):

1. **plan** (:func:`plan_pylock`, :func:`plan_requirements`): the file each
   package needs. A pylock file records its files: PEP 751 selection for the
   venv's markers and tags (:func:`envsnap.formats.pylock.select_files`),
   lock extras and groups honoured. A requirements file names versions: the
   files come from the indexes/wheelhouses pip would use
   (:mod:`envsnap.hashes`), the best wheel for the venv's tags among those
   whose hash the file allows (pip's hash-checking mode).
2. **fetch** (:func:`envsnap.download.fetch_all`): every file into the
   content-addressed cache (:mod:`envsnap.cache`), in parallel, each sha256
   checked; a cached file is not fetched again.
3. **install** (:func:`install`): each wheel unpacked once into the cache
   and linked into the venv through the ``installer`` library
   (:mod:`envsnap.wheels`), two at a time (the work is file-system calls and
   zlib, which release the GIL). pip is seeded the same way. What only pip
   can install (an sdist, a VCS checkout, a local directory, an editable) is
   handed to the new venv's pip with ``--no-deps``, after the wheels.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from envsnap._threads import run_parallel
from envsnap.errors import OperationError

T = TypeVar("T")

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from packaging.tags import Tag
    from packaging.utils import NormalizedName
    from packaging.version import Version

    from envsnap.cache import FileCache
    from envsnap.environment import TargetEnvironment
    from envsnap.hashes import DistFile, IndexSettings, ProjectFiles
    from envsnap.lock import Lock, LockedPackage
    from envsnap.wheels import WheelJob

__all__ = [
    "INSTALL_JOBS",
    "InstallPlan",
    "PlannedFile",
    "index_settings_from_args",
    "install",
    "plan_pylock",
    "plan_requirements",
    "venv_scheme",
]

INSTALL_JOBS = 2
"""Wheels installed at once (this project's CI has 2 cores)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedFile:
    """One package to install from one verified file."""

    name: NormalizedName
    """The package's normalized name."""
    version: Version | None
    """Its version."""
    filename: str
    """The file's name (a wheel or an sdist)."""
    sha256: str
    """The hash the file must have."""
    url: str | None = None
    """Where to download it (``http(s):`` or ``file:``)."""
    path: Path | None = None
    """Where it lies on disk (a wheelhouse)."""
    size: int | None = None
    """Its size, when recorded."""
    requested: bool = False
    """A top-level package of the lock file (gets ``REQUESTED``)."""
    direct_url: Mapping[str, object] | None = None
    """PEP 610 ``direct_url.json`` for a direct-URL archive."""

    @property
    def is_wheel(self) -> bool:
        """Whether the file is a wheel (else pip builds it)."""
        return self.filename.endswith(".whl")

    @property
    def label(self) -> str:
        """``name==version`` for messages."""
        return f"{self.name}=={self.version}" if self.version else str(self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallPlan:
    """Everything the direct backend installs into one venv."""

    files: tuple[PlannedFile, ...]
    """Wheels (and sdists for pip), each with its hash."""
    pip_lines: tuple[str, ...] = ()
    """Requirement lines only pip can install (VCS, directories, editables)."""
    names: frozenset[str] = field(default_factory=frozenset)
    """Every package the plan installs (normalized names)."""

    @property
    def count(self) -> int:
        """How many packages it installs."""
        return len(self.files) + len(self.pip_lines)


# --------------------------------------------------------------------------- plan


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
        lock: the file, read (``lock.path`` is selected again with its extras/groups).
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
    from envsnap.formats.pylock import select_files  # noqa: PLC0415

    assert lock.path is not None  # noqa: S101 - read from a file
    top = {p.name for p in lock.top_level}
    files: list[PlannedFile] = []
    pip_packages = []
    for selected in select_files(
        lock.path, environment.markers, tags, extras=extras, groups=groups
    ):
        if selected.kind in ("vcs", "directory"):
            package = lock.get(selected.name)
            if package is not None:
                pip_packages.append(package)
            continue
        sha256 = selected.hashes.get("sha256")
        if not sha256:
            raise OperationError(
                f"{selected.name}: the lock file has no sha256 for {selected.filename}",
                hint="envsnap verifies every file by its sha256; regenerate the lock file",
            )
        filename = selected.filename or selected.url.rsplit("/", 1)[-1]
        direct = None
        if selected.kind == "archive":
            direct = {"url": _public(selected.url), "archive_info": {"hashes": {"sha256": sha256}}}
            if selected.subdirectory:
                direct["subdirectory"] = selected.subdirectory
        local = _local_path(selected.url)
        files.append(
            PlannedFile(
                name=selected.name,
                version=selected.version,
                filename=urllib.parse.unquote(filename),
                sha256=sha256.lower(),
                url=None if local else selected.url,
                path=local,
                size=selected.size,
                requested=selected.name in top,
                direct_url=direct,
            )
        )
    names = frozenset({f.name for f in files} | {p.name for p in pip_packages})
    return InstallPlan(files=tuple(files), pip_lines=_pip_lines(lock, pip_packages), names=names)


def plan_requirements(
    lock: Lock,
    environment: TargetEnvironment,
    tags: Sequence[Tag],
    settings: IndexSettings,
) -> InstallPlan:
    """Plan the install of a fully pinned requirements file from the indexes pip would use.

    Each ``name==version`` whose marker applies is looked up (in parallel)
    in ``settings``' wheelhouses and indexes; the best wheel for ``tags``
    whose hash the file allows is taken (pip's hash-checking mode: with
    ``--hash`` values only a matching file), else the sdist. ``name @ URL``
    lines to a wheel or sdist are fetched from the URL (their hash, when
    given, checked); VCS, directory and editable lines go to pip. Without
    ``--index-url`` (pip's built-in default index in play), packages that no
    named index or wheelhouse has go to pip too, which fetches them from that
    default index (``--no-deps``, their hashes enforced).

    Args:
        lock: the file, read; every package pinned.
        environment: the probed new venv.
        tags: its supported tags, most preferred first.
        settings: where to look (``--index-url``/``--find-links``...).

    Returns:
        The :class:`InstallPlan`.

    Raises:
        OperationError: a package is missing from every source, has no file
            for this environment, or no file matching the file's hashes.
    """
    from envsnap.hashes import collect, source_for  # noqa: PLC0415

    markers: dict[str, str] = dict(environment.markers)
    wanted = [p for p in lock.packages if _applies(p, markers)]
    files: list[PlannedFile] = []
    pip_packages = []
    by_index = [p for p in wanted if not p.origin.is_direct and p.version is not None]
    found: dict[NormalizedName, ProjectFiles] = {}
    # without --index-url pip also searches its built-in default index, whose
    # address envsnap does not hard-code: what no named source has goes to pip
    to_pip_default = settings.uses_pip_default_index
    source = source_for(settings) if by_index else None
    if source is not None:
        pairs = [(p.name, p.version) for p in by_index if p.version]
        found = collect(source, pairs, tags=tags, allow_missing=to_pip_default)
    elif by_index and not to_pip_default:
        raise OperationError(
            "no index or wheelhouse to get the files from",
            hint="name one with --index-url or --find-links (or use --installer pip)",
        )
    rank = {tag: i for i, tag in enumerate(tags)}
    failures = []
    for package in wanted:
        if package.origin.is_direct:
            direct_file = _direct_file(package)
            if direct_file is None:
                pip_packages.append(package)
            else:
                files.append(direct_file)
            continue
        project = found.get(package.name)
        if project is None:  # only with to_pip_default: pip fetches it, hashes enforced
            pip_packages.append(package)
        else:
            planned = _index_file(package, project, rank)
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
    names = frozenset({f.name for f in files} | {p.name for p in pip_packages})
    return InstallPlan(files=tuple(files), pip_lines=_pip_lines(lock, pip_packages), names=names)


def _applies(package: LockedPackage, markers: dict[str, str]) -> bool:
    """Whether a package's marker holds for the venv (an unevaluable marker counts as true)."""
    from packaging.markers import InvalidMarker, UndefinedEnvironmentName  # noqa: PLC0415

    if package.marker is None:
        return True
    try:
        return bool(package.marker.evaluate(markers))
    except (InvalidMarker, UndefinedEnvironmentName):
        return True


def _pip_lines(lock: Lock, packages: Sequence[LockedPackage]) -> tuple[str, ...]:
    """Return requirement lines for the packages only pip can install."""
    if not packages:
        return ()
    from dataclasses import replace  # noqa: PLC0415

    from envsnap.installers import requirements_text  # noqa: PLC0415

    text = requirements_text(replace(lock, packages=tuple(packages)))
    return tuple(line for line in text.splitlines() if line)


def _index_file(
    package: LockedPackage, project: ProjectFiles, rank: Mapping[Tag, int]
) -> PlannedFile | str:
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
    return PlannedFile(
        name=package.name,
        version=package.version,
        filename=best.filename,
        sha256=best.sha256,
        url=best.url,
        path=best.path,
        size=best.size,
        requested=package.top_level,
    )


def _direct_file(package: LockedPackage) -> PlannedFile | None:
    """Plan a ``name @ URL`` archive with a sha256; ``None`` when pip must handle it."""
    url = package.origin.url or ""
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    digest = _sha256_of(package.hashes, package.origin.archive_hash)
    if package.origin.kind != "archive" or digest is None or not _is_dist(name):
        return None
    local = _local_path(url)
    return PlannedFile(
        name=package.name,
        version=package.version,
        filename=name,
        sha256=digest,
        url=None if local else url,
        path=local,
        requested=package.top_level,
        direct_url={"url": _public(url), "archive_info": {"hashes": {"sha256": digest}}},
    )


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


def _is_dist(filename: str) -> bool:
    return filename.endswith((".whl", ".tar.gz", ".zip"))


def _local_path(url: str) -> Path | None:
    if url.startswith("file:"):
        from urllib.request import url2pathname  # noqa: PLC0415

        return Path(url2pathname(urllib.parse.urlsplit(url).path))
    return None


def _public(url: str) -> str:
    from envsnap.origin import strip_credentials  # noqa: PLC0415

    return strip_credentials(url)[0]


def index_settings_from_args(
    args: Sequence[str],
    file_options: Sequence[str],
    *,
    base: Path,
    trusted_hosts: Sequence[str] = (),
) -> IndexSettings:
    """Turn pip-style index options into :class:`~envsnap.hashes.IndexSettings`.

    The command line's options win over the file's own option lines (as pip
    applies them); without any index option, pip's environment variables and
    configuration decide (:func:`envsnap.hashes.index_settings`).
    ``--no-index`` keeps only the ``--find-links`` directories. Relative
    paths in the file resolve against its directory.

    Args:
        args: ``("--index-url", URL, "--find-links", DIR, "--no-index", ...)``.
        file_options: the file's lines, ``"--index-url URL"`` each.
        base: the file's directory.
        trusted_hosts: ``--trusted-host`` values (``PIP_TRUSTED_HOST`` and
            pip's config add to them).
    """
    from envsnap.hashes import IndexSettings, index_settings  # noqa: PLC0415

    def parse(tokens: Sequence[str], where: Path | None) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        items = list(tokens)
        while items:
            option = items.pop(0)
            if option == "--no-index":
                found.setdefault("no-index", []).append("")
                continue
            value = items.pop(0) if items else ""
            if option == "--find-links" and where is not None and "://" not in value:
                value = os.fspath(where / value)
            found.setdefault(option.lstrip("-"), []).append(value)
        return found

    cli = parse(args, None)
    from_file = parse([t for line in file_options for t in line.split(None, 1)], base)
    merged = {**from_file, **cli}
    find_links = cli.get("find-links", []) + from_file.get("find-links", [])
    trusted = [*trusted_hosts, *cli.get("trusted-host", []), *from_file.get("trusted-host", [])]
    index_url = merged.get("index-url", [None])[-1]
    settings = index_settings(
        index_url=index_url,
        extra_index_urls=merged.get("extra-index-url", []),
        find_links=find_links,
        trusted_hosts=trusted,
    )
    if "no-index" in merged:
        return IndexSettings(
            find_links=tuple(find_links), trusted_hosts=settings.trusted_hosts, no_index=True
        )
    return settings


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
    credentials_urls: Sequence[str] = (),
    with_pip: bool = True,
    compile_bytecode: bool = False,
    counter: Callable[[str, int, int], None] | None = None,
    output: Callable[[str], None] | None = None,
) -> None:
    """Fetch, verify and install a plan into the venv of ``python``.

    Args:
        plan: from :func:`plan_pylock` / :func:`plan_requirements`.
        python: the new venv's interpreter.
        environment: its probe.
        cache: the file cache (a temporary one for ``--no-cache``).
        index_args: index options for pip's part (sdists, VCS, directories).
        credentials_urls: index URLs whose credentials downloads may use.
        with_pip: also install pip (:func:`envsnap.pip_seed.choose_pip_wheel`).
        compile_bytecode: compile the installed modules once, in the venv's
            interpreter (``compileall``), like ``pip``'s default or uv's
            ``--compile-bytecode``.
        counter: called as ``counter(stage, done, total)`` (``download``, ``install``).
        output: called with each line of pip's output, when pip runs (``-v``).

    Raises:
        OperationError: a file cannot be fetched or does not match its hash
            (nothing installed then), or an install failed.
    """
    from envsnap.download import Credentials, FileRequest, fetch_all  # noqa: PLC0415

    needed = [f for f in plan.files if not (f.is_wheel and _reusable(cache, f.sha256))]
    requests = [
        FileRequest(
            package=f.label,
            filename=f.filename,
            sha256=f.sha256,
            url=f.url,
            path=f.path,
            size=f.size,
        )
        for f in needed
    ]
    local = fetch_all(
        requests,
        cache,
        credentials=Credentials(credentials_urls),
        progress=(lambda done, total: counter("download", done, total)) if counter else None,
    )
    wheels = [f for f in plan.files if f.is_wheel]
    sdists = [f for f in plan.files if not f.is_wheel]
    jobs = _wheel_jobs(wheels, local, cache, environment, with_pip=with_pip)
    _install_jobs(jobs, python=python, environment=environment, counter=counter)
    if sdists or plan.pip_lines:
        pip_path = None
        if not with_pip:  # pip for the venv's Python, run from the cache, not left there
            from envsnap.pip_seed import choose_pip_wheel, pip_wheel_job  # noqa: PLC0415

            seed = choose_pip_wheel(environment, cache)
            pip_path = pip_wheel_job(seed, cache, environment.python_version).unpacked
        _install_with_pip(sdists, plan.pip_lines, local, python, index_args, output, pip_path)
    if compile_bytecode:
        _compile(python, environment)


def _wheel_jobs(
    wheels: Sequence[PlannedFile],
    local: Mapping[str, Path],
    cache: FileCache,
    environment: TargetEnvironment,
    *,
    with_pip: bool,
) -> list[WheelJob]:
    from envsnap.pip_seed import (  # noqa: PLC0415
        choose_pip_wheel,
        pip_wheel_job,
        register_pip_wheel,
        unpacked_console_scripts,
    )
    from envsnap.wheels import WheelJob  # noqa: PLC0415

    items: list[tuple[str, str, Path | None, PlannedFile]] = [
        (f.sha256, f.filename, local.get(f.sha256), f) for f in wheels
    ]
    seeded: list[WheelJob] = []
    if with_pip and not any(f.name == "pip" for f in wheels):
        seed = choose_pip_wheel(environment, cache)
        seeded.append(pip_wheel_job(seed, cache, environment.python_version))

    def unpacked(item: tuple[str, str, Path | None, PlannedFile]) -> WheelJob:
        sha256, filename, path, planned = item
        entry = _unpack(cache, sha256, filename, path)
        if planned.name == "pip":  # a later venv may be seeded with it
            register_pip_wheel(cache, sha256, filename)
        return WheelJob(
            filename=filename,
            unpacked=entry,
            requested=planned.requested,
            direct_url=planned.direct_url,
            # pipX.Y of the venv's Python, as pip writes them when it installs itself
            console_scripts=unpacked_console_scripts(entry, environment.python_version)
            if planned.name == "pip"
            else None,
        )

    if all(cache.get_unpacked(item[0]) is not None for item in items):
        return [*(unpacked(item) for item in items), *seeded]
    return [*_all_or_raise(run_parallel(unpacked, items, jobs=INSTALL_JOBS)), *seeded]


def _reusable(cache: FileCache, sha256: str) -> bool:
    """Whether the wheel's unpacked cache entry exists and still matches its RECORD.

    Installed files are hard links into the entry, so an edit made in place in
    some venv changes it; such an entry is removed, and the wheel fetched (and
    its hash checked) again.
    """
    from envsnap.wheels import unpacked_intact  # noqa: PLC0415

    found = cache.get_unpacked(sha256)
    if found is None:
        return False
    if unpacked_intact(found):
        return True
    shutil.rmtree(found, ignore_errors=True)
    return False


def _unpack(cache: FileCache, sha256: str, filename: str, path: Path | None) -> Path:
    from envsnap.wheels import unpack_wheel  # noqa: PLC0415

    found = cache.get_unpacked(sha256)
    if found is not None:
        return found
    if path is None:  # the entry vanished since the plan (another run cleaned the cache)
        raise OperationError(
            f"{filename}: gone from the cache while restoring; run again",
            hint="or restore with --no-cache",
        )
    return cache.add_unpacked(sha256, lambda dest: unpack_wheel(path, filename, dest))


def _install_jobs(
    jobs: Sequence[WheelJob],
    *,
    python: Path,
    environment: TargetEnvironment,
    counter: Callable[[str, int, int], None] | None,
) -> None:
    from envsnap.wheels import install_unpacked  # noqa: PLC0415

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
    sdists: Sequence[PlannedFile],
    lines: Sequence[str],
    local: Mapping[str, Path],
    python: Path,
    index_args: Sequence[str],
    output: Callable[[str], None] | None,
    pip_path: Path | None = None,
) -> None:
    """Install what needs pip (the venv's): verified sdists (staged) and pip-only lines."""
    from envsnap.installers import install_command, run_logged  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="envsnap-pip-") as scratch:
        staging = Path(scratch) / "files"
        staging.mkdir()
        requirement_lines = list(lines)
        for sdist in sdists:
            target = staging / sdist.filename
            with contextlib.suppress(OSError):
                os.link(local[sdist.sha256], target)
            if not target.exists():
                import shutil  # noqa: PLC0415

                shutil.copyfile(local[sdist.sha256], target)
            requirement_lines.append(f"{sdist.name}=={sdist.version} --hash=sha256:{sdist.sha256}")
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

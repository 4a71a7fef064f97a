"""Make a bundle: a lock and the files it needs, checked and streamed side by side.

:func:`make_bundle` reads a lock (pylock or requirements), works out the
targets it covers (:mod:`envsnap.bundle.select`), chooses each package's
file for each target, fetches them (:func:`envsnap.index.download.fetch_all`:
into envsnap's file cache, each checked against its sha256; a file already
cached is not fetched again) and writes the bundle:

- ``pylock.toml``: a PEP 751 lock whose every wheel, sdist and archive has
  a ``path`` (``files/NAME``), its ``size`` and hash, and keeps the ``url``
  it came from (installers take the path; envsnap records the URL as the
  installed file's provenance). A pylock file keeps everything else it
  said (markers, dependencies, ``created-by``, ``[tool]`` tables); a
  requirements file becomes a pylock file with its pins, markers, top-level
  list and reasons (``created-by = "envsnap bundle"``).
  ``environments`` names the targets covered, ``[tool.envsnap.bundle]``
  their names;
- ``files/``: the files, each stored once, copied from the cache while its
  hash is checked again (a file that changed in between is refused).

``-o DIR`` writes a directory, ``-o FILE.zip`` a zip file (wheels and
sdists stored as they are, the lock deflated, fixed timestamps: the same
inputs give the same bytes). Either is written beside its final name and
renamed into place when complete; an earlier bundle there is replaced.
Nothing is held in memory but the lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from envsnap.errors import InputError, OperationError
from envsnap.index.settings import IndexOptions

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from packaging.pylock import Package, Pylock
    from packaging.utils import NormalizedName

    from envsnap.bundle.select import BundleTarget
    from envsnap.index.distfile import DistFile
    from envsnap.index.http import HttpClient
    from envsnap.index.settings import IndexSettings
    from envsnap.lock import Lock, LockedPackage

__all__ = ["BUNDLE_CREATED_BY", "BundleOptions", "BundleResult", "make_bundle"]

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

BUNDLE_CREATED_BY = "envsnap bundle"
"""``created-by`` of the lock made from a requirements file. Not ``envsnap``: such a
file does not record the extras its top-level lines ask for, and envsnap's own pylock
files do (check compares them)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleOptions:
    """What the user asked for (the CLI's options)."""

    output: Path
    """``DIR`` or ``FILE.zip``."""
    python: str | None = None
    """``--python``: the interpreter to bundle for (default: the one a restore picks)."""
    python_versions: str | None = None
    """``--python-version``: CPython versions to cover (``3.12``, ``3.10-3.13``)."""
    platforms: tuple[str, ...] = ()
    """``--platform``: platforms to cover (``linux-x86_64``...)."""
    index: IndexOptions = field(default_factory=IndexOptions)
    """Where a requirements file's files come from (pip's layers follow)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleResult:
    """What :func:`make_bundle` wrote."""

    path: Path
    """The bundle."""
    targets: tuple[str, ...]
    """The targets it covers (``cp311-linux-x86_64``)."""
    packages: int
    """How many packages its lock lists."""
    files: int
    """How many files it holds (beside its lock)."""
    size: int
    """Their total size, in bytes."""
    notes: tuple[str, ...] = ()
    """What the user should know (packages no target needs, sdists to build)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Planned:
    """The files chosen: for each package of the output lock, its entries and files."""

    pylock: Pylock | None
    """The input lock (a pylock file), else ``None``."""
    chosen: dict[int, dict[str, DistFile]]
    """Package number -> entry key (``wheels[0]``, ``sdist``, ``archive``) -> its file."""
    packages: list[Package]
    """The packages of a requirements file, built here (empty for a pylock file)."""
    notes: list[str]


def make_bundle(
    lock_path: Path,
    options: BundleOptions,
    *,
    say: Callable[[str, str], None] | None = None,
) -> BundleResult:
    """Write a bundle of ``lock_path`` (see the module docstring).

    Args:
        lock_path: a ``pylock.toml`` or a pinned requirements file.
        options: see :class:`BundleOptions`.
        say: called as ``say(stage, message)`` (``targets``, ``fetch``, ``write``).

    Returns:
        The :class:`BundleResult`.

    Raises:
        LockFileError: the lock is missing or invalid.
        InputError: a package that cannot be a file (VCS, directory, editable,
            unpinned), a ``${NAME}`` in the lock, a lock frozen with system
            site-packages, a target the lock leaves out or lacks files for,
            an unknown target, or an output that is not a bundle.
        OperationError: the index or a file URL cannot be reached, a file
            does not match its hash, or the bundle cannot be written (exit 3;
            nothing is left at the output).
    """
    from envsnap.index.file_cache import FileCache, default_cache_dir  # noqa: PLC0415
    from envsnap.lockfiles.readers import read_lock  # noqa: PLC0415
    from envsnap.restore.sources import refuse_expansions  # noqa: PLC0415

    report = say or (lambda _stage, _message: None)
    _check_output(options.output)
    lock = read_lock(lock_path)
    refuse_expansions(lock)
    if lock.system_site_packages is not None:
        raise InputError(
            f"{lock_path}: frozen from a venv that saw the base Python's packages; a bundle "
            "cannot carry those",
            hint="freeze the venv with --include-system, then bundle that lock",
        )
    targets = _targets(lock, options)
    report("targets", ", ".join(t.name for t in targets))
    settings = _settings(lock, lock_path, options.index)
    with _client(settings) as http:
        if lock.pylock is not None:
            planned = _plan_pylock(lock, lock_path.parent.absolute(), targets)
        else:
            planned = _plan_requirements(lock, targets, settings, http)
        files = {f.sha256: f for by_key in planned.chosen.values() for f in by_key.values()}
        _check_trust(list(files.values()), settings)
        report("fetch", f"{len(files)} files")
        from envsnap.index.download import fetch_all  # noqa: PLC0415

        local = fetch_all(list(files.values()), FileCache(default_cache_dir()), client=http)
    names = _member_names(files.values())
    sizes = {sha: local[sha].stat().st_size for sha in files}
    text = _lock_text(lock, planned, names, sizes, targets)
    members = [(names[sha], local[sha], sha) for sha in sorted(files, key=lambda s: names[s])]
    report("write", f"{options.output}: {len(members)} files and {_LOCK}")
    _write(options.output, text, members)
    return BundleResult(
        path=options.output,
        targets=tuple(t.name for t in targets),
        packages=text.count("[[packages]]"),
        files=len(members),
        size=sum(sizes.values()),
        notes=tuple(planned.notes),
    )


_LOCK = "pylock.toml"


def _targets(lock: Lock, options: BundleOptions) -> tuple[BundleTarget, ...]:
    """Return the targets asked for, else the lock's own, else this machine; each covered."""
    from envsnap.bundle.select import (  # noqa: PLC0415
        check_covers,
        lock_targets,
        machine_target,
        named_targets,
    )

    if options.python_versions or options.platforms:
        if options.python is not None:
            raise InputError(
                "python= names the interpreter to bundle for; --python-version and --platform "
                "name targets instead: give one or the other"
            )
        targets = named_targets(lock, options.python_versions, options.platforms)
    else:
        named = lock_targets(lock) if options.python is None else None
        targets = named or (machine_target(lock, python=options.python),)
    for target in targets:
        check_covers(lock, target)
    return targets


def _settings(lock: Lock, lock_path: Path, given: IndexOptions) -> IndexSettings:
    from envsnap.index.settings import settings_for_lock  # noqa: PLC0415

    return settings_for_lock(
        replace(given, trusted_hosts=(*given.trusted_hosts, *lock.trusted_hosts)),
        lock.index_options,
        base=lock_path.parent.absolute(),
        commands=("download", "install"),
    )


def _client(settings: IndexSettings) -> HttpClient:
    from envsnap.index.http import Credentials, HttpClient  # noqa: PLC0415

    return HttpClient(
        credentials=Credentials(settings.index_urls()),
        trusted_hosts=settings.trusted_hosts,
        cert=settings.cert,
        client_cert=settings.client_cert,
        proxy=settings.proxy,
    )


def _check_trust(files: Sequence[DistFile], settings: IndexSettings) -> None:
    """Refuse a plain-http file URL to a host that is not trusted (pip's rule)."""
    from envsnap.index.secure import check_secure  # noqa: PLC0415

    check_secure(
        [(f.url, f.label) for f in files if f.path is None and f.url and "://" in f.url],
        settings.trusted_hosts,
    )


# --------------------------------------------------------------------------- choosing


def _plan_pylock(lock: Lock, base: Path, targets: Sequence[BundleTarget]) -> _Planned:
    """Choose, for each target, the file PEP 751 installs of each package of a pylock file.

    Raises:
        InputError: a package from a VCS or directory that a target installs,
            a package that lacks a file for a target, or a file without sha256.
    """
    from packaging.pylock import PylockSelectError  # noqa: PLC0415

    from envsnap.bundle.select import pylock_entries, select_one  # noqa: PLC0415

    pylock = lock.pylock
    chosen: dict[int, dict[str, DistFile]] = {}
    lacking: list[str] = []
    for number, package in enumerate(pylock.packages):
        keys = {id(entry): key for key, entry in pylock_entries(package)}
        for target in targets:
            try:
                entry = select_one(pylock, package, target)
            except PylockSelectError as exc:
                why = str(exc).replace("packages[0]", f"packages[{number}]")
                lacking.append(f"{target.name}: {why}")
                continue
            if entry is None:
                continue
            if id(entry) not in keys:
                raise InputError(
                    f"{lock.path} (at packages[{number}]): {package.name} comes from a VCS or "
                    "a directory: a bundle holds files only",
                    hint="build a wheel of it and lock that, or leave it out of the lock",
                )
            key = keys[id(entry)]
            where = f"{lock.path} (at packages[{number}].{key})"
            chosen.setdefault(number, {})[key] = _entry_file(package, entry, base, where)
    if lacking:
        raise InputError(
            f"{lock.path}: {len(lacking)} package(s) have no file for a target: "
            + "; ".join(lacking[:5])
            + (f" (and {len(lacking) - 5} more)" if len(lacking) > 5 else ""),
            hint="bundle for the targets the lock has files for (--python-version, --platform)",
        )
    notes = [
        f"{p.name} is installed on none of the targets: left out of the bundle"
        for n, p in enumerate(pylock.packages)
        if n not in chosen
    ]
    notes += _sdist_notes(
        (pylock.packages[n].name, f) for n, by_key in chosen.items() for f in by_key.values()
    )
    return _Planned(pylock=pylock, chosen=chosen, packages=[], notes=notes)


def _entry_file(package: Package, entry: Any, base: Path, where: str) -> DistFile:  # noqa: ANN401
    """Return the :class:`DistFile` of a wheel, sdist or archive entry (paths from ``base``).

    Raises:
        InputError: the entry has no sha256 (every file is checked by it).
    """
    from envsnap.index.distfile import DistFile  # noqa: PLC0415

    hashes = dict(entry.hashes or {})
    if "sha256" not in hashes:
        raise InputError(
            f"{where}: {package.name}'s file has no sha256; a bundle checks every file by it",
            hint="lock it again with its sha256 (envsnap freeze -o pylock.toml)",
        )
    path = getattr(entry, "path", None)
    url = getattr(entry, "url", None)
    filename = getattr(entry, "filename", None) or Path(path or url or "file").name
    return DistFile(
        filename=filename.rpartition("/")[2],
        hashes={"sha256": hashes["sha256"].lower()},
        name=package.name,
        version=package.version,
        url=url,
        path=Path(os.path.normpath(base / path)) if path else None,
        size=getattr(entry, "size", None),
        upload_time=getattr(entry, "upload_time", None),
    )


def _plan_requirements(
    lock: Lock, targets: Sequence[BundleTarget], settings: IndexSettings, http: HttpClient
) -> _Planned:
    """Choose, for each target, the file pip installs of each pin of a requirements file.

    Index pins take their files from the index pip would use (the hash
    sources freeze uses, :func:`envsnap.index.repository.source_for`), as
    :func:`~envsnap.bundle.select.pick_file` chooses; direct archive URLs are
    taken as written.

    Raises:
        InputError: an unpinned, VCS, directory or editable package, or an
            archive URL without a hash.
        OperationError: the index cannot be read, or has no file of a pin for a target.
    """
    from envsnap.bundle.select import pick_file  # noqa: PLC0415
    from envsnap.index.repository import collect, source_for  # noqa: PLC0415

    needed = _needed(lock, targets)
    wanted = [
        (p.name, p.version)
        for p, _ in needed.values()
        if p.origin.kind == "index" and p.version is not None
    ]
    found = {}
    if wanted:
        source = source_for(settings, client=http)
        if source is None:
            raise OperationError(
                "--no-index leaves no index to take the files of a requirements file from",
                hint="drop --no-index, or name a wheelhouse with --find-links DIR",
            )
        found = collect(source, wanted)
    chosen: dict[int, dict[str, DistFile]] = {}
    packages: list[Package] = []
    lacking: list[str] = []
    for package, covering in needed.values():
        if package.origin.kind == "archive":
            files = {"archive": _archive_file(lock, package)}
            index = None
        else:
            project = found[package.name]
            files = {}
            for target in covering:
                file = pick_file(project, target.tags, package.hashes)
                if file is None:
                    lacking.append(f"{package.display_name}=={package.version} for {target.name}")
                    continue
                file = replace(file, name=package.name, version=package.version)
                key = "sdist" if not file.is_wheel else f"wheels[{file.filename}]"
                files[key] = file
            index = project.index
        if files:
            chosen[len(packages)] = files
            packages.append(_requirements_package(package, index))
    if lacking:
        raise OperationError(
            f"no file on the index (with a hash the lock allows) for: {', '.join(lacking[:5])}"
            + (f" (and {len(lacking) - 5} more)" if len(lacking) > 5 else ""),
            hint="bundle for other targets, or name an index that has them",
        )
    notes = _sdist_notes(
        (packages[n].name, f) for n, by_key in chosen.items() for f in by_key.values()
    )
    return _Planned(pylock=None, chosen=chosen, packages=packages, notes=notes)


def _needed(
    lock: Lock, targets: Sequence[BundleTarget]
) -> dict[NormalizedName, tuple[LockedPackage, list[BundleTarget]]]:
    """Return each pin some target installs (its marker holds there), with those targets.

    Raises:
        InputError: such a pin is unpinned, or from a VCS or a directory.
    """
    from envsnap._markers import marker_holds  # noqa: PLC0415

    needed: dict[NormalizedName, tuple[LockedPackage, list[BundleTarget]]] = {}
    refused: list[str] = []
    for package in lock.packages:
        covering = [t for t in targets if marker_holds(package.marker, t.environment)]
        if not covering:
            continue
        if package.origin.kind in {"vcs", "directory"} or (
            package.origin.kind == "index" and package.version is None
        ):
            refused.append(f"{package.display_name} ({package.origin.describe()})")
            continue
        needed[package.name] = (package, covering)
    if refused:
        raise InputError(
            f"{lock.path}: a bundle holds pinned files only; not such: " + ", ".join(refused[:5]),
            hint="pin them (envsnap freeze), or build wheels of local projects and lock those",
        )
    return needed


def _archive_file(lock: Lock, package: LockedPackage) -> DistFile:
    """Return the file of a ``name @ URL`` pin; refuse it without a sha256 in the lock."""
    from envsnap._text import file_url_path  # noqa: PLC0415
    from envsnap.index.distfile import DistFile  # noqa: PLC0415

    url = package.origin.url or ""
    algorithm, _, digest = (package.origin.archive_hash or "").partition("=")
    if algorithm != "sha256" or not digest:
        sha = [h.partition(":")[2] for h in package.hashes if h.startswith("sha256:")]
        if not sha:
            raise InputError(
                f"{package.location or lock.path}: {package.display_name} @ {url} has no "
                "sha256 in the lock; a bundle checks every file by it",
                hint="add #sha256=HEX to the URL, or --hash=sha256:HEX to the line",
            )
        digest = sha[0]
    local = file_url_path(url)
    return DistFile(
        filename=Path(local).name if local else url.split("#")[0].rstrip("/").rpartition("/")[2],
        hashes={"sha256": digest.lower()},
        name=package.name,
        version=package.version,
        url=None if local else url,
        path=local,
    )


def _requirements_package(package: LockedPackage, index: str | None) -> Package:
    """Return a pylock package for a pin (its files are added when the lock is built)."""
    from packaging.pylock import Package, PackageArchive  # noqa: PLC0415

    archive = None
    if package.origin.kind == "archive":  # its URL and hash are set with its file
        archive = PackageArchive(
            url=package.origin.url, hashes={}, subdirectory=package.origin.subdirectory
        )
    return Package(
        name=package.name,
        version=package.version,
        marker=package.marker,
        index=index,
        archive=archive,
    )


def _sdist_notes(items: Iterator[tuple[str, DistFile]] | Any) -> list[str]:  # noqa: ANN401
    return sorted(
        {
            f"{name}: {file.filename} is an sdist: a restore builds it, and offline that "
            "needs its build requirements in uv's cache"
            for name, file in items
            if not file.is_wheel and file.filename.endswith((".tar.gz", ".zip"))
        }
    )


# --------------------------------------------------------------------------- the lock


def _member_names(files: Iterator[DistFile] | Any) -> dict[str, str]:  # noqa: ANN401
    """``{sha256: files/NAME}``; a name shared by two different files gets a hash directory."""
    from envsnap.bundle.members import FILES_DIR  # noqa: PLC0415

    by_name: dict[str, list[str]] = {}
    for file in files:
        by_name.setdefault(file.filename, []).append(file.sha256)
    names: dict[str, str] = {}
    for filename, digests in by_name.items():
        for digest in digests:
            names[digest] = (
                f"{FILES_DIR}/{filename}"
                if len(digests) == 1
                else f"{FILES_DIR}/{digest[:16]}/{filename}"
            )
    return names


def _lock_text(
    lock: Lock,
    planned: _Planned,
    names: Mapping[str, str],
    sizes: Mapping[str, int],
    targets: Sequence[BundleTarget],
) -> str:
    """Render the bundle's lock: every chosen file with its path, size and hashes."""
    from packaging.markers import Marker  # noqa: PLC0415
    from packaging.pylock import Pylock  # noqa: PLC0415
    from packaging.specifiers import SpecifierSet  # noqa: PLC0415
    from packaging.version import Version  # noqa: PLC0415

    from envsnap.lockfiles.pylock import TOOL  # noqa: PLC0415
    from envsnap.lockfiles.pylock.write import render, validated  # noqa: PLC0415

    source = planned.pylock
    originals = list(source.packages) if source is not None else planned.packages
    packages = [
        _with_files(originals[n], by_key, names, sizes) for n, by_key in planned.chosen.items()
    ]
    bundle_table = {"targets": [t.name for t in targets]}
    if source is not None:
        tool = {key: value for key, value in (source.tool or {}).items() if key != TOOL}
        own = dict((source.tool or {}).get(TOOL) or {})
        tool[TOOL] = {**own, "bundle": bundle_table}
        result = replace(  # created-by stays: what the lock records is still the tool's
            source,
            environments=[Marker(t.marker) for t in targets],
            packages=packages,
            tool=tool,
        )
    else:
        requires = None
        if lock.python_version:
            major, minor = lock.python_version.split(".")[:2]
            requires = SpecifierSet(f"=={major}.{minor}.*")
        result = Pylock(
            lock_version=Version("1.0"),
            environments=[Marker(t.marker) for t in targets],
            requires_python=requires or lock.requires_python,
            created_by=BUNDLE_CREATED_BY,
            packages=sorted(packages, key=lambda p: (p.name, p.version or Version("0"))),
            tool={TOOL: _tool_table(lock, bundle_table)},
        )
    return render(validated(result))


def _tool_table(lock: Lock, bundle_table: Mapping[str, Any]) -> dict[str, Any]:
    """``[tool.envsnap]`` of a requirements file's bundle: what its header recorded."""
    table: dict[str, Any] = {}
    if lock.python_version:
        table["python-version"] = lock.python_version
    table["top-level"] = sorted({p.name for p in lock.top_level})
    reasons = {p.name: p.reason for p in lock.packages if p.reason}
    if reasons:
        table["reasons"] = reasons
    extras = {p.name: list(p.extras) for p in lock.top_level if p.extras}
    if extras:
        table["extras"] = extras
    table["bundle"] = dict(bundle_table)
    return table


def _with_files(
    package: Package,
    by_key: Mapping[str, DistFile],
    names: Mapping[str, str],
    sizes: Mapping[str, int],
) -> Package:
    """``package`` with only its chosen entries, each given its member path and size."""
    from packaging.pylock import PackageArchive, PackageSdist, PackageWheel  # noqa: PLC0415

    def located(file: DistFile) -> dict[str, Any]:
        return {
            "path": names[file.sha256],
            "size": sizes[file.sha256],
            "url": file.url,
            "hashes": {"sha256": file.sha256},
        }

    wheels = [
        PackageWheel(name=f.filename, upload_time=f.upload_time, **located(f))
        for key, f in sorted(by_key.items(), key=lambda item: item[1].filename)
        if key.startswith("wheels[")
    ]
    sdist = by_key.get("sdist")
    archive = by_key.get("archive")
    return replace(
        package,
        wheels=wheels or None,
        sdist=PackageSdist(name=sdist.filename, upload_time=sdist.upload_time, **located(sdist))
        if sdist is not None
        else None,
        archive=PackageArchive(
            **located(archive),
            subdirectory=package.archive.subdirectory if package.archive else None,
        )
        if archive is not None
        else None,
    )


# --------------------------------------------------------------------------- writing


def _check_output(output: Path) -> None:
    """Refuse an output that would replace something that is not a bundle.

    Raises:
        InputError: a directory holding anything but a bundle's lock and
            files, or a ``.zip`` name that is a directory.
    """
    if output.suffix.lower() == ".zip":
        if output.is_dir():
            raise InputError(f"{output}: is a directory; a bundle named .zip is a zip file")
        return
    if output.exists() and not output.is_dir():
        raise InputError(
            f"{output}: exists and is not a directory",
            hint="name a new directory, or FILE.zip for a zip file",
        )
    if output.is_dir():
        from envsnap.bundle.members import FILES_DIR  # noqa: PLC0415

        other = sorted(p.name for p in output.iterdir() if p.name not in {_LOCK, FILES_DIR})
        if other:
            raise InputError(
                f"{output}: holds {', '.join(other[:3])}, which no bundle holds; not replaced",
                hint="name a new or empty directory (an earlier bundle there is replaced)",
            )


def _write(output: Path, text: str, members: Sequence[tuple[str, Path, str]]) -> None:
    """Write the bundle beside ``output``, then rename it into place (see the module docstring).

    Raises:
        OperationError: it cannot be written, or a cached file changed (nothing is left).
    """
    partial = output.with_name(f".{output.name}.partial-{os.getpid()}")
    try:
        if output.suffix.lower() == ".zip":
            _write_zip(partial, text, members)
            os.replace(partial, output)
            return
        _write_directory(partial, text, members)
        _swap_in(partial, output)
    except OSError as exc:
        raise OperationError(
            f"{output}: cannot write the bundle: {exc.strerror or exc}",
            hint="check the free space and permissions there; nothing was left",
        ) from None
    finally:
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)


def _write_zip(path: Path, text: str, members: Sequence[tuple[str, Path, str]]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        info = _zip_info(_LOCK, zipfile.ZIP_DEFLATED)
        archive.writestr(info, text.encode("utf-8"))
        for name, local, sha256 in members:
            size = local.stat().st_size
            with archive.open(
                _zip_info(name, zipfile.ZIP_STORED), "w", force_zip64=size >= 1 << 31
            ) as out:
                _copy_checked(local, out, sha256, name)
    _fsync(path)


def _zip_info(name: str, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    return info


def _write_directory(root: Path, text: str, members: Sequence[tuple[str, Path, str]]) -> None:
    root.mkdir()
    (root / _LOCK).write_text(text, encoding="utf-8")
    for name, local, sha256 in members:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as out:  # noqa: PTH123
            _copy_checked(local, out, sha256, name)
            out.flush()
            os.fsync(out.fileno())


def _swap_in(partial: Path, output: Path) -> None:
    """Rename the finished directory to ``output``, the earlier bundle there removed after."""
    old = output.with_name(f".{output.name}.old-{os.getpid()}")
    if output.is_dir():
        os.replace(output, old)
    try:
        os.replace(partial, output)
    except OSError:
        if old.is_dir():
            os.replace(old, output)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _copy_checked(local: Path, out: IO[bytes], sha256: str, name: str) -> int:
    """Stream ``local`` into ``out``, hashing it; refuse it when its sha256 is not ``sha256``.

    Raises:
        OperationError: the file changed since it was fetched and checked.
    """
    from envsnap._io import open_regular  # noqa: PLC0415
    from envsnap.bundle.members import CHUNK  # noqa: PLC0415

    digest = hashlib.sha256()
    size = 0
    with open_regular(local) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    if digest.hexdigest() != sha256:
        raise OperationError(
            f"{name}: {local} changed after it was checked (sha256 {digest.hexdigest()}, "
            f"expected {sha256}); the bundle was not written",
            hint="run envsnap bundle again",
        )
    return size


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError), open(path, "rb") as handle:  # noqa: PTH123
        os.fsync(handle.fileno())

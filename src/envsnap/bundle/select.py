"""Which file of each package a bundle holds: the one an installer takes on each target.

A pylock file: PEP 751's ``Pylock.select``, one package at a time (so every
package that lacks a file is named), every extra and dependency group counted.
A requirements file: pip's rule over the files the index lists for each pin.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from envsnap.bundle.members import SDIST_NOTE
from envsnap.errors import InputError, OperationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from packaging.markers import Environment
    from packaging.pylock import Package, Pylock
    from packaging.tags import Tag
    from packaging.utils import NormalizedName

    from envsnap.bundle.targets import BundleTarget
    from envsnap.index.distfile import DistFile, ProjectFiles
    from envsnap.index.http import HttpClient
    from envsnap.index.settings import IndexSettings
    from envsnap.lock import Lock, LockedPackage

__all__ = ["Planned", "for_pylock", "for_requirements", "pick_file", "select_one"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Planned:
    """The files chosen: for each package of the output lock, its entries and files."""

    pylock: Pylock | None
    """The input lock (a pylock file), else ``None``."""
    chosen: dict[int, dict[str, DistFile]]
    """Package number -> entry key (``wheels[0]``, ``sdist``, ``archive``) -> its file."""
    packages: list[Package]
    """The packages of a requirements file, built here (empty for a pylock file)."""
    notes: list[str]
    """What the user should know (packages no target needs, sdists to build)."""


def for_pylock(lock: Lock, base: Path, targets: Sequence[BundleTarget]) -> Planned:
    """Choose, for each target, the file PEP 751 installs of each package of a pylock file.

    Raises:
        InputError: a package from a VCS or directory that a target installs,
            a package that lacks a file for a target, or a file without sha256.
    """
    from packaging.pylock import PylockSelectError  # noqa: PLC0415

    from envsnap.bundle.members import pylock_entries  # noqa: PLC0415

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
        f"{_entry_label(p)} is installed on none of the targets: left out of the bundle"
        for n, p in enumerate(pylock.packages)
        if n not in chosen
    ]
    notes += _sdist_notes(pylock.packages, chosen)
    return Planned(pylock=pylock, chosen=chosen, packages=[], notes=notes)


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


def for_requirements(
    lock: Lock, targets: Sequence[BundleTarget], settings: IndexSettings, http: HttpClient
) -> Planned:
    """Choose, for each target, the file pip installs of each pin of a requirements file.

    Index pins: from the index pip would use (:func:`envsnap.index.repository.source_for`),
    as :func:`pick_file` chooses; direct archive URLs as written.

    Raises:
        InputError: an unpinned, VCS, directory or editable package, or an
            archive URL without a hash.
        OperationError: the index cannot be read, or has no file of a pin for a target.
    """
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
    notes = _sdist_notes(packages, chosen)
    return Planned(pylock=None, chosen=chosen, packages=packages, notes=notes)


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


def _requirements_package(pin: LockedPackage, index: str | None) -> Package:
    """Return a pylock package for a pin (its files are added when the lock is built)."""
    from packaging.pylock import Package, PackageArchive  # noqa: PLC0415

    origin, archive = pin.origin, None
    if origin.kind == "archive":  # its URL and hash are set with its file
        archive = PackageArchive(url=origin.url, hashes={}, subdirectory=origin.subdirectory)
    return Package(
        name=pin.name, version=pin.version, marker=pin.marker, index=index, archive=archive
    )


def _sdist_notes(packages: Sequence[Package], chosen: dict[int, dict[str, DistFile]]) -> list[str]:
    return sorted(
        {
            f"{packages[n].name}: {file.filename} {SDIST_NOTE}"
            for n, by_key in chosen.items()
            for file in by_key.values()
            if not file.is_wheel and file.filename.endswith((".tar.gz", ".zip"))
        }
    )


def select_one(pylock: Pylock, package: Package, target: BundleTarget) -> Any:  # noqa: ANN401
    """Return the entry PEP 751 installs of ``package`` on ``target``, all extras and groups on.

    Returns a wheel, sdist, archive, directory or VCS entry of packaging's pylock,
    or ``None`` when the package's marker leaves it out.

    Raises:
        PylockSelectError: no wheel for the target's tags and no sdist, or the
            package's ``requires-python`` leaves the target out.
    """
    one = dataclasses.replace(pylock, packages=[package], environments=None, requires_python=None)
    groups = [*(pylock.dependency_groups or ()), *(pylock.default_groups or ())]
    for _package, entry in one.select(
        environment=cast("Environment", dict(target.environment)),
        tags=target.tags,
        extras=pylock.extras or (),
        dependency_groups=groups,
    ):
        return entry
    return None


def pick_file(
    found: ProjectFiles, tags: Sequence[Tag], allowed: Sequence[str] = ()
) -> DistFile | None:
    """Return the file pip would install of one pinned version on a target.

    The wheel whose best tag comes first in ``tags``, else the sdist
    (``.tar.gz`` first); yanked files count (a pin names its version, PEP
    592). With ``allowed`` (``sha256:HEX`` of a requirements file), only files
    with one of those hashes are candidates, as in pip's hash-checking mode.
    """
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename  # noqa: PLC0415

    candidates = [f for f in found.files if not allowed or f"sha256:{f.sha256}" in allowed]
    rank = {tag: number for number, tag in enumerate(tags)}
    best: tuple[int, DistFile] | None = None
    for file in candidates:
        if not file.is_wheel:
            continue
        try:
            file_tags = parse_wheel_filename(file.filename)[3]
        except InvalidWheelFilename:
            continue
        place = min((rank[t] for t in file_tags if t in rank), default=None)
        if place is not None and (best is None or place < best[0]):
            best = (place, file)
    if best is not None:
        return best[1]
    sdists = sorted(
        (f for f in candidates if not f.is_wheel),
        key=lambda f: (not f.filename.endswith(".tar.gz"), f.filename),
    )
    return sdists[0] if sdists else None


def _entry_label(package: Package) -> str:
    """``name version (where MARKER)``: which of a name's entries (one per marker) is meant."""
    label = package.name if package.version is None else f"{package.name} {package.version}"
    return label if package.marker is None else f"{label} (where {package.marker})"

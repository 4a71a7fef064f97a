"""Write a snapshot as a pylock.toml (PEP 751), built and validated through :mod:`packaging.pylock`.

Rendered with tomlkit as uv writes it (files as inline tables, one per line); same
snapshot and files, same bytes. ``requires-python`` (``==X.Y.*``) and ``environments``
(implementation, ``sys_platform``, ``platform_machine``) name the environment the closure
was evaluated in, so installers refuse the file elsewhere (PEP 751). An index package has
every wheel of its version and the sdist (URL or path, size, sha256); a PEP 610 direct URL
install an ``archive`` / ``vcs`` / ``directory`` table. ``[tool.envsnap]`` keeps the
Python version, the top-level list, every reason and the top-level extras, so ``check``
and ``tree`` work from the file alone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from envsnap._text import file_url_path
from envsnap.errors import InputError, OperationError
from envsnap.lockfiles.pylock import CREATED_BY, TOOL

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from packaging.pylock import (
        Package,
        PackageArchive,
        PackageDirectory,
        PackageSdist,
        PackageVcs,
        PackageWheel,
        Pylock,
    )
    from packaging.utils import NormalizedName

    from envsnap.environment.distributions import InstalledDistribution
    from envsnap.environment.snapshot import Snapshot
    from envsnap.index.distfile import DistFile, ProjectFiles
    from envsnap.lock import Origin
    from envsnap.lockfiles import DumpOptions

__all__ = ["build", "dump", "file_tables", "render", "validated"]


def dump(snapshot: Snapshot, options: DumpOptions) -> str:
    """Render a snapshot as a validated PEP 751 ``pylock.toml`` text.

    Index packages get their files from ``options.hash_source``
    (:func:`envsnap.index.repository.collect`, in parallel), each with a wheel for the
    snapshot's environment or an sdist; ``options.output_dir`` makes paths relative.

    Raises:
        InputError: ``top_level_only`` was asked for (a lock lists every package).
        OperationError: index packages and no hash source, an unreachable source, a
            package or its file for this environment missing, or an invalid lock.
    """
    from envsnap.environment.target import environment_tags  # noqa: PLC0415
    from envsnap.index.repository import collect  # noqa: PLC0415

    if options.top_level_only:
        raise InputError(
            "--top-level-only does not apply to pylock.toml: a lock file lists every package",
            hint="write requirements.txt for a top-level-only list",
        )
    listed = snapshot.listed(include_tools=options.include_tools, exclude=options.exclude)
    wanted = [(d.name, d.version) for d in listed if d.origin.kind == "index"]
    files: dict[NormalizedName, ProjectFiles] = {}
    if wanted:
        if options.hash_source is None:
            raise OperationError(
                f"pylock.toml needs the file hashes of {len(wanted)} index packages "
                "and no hash source is set",
                hint="name the index you install from with --index-url URL (or PIP_INDEX_URL), "
                "or a wheelhouse with --find-links DIR (pip download -d DIR -r requirements.txt)",
            )
        tags = environment_tags(snapshot.environment)
        files = collect(options.hash_source, wanted, tags=tags)
    return render(build(snapshot, files, options))


def build(
    snapshot: Snapshot, files: Mapping[NormalizedName, ProjectFiles], options: DumpOptions
) -> Pylock:
    """Build and validate the :class:`packaging.pylock.Pylock` of a snapshot.

    ``files`` holds the files of every listed index package
    (:func:`envsnap.index.repository.collect`).

    Raises:
        OperationError: a package has no files, an archive has no hash, or the result
            does not validate (with the validator's key path).
    """
    from packaging.pylock import Pylock  # noqa: PLC0415

    listed = snapshot.listed(include_tools=options.include_tools, exclude=options.exclude)
    names = {d.name for d in listed}
    packages = [_package(snapshot, dist, files, names, options.output_dir) for dist in listed]
    env = snapshot.environment
    top = sorted(d.name for d in listed if snapshot.reasons[d.name].top_level)
    tool: dict[str, Any] = {
        "python-version": env.python_version_text,
        "top-level": top,
        "reasons": {d.name: snapshot.reasons[d.name].describe() for d in listed},
    }
    # the extras a top-level line asks for (``uvicorn[standard]``), as requirements.txt
    extras = {
        d.name: sorted(snapshot.top_level_extras[d.name])
        for d in listed
        if d.name in snapshot.top_level_extras
    }
    if extras:
        tool["extras"] = extras
    from envsnap.environment.base_packages import relied_on  # noqa: PLC0415

    system = relied_on(snapshot, listed)
    if system is not None:  # the venv saw the base site-packages and used these
        tool["system-site-packages"] = system
    lock = Pylock(
        lock_version=Version("1.0"),
        environments=_environments(env.markers),
        requires_python=SpecifierSet(f"=={env.python_version[0]}.{env.python_version[1]}.*"),
        created_by=CREATED_BY,
        packages=packages,
        tool={TOOL: tool},
    )
    return validated(lock)


def validated(lock: Pylock) -> Pylock:
    """Return ``lock`` once ``Pylock.validate`` accepts it, else raise OperationError (key path)."""
    from packaging.pylock import PylockValidationError  # noqa: PLC0415

    try:
        lock.validate()
    except PylockValidationError as exc:
        raise OperationError(
            f"the pylock.toml built for this environment is not valid: {exc}",
            hint="this is a bug in envsnap; please report it with --debug output",
        ) from None
    return lock


def file_tables(
    found: ProjectFiles, output_dir: Path | None
) -> tuple[PackageSdist | None, list[PackageWheel] | None]:
    """Return the ``sdist`` (``.tar.gz`` preferred) and ``wheels`` tables of one version (or None).

    Paths are relative to ``output_dir``, the lock file's directory (PEP 751).
    """
    from packaging.pylock import PackageSdist, PackageWheel  # noqa: PLC0415

    sdist = found.sdist
    wheels = [PackageWheel(**_file_fields(w, output_dir)) for w in found.wheels]
    return (
        PackageSdist(**_file_fields(sdist, output_dir)) if sdist is not None else None,
        wheels or None,
    )


def _environments(markers: Mapping[str, str]) -> list[Marker] | None:
    keys = ("implementation_name", "sys_platform", "platform_machine")
    parts = [f"{key} == {markers[key]!r}" for key in keys if markers.get(key)]
    return [Marker(" and ".join(parts))] if parts else None


def _package(
    snapshot: Snapshot,
    dist: InstalledDistribution,
    files: Mapping[NormalizedName, ProjectFiles],
    names: set[NormalizedName],
    output_dir: Path | None,
) -> Package:
    from packaging.pylock import Package  # noqa: PLC0415

    children = sorted({e.child for e in snapshot.children(dist.name) if e.child in names})
    common: dict[str, Any] = {
        "name": dist.name,
        "requires_python": dist.requires_python,
        "dependencies": [{"name": child} for child in children] or None,
    }
    origin = dist.origin
    match origin.kind:
        case "index":
            found = files.get(dist.name)
            if found is None or not found.files:
                raise OperationError(f"{dist.name}=={dist.version}: no files known for it")
            sdist, wheels = file_tables(found, output_dir)
            return Package(
                **common, version=dist.version, index=found.index, sdist=sdist, wheels=wheels
            )
        case "vcs":
            return Package(**common, version=dist.version, vcs=_vcs(origin))
        case "archive":
            return Package(**common, version=dist.version, archive=_archive(dist, output_dir))
        case "directory":
            return Package(**common, directory=_directory(origin, output_dir))


def _file_fields(file: DistFile, output_dir: Path | None) -> dict[str, Any]:
    """Return the fields a PEP 751 wheel and sdist share: name, upload time, size, hash, place."""
    if file.url is not None:
        place = {"url": file.url}
    else:
        assert file.path is not None  # noqa: S101 - DistFile has a url or a path
        place = {"path": _portable_path(file.path, output_dir)}
    return {
        "name": file.filename,
        "upload_time": file.upload_time,
        "size": file.size,
        "hashes": {"sha256": file.sha256},
        **place,
    }


def _vcs(origin: Origin) -> PackageVcs:
    """Return the ``vcs`` table: the repository and the exact commit installed.

    No ``requested-revision`` (informational, PEP 751): a restore installs the commit and
    pip records that as the requested revision, so a freeze after a restore would differ.
    ``file://localhost/PATH`` (as pip records envsnap's requirements lines) is written
    ``file:///PATH``, as uv records it.
    """
    from packaging.pylock import PackageVcs  # noqa: PLC0415

    url = origin.url
    if url is not None and url.startswith("file://localhost/"):
        url = "file:///" + url.removeprefix("file://localhost/")
    return PackageVcs(
        type=origin.vcs or "git",
        url=url,
        commit_id=origin.commit or "",
        subdirectory=origin.subdirectory,
    )


def _archive(dist: InstalledDistribution, output_dir: Path | None) -> PackageArchive:
    from packaging.pylock import PackageArchive  # noqa: PLC0415

    origin = dist.origin
    url = origin.url or ""
    hashes: dict[str, str] = {}
    if origin.archive_hash:
        algorithm, _, digest = origin.archive_hash.partition("=")
        hashes[algorithm] = digest
    local = file_url_path(url)
    if not hashes and local is not None and local.is_file():
        from envsnap.index.file_cache import hash_file  # noqa: PLC0415

        hashes["sha256"] = hash_file(local)[0]
    if not hashes:
        raise OperationError(
            f"{dist.display_name}: installed from {url} with no recorded hash, "
            "and the file is not on this machine",
            hint="reinstall it from a URL with #sha256=... or from a local file, "
            "or --exclude it from the lock",
        )
    path = _portable_path(local, output_dir) if local is not None else None
    return PackageArchive(
        url=None if path else url, path=path, hashes=hashes, subdirectory=origin.subdirectory
    )


def _directory(origin: Origin, output_dir: Path | None) -> PackageDirectory:
    from packaging.pylock import PackageDirectory  # noqa: PLC0415

    local = file_url_path(origin.url or "")
    path = _portable_path(local, output_dir) if local is not None else origin.url or "."
    return PackageDirectory(
        path=path, editable=True if origin.editable else None, subdirectory=origin.subdirectory
    )


def _portable_path(path: Path, output_dir: Path | None) -> str:
    """Return ``path`` relative to the lock's directory, POSIX (PEP 751), else absolute."""
    if output_dir is None:
        return os.fspath(path)
    try:
        relative = os.path.relpath(path.resolve(), output_dir.resolve())
    except ValueError:
        return os.fspath(path)
    return Path(relative).as_posix()


def render(lock: Pylock) -> str:
    """Render a validated lock as TOML (newline-terminated) as uv lays it out: same lock, same text.

    Files are inline tables, one per line.
    """
    import tomlkit  # noqa: PLC0415

    data = dict(lock.to_dict())
    doc = tomlkit.document()
    if "environments" in data:
        data["environments"] = [_single_quoted(m) for m in data["environments"]]
    for key in (
        "lock-version",
        "environments",
        "requires-python",
        "extras",
        "dependency-groups",
        "default-groups",
        "created-by",
    ):
        if key in data:
            doc[key] = data[key]
    packages = tomlkit.aot()
    for package in data["packages"]:
        table = tomlkit.table()
        for key, value in package.items():
            if key in {"dependencies", "wheels", "attestation-identities"}:
                table[key] = _inline_array(value)
            elif isinstance(value, dict):
                table[key] = _inline(value)
            elif key == "marker":
                table[key] = _single_quoted(value)
            else:
                table[key] = value
        packages.append(table)
    doc["packages"] = packages
    if "tool" in data:
        doc["tool"] = data["tool"]
    return tomlkit.dumps(doc)


def _single_quoted(marker: str) -> str:
    """Write a marker's strings in single quotes (as uv does), so TOML needs no escapes."""
    return marker if "'" in marker else marker.replace('"', "'")


def _inline(value: Mapping[str, Any]) -> Any:  # noqa: ANN401 - a tomlkit item
    import tomlkit  # noqa: PLC0415

    table = tomlkit.inline_table()
    for key, item in value.items():
        table[key] = _inline(item) if isinstance(item, dict) else item
    return table


def _inline_array(values: Sequence[Mapping[str, Any]]) -> Any:  # noqa: ANN401 - a tomlkit item
    import tomlkit  # noqa: PLC0415

    array = tomlkit.array()
    for value in values:
        array.append(_inline(value))
    if len(values) > 1 or any(len(v) > 1 for v in values):
        array.multiline(multiline=True)
    return array

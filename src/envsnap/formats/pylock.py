"""pylock.toml (PEP 751): write a snapshot as a standard lock file, read any valid one.

The writer builds the lock through :mod:`packaging.pylock` (``Pylock``,
``Package``, ``PackageWheel``...), validates it, and renders it with tomlkit in
the style uv writes (files as inline tables, one per line), deterministic:
same snapshot and same files, same bytes.

- ``lock-version = "1.0"``, ``created-by = "envsnap"``;
- ``requires-python`` (``==X.Y.*``) and ``environments`` (one marker naming
  the implementation, ``sys_platform`` and ``platform_machine``) describe the
  environment the snapshot was taken from: the dependency closure was
  evaluated there, so installers refuse the file elsewhere (PEP 751
  ``environments`` semantics);
- ``[[packages]]`` sorted by name: index packages with every wheel of the
  pinned version (all platforms) and the sdist, with URL or path, size and
  sha256, from a :mod:`envsnap.index.repository` source; direct URL installs (PEP 610)
  as ``archive`` / ``vcs`` / ``directory`` tables; ``dependencies`` naming the
  packages each one requires in that environment;
- ``[tool.envsnap]``: ``python-version``, the ``top-level`` list and a reason
  for every package, so ``check`` and ``tree`` work from the file alone.

The reader parses with :mod:`tomllib` (tomlkit on Python 3.10), validates
with ``Pylock.from_dict`` and maps every package to a
:class:`~envsnap.lock.LockedPackage`; it reads files written by pip, uv, PDM
and envsnap alike.
"""

from __future__ import annotations

import os
import re
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from envsnap.errors import InputError, LockFileError, OperationError
from envsnap.lock import Lock, LockedPackage
from envsnap.origin import Origin

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
    from packaging.tags import Tag

    from envsnap.distributions import InstalledDistribution
    from envsnap.formats import DumpOptions
    from envsnap.index.repository import DistFile, ProjectFiles
    from envsnap.snapshot import Snapshot

__all__ = ["CREATED_BY", "SelectedFile", "build", "dump", "load", "render", "select_files"]

CREATED_BY = "envsnap"
"""The ``created-by`` value of the files envsnap writes."""

_TOOL = "envsnap"


def dump(snapshot: Snapshot, options: DumpOptions) -> str:
    """Render a snapshot as a PEP 751 ``pylock.toml``.

    Index packages get their files from ``options.hash_source`` (looked up
    in parallel, see :func:`envsnap.index.repository.collect`), each of which must offer
    a wheel compatible with the snapshot's environment or an sdist.

    Args:
        snapshot: the snapshot to write.
        options: see :class:`envsnap.formats.DumpOptions`; ``output_dir``
            makes wheelhouse and directory paths relative to the lock file.

    Returns:
        The file's text, validated by ``packaging.pylock``.

    Raises:
        InputError: ``top_level_only`` was asked for (a lock lists every package).
        OperationError: no hash source was given although index packages
            need files, the source is unreachable (exit 3, with a hint), a
            package or its file for this environment is missing (naming it),
            or the lock does not validate. Nothing is written then.
    """
    from envsnap.environment import environment_tags  # noqa: PLC0415
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

    Args:
        snapshot: the snapshot.
        files: the files of every listed index package
            (see :func:`envsnap.index.repository.collect`).
        options: the listing options and ``output_dir``.

    Returns:
        The validated lock.

    Raises:
        OperationError: a package has no files, an archive has no hash, or
            the result does not validate (with the validator's key path).
    """
    from packaging.pylock import Pylock, PylockValidationError  # noqa: PLC0415

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
    extras = {
        d.name: sorted(snapshot.extras[d.name]) for d in listed if snapshot.extras.get(d.name)
    }
    if extras:
        tool["extras"] = extras
    lock = Pylock(
        lock_version=Version("1.0"),
        environments=_environments(env.markers),
        requires_python=SpecifierSet(f"=={env.python_version[0]}.{env.python_version[1]}.*"),
        created_by=CREATED_BY,
        packages=packages,
        tool={_TOOL: tool},
    )
    try:
        lock.validate()
    except PylockValidationError as exc:
        raise OperationError(
            f"the pylock.toml built for this environment is not valid: {exc}",
            hint="this is a bug in envsnap; please report it with --debug output",
        ) from None
    return lock


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
            sdist = found.sdist
            return Package(
                **common,
                version=dist.version,
                index=found.index,
                sdist=_sdist(sdist, output_dir) if sdist is not None else None,
                wheels=[_wheel(w, output_dir) for w in found.wheels] or None,
            )
        case "vcs":
            return Package(**common, version=dist.version, vcs=_vcs(origin))
        case "archive":
            return Package(**common, version=dist.version, archive=_archive(dist, output_dir))
        case "directory":
            return Package(**common, directory=_directory(origin, output_dir))


def _file_location(file: DistFile, output_dir: Path | None) -> dict[str, Any]:
    if file.url is not None:
        return {"url": file.url}
    assert file.path is not None  # noqa: S101 - DistFile has a url or a path
    return {"path": _portable_path(file.path, output_dir)}


def _wheel(file: DistFile, output_dir: Path | None) -> PackageWheel:
    from packaging.pylock import PackageWheel  # noqa: PLC0415

    return PackageWheel(
        name=file.filename,
        upload_time=file.upload_time,
        size=file.size,
        hashes={"sha256": file.sha256},
        **_file_location(file, output_dir),
    )


def _sdist(file: DistFile, output_dir: Path | None) -> PackageSdist:
    from packaging.pylock import PackageSdist  # noqa: PLC0415

    return PackageSdist(
        name=file.filename,
        upload_time=file.upload_time,
        size=file.size,
        hashes={"sha256": file.sha256},
        **_file_location(file, output_dir),
    )


def _vcs(origin: Origin) -> PackageVcs:
    from packaging.pylock import PackageVcs  # noqa: PLC0415

    return PackageVcs(
        type=origin.vcs or "git",
        url=origin.url,
        requested_revision=origin.requested_revision,
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
    local = _file_path(url)
    if not hashes and local is not None and local.is_file():
        from envsnap.cache import hash_file  # noqa: PLC0415

        hashes["sha256"] = hash_file(local)[0]
    if not hashes:
        raise OperationError(
            f"{dist.display_name}: installed from {url} with no recorded hash, "
            "and the file is not on this machine",
            hint="reinstall it from a URL with #sha256=... or from a local file, "
            "or --exclude it from the lock",
        )
    if local is not None:
        return PackageArchive(
            path=_portable_path(local, output_dir),
            hashes=hashes,
            subdirectory=origin.subdirectory,
        )
    return PackageArchive(url=url, hashes=hashes, subdirectory=origin.subdirectory)


def _directory(origin: Origin, output_dir: Path | None) -> PackageDirectory:
    from packaging.pylock import PackageDirectory  # noqa: PLC0415

    local = _file_path(origin.url or "")
    path = _portable_path(local, output_dir) if local is not None else origin.url or "."
    return PackageDirectory(
        path=path, editable=True if origin.editable else None, subdirectory=origin.subdirectory
    )


def _file_path(url: str) -> Path | None:
    """Return the local path of a ``file:`` URL, else ``None``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(urllib.request.url2pathname(parts.path))


def _portable_path(path: Path, output_dir: Path | None) -> str:
    """Return ``path`` relative to the lock file's directory (POSIX), else absolute.

    PEP 751 resolves relative paths from the lock file's directory; a path
    on another drive stays absolute.
    """
    if output_dir is None:
        return os.fspath(path)
    try:
        relative = os.path.relpath(path.resolve(), output_dir.resolve())
    except ValueError:
        return os.fspath(path)
    return Path(relative).as_posix()


def render(lock: Pylock) -> str:
    """Render a lock as TOML in uv's layout: files as inline tables, one per line.

    Args:
        lock: a validated lock.

    Returns:
        The text, ending with a newline; same lock, same text.
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


# --------------------------------------------------------------------------- reader


def load(path: Path) -> Lock:
    """Read a ``pylock.toml`` (PEP 751) into the :class:`~envsnap.lock.Lock` model.

    Every package becomes a :class:`~envsnap.lock.LockedPackage`: its origin
    from the ``vcs`` / ``archive`` / ``directory`` table (relative paths
    resolved from the file's directory, as PEP 751 says), ``index``
    otherwise; its hashes (``sha256:HEX``) from every wheel, the sdist and the
    archive; its marker; ``top_level`` and ``reason`` from ``[tool.envsnap]``
    when present. Files written by other tools (pip, uv, PDM) have no
    top-level list: every package is then ``top_level=False``.

    Args:
        path: the file.

    Returns:
        The :class:`~envsnap.lock.Lock` (format ``pylock``, ``complete``: a
        lock pins the whole closure), packages sorted by name then version.

    Raises:
        LockFileError: unreadable file, invalid TOML (with line and column),
            or not a valid PEP 751 lock (the validator's message and key path,
            e.g. ``packages[3].wheels[0]``).
    """
    text, pylock = _read(path)
    return _lock_from(path, pylock, package_lines(text))


_NAME_KEY = re.compile(r"""^\s*name\s*=\s*["']([^"']+)["']""")


def package_lines(text: str) -> dict[NormalizedName, int]:
    """Find the line of each package's ``name = "..."`` key in a pylock file's text.

    That is where a review annotation about the package should land (TOML
    parsers give no positions). Only the first ``[[packages]]`` table of a
    name counts (several versions of one name under different markers share
    its line).

    Args:
        text: the file's text.

    Returns:
        ``{normalized name: 1-based line}``.
    """
    lines: dict[NormalizedName, int] = {}
    in_package = False
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("["):
            in_package = stripped == "[[packages]]"
            continue
        if in_package and (found := _NAME_KEY.match(raw)):
            lines.setdefault(canonicalize_name(found[1]), number)
            in_package = False
    return lines


def read_pylock(path: Path) -> Pylock:
    """Parse and validate a pylock file.

    Args:
        path: the file.

    Returns:
        The validated :class:`packaging.pylock.Pylock`.

    Raises:
        LockFileError: see :func:`load`.
    """
    return _read(path)[1]


def _read(path: Path) -> tuple[str, Pylock]:
    """Return the file's text and its validated :class:`Pylock` (errors as in :func:`load`)."""
    from packaging.pylock import Pylock, PylockValidationError  # noqa: PLC0415

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise LockFileError(f"{path}: cannot read: {detail or exc}") from None
    data = _parse_toml(path, text)
    try:
        return text, Pylock.from_dict(data)
    except PylockValidationError as exc:
        where = f" (at {exc.context})" if exc.context else ""
        raise LockFileError(
            f"{path}: not a valid pylock file (PEP 751): {exc.message}{where}",
            hint="fix or regenerate it (envsnap freeze -o pylock.toml, pip lock, uv pip compile)",
        ) from None


def _parse_toml(path: Path, text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LockFileError(f"{path}: invalid TOML: {exc}") from None
    import tomlkit  # noqa: PLC0415
    from tomlkit.exceptions import ParseError  # noqa: PLC0415

    try:
        unwrapped: dict[str, Any] = tomlkit.parse(text).unwrap()
    except ParseError as exc:
        raise LockFileError(f"{path}: invalid TOML: {exc}") from None
    return unwrapped


def _lock_from(path: Path, pylock: Pylock, lines: Mapping[NormalizedName, int]) -> Lock:
    tool = _tool_table(pylock)
    top_level = {canonicalize_name(str(n)) for n in tool.get("top-level", []) if isinstance(n, str)}
    reasons_raw = tool.get("reasons", {})
    reasons = reasons_raw if isinstance(reasons_raw, dict) else {}
    extras_raw = tool.get("extras", {})
    extras = extras_raw if isinstance(extras_raw, dict) else {}
    base = path.parent.resolve()
    packages = []
    for package in pylock.packages:
        reason = reasons.get(package.name)
        package_extras = extras.get(package.name, [])
        packages.append(
            LockedPackage(
                name=package.name,
                display_name=package.name,
                version=package.version,
                origin=_origin(package, base),
                hashes=_hashes(package),
                marker=package.marker,
                extras=tuple(
                    sorted(canonicalize_name(x) for x in package_extras if isinstance(x, str))
                )
                if isinstance(package_extras, list)
                else (),
                top_level=package.name in top_level,
                reason=reason if isinstance(reason, str) else None,
                line=lines.get(package.name),
            )
        )
    packages.sort(key=lambda p: (p.name, p.version or Version("0")))
    python_version = tool.get("python-version")
    return Lock(
        path=path,
        format="pylock",
        packages=tuple(packages),
        python_version=python_version if isinstance(python_version, str) else None,
        written_by_envsnap=pylock.created_by == CREATED_BY,
        complete=True,
    )


def _tool_table(pylock: Pylock) -> Mapping[str, Any]:
    tool = (pylock.tool or {}).get(_TOOL)
    return tool if isinstance(tool, dict) else {}


def _origin(package: Package, base: Path) -> Origin:
    if package.vcs is not None:
        vcs = package.vcs
        return Origin(
            kind="vcs",
            url=vcs.url or _location_url(vcs.path or "", base),
            vcs=vcs.type,
            commit=vcs.commit_id,
            requested_revision=vcs.requested_revision,
            subdirectory=vcs.subdirectory,
        )
    if package.archive is not None:
        archive = package.archive
        algorithm = "sha256" if "sha256" in archive.hashes else sorted(archive.hashes)[0]
        return Origin(
            kind="archive",
            url=_location_url(archive.path, base) if archive.path else archive.url,
            archive_hash=f"{algorithm}={archive.hashes[algorithm]}",
            subdirectory=archive.subdirectory,
        )
    if package.directory is not None:
        directory = package.directory
        return Origin(
            kind="directory",
            url=_location_url(directory.path, base),
            editable=bool(directory.editable),
            subdirectory=directory.subdirectory,
        )
    return Origin()


def _location_url(path: str, base: Path) -> str:
    """Return the ``file:`` URL of a lock-relative or absolute path."""
    local = Path(path)
    if not local.is_absolute():
        local = base / local
    return Path(os.path.normpath(local)).as_uri()


def _hashes(package: Package) -> tuple[str, ...]:
    found: set[str] = set()
    entries: list[Mapping[str, str]] = [w.hashes for w in package.wheels or ()]
    if package.sdist is not None:
        entries.append(package.sdist.hashes)
    if package.archive is not None:
        entries.append(package.archive.hashes)
    for hashes in entries:
        found.update(f"{algorithm}:{digest}" for algorithm, digest in hashes.items())
    return tuple(sorted(found))


# --------------------------------------------------------------------------- selection


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectedFile:
    """What to install for one package of a lock, for one environment."""

    name: NormalizedName
    """The package's normalized name."""
    version: Version | None
    """The locked version (``None`` for a directory)."""
    kind: str
    """``wheel``, ``sdist``, ``archive``, ``vcs`` or ``directory``."""
    url: str
    """Where to get it: an ``http(s):`` or ``file:`` URL (lock-relative paths
    resolved), or for ``vcs`` the repository URL."""
    hashes: Mapping[str, str]
    """``{algorithm: hexdigest}`` to verify before installing (empty for vcs/directory)."""
    filename: str | None = None
    """The file name of a wheel/sdist/archive, when known."""
    size: int | None = None
    """Bytes, when recorded."""
    editable: bool = False
    """A ``directory`` to install in editable mode."""
    commit: str | None = None
    """The commit of a ``vcs`` entry."""
    subdirectory: str | None = None
    """The project's subdirectory inside an archive, repository or directory."""


def select_files(
    lock_path: Path,
    markers: Mapping[str, str],
    tags: Sequence[Tag],
    *,
    extras: Sequence[str] = (),
    groups: Sequence[str] | None = None,
) -> list[SelectedFile]:
    """Select what to install from a pylock file for one environment (PEP 751).

    Follows the PEP's installation steps through ``Pylock.select``: the
    file's ``requires-python`` and ``environments`` must match, package
    markers are evaluated with ``extras`` and ``dependency_groups``, and for
    each package the best wheel for ``tags`` is taken, else the sdist.

    Args:
        lock_path: the pylock file.
        markers: the PEP 508 marker environment of the interpreter that will
            install (e.g. :attr:`envsnap.environment.TargetEnvironment.markers`).
        tags: its supported tags, most preferred first.
        extras: extras of the lock to install.
        groups: dependency groups to install (``None``: the lock's defaults).

    Returns:
        One :class:`SelectedFile` per package, sorted by name.

    Raises:
        LockFileError: the file is unreadable or invalid.
        InputError: the lock does not apply to this environment (Python
            version, environments, no wheel for these tags and no sdist).
    """
    from packaging.pylock import (  # noqa: PLC0415
        PackageArchive,
        PackageDirectory,
        PackageSdist,
        PackageVcs,
        PackageWheel,
        PylockSelectError,
    )

    pylock = read_pylock(lock_path)
    base = lock_path.parent.resolve()
    environment: Any = dict(markers)
    selected: list[SelectedFile] = []
    try:
        for package, entry in pylock.select(
            environment=environment, tags=tags, extras=extras, dependency_groups=groups
        ):
            common: dict[str, Any] = {"name": package.name, "version": package.version}
            match entry:
                case PackageWheel() | PackageSdist():
                    url = _location_url(entry.path, base) if entry.path else entry.url or ""
                    selected.append(
                        SelectedFile(
                            **common,
                            kind="wheel" if isinstance(entry, PackageWheel) else "sdist",
                            url=url,
                            hashes=dict(entry.hashes),
                            filename=entry.filename,
                            size=entry.size,
                        )
                    )
                case PackageArchive():
                    url = _location_url(entry.path, base) if entry.path else entry.url or ""
                    selected.append(
                        SelectedFile(
                            **common,
                            kind="archive",
                            url=url,
                            hashes=dict(entry.hashes),
                            filename=urllib.parse.unquote(url.rsplit("/", 1)[-1]) or None,
                            size=entry.size,
                            subdirectory=entry.subdirectory,
                        )
                    )
                case PackageVcs():
                    selected.append(
                        SelectedFile(
                            **common,
                            kind="vcs",
                            url=entry.url or _location_url(entry.path or "", base),
                            hashes={},
                            commit=entry.commit_id,
                            subdirectory=entry.subdirectory,
                        )
                    )
                case PackageDirectory():
                    selected.append(
                        SelectedFile(
                            **common,
                            kind="directory",
                            url=_location_url(entry.path, base),
                            hashes={},
                            editable=bool(entry.editable),
                            subdirectory=entry.subdirectory,
                        )
                    )
    except PylockSelectError as exc:
        raise InputError(
            f"{lock_path}: does not apply to this environment: {exc}",
            hint="freeze the lock on a matching platform and Python, or use another lock file",
        ) from None
    return sorted(selected, key=lambda s: s.name)

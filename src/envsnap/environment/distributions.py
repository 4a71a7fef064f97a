"""Read the installed distributions of site-packages directories, from the files alone.

``*.dist-info`` (PEP 376/627, PEP 610 ``direct_url.json``), ``*.egg-info`` (a directory or
a file), ``*.egg-link`` develop installs and setuptools' ``__editable__`` files (PEP 660).
A broken distribution becomes a :class:`MetadataWarning`. ``Requires-Dist`` lines stay
text until needed: three in four are for an extra never asked for (docs/performance.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidName, NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from envsnap._io import SMALL_FILE_LIMIT, read_limited
from envsnap.environment.metadata import (
    INDEX_ORIGIN,
    MetadataWarning,
    editable_pth_roots,
    egg_requires,
    first_line,
    read_direct_url,
    read_metadata,
)
from envsnap.environment.requirements import (
    normalize_extras,
    parse_requirement,
    parse_specifier,
    requirement_problem,
)
from envsnap.lock import Origin

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from packaging.requirements import Requirement

    from envsnap.index.distfile import ProjectFiles

__all__ = ["InstalledDistribution", "read_distributions", "read_provenance"]

REQUESTED_WITHOUT_SIGNAL = frozenset({"uv"})
"""Installers (``INSTALLER``, PEP 376) that write ``REQUESTED`` into every
distribution they install, named or not: the file alone is then no signal."""

REQUESTED_MARK = "envsnap"
"""The first line of the ``REQUESTED`` files a restore writes for the lock's
top-level packages (PEP 376 leaves the content free), so that they count
whatever ``INSTALLER`` says (:data:`REQUESTED_WITHOUT_SIGNAL`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledDistribution:
    """One installed distribution, as its metadata directory describes it."""

    name: NormalizedName
    """The PEP 503 normalized name, e.g. ``typing-extensions``."""
    display_name: str
    """The name as the distribution spells it (``Name:`` of its metadata)."""
    version: Version
    """The installed version."""
    requires_dist: tuple[str, ...] = ()
    """``Requires-Dist`` values as written (PEP 508 text); :attr:`requires` holds them parsed."""
    provides_extras: tuple[NormalizedName, ...] = ()
    """``Provides-Extra``, normalized (PEP 685)."""
    requires_python: SpecifierSet | None = None
    """``Requires-Python``, when given and valid."""
    origin: Origin = Origin()
    """Index, or the PEP 610 direct URL it was installed from."""
    installer: str | None = None
    """First line of ``INSTALLER`` (PEP 376), e.g. ``pip`` or ``uv``."""
    requested: bool = False
    """A ``REQUESTED`` file exists (PEP 376): the user asked for it by name."""
    marked: bool = False
    """The ``REQUESTED`` file is a restore's (:data:`REQUESTED_MARK`): the lock's top-level."""
    location: Path
    """The ``*.dist-info`` / ``*.egg-info`` path."""
    metadata_format: Literal["dist-info", "egg-info"] = "dist-info"
    """Which kind of metadata directory was read."""
    in_base: bool = False
    """Found in the base installation's site-packages, not the venv's own."""
    _requires: tuple[Requirement, ...] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def requires(self) -> tuple[Requirement, ...]:
        """``Requires-Dist`` parsed on first use (PEP 508), lines that do not parse left out."""
        if self._requires is None:
            parsed = (parse_requirement(line)[0] for line in self.requires_dist)
            found = tuple(r for r in parsed if not isinstance(r, str))
            object.__setattr__(self, "_requires", found)  # a cache: the value is fixed
            return found
        return self._requires


def read_distributions(
    site_dirs: Sequence[Path],
    base_dirs: Sequence[Path] = (),
    *,
    parse_requires: bool = True,
) -> tuple[list[InstalledDistribution], list[MetadataWarning]]:
    """Read every distribution installed in ``site_dirs`` (and ``base_dirs``).

    Args:
        site_dirs: the environment's own site-packages directories, in order.
        base_dirs: the base installation's, read too (``in_base=True``); a name in
            ``site_dirs`` hides the same name here, as on ``sys.path``.
        parse_requires: parse and warn about every ``Requires-Dist`` line now; ``False``
            leaves that to the :class:`~envsnap.environment.graph.DependencyGraph`.

    Returns:
        ``(distributions, warnings)``: distributions sorted by normalized name; a warning
        per broken distribution, bad line, or name installed twice (the first one kept).
    """
    found: dict[NormalizedName, InstalledDistribution] = {}
    warnings: list[MetadataWarning] = []
    for in_base, dirs in ((False, site_dirs), (True, base_dirs)):
        for site_dir in dirs:
            for dist in _read_dir(site_dir, warnings, in_base=in_base):
                if parse_requires:
                    problems = map(requirement_problem, dist.requires_dist)
                    warnings += [MetadataWarning(dist.location, p) for p in problems if p]
                first = found.get(dist.name)
                if first is None:
                    found[dist.name] = dist
                elif not (in_base and not first.in_base):
                    message = (
                        f"{dist.display_name} is installed twice: also at {first.location}; "
                        "using the first one"
                    )
                    warnings.append(MetadataWarning(dist.location, message))
    return [found[name] for name in sorted(found)], warnings


def _read_dir(
    site_dir: Path, warnings: list[MetadataWarning], *, in_base: bool
) -> Iterator[InstalledDistribution]:
    try:
        entries = sorted(os.scandir(site_dir), key=lambda e: e.name)
    except OSError as exc:
        warnings.append(MetadataWarning(site_dir, f"cannot list directory: {exc.strerror}"))
        return
    editable_roots = editable_pth_roots(site_dir, entries)
    for entry in entries:
        name = entry.name
        if name.endswith(".dist-info"):
            dist = _read_dist_info(entry.path, warnings, editable_roots, in_base=in_base)
        elif name.endswith(".egg-info"):
            dist = _read_egg_info(Path(entry.path), warnings, INDEX_ORIGIN, in_base=in_base)
        elif name.endswith(".egg-link"):
            dist = _read_egg_link(Path(entry.path), warnings, in_base=in_base)
        else:
            continue
        if dist is not None:
            yield dist


def _read_dist_info(
    path: str,
    warnings: list[MetadataWarning],
    editable_roots: dict[str, str],
    *,
    in_base: bool,
) -> InstalledDistribution | None:
    # plain strings and os calls here: pathlib costs more than the reads (460 dists, 2,000 calls)
    headers = read_metadata(path + _SEP + "METADATA", warnings)
    if headers is None:
        return None
    origin = read_direct_url(path + _SEP + "direct_url.json", warnings)
    if origin is None:
        origin = INDEX_ORIGIN
        if editable_roots:
            stem = path.rpartition(_SEP)[2][: -len(".dist-info")].partition("-")[0]
            root = editable_roots.get(canonicalize_name(stem))
            if root:
                origin = Origin(kind="directory", url=Path(root).as_uri(), editable=True)
    installer = first_line(path + _SEP + "INSTALLER")
    requested = os.path.exists(path + _SEP + "REQUESTED")  # noqa: PTH110 - a str path
    return _build(
        Path(path),
        headers,
        warnings,
        origin=origin,
        installer=installer,
        requested=requested,
        # read only where the file alone says nothing: an installer that marks everything
        marked=requested
        and (installer or "").lower() in REQUESTED_WITHOUT_SIGNAL
        and first_line(path + _SEP + "REQUESTED") == REQUESTED_MARK,
        metadata_format="dist-info",
        in_base=in_base,
    )


_SEP = os.sep


def _read_egg_info(
    path: Path, warnings: list[MetadataWarning], origin: Origin, *, in_base: bool
) -> InstalledDistribution | None:
    pkg_info = path / "PKG-INFO" if path.is_dir() else path
    headers = read_metadata(pkg_info, warnings)
    if headers is None:
        return None
    if path.is_dir() and "requires-dist" not in headers:
        headers["requires-dist"] = list(egg_requires(path / "requires.txt", warnings))
    return _build(
        path,
        headers,
        warnings,
        origin=origin,
        installer=first_line(path / "INSTALLER") if path.is_dir() else None,
        requested=path.is_dir() and (path / "REQUESTED").exists(),
        metadata_format="egg-info",
        in_base=in_base,
    )


def _read_egg_link(
    path: Path, warnings: list[MetadataWarning], *, in_base: bool
) -> InstalledDistribution | None:
    """Follow a legacy ``setup.py develop`` link to the project's egg-info."""
    target = first_line(path)
    if not target:
        warnings.append(MetadataWarning(path, "empty .egg-link file"))
        return None
    project = (path.parent / target).resolve()
    want = canonicalize_name(path.name[: -len(".egg-link")])
    try:
        candidates = sorted(project.glob("*.egg-info"))
    except OSError:
        candidates = []
    for egg_info in candidates:
        if canonicalize_name(egg_info.name[: -len(".egg-info")].partition("-")[0]) == want:
            origin = Origin(kind="directory", url=project.as_uri(), editable=True)
            return _read_egg_info(egg_info, warnings, origin, in_base=in_base)
    warnings.append(MetadataWarning(path, f"points to {project}, which has no *.egg-info"))
    return None


def _build(
    path: Path,
    headers: dict[str, list[str]],
    warnings: list[MetadataWarning],
    *,
    origin: Origin,
    installer: str | None,
    requested: bool,
    marked: bool = False,
    metadata_format: Literal["dist-info", "egg-info"],
    in_base: bool,
) -> InstalledDistribution | None:
    names, versions = headers.get("name"), headers.get("version")
    if not names or not versions:
        missing = "Name" if not names else "Version"
        warnings.append(MetadataWarning(path, f"metadata has no {missing}: skipped"))
        return None
    try:
        name = canonicalize_name(names[0], validate=True)
    except InvalidName:
        warnings.append(MetadataWarning(path, f"invalid name {names[0]!r} (PEP 508): skipped"))
        return None
    try:
        version = Version(versions[0])
    except InvalidVersion:
        warnings.append(MetadataWarning(path, f"invalid version {versions[0]!r}: skipped"))
        return None
    requires_python: SpecifierSet | None = None
    if rp := headers.get("requires-python"):
        try:
            requires_python = parse_specifier(rp[0])
        except InvalidSpecifier:
            warnings.append(MetadataWarning(path, f"invalid Requires-Python {rp[0]!r}: ignored"))
    if origin.editable and origin.kind == "directory":
        from envsnap.environment.checkouts import pip_checkout  # noqa: PLC0415 - rare

        checkout = pip_checkout(origin)
        if checkout is not None:
            origin = checkout[0]
            warnings.append(MetadataWarning(path, checkout[1]))
    extras = headers.get("provides-extra")
    return InstalledDistribution(
        name=name,
        display_name=names[0],
        version=version,
        requires_dist=tuple(headers.get("requires-dist", ())),
        provides_extras=normalize_extras(tuple(extras)) if extras else (),
        requires_python=requires_python,
        origin=origin,
        installer=installer,
        requested=requested,
        marked=marked,
        location=path,
        metadata_format=metadata_format,
        in_base=in_base,
    )


def read_provenance(dist: InstalledDistribution) -> ProjectFiles | None:
    """Return the file ``dist`` was installed from, as its ``provenance_url.json`` records it.

    PEP 710 (draft): ``url``, ``index_url`` and ``archive_info.hashes``, written by a
    restore (:func:`envsnap.install.dist_info.record_provenance`).

    Returns:
        The one file (with its sha256) as :class:`~envsnap.index.distfile.ProjectFiles`,
        ``index`` set; ``None`` when the file is missing, malformed, holds a control
        character, has no sha256, or names another distribution or version.
    """
    import urllib.parse  # noqa: PLC0415

    from envsnap._io import load_json  # noqa: PLC0415
    from envsnap._text import first_control, strip_credentials  # noqa: PLC0415
    from envsnap.index.distfile import DistFile, ProjectFiles  # noqa: PLC0415
    from envsnap.index.wheelhouse import parse_filename  # noqa: PLC0415

    try:
        data = load_json(read_limited(dist.location / "provenance_url.json", SMALL_FILE_LIMIT))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    url, index, archive = data.get("url"), data.get("index_url"), data.get("archive_info")
    hashes = archive.get("hashes") if isinstance(archive, dict) else None
    if not (isinstance(url, str) and isinstance(index, str) and isinstance(hashes, dict)):
        return None
    values = [url, index, *hashes, *hashes.values()]
    if not all(isinstance(v, str) and first_control(v) is None for v in values):
        return None
    filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rpartition("/")[2])
    if parse_filename(filename) != (dist.name, dist.version) or "sha256" not in hashes:
        return None
    file = DistFile(filename=filename, hashes=hashes, url=strip_credentials(url)[0])
    return ProjectFiles(
        name=dist.name, version=dist.version, files=(file,), index=strip_credentials(index)[0]
    )

"""Read the installed distributions of a set of site-packages directories.

Everything is read with the host's Python from the files on disk; no code of
the target environment is imported. Formats:

- ``*.dist-info`` (PEP 376/627 directories): ``METADATA`` (core metadata),
  ``REQUESTED``, ``INSTALLER`` and ``direct_url.json`` (PEP 610);
- ``*.egg-info`` (setuptools): ``PKG-INFO`` plus ``requires.txt``, as a
  directory or a single file;
- legacy develop installs: ``*.egg-link`` files pointing at a project whose
  ``*.egg-info`` lives in its source tree, and ``__editable__`` ``.pth``
  files of setuptools' editable installs (PEP 660).

Broken distributions do not stop the read: each becomes a
:class:`MetadataWarning` naming its path.

Why one module of this size: reading ``*.dist-info`` and ``*.egg-info`` (METADATA,
requires.txt, direct_url.json, REQUESTED, INSTALLER) with bounded reads and a warning
per bad file is one concern.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidName, NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from envsnap._io import (
    METADATA_LIMIT,
    SMALL_FILE_LIMIT,
    FileTooLargeError,
    open_regular,
    read_limited,
)
from envsnap._urls import redact_urls, strip_credentials
from envsnap.origin import Origin

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from envsnap.distfile import ProjectFiles

__all__ = ["InstalledDistribution", "MetadataWarning", "read_distributions", "read_provenance"]

_HEADER_CHUNK = 16384


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
    requires: tuple[Requirement, ...] = ()
    """``Requires-Dist`` (PEP 508), lines that did not parse left out."""
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
    """The ``REQUESTED`` file is envsnap's (its first line is :data:`REQUESTED_MARK`):
    a restore made it say the lock's top-level list, whatever installer wrote it."""
    location: Path
    """The ``*.dist-info`` / ``*.egg-info`` path."""
    metadata_format: Literal["dist-info", "egg-info"] = "dist-info"
    """Which kind of metadata directory was read."""
    in_base: bool = False
    """Found in the base installation's site-packages, not the venv's own."""


@dataclass(frozen=True, slots=True)
class MetadataWarning:
    """A problem with one distribution's metadata; the snapshot goes on."""

    path: Path
    """The file or directory at fault."""
    message: str
    """What is wrong, in one line."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def read_distributions(
    site_dirs: Sequence[Path], base_dirs: Sequence[Path] = ()
) -> tuple[list[InstalledDistribution], list[MetadataWarning]]:
    """Read every distribution installed in ``site_dirs`` (and ``base_dirs``).

    Args:
        site_dirs: the environment's own site-packages directories, in order.
        base_dirs: base-installation directories to read too (their
            distributions get ``in_base=True``); a name found in ``site_dirs``
            hides the same name here, as it does on ``sys.path``.

    Returns:
        ``(distributions, warnings)``: distributions sorted by normalized
        name; one warning for each broken distribution, unparsable line, or
        name installed twice (naming both paths; the first one found is kept).
    """
    found: dict[NormalizedName, InstalledDistribution] = {}
    warnings: list[MetadataWarning] = []
    for in_base, dirs in ((False, site_dirs), (True, base_dirs)):
        for site_dir in dirs:
            for dist in _read_dir(site_dir, warnings, in_base=in_base):
                first = found.get(dist.name)
                if first is None:
                    found[dist.name] = dist
                elif not (in_base and not first.in_base):
                    warnings.append(
                        MetadataWarning(
                            dist.location,
                            f"{dist.display_name} is installed twice: also at "
                            f"{first.location}; using the first one",
                        )
                    )
    return [found[name] for name in sorted(found)], warnings


def _read_dir(
    site_dir: Path, warnings: list[MetadataWarning], *, in_base: bool
) -> Iterator[InstalledDistribution]:
    try:
        entries = sorted(os.scandir(site_dir), key=lambda e: e.name)
    except OSError as exc:
        warnings.append(MetadataWarning(site_dir, f"cannot list directory: {exc.strerror}"))
        return
    editable_roots = _editable_pth_roots(site_dir, entries)
    for entry in entries:
        name = entry.name
        path = Path(entry.path)
        if name.endswith(".dist-info"):
            dist = _read_dist_info(path, warnings, editable_roots, in_base=in_base)
        elif name.endswith(".egg-info"):
            dist = _read_egg_info(path, warnings, Origin(), in_base=in_base)
        elif name.endswith(".egg-link"):
            dist = _read_egg_link(path, warnings, in_base=in_base)
        else:
            continue
        if dist is not None:
            yield dist


def _read_dist_info(
    path: Path,
    warnings: list[MetadataWarning],
    editable_roots: dict[str, str],
    *,
    in_base: bool,
) -> InstalledDistribution | None:
    headers = _read_metadata(path / "METADATA", warnings)
    if headers is None:
        return None
    origin = _read_direct_url(path / "direct_url.json", warnings)
    if origin is None:
        stem = path.name[: -len(".dist-info")].partition("-")[0]
        root = editable_roots.get(canonicalize_name(stem))
        origin = (
            Origin(kind="directory", url=Path(root).as_uri(), editable=True) if root else Origin()
        )
    installer = _first_line(path / "INSTALLER")
    requested = (path / "REQUESTED").exists()
    return _build(
        path,
        headers,
        warnings,
        origin=origin,
        installer=installer,
        requested=requested,
        # read only where the file alone says nothing: an installer that marks everything
        marked=requested
        and (installer or "").lower() in REQUESTED_WITHOUT_SIGNAL
        and _first_line(path / "REQUESTED") == REQUESTED_MARK,
        metadata_format="dist-info",
        in_base=in_base,
    )


def _read_egg_info(
    path: Path, warnings: list[MetadataWarning], origin: Origin, *, in_base: bool
) -> InstalledDistribution | None:
    pkg_info = path / "PKG-INFO" if path.is_dir() else path
    headers = _read_metadata(pkg_info, warnings)
    if headers is None:
        return None
    if path.is_dir() and "requires-dist" not in headers:
        headers["requires-dist"] = list(_egg_requires(path / "requires.txt", warnings))
    return _build(
        path,
        headers,
        warnings,
        origin=origin,
        installer=_first_line(path / "INSTALLER") if path.is_dir() else None,
        requested=path.is_dir() and (path / "REQUESTED").exists(),
        metadata_format="egg-info",
        in_base=in_base,
    )


def _read_egg_link(
    path: Path, warnings: list[MetadataWarning], *, in_base: bool
) -> InstalledDistribution | None:
    """Follow a legacy ``setup.py develop`` link to the project's egg-info."""
    target = _first_line(path)
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
    names = headers.get("name")
    versions = headers.get("version")
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
            requires_python = SpecifierSet(rp[0])
        except InvalidSpecifier:
            warnings.append(MetadataWarning(path, f"invalid Requires-Python {rp[0]!r}: ignored"))
    return InstalledDistribution(
        name=name,
        display_name=names[0],
        version=version,
        requires=tuple(_requirements(path, headers.get("requires-dist", ()), warnings)),
        provides_extras=tuple(
            sorted({canonicalize_name(e) for e in headers.get("provides-extra", ())})
        ),
        requires_python=requires_python,
        origin=origin,
        installer=installer,
        requested=requested,
        marked=marked,
        location=path,
        metadata_format=metadata_format,
        in_base=in_base,
    )


_REQUIREMENT_CACHE: dict[str, tuple[Requirement | str, bool]] = {}
"""``Requires-Dist`` line -> (parsed requirement or error text, credentials stripped)."""


_SIMPLE_REQUIREMENT = re.compile(
    r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*"
    r"(?:\[(?P<extras>[^\]]*)\])?\s*"
    r"(?:\((?P<paren>[^;@\[\]()]*)\)|(?P<spec>[^;@\[\]()]*?))\s*(?:;(?P<marker>[^@]*))?"
)
_EXTRA_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*")
_SPECIFIERS: dict[str, SpecifierSet] = {}
_MARKERS: dict[str, Marker] = {}


def _parse_simple(line: str) -> Requirement | None:
    """Parse the common ``name[extras] specifiers ; marker`` form, or return ``None``.

    About ten times faster than :class:`Requirement` on metadata-sized input
    (specifiers and markers are parsed once per distinct text, by packaging
    itself, and shared). Anything else (a URL, parenthesised specifiers, any
    text this or packaging finds invalid) returns ``None`` and goes through
    :class:`Requirement`, so odd forms and errors behave exactly as there.
    """
    match = _SIMPLE_REQUIREMENT.fullmatch(line)
    if match is None:
        return None
    extras: set[str] = set()
    if match["extras"] and match["extras"].strip():
        for part in match["extras"].split(","):
            extra = _EXTRA_NAME.fullmatch(part)
            if extra is None:
                return None
            extras.add(extra[1])
    spec_text = match["spec"] if match["paren"] is None else match["paren"].strip()
    if spec_text and not all(part.strip() for part in spec_text.split(",")):
        return None
    marker_text = match["marker"]
    try:
        specifier = _SPECIFIERS.get(spec_text)
        if specifier is None:
            specifier = _SPECIFIERS[spec_text] = SpecifierSet(spec_text)
        marker = None
        if marker_text is not None:
            marker = _MARKERS.get(marker_text)
            if marker is None:
                marker = _MARKERS[marker_text] = Marker(marker_text)
    except (InvalidSpecifier, InvalidMarker):
        return None
    requirement = Requirement.__new__(Requirement)
    requirement.name = match["name"]
    requirement.url = None
    requirement.extras = extras
    requirement.specifier = specifier
    requirement.marker = marker
    return requirement


def _parse_requirement(line: str) -> tuple[Requirement | str, bool]:
    """Parse one ``Requires-Dist`` value; strip credentials from its URL (``name @ url``)."""
    if (simple := _parse_simple(line)) is not None:
        return simple, False
    try:
        parsed = Requirement(line)
    except InvalidRequirement as exc:
        return redact_urls(str(exc).splitlines()[0]), False
    if parsed.url is None:
        return parsed, False
    url, stripped = strip_credentials(parsed.url)
    parsed.url = url
    return parsed, stripped


def _requirements(
    path: Path, lines: Iterable[str], warnings: list[MetadataWarning]
) -> Iterator[Requirement]:
    """Parse ``Requires-Dist`` lines (PEP 508), warning about the bad ones.

    A line packaging rejects (e.g. ``scikit-learn (>=1.0.*)``, which old
    setuptools wrote) is skipped with a warning, as pip skips it with a
    deprecation warning; credentials in a ``name @ url`` line are removed.
    Parsed lines are cached: the same line in many distributions is parsed once
    and yields the same :class:`Requirement` object.
    """
    for line in lines:
        cached = _REQUIREMENT_CACHE.get(line)
        if cached is None:
            cached = _REQUIREMENT_CACHE[line] = _parse_requirement(line)
        parsed, stripped = cached
        if isinstance(parsed, str):
            warnings.append(
                MetadataWarning(
                    path, f"invalid Requires-Dist {redact_urls(line)!r} skipped: {parsed}"
                )
            )
            continue
        if stripped:
            warnings.append(
                MetadataWarning(path, f"credentials removed from the URL of Requires-Dist {parsed}")
            )
        yield parsed


def _read_metadata(path: Path, warnings: list[MetadataWarning]) -> dict[str, list[str]] | None:
    """Read the header block of a core-metadata file (RFC 822 style).

    Only the headers are read (up to the first blank line); the description
    body is skipped. Keys are lower-cased; values keep their order.
    """
    try:
        raw = _read_header_block(path)
    except FileNotFoundError:
        warnings.append(MetadataWarning(path.parent, f"no {path.name} file: skipped"))
        return None
    except OSError as exc:
        warnings.append(MetadataWarning(path, f"cannot read: {exc.strerror}: skipped"))
        return None
    head = raw.replace(b"\r\n", b"\n")
    del raw  # a header block may be tens of MB: one copy at a time
    end = head.find(b"\n\n")  # mixed line ends (``\n\r\n``) end the block too
    if end >= 0:
        head = head[:end]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        warnings.append(
            MetadataWarning(path, f"not UTF-8 (byte {exc.start}); undecodable bytes replaced")
        )
        text = head.decode("utf-8", "replace")
    headers: dict[str, list[str]] = {}
    key: str | None = None
    for line in text.split("\n"):
        if line[:1] in (" ", "\t") and key is not None:
            headers[key][-1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            key = None
            continue
        key = name.strip().lower()
        headers.setdefault(key, []).append(value.strip())
    return headers


def _read_header_block(path: Path) -> bytes:
    """Return the bytes of a metadata file up to its first blank line (or its end).

    Reads a regular file only (:func:`~envsnap._io.open_regular`: a FIFO or a
    device is refused at once) and at most :data:`~envsnap._io.METADATA_LIMIT`
    bytes of header.

    Raises:
        FileTooLargeError: no blank line within the limit.
        OSError: the file cannot be opened or is not a regular file.
    """
    raw = bytearray()
    with open_regular(path) as handle:
        while more := handle.read(_HEADER_CHUNK):
            searched = max(0, len(raw) - 3)  # search only the new bytes: stays linear
            raw += more
            ends = (raw.find(b"\n\n", searched), raw.find(b"\r\n\r\n", searched))
            if max(ends) >= 0:
                del raw[min(i for i in ends if i >= 0) :]
                break
            if len(raw) > METADATA_LIMIT:
                raise FileTooLargeError(path, METADATA_LIMIT)
    return bytes(raw)


_SECTION = re.compile(r"^\[(?P<extra>[^:\]]*)(?::(?P<marker>.*))?\]$")


def _egg_requires(path: Path, warnings: list[MetadataWarning]) -> Iterator[str]:
    """Turn setuptools' ``requires.txt`` into ``Requires-Dist`` strings."""
    try:
        text = read_limited(path, METADATA_LIMIT).decode("utf-8", "replace")
    except FileNotFoundError:
        return
    except OSError as exc:
        warnings.append(MetadataWarning(path, f"cannot read: {exc.strerror}"))
        return
    condition = ""
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if section := _SECTION.match(line):
            # ``[extra]``, ``[:marker]`` or ``[extra:marker]`` (setuptools' layout)
            parts = []
            if extra := section["extra"].strip():
                parts.append(f'extra == "{extra}"')
            if marker := (section["marker"] or "").strip():
                parts.append(f"({marker})")
            condition = " and ".join(parts)
            continue
        if not condition:
            yield line
            continue
        requirement, _, own_marker = line.partition(";")
        if own_marker.strip():
            yield f"{requirement.strip()} ; ({own_marker.strip()}) and {condition}"
        else:
            yield f"{requirement.strip()} ; {condition}"


def _read_direct_url(path: Path, warnings: list[MetadataWarning]) -> Origin | None:
    """Read ``direct_url.json`` (PEP 610) into an :class:`Origin`, or ``None``."""
    try:
        raw = read_limited(path, SMALL_FILE_LIMIT)
    except FileNotFoundError:
        return None
    except OSError as exc:
        warnings.append(MetadataWarning(path, f"cannot read: {exc.strerror}"))
        return None
    # only here: most installs from an index have no direct_url.json (json: 3-5 ms)
    from packaging.direct_url import DirectUrl, DirectUrlValidationError  # noqa: PLC0415

    from envsnap._compat import load_json  # noqa: PLC0415

    try:
        data = load_json(raw)
        if not isinstance(data, dict):
            raise ValueError(f"a JSON {type(data).__name__}, not an object")
        direct = DirectUrl.from_dict(data)
    except (ValueError, DirectUrlValidationError) as exc:
        warnings.append(MetadataWarning(path, f"invalid direct_url.json ({exc}): ignored"))
        return None
    url, stripped = strip_credentials(direct.url)
    if stripped:
        warnings.append(
            MetadataWarning(path, "credentials removed from the recorded URL; never written out")
        )
    if direct.vcs_info is not None:
        return Origin(
            kind="vcs",
            url=url,
            vcs=direct.vcs_info.vcs,
            commit=direct.vcs_info.commit_id,
            requested_revision=direct.vcs_info.requested_revision,
            subdirectory=direct.subdirectory,
        )
    if direct.archive_info is not None:
        hashes = direct.archive_info.hashes or {}
        algorithm = "sha256" if "sha256" in hashes else next(iter(sorted(hashes)), None)
        return Origin(
            kind="archive",
            url=url,
            archive_hash=f"{algorithm}={hashes[algorithm]}" if algorithm else None,
            subdirectory=direct.subdirectory,
        )
    editable = bool(direct.dir_info and direct.dir_info.editable)
    return Origin(kind="directory", url=url, editable=editable, subdirectory=direct.subdirectory)


def _first_line(path: Path) -> str | None:
    """Return the first line of a small regular file, stripped (``None``: empty or unreadable)."""
    try:
        data = read_limited(path, SMALL_FILE_LIMIT)
    except OSError:
        return None
    return data.decode("utf-8", "replace").partition("\n")[0].strip() or None


_FINDER_MAPPING = re.compile(r"MAPPING\s*(?::[^=]*)?=\s*\{\s*'[^']*'\s*:\s*'(?P<path>[^']*)'")


def _editable_pth_roots(site_dir: Path, entries: Sequence[os.DirEntry[str]]) -> dict[str, str]:
    """Map project names to source dirs from setuptools' ``__editable__`` files.

    A fallback for editable installs with no ``direct_url.json``: the
    ``.pth`` holds a path, or imports a finder module whose ``MAPPING`` names
    the package dirs (the project dir is taken as the mapped dir's parent).
    """
    roots: dict[str, str] = {}
    for entry in entries:
        match = re.fullmatch(r"__editable__\.(?P<name>[^-]+)-.*\.pth", entry.name)
        if not match:
            continue
        name = canonicalize_name(match["name"])
        line = _first_line(Path(entry.path)) or ""
        if line and not line.startswith("import"):
            roots[name] = str(_project_root(Path(line)))
            continue
        finder = site_dir / f"__editable___{match['name']}_{_finder_suffix(entry.name)}finder.py"
        try:
            text = read_limited(finder, SMALL_FILE_LIMIT).decode("utf-8", "replace")
            found = _FINDER_MAPPING.search(text)
        except OSError:
            continue
        if found:
            roots[name] = str(_project_root(Path(found["path"]).parent))
    return roots


_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


def _project_root(path: Path) -> Path:
    """Return the project dir holding ``path`` (``src/`` layouts map one level down).

    Walks up at most three levels to a directory with ``pyproject.toml``,
    ``setup.py`` or ``setup.cfg`` (what ``pip install -e`` needs); without
    one, ``path`` itself.
    """
    for candidate in (path, *list(path.parents)[:3]):
        if any((candidate / marker).is_file() for marker in _PROJECT_FILES):
            return candidate
    return path


def _finder_suffix(pth_name: str) -> str:
    """``__editable__.pkg-1.0.pth`` -> ``1_0_`` (setuptools' finder module naming)."""
    version = pth_name[len("__editable__.") : -len(".pth")].partition("-")[2]
    return re.sub(r"\W", "_", version) + "_" if version else ""


def read_provenance(dist: InstalledDistribution) -> ProjectFiles | None:
    """Return the file ``dist`` was installed from, as its ``provenance_url.json`` records it.

    PEP 710 (draft): ``url`` (the file), ``index_url`` (the index it came
    from) and ``archive_info.hashes``; envsnap restore writes it
    (:func:`envsnap.install.dist_info.record_provenance`). Read only when
    asked (freeze's hash source), never during a snapshot.

    Returns:
        The one file (its name taken from the URL, its sha256) as
        :class:`~envsnap.distfile.ProjectFiles` of the distribution's name and
        version, ``index`` set; ``None`` when there is no such file, or it is
        not a JSON object with those keys, holds a control character, gives no
        sha256, or names a file of another distribution or version.
    """
    import urllib.parse  # noqa: PLC0415

    from envsnap._compat import load_json  # noqa: PLC0415
    from envsnap._text import first_control  # noqa: PLC0415
    from envsnap.distfile import DistFile, ProjectFiles  # noqa: PLC0415
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

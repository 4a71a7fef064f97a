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

``Requires-Dist`` values are kept as text and parsed when something needs them
(:func:`parse_requirement`, cached by text): reading 460 distributions meets
about 4,400 of them, three in four for an extra (``; extra == "test"``) that
the environment never asks for (docs/performance.md).

Why one module of this size: reading ``*.dist-info`` and ``*.egg-info`` (METADATA,
requires.txt, direct_url.json, REQUESTED, INSTALLER) with bounded reads and a warning
per bad file is one concern.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidName, NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from envsnap._io import (
    METADATA_LIMIT,
    SMALL_FILE_LIMIT,
    FileTooLargeError,
    open_regular_fd,
    read_limited,
)
from envsnap.lock import Origin

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from packaging.direct_url import DirectUrl

    from envsnap.index.distfile import ProjectFiles

__all__ = [
    "InstalledDistribution",
    "MetadataWarning",
    "canonical_name",
    "extra_of",
    "parse_requirement",
    "read_distributions",
    "read_provenance",
    "simple_requirement",
]

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
    requires_dist: tuple[str, ...] = ()
    """``Requires-Dist`` values as the metadata writes them (PEP 508 text);
    :attr:`requires` holds them parsed."""
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
    _requires: tuple[Requirement, ...] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def requires(self) -> tuple[Requirement, ...]:
        """``Requires-Dist`` parsed (PEP 508), lines that do not parse left out.

        Parsed on first use (:func:`parse_requirement`); a line that does not
        parse is skipped here without a word: the warning about it comes from
        whoever needs the line (:func:`read_distributions`, the dependency graph).
        """
        if self._requires is None:
            parsed = (parse_requirement(line)[0] for line in self.requires_dist)
            found = tuple(r for r in parsed if not isinstance(r, str))
            object.__setattr__(self, "_requires", found)  # a cache: the value is fixed
            return found
        return self._requires


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
    site_dirs: Sequence[Path],
    base_dirs: Sequence[Path] = (),
    *,
    parse_requires: bool = True,
) -> tuple[list[InstalledDistribution], list[MetadataWarning]]:
    """Read every distribution installed in ``site_dirs`` (and ``base_dirs``).

    Args:
        site_dirs: the environment's own site-packages directories, in order.
        base_dirs: base-installation directories to read too (their
            distributions get ``in_base=True``); a name found in ``site_dirs``
            hides the same name here, as it does on ``sys.path``.
        parse_requires: parse every ``Requires-Dist`` line now and warn about
            the ones that do not parse (each warning right after its
            distribution's others). ``False``: leave them to whoever needs
            them; :class:`~envsnap.environment.graph.DependencyGraph` parses
            and warns about the lines it follows (the ones of an extra only
            when the extra is in effect), which is what a snapshot needs.

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
                if parse_requires:
                    problems = map(requirement_problem, dist.requires_dist)
                    warnings += [MetadataWarning(dist.location, p) for p in problems if p]
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
        if name.endswith(".dist-info"):
            dist = _read_dist_info(entry.path, warnings, editable_roots, in_base=in_base)
        elif name.endswith(".egg-info"):
            dist = _read_egg_info(Path(entry.path), warnings, _INDEX, in_base=in_base)
        elif name.endswith(".egg-link"):
            dist = _read_egg_link(Path(entry.path), warnings, in_base=in_base)
        else:
            continue
        if dist is not None:
            yield dist


_INDEX = Origin()
"""The origin of everything installed by name (no ``direct_url.json``): one shared value."""


def _read_dist_info(
    path: str,
    warnings: list[MetadataWarning],
    editable_roots: dict[str, str],
    *,
    in_base: bool,
) -> InstalledDistribution | None:
    # plain strings and os calls here: pathlib costs more than the reads (460 dists, 2,000 calls)
    headers = _read_metadata(path + _SEP + "METADATA", warnings)
    if headers is None:
        return None
    origin = _read_direct_url(path + _SEP + "direct_url.json", warnings)
    if origin is None:
        origin = _INDEX
        if editable_roots:
            stem = path.rpartition(_SEP)[2][: -len(".dist-info")].partition("-")[0]
            root = editable_roots.get(canonicalize_name(stem))
            if root:
                origin = Origin(kind="directory", url=Path(root).as_uri(), editable=True)
    installer = _first_line(path + _SEP + "INSTALLER")
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
        and _first_line(path + _SEP + "REQUESTED") == REQUESTED_MARK,
        metadata_format="dist-info",
        in_base=in_base,
    )


_SEP = os.sep


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
            requires_python = _specifier(rp[0])
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
        provides_extras=_normalized_extras(tuple(extras)) if extras else (),
        requires_python=requires_python,
        origin=origin,
        installer=installer,
        requested=requested,
        marked=marked,
        location=path,
        metadata_format=metadata_format,
        in_base=in_base,
    )


_CANONICAL: dict[str, NormalizedName] = {}


def canonical_name(name: str) -> NormalizedName:
    """Return :func:`~packaging.utils.canonicalize_name` of ``name`` (PEP 503), once per text.

    The graph normalizes the name of every requirement it follows, thousands
    of times for a few hundred distinct names.
    """
    found = _CANONICAL.get(name)
    if found is None:
        found = _CANONICAL[name] = canonicalize_name(name)
    return found


_SPECIFIERS: dict[str, SpecifierSet] = {}
"""Specifier text -> :class:`SpecifierSet` (``Requires-Python`` and requirements share them)."""


def _specifier(text: str) -> SpecifierSet:
    """Return the :class:`SpecifierSet` of ``text``, parsed once per distinct text.

    Raises:
        InvalidSpecifier: ``text`` is not a PEP 440 specifier set.
    """
    found = _SPECIFIERS.get(text)
    if found is None:
        found = _SPECIFIERS[text] = SpecifierSet(text)
    return found


_EXTRAS: dict[tuple[str, ...], tuple[NormalizedName, ...]] = {}


def _normalized_extras(extras: tuple[str, ...]) -> tuple[NormalizedName, ...]:
    """``Provides-Extra`` values normalized (PEP 685), sorted, once per distinct list."""
    found = _EXTRAS.get(extras)
    if found is None:
        found = _EXTRAS[extras] = tuple(sorted({canonicalize_name(e) for e in extras}))
    return found


_REQUIREMENT_CACHE: dict[str, tuple[Requirement | str, bool]] = {}
"""``Requires-Dist`` line -> (parsed requirement or error text, credentials stripped)."""


_SIMPLE_REQUIREMENT = re.compile(
    r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*"
    r"(?:\[(?P<extras>[^\]]*)\])?\s*"
    r"(?:\((?P<paren>[^;@\[\]()]*)\)|(?P<spec>[^;@\[\]()]*?))\s*(?:;(?P<marker>[^@]*))?"
)
_EXTRA_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*")
_MARKERS: dict[str, Marker] = {}
"""Marker text -> :class:`Marker`: parsed once, shared by every requirement that has it."""


def _parse_simple(line: str) -> Requirement | None:
    """Parse the common ``name[extras] specifiers ; marker`` form, or return ``None``.

    About ten times faster than :class:`Requirement` on metadata-sized input
    (specifiers and markers are parsed once per distinct text, by packaging
    itself, and shared). Anything else (a URL, parenthesised specifiers, any
    text this or packaging finds invalid) returns ``None`` and goes through
    :class:`Requirement`, so odd forms and errors behave exactly as there.
    """
    split = simple_requirement(line)
    if split is None:
        return None
    name, extras, specifier = split
    marker_text = line.partition(";")[2] if ";" in line else None
    marker = None
    if marker_text is not None:
        marker = _MARKERS.get(marker_text)
        if marker is None:
            try:
                marker = Marker(marker_text)
            except InvalidMarker:
                return None
            _MARKERS[marker_text] = marker
    requirement = Requirement.__new__(Requirement)
    requirement.name = name
    requirement.url = None
    requirement.extras = set(extras)
    requirement.specifier = specifier
    requirement.marker = marker
    return requirement


_SPLIT: dict[str, tuple[str, tuple[str, ...], SpecifierSet] | None] = {}


def simple_requirement(line: str) -> tuple[str, tuple[str, ...], SpecifierSet] | None:
    """Split a ``Requires-Dist`` line of the common form without parsing its marker.

    Returns:
        ``(name, extras, specifier)`` of a ``name[extras] specifiers ; marker``
        line whose name, extras and specifiers are valid (the marker is not
        looked at), once per distinct line; ``None`` for any other line (a URL,
        odd spacing, an invalid part): :func:`parse_requirement` decides those.
    """
    if line in _SPLIT:
        return _SPLIT[line]
    found = _SPLIT[line] = _split(line)
    return found


def _split(line: str) -> tuple[str, tuple[str, ...], SpecifierSet] | None:
    match = _SIMPLE_REQUIREMENT.fullmatch(line)
    if match is None:
        return None
    extras: list[str] = []
    if match["extras"] and match["extras"].strip():
        for part in match["extras"].split(","):
            extra = _EXTRA_NAME.fullmatch(part)
            if extra is None:
                return None
            if extra[1] not in extras:
                extras.append(extra[1])
    spec_text = match["spec"] if match["paren"] is None else match["paren"].strip()
    if spec_text and not all(part.strip() for part in spec_text.split(",")):
        return None
    try:
        return match["name"], tuple(extras), _specifier(spec_text)
    except InvalidSpecifier:
        return None


def parse_requirement(line: str) -> tuple[Requirement | str, bool]:
    """Parse one ``Requires-Dist`` value (PEP 508), once per distinct text.

    Credentials are removed from the URL of a ``name @ url`` line. The same
    text gives the same :class:`Requirement` object every time (its
    :class:`SpecifierSet` and :class:`Marker` are shared with every other line
    that has the same text).

    Returns:
        ``(requirement, credentials_removed)``; for a line packaging rejects,
        the requirement is the reason, a string (URLs in it redacted).
    """
    cached = _REQUIREMENT_CACHE.get(line)
    if cached is None:
        cached = _REQUIREMENT_CACHE[line] = _parse_requirement(line)
    return cached


def _parse_requirement(line: str) -> tuple[Requirement | str, bool]:
    if (simple := _parse_simple(line)) is not None:
        return simple, False
    from envsnap._text import redact_urls, strip_credentials  # noqa: PLC0415

    try:
        parsed = Requirement(line)
    except InvalidRequirement as exc:
        return redact_urls(str(exc).splitlines()[0]), False
    if parsed.url is None:
        return parsed, False
    url, stripped = strip_credentials(parsed.url)
    parsed.url = url
    return parsed, stripped


def requirement_problem(line: str) -> str | None:
    """Return the warning a ``Requires-Dist`` line deserves, or ``None`` for a good one.

    A line packaging rejects (e.g. ``scikit-learn (>=1.0.*)``, which old
    setuptools wrote) is skipped, as pip skips it with a deprecation warning;
    a ``name @ url`` line loses the credentials in its URL. Both are said.
    """
    parsed, stripped = parse_requirement(line)
    if isinstance(parsed, str):
        from envsnap._text import redact_urls  # noqa: PLC0415

        return f"invalid Requires-Dist {redact_urls(line)!r} skipped: {parsed}"
    if stripped:
        return f"credentials removed from the URL of Requires-Dist {parsed}"
    return None


_EXTRA_ONLY = re.compile(r"""\s*extra\s*==\s*(?:"([^"']+)"|'([^"']+)')\s*""")
_EXTRA_OF: dict[str, str] = {}
"""Line -> its extra (:func:`extra_of`), ``""`` for none."""


def extra_of(line: str) -> NormalizedName | None:
    """Return the extra a ``Requires-Dist`` line belongs to when that is all its marker says.

    ``name[...] specifiers ; extra == "test"`` gives ``test`` (PEP 685
    normalized): the line applies for that extra and never otherwise, so it
    need not be parsed until the extra is in effect. Anything else gives
    ``None``: no marker, another marker, a URL (whose ``;`` may belong to the
    URL), or a marker naming the extra along with other variables. Decided
    from the text alone, once per distinct line.
    """
    found = _EXTRA_OF.get(line)
    if found is None:
        requirement, semicolon, marker = line.partition(";")
        match = _EXTRA_ONLY.fullmatch(marker) if semicolon and "@" not in requirement else None
        found = _EXTRA_OF[line] = canonical_name(match[1] or match[2]) if match else ""
    return cast("NormalizedName", found) if found else None


_WANTED = frozenset({"name", "version", "requires-dist", "provides-extra", "requires-python"})
"""The headers envsnap uses; the others (a whole licence folded into ``License:``) are skipped."""


def _read_metadata(
    path: str | Path, warnings: list[MetadataWarning]
) -> dict[str, list[str]] | None:
    """Read the header block of a core-metadata file (RFC 822 style).

    Only the headers are read (up to the first blank line); the description
    body is skipped. Keys are lower-cased; values keep their order. Only the
    headers in :data:`_WANTED` are kept: a folded ``License:`` of 60 KB
    (matplotlib, scipy) is passed over line by line, not joined.
    """
    try:
        raw = _read_header_block(path)
    except FileNotFoundError:
        where = Path(path)
        warnings.append(MetadataWarning(where.parent, f"no {where.name} file: skipped"))
        return None
    except OSError as exc:
        warnings.append(MetadataWarning(Path(path), f"cannot read: {exc.strerror}: skipped"))
        return None
    head = raw.replace(b"\r\n", b"\n") if b"\r" in raw else raw
    del raw  # a header block may be tens of MB: one copy at a time
    end = head.find(b"\n\n")  # mixed line ends (``\n\r\n``) end the block too
    if end >= 0:
        head = head[:end]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        warnings.append(
            MetadataWarning(Path(path), f"not UTF-8 (byte {exc.start}); undecodable bytes replaced")
        )
        text = head.decode("utf-8", "replace")
    headers: dict[str, list[str]] = {}
    key: str | None = None  # the header being read (None: none, after a line without ":")
    values: list[str] | None = None  # where its values go; None: not kept
    for line in text.split("\n"):
        first = line[:1]
        if key is not None and first in _FOLDED:
            if values is not None:
                values[-1] += " " + line.strip()
            continue
        if "!" <= first <= "~" and first not in _MAY_START_WANTED:
            # a header whose name cannot be a wanted one (Classifier, License, ...); any
            # other first character (space, non-ASCII) goes the long way below
            key, values = ("" if ":" in line else None), None
            continue
        name, sep, value = line.partition(":")
        if not sep:
            key = None
            continue
        key = name.strip().lower()
        values = headers.setdefault(key, []) if key in _WANTED else None
        if values is not None:
            values.append(value.strip())
    return headers


_MAY_START_WANTED = frozenset("NnVvRrPp")
"""First letters of the :data:`_WANTED` names (a name is stripped, then lower-cased)."""
_FOLDED = (" ", "\t")


def _read_header_block(path: str | Path) -> bytes:
    """Return the bytes of a metadata file up to its first blank line (or its end).

    Reads a regular file only (:func:`~envsnap._io.open_regular_fd`: a FIFO
    or a device is refused at once) and at most
    :data:`~envsnap._io.METADATA_LIMIT` bytes of header.

    Raises:
        FileTooLargeError: no blank line within the limit.
        OSError: the file cannot be opened or is not a regular file.
    """
    fd, _ = open_regular_fd(path)
    try:
        first = os.read(fd, _HEADER_CHUNK)
        end = _block_end(first, 0)
        if end >= 0:  # nearly always: a header block is a few KB
            return first[:end]
        raw = bytearray(first)
        while more := os.read(fd, _HEADER_CHUNK):
            searched = max(0, len(raw) - 3)  # search only the new bytes: stays linear
            raw += more
            end = _block_end(raw, searched)
            if end >= 0:
                del raw[end:]
                break
            if len(raw) > METADATA_LIMIT:
                raise FileTooLargeError(Path(path), METADATA_LIMIT)
        return bytes(raw)
    finally:
        os.close(fd)


def _block_end(raw: bytes | bytearray, start: int) -> int:
    """Where the first blank line (LF LF or CR LF CR LF) from ``start`` begins, or -1."""
    ends = (raw.find(b"\n\n", start), raw.find(b"\r\n\r\n", start))
    return min(i for i in ends if i >= 0) if max(ends) >= 0 else -1


_SECTION = r"^\[(?P<extra>[^:\]]*)(?::(?P<marker>.*))?\]$"
"""A ``requires.txt`` section header (egg-info only: compiled on first use by :mod:`re`)."""


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
        if section := re.match(_SECTION, line):
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


def _read_direct_url(path: str, warnings: list[MetadataWarning]) -> Origin | None:
    """Read ``direct_url.json`` (PEP 610) into an :class:`Origin`, or ``None``."""
    try:
        raw = read_limited(path, SMALL_FILE_LIMIT)
    except FileNotFoundError:
        return None
    except OSError as exc:
        warnings.append(MetadataWarning(Path(path), f"cannot read: {exc.strerror}"))
        return None
    # only here: most installs from an index have no direct_url.json (json: 3-5 ms)
    from packaging.direct_url import DirectUrl, DirectUrlValidationError  # noqa: PLC0415

    from envsnap._io import load_json  # noqa: PLC0415
    from envsnap._text import strip_credentials  # noqa: PLC0415

    try:
        data = load_json(raw)
        if not isinstance(data, dict):
            raise ValueError(f"a JSON {type(data).__name__}, not an object")
        direct = DirectUrl.from_dict(data)
    except (ValueError, DirectUrlValidationError) as exc:
        warnings.append(MetadataWarning(Path(path), f"invalid direct_url.json ({exc}): ignored"))
        return None
    if _holds_control(Path(path), data, warnings):
        return _INDEX
    url, stripped = strip_credentials(direct.url)
    if stripped:
        warnings.append(
            MetadataWarning(
                Path(path), "credentials removed from the recorded URL; never written out"
            )
        )
    return _origin_of(direct, url)


def _origin_of(direct: DirectUrl, url: str) -> Origin:
    """Return the :class:`Origin` a PEP 610 document describes (``url``: credentials stripped)."""
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


def _holds_control(path: Path, data: dict[str, object], warnings: list[MetadataWarning]) -> bool:
    """Whether a string (key or value) of a ``direct_url.json`` holds a control character.

    A wheel may ship this file: a line break in its URL would be an option
    line (``--extra-index-url ...``) of every requirements file written from
    it. Such a file is said (naming the distribution's metadata directory and
    quoting the value, escaped) and its origin ignored: the distribution is
    pinned by version, from the index. ``data`` has a PEP 610 document's
    shape already (a few levels).
    """
    from envsnap._text import excerpt, first_control  # noqa: PLC0415

    todo: list[tuple[str, object]] = [("", data)]
    while todo:
        where, value = todo.pop(0)
        if isinstance(value, dict):
            for key, item in value.items():
                todo.append((f"a key in {where}" if where else "a key", str(key)))
                todo.append((f"{where}.{key}" if where else str(key), item))
            continue
        char = first_control(value) if isinstance(value, str) else None
        if char is not None and isinstance(value, str):
            warnings.append(
                MetadataWarning(
                    path.parent,
                    f"direct_url.json: {where} {excerpt(value)} holds a control character "
                    f"({char}); its origin is ignored: pinned by version, from the index",
                )
            )
            return True
    return False


def _first_line(path: str | Path) -> str | None:
    """Return the first line of a small regular file, stripped (``None``: empty or unreadable)."""
    try:
        data = read_limited(path, SMALL_FILE_LIMIT)
    except OSError:
        return None
    return data.decode("utf-8", "replace").partition("\n")[0].strip() or None


_FINDER_MAPPING = r"MAPPING\s*(?::[^=]*)?=\s*\{\s*'[^']*'\s*:\s*'(?P<path>[^']*)'"
"""Compiled on first use by :mod:`re` (its cache): few environments have editable installs."""


def _editable_pth_roots(site_dir: Path, entries: Sequence[os.DirEntry[str]]) -> dict[str, str]:
    """Map project names to source dirs from setuptools' ``__editable__`` files.

    A fallback for editable installs with no ``direct_url.json``: the
    ``.pth`` holds a path, or imports a finder module whose ``MAPPING`` names
    the package dirs (the project dir is taken as the mapped dir's parent).
    """
    roots: dict[str, str] = {}
    for entry in entries:
        if not entry.name.startswith("__editable__."):
            continue
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
            found = re.search(_FINDER_MAPPING, text)
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
        :class:`~envsnap.index.distfile.ProjectFiles` of the distribution's name and
        version, ``index`` set; ``None`` when there is no such file, or it is
        not a JSON object with those keys, holds a control character, gives no
        sha256, or names a file of another distribution or version.
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

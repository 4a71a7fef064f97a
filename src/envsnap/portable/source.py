"""The resolver's candidate source, and the one over package indexes (Simple API, PEP 658).

Releases: one Simple API page per project (PEP 691/503); the first index that has
the project wins (uv's ``first-index``: an extra index cannot shadow the main one).
Metadata: the PEP 658 ``.metadata`` file where the page advertises one with a hash
(checked: a mismatch stops the lock), else the wheel (verified by its sha256; a
local index's read in place), else an sdist's ``PKG-INFO`` if metadata 2.2+ with
static requirements (PEP 643). Answers are kept for the whole lock.
"""

from __future__ import annotations

import hashlib
import tarfile
import threading
import zipfile
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, BinaryIO, Protocol

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from envsnap._io import run_parallel
from envsnap._text import file_url_path, strip_credentials
from envsnap.errors import OperationError
from envsnap.index.distfile import DistFile, ProjectFiles, ordered
from envsnap.index.wheelhouse import parse_filename

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from packaging.utils import NormalizedName

    from envsnap.index.file_cache import FileCache
    from envsnap.index.settings import IndexSettings
    from envsnap.index.simple_index import SimpleIndex

__all__ = ["CandidateSource", "DistMetadata", "IndexCandidates"]

_METADATA_HASHES = ("sha256", "sha384", "sha512")
"""PEP 658 hashes checked, preferred first (pip's ``supported_hashes``); none: not trusted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DistMetadata:
    """What resolution needs of a distribution's core metadata."""

    requires: tuple[Requirement, ...] = ()
    """``Requires-Dist`` (PEP 508)."""
    requires_python: SpecifierSet | None = None
    """``Requires-Python``, when stated."""


class CandidateSource(Protocol):
    """Where releases and their metadata come from (an index, or memory in tests)."""

    def describe(self) -> str:
        """Return a short description for messages (``the index at URL``)."""
        ...

    def releases(self, name: NormalizedName) -> Sequence[ProjectFiles]:
        """Return every release of ``name`` (empty when the source has none).

        Raises:
            OperationError: the source cannot be read.
        """
        ...

    def prefetch(self, names: Sequence[NormalizedName]) -> None:
        """Start reading the releases of names likely needed (a source may do nothing)."""
        ...

    def metadata(self, release: ProjectFiles, file: DistFile) -> DistMetadata:
        """Return the core metadata of one file of a release.

        Raises:
            OperationError: it cannot be fetched or read (say, an sdist's needs a build).
        """
        ...


class IndexCandidates:
    """Releases and metadata from one or more Simple API indexes (see the module docstring).

    Args:
        index: the indexes (client, page cache, and file cache for wheels read for metadata).
        jobs: parallel page requests of :meth:`prefetch`.

    Raises:
        ValueError: the index has no file cache.
    """

    def __init__(self, index: SimpleIndex, *, jobs: int = 8) -> None:
        if index.files is None:
            raise ValueError("IndexCandidates needs an index with a file cache")
        self.index = index
        self.files: FileCache = index.files
        self.jobs = jobs
        self._releases: dict[NormalizedName, tuple[ProjectFiles, ...]] = {}
        self._metadata: dict[str, DistMetadata] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: IndexSettings, cache_root: Path | None = None
    ) -> IndexCandidates:
        """Build the source pip's settings describe (its indexes, not find-links).

        Raises:
            OperationError: ``--no-index`` (nothing to resolve from).
            InputError: a plain-http index that is neither secure nor trusted.
        """
        from envsnap.index.repository import source_for  # noqa: PLC0415
        from envsnap.index.simple_index import SimpleIndex  # noqa: PLC0415

        index = source_for(replace(settings, find_links=()), cache_root=cache_root)
        if not isinstance(index, SimpleIndex):  # --no-index: no index left to ask
            raise OperationError(
                "a portable lock needs an index to resolve from (--no-index given)",
                hint="drop --no-index, or name an index with --index-url",
            )
        return cls(index)

    def describe(self) -> str:
        """Return ``the index at URL`` (credentials stripped)."""
        return self.index.describe()

    def prefetch(self, names: Sequence[NormalizedName]) -> None:
        """Read the pages of ``names`` in parallel (failures are raised when asked again)."""
        todo = [n for n in names if n not in self._releases]
        run_parallel(self.releases, todo, jobs=self.jobs)

    def releases(self, name: NormalizedName) -> tuple[ProjectFiles, ...]:
        """Return every release of ``name`` on the first index that has the project.

        Raises:
            OperationError: a page cannot be read (unreachable, refused redirect, not Simple API).
        """
        with self._lock:
            known = self._releases.get(name)
        if known is not None:
            return known
        found: tuple[ProjectFiles, ...] = ()
        for _, links in self.index.project_pages(name):
            by_version: dict[Version, list[DistFile]] = defaultdict(list)
            for file in links:
                parsed = parse_filename(file.filename)
                if parsed is not None and parsed[0] == name:
                    by_version[parsed[1]].append(file)
            found = tuple(
                ProjectFiles(name=name, version=v, files=ordered(f)) for v, f in by_version.items()
            )
            if found:
                break
        with self._lock:
            self._releases[name] = found
        return found

    def metadata(self, release: ProjectFiles, file: DistFile) -> DistMetadata:
        """Return the core metadata of one file (PEP 658 file, else the wheel, else PKG-INFO).

        Raises:
            OperationError: it cannot be fetched or read, or an sdist's is dynamic (PEP 643).
        """
        key = file.url or file.filename
        with self._lock:
            known = self._metadata.get(key)
        if known is not None:
            return known
        what = f"{release.name}=={release.version}: {file.filename}"
        text = self._pep658(file, what) if file.kind == "wheel" else None
        if text is None:
            text = self._from_archive(file, what)
        found = _parse_metadata(text, what)
        with self._lock:
            self._metadata[key] = found
        return found

    def _pep658(self, file: DistFile, what: str) -> str | None:
        """Return the ``.metadata`` next to a wheel if the page gives a hash to check it by."""
        advertised = file.core_metadata or {}
        algorithm = next((a for a in _METADATA_HASHES if a in advertised), None)
        if file.url is None or file.url.startswith("file:") or algorithm is None:
            return None
        url = file.url + ".metadata"
        page = self.index.client.get_page(
            url, accept="*/*", what=f"{what}.metadata", cache=self.index.pages
        )
        if page is None:
            return None
        expected = advertised[algorithm]
        found = hashlib.new(algorithm, page.body).hexdigest()
        if found != expected:
            raise OperationError(
                f"{what}.metadata: hash mismatch: the project page gives {algorithm} "
                f"{expected}, the file has {found} ({strip_credentials(url)[0]})",
                hint="the index serves core metadata that does not match its own page; "
                "nothing was written: try again later or use another index",
            )
        return page.body.decode("utf-8", "replace")

    def _from_archive(self, file: DistFile, what: str) -> str:
        local = file_url_path(file.url) if file.url else file.path
        if local is not None:
            handle = _open_local(local, file, what)
        else:
            handle = self._download(file, what).open("rb")
        with handle:
            return _archive_metadata(handle, file, what)

    def _download(self, file: DistFile, what: str) -> Path:
        from envsnap.index.download import fetch_all  # noqa: PLC0415

        sha256 = file.hashes.get("sha256")
        if sha256 is None:
            raise OperationError(
                f"{what}: the index gives no sha256 for it, so it is not downloaded",
                hint="use an index that publishes hashes (PEP 503 #sha256= or PEP 691 hashes)",
            )
        return fetch_all([file], self.files, client=self.index.client, jobs=1)[sha256.lower()]


def _open_local(path: Path, file: DistFile, what: str) -> BinaryIO:
    """Open a local index's file (a regular file only), checked against the page's sha256."""
    from envsnap.index.file_cache import hash_stream  # noqa: PLC0415
    from envsnap.index.wheelhouse import open_local  # noqa: PLC0415

    expected = file.hashes.get("sha256", "").lower()
    handle = None
    try:
        handle = open_local(path, what=what)
        found = hash_stream(handle)[0] if expected else ""
        handle.seek(0)
    except OSError as exc:
        if handle is not None:
            handle.close()
        raise OperationError(f"{what}: cannot read {path}: {exc.strerror or exc}") from None
    if found != expected:
        handle.close()
        raise OperationError(
            f"{what}: hash mismatch: the index page gives sha256 {expected}, {path} has {found}",
            hint="the local index is out of date: regenerate its pages",
        )
    return handle


def _archive_metadata(handle: BinaryIO, file: DistFile, what: str) -> str:
    """Return a wheel's ``METADATA``, or an sdist's static ``PKG-INFO``, read from ``handle``."""
    try:
        if file.kind == "wheel":
            with zipfile.ZipFile(handle) as archive:
                member = next(
                    (n for n in archive.namelist() if _top(n, ".dist-info/METADATA")), None
                )
                if member is None:
                    raise OperationError(f"{what}: the wheel has no .dist-info/METADATA")
                return archive.read(member).decode("utf-8", "replace")
        return _sdist_metadata(handle, what)
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise OperationError(f"{what}: cannot read the archive ({exc})") from None


def _sdist_metadata(handle: BinaryIO, what: str) -> str:
    """Return an sdist's ``PKG-INFO`` if its requirements are static (PEP 643)."""
    with tarfile.open(fileobj=handle) as archive:
        member = next((m for m in archive.getmembers() if _top(m.name, "/PKG-INFO")), None)
        extracted = archive.extractfile(member) if member is not None else None
        text = extracted.read().decode("utf-8", "replace") if extracted is not None else ""
    raw, _ = parse_email(text)
    version = Version(raw.get("metadata_version", "1.0"))
    dynamic = {d.lower() for d in raw.get("dynamic", [])}
    if version < Version("2.2") or {"requires-dist", "requires-python"} & dynamic:
        raise OperationError(
            f"{what}: only an sdist, and its requirements are known only after a build",
            hint="leave the target out (--platform / --python-version), or publish a wheel",
        )
    return text


def _top(name: str, suffix: str) -> bool:
    """Whether an archive member is one directory deep and ends with ``suffix``."""
    return name.count("/") == 1 and name.endswith(suffix)


def _parse_metadata(text: str, what: str) -> DistMetadata:
    raw, _ = parse_email(text)
    try:
        requires = tuple(Requirement(r) for r in raw.get("requires_dist", []))
        spec = raw.get("requires_python")
        requires_python = SpecifierSet(spec) if spec else None
    except (InvalidRequirement, InvalidSpecifier) as exc:
        raise OperationError(f"{what}: invalid metadata ({exc})") from None
    return DistMetadata(requires=requires, requires_python=requires_python)

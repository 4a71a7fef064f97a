"""The candidate source over package indexes: Simple API pages, PEP 658 metadata, wheels.

:class:`IndexCandidates` answers the resolver's two questions through the
index client of :mod:`envsnap.index`:

- *which releases has a project?* One Simple API page per project (PEP 691
  JSON or PEP 503 HTML, :func:`~envsnap.index.simple_api.parse_page`, kept
  in the page cache); with several indexes the first one that has the
  project wins (uv's ``first-index`` strategy: an extra index cannot shadow
  the main one's files);
- *what does a file require?* Its core metadata: the PEP 658 ``.metadata``
  file next to the wheel where the project page advertises one *with a
  hash* (a few KB; the file is checked against that hash, and a mismatch
  stops the lock, exit 3: a ``.metadata`` file is never trusted without
  it, nor fetched when the page does not advertise it), else the wheel
  itself, downloaded into the file cache (verified by the sha256 the page
  gives) and read there; a wheel of a local (``file:``) index is read in
  place, a regular file only; for an sdist, its ``PKG-INFO`` when that is
  metadata 2.2 or later and declares neither ``Requires-Dist`` nor
  ``Requires-Python`` dynamic (PEP 643), since anything else needs a build.

Answers are kept in memory for the whole lock, so each page and each
metadata file is read once across all targets.
"""

from __future__ import annotations

import contextlib
import hashlib
import tarfile
import threading
import urllib.parse
import zipfile
from collections import defaultdict
from typing import TYPE_CHECKING, BinaryIO

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from envsnap._io import run_parallel
from envsnap._text import file_url_path, strip_credentials
from envsnap.errors import OperationError
from envsnap.index.distfile import DistFile, ordered
from envsnap.index.simple_api import ACCEPT, parse_page
from envsnap.index.wheelhouse import parse_filename
from envsnap.portable.resolver import DistMetadata, Release

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from packaging.utils import NormalizedName

    from envsnap.index.cache import PageCache
    from envsnap.index.file_cache import FileCache
    from envsnap.index.http import HttpClient, Page
    from envsnap.index.settings import IndexSettings

__all__ = ["IndexCandidates"]

_METADATA_ACCEPT = "*/*"

_METADATA_HASHES = ("sha256", "sha384", "sha512")
"""Hashes of a PEP 658 ``.metadata`` file that are checked, preferred first (pip's
``supported_hashes``); a page that gives none of these is not trusted for it."""


class IndexCandidates:
    """Releases and metadata from one or more Simple API indexes (see the module docstring).

    Args:
        urls: the index URLs, main first (``user:password@`` used, never shown).
        client: the HTTP client.
        files: the file cache (wheels downloaded for their metadata).
        pages: the page cache (project pages and ``.metadata`` files).
        jobs: parallel page requests of :meth:`prefetch`.

    Raises:
        OperationError: no URL given.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        client: HttpClient,
        files: FileCache,
        pages: PageCache | None = None,
        jobs: int = 8,
    ) -> None:
        if not urls:
            raise OperationError("no index URL given")
        self._indexes = [(u.rstrip("/") + "/", strip_credentials(u)[0].rstrip("/")) for u in urls]
        self.client = client
        self.files = files
        self.pages = pages
        self.jobs = jobs
        self._releases: dict[NormalizedName, tuple[Release, ...]] = {}
        self._metadata: dict[str, DistMetadata] = {}
        self._advertised: dict[str, Mapping[str, str]] = {}
        """File URL -> the hashes its page gives for its PEP 658 ``.metadata`` file."""
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: IndexSettings, cache_root: Path | None = None
    ) -> IndexCandidates:
        """Build the source pip's settings describe (its indexes; find-links are not read).

        Raises:
            OperationError: ``--no-index`` (nothing to resolve from).
            InputError: a plain-http index that is neither secure nor trusted.
        """
        from envsnap.index.cache import PageCache  # noqa: PLC0415
        from envsnap.index.file_cache import FileCache, default_cache_dir  # noqa: PLC0415
        from envsnap.index.http import Credentials, HttpClient  # noqa: PLC0415
        from envsnap.index.secure import check_secure  # noqa: PLC0415

        urls = settings.index_urls()
        if not urls:
            raise OperationError(
                "a portable lock needs an index to resolve from (--no-index given)",
                hint="drop --no-index, or name an index with --index-url",
            )
        check_secure([(u, "--index-url") for u in urls], settings.trusted_hosts)
        root = cache_root or default_cache_dir()
        client = HttpClient(
            credentials=Credentials(urls),
            trusted_hosts=settings.trusted_hosts,
            cert=settings.cert,
            client_cert=settings.client_cert,
            proxy=settings.proxy,
        )
        return cls(urls, client=client, files=FileCache(root), pages=PageCache(root / "pages"))

    def describe(self) -> str:
        """Return ``the index at URL`` (credentials stripped)."""
        urls = [clean for _, clean in self._indexes]
        return f"the index at {urls[0]}" if len(urls) == 1 else f"the indexes {', '.join(urls)}"

    def prefetch(self, names: Sequence[NormalizedName]) -> None:
        """Read the pages of ``names`` in parallel (failures are raised when asked again)."""
        todo = [n for n in names if n not in self._releases]
        run_parallel(self.releases, todo, jobs=self.jobs)

    def releases(self, name: NormalizedName) -> tuple[Release, ...]:
        """Return every release of ``name`` on the first index that has the project.

        Raises:
            OperationError: a page cannot be read (unreachable index, refused
                redirect, not a Simple API page).
        """
        with self._lock:
            known = self._releases.get(name)
        if known is not None:
            return known
        found: tuple[Release, ...] = ()
        advertised: dict[str, Mapping[str, str]] = {}
        for raw, clean in self._indexes:
            page = self._page(
                urllib.parse.urljoin(raw, f"{name}/"), what=f"{name}: {clean}/{name}/"
            )
            if page is None:
                continue
            links = parse_page(page.body, page.content_type, page.url, where=f"{clean}/{name}/")
            by_version: dict[Version, list[DistFile]] = defaultdict(list)
            for link in links:
                parsed = parse_filename(link.filename)
                if parsed is None or parsed[0] != name:
                    continue
                if link.core_metadata is not None:
                    advertised[link.url] = link.core_metadata
                by_version[parsed[1]].append(
                    DistFile(
                        filename=link.filename,
                        hashes=dict(link.hashes),
                        url=link.url,
                        size=link.size,
                        upload_time=link.upload_time,
                        yanked=link.yanked,
                    )
                )
            found = tuple(
                Release(name=name, version=v, files=ordered(f)) for v, f in by_version.items()
            )
            if found:
                break
        with self._lock:
            self._releases[name] = found
            self._advertised.update(advertised)
        return found

    def _page(self, url: str, *, what: str) -> Page | None:
        if url.startswith("file:"):
            from envsnap.index.simple_index import read_local_page  # noqa: PLC0415

            return read_local_page(url, what=what, limit=self.client.limits.page_bytes)
        return self.client.get_page(url, accept=ACCEPT, what=what, cache=self.pages)

    def metadata(self, release: Release, file: DistFile) -> DistMetadata:
        """Return the core metadata of one file (PEP 658 file, else the wheel, else PKG-INFO).

        Raises:
            OperationError: the file cannot be fetched, its metadata is not
                readable, or an sdist's requirements are dynamic (PEP 643).
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
        """Return the ``.metadata`` file next to a wheel, checked against the page's hash.

        ``None`` (read the wheel instead) where the page does not advertise
        one, advertises one without a hash this module can check, or the
        index answers 404 for it.

        Raises:
            OperationError: the file does not match the hash the page gives.
        """
        if file.url is None or file.url.startswith("file:"):
            return None
        with self._lock:
            advertised = self._advertised.get(file.url)
        algorithm = next((a for a in _METADATA_HASHES if a in (advertised or {})), None)
        if advertised is None or algorithm is None:
            return None
        url = file.url + ".metadata"
        page = self.client.get_page(
            url, accept=_METADATA_ACCEPT, what=f"{what}.metadata", cache=self.pages
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
        with contextlib.ExitStack() as stack:
            if local is not None:
                handle = stack.enter_context(_open_local(local, file, what))
            else:
                handle = stack.enter_context(self._download(file, what).open("rb"))
            return _archive_metadata(handle, file, what)

    def _download(self, file: DistFile, what: str) -> Path:
        from envsnap.index.download import fetch_all  # noqa: PLC0415

        sha256 = file.hashes.get("sha256")
        if sha256 is None:
            raise OperationError(
                f"{what}: the index gives no sha256 for it, so it is not downloaded",
                hint="use an index that publishes hashes (PEP 503 #sha256= or PEP 691 hashes)",
            )
        return fetch_all([file], self.files, client=self.client, jobs=1)[sha256.lower()]


def _open_local(path: Path, file: DistFile, what: str) -> BinaryIO:
    """Open a local index's file (a regular file only), checked against the page's sha256.

    Raises:
        InputError: not a regular file (a FIFO, a device).
        OperationError: it cannot be read, or its sha256 is not the page's.
    """
    from envsnap.index.wheelhouse import hash_stream, open_local  # noqa: PLC0415

    try:
        handle = open_local(path, what=what)
    except OSError as exc:
        raise OperationError(f"{what}: cannot read {path}: {exc.strerror or exc}") from None
    expected = file.hashes.get("sha256", "").lower()
    try:
        found = hash_stream(handle)[0] if expected else ""
        handle.seek(0)
    except OSError as exc:
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
                    (
                        n
                        for n in archive.namelist()
                        if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
                    ),
                    None,
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
        member = next(
            (
                m
                for m in archive.getmembers()
                if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
            ),
            None,
        )
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


def _parse_metadata(text: str, what: str) -> DistMetadata:
    raw, _ = parse_email(text)
    try:
        requires = tuple(Requirement(r) for r in raw.get("requires_dist", []))
        spec = raw.get("requires_python")
        requires_python = SpecifierSet(spec) if spec else None
    except (InvalidRequirement, InvalidSpecifier) as exc:
        raise OperationError(f"{what}: invalid metadata ({exc})") from None
    return DistMetadata(requires=requires, requires_python=requires_python)

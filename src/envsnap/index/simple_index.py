"""Remote repositories: indexes through the Simple Repository API, and find-links pages.

:class:`SimpleIndex` reads ``<index>/<name>/`` (:mod:`envsnap.index.simple_api`) through the
one HTTP client and the page cache; a ``file:`` index is read from disk, a directory through
its ``index.html`` (as pip reads it). Links without a hash are downloaded once into the file
cache and hashed there. :class:`FlatLinks` is a ``--find-links URL`` page.

A pinned version's files do not change once uploaded, so a cached page that lists the pin
(with hashes) answers without a request for :data:`PINNED_PAGE_AGE` seconds, whatever its
``Cache-Control`` says (some proxies strip every cache header); other lookups revalidate.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from packaging.utils import canonicalize_version

from envsnap._text import file_url_path, strip_credentials
from envsnap.errors import InputError, OperationError
from envsnap.index.cache import Page
from envsnap.index.distfile import DistFile, ProjectFiles, ordered
from envsnap.index.http import HttpClient
from envsnap.index.secure import Credentials
from envsnap.index.simple_api import ACCEPT, parse_page
from envsnap.index.wheelhouse import hash_local, parse_filename, pin_filter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from packaging.utils import NormalizedName
    from packaging.version import Version
    from typing_extensions import Unpack

    from envsnap.index.cache import PageCache
    from envsnap.index.file_cache import FileCache
    from envsnap.index.transfer import Limits

__all__ = ["PINNED_PAGE_AGE", "FlatLinks", "SimpleIndex", "read_local_page"]

PINNED_PAGE_AGE = 24 * 3600
"""Seconds a cached page that lists a pinned version answers for it without a request."""


class _Options(TypedDict, total=False):
    """The keyword arguments of :class:`SimpleIndex` and :class:`FlatLinks` (see there)."""

    client: HttpClient | None
    pages: PageCache | None
    files: FileCache | None
    limits: Limits | None
    revalidate: bool


class _Remote:
    """What reading pages and hashing unhashed links share."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        client: HttpClient | None = None,
        pages: PageCache | None = None,
        files: FileCache | None = None,
        limits: Limits | None = None,
        revalidate: bool = False,
    ) -> None:
        self.client = client or HttpClient(credentials=Credentials(urls), limits=limits)
        self.pages = pages
        self.files = files
        self.revalidate = revalidate

    def _page(self, url: str, *, what: str) -> Page | None:
        if url.startswith("file:"):
            return read_local_page(url, what=what, limit=self.client.limits.page_bytes)
        return self.client.get_page(
            url, accept=ACCEPT, what=what, cache=self.pages, revalidate=self.revalidate
        )

    def _files(
        self, links: Sequence[DistFile], name: NormalizedName, version: Version
    ) -> list[DistFile]:
        """Keep the links of ``name==version``, with a sha256 (hashed here if the page has none)."""
        found = []
        for link in links:
            if parse_filename(link.filename) != (name, version):
                continue
            sha256, size = link.hashes.get("sha256"), link.size
            if sha256 is None:
                sha256, size = self._hash_url(link, what=f"{name}=={version}: {link.filename}")
            url = strip_credentials(link.url)[0] if link.url else None
            found.append(replace(link, hashes={"sha256": sha256}, url=url, size=size))
        return found

    def _hash_url(self, link: DistFile, *, what: str) -> tuple[str, int]:
        """Download a link without a hash (into the file cache when there is one) and hash it."""
        import tempfile  # noqa: PLC0415

        assert link.url is not None  # noqa: S101 - every link of a page has one
        clean = strip_credentials(link.url)[0]
        missing = OperationError(
            f"{what}: the index lists it but answers 404 Not Found ({clean})",
            hint="the index is inconsistent; try again later or use another index",
        )
        local = file_url_path(link.url)
        if local is not None:  # only a local page links file: URLs (simple_api)
            try:
                return hash_local(local, what=what)
            except FileNotFoundError:
                raise missing from None
            except OSError as exc:
                raise OperationError(f"{what}: cannot read {clean}: {exc.strerror}") from None
        if self.files is not None:
            handle, scratch = self.files.scratch_file()
        else:
            fd, name = tempfile.mkstemp(prefix="envsnap-hash-")
            handle, scratch = open(fd, "wb"), Path(name)  # noqa: SIM115, PTH123
        try:
            with handle:
                answer = self.client.download(link.url, handle, what=what, size=link.size)
            if answer is None:
                raise missing
            if self.files is not None:
                self.files.add_file(scratch, answer[0])
            return answer
        finally:
            scratch.unlink(missing_ok=True)


class SimpleIndex(_Remote):
    """One or more indexes read through the Simple Repository API.

    The indexes are asked in order and the first one that has the pinned version wins (uv's
    ``first-index`` strategy: an extra index cannot shadow the main one's files).

    Args:
        urls: the Simple API roots (main first); ``user:password@`` is used, never returned.
        client: the HTTP client (default: one with these URLs' credentials).
        pages: the page cache (default: none, every page fetched).
        files: the file cache for unhashed links (default: a temporary file each).
        limits: bounds for the default client.
        revalidate: ask the index (conditionally) for every page, never answer from the
            cache alone: ``freeze --ask-index`` wants the index's answer of now.

    Raises:
        OperationError: no URL given.
    """

    def __init__(self, urls: Sequence[str], **options: Unpack[_Options]) -> None:
        if not urls:
            raise OperationError("no index URL given")
        super().__init__(urls, **options)
        self._indexes = [
            (raw.rstrip("/") + "/", strip_credentials(raw)[0].rstrip("/")) for raw in urls
        ]

    @property
    def urls(self) -> tuple[str, ...]:
        """The index URLs without credentials."""
        return tuple(clean for _, clean in self._indexes)

    def describe(self) -> str:
        """Return ``the index at URL`` (credentials stripped)."""
        urls = self.urls
        return f"the index at {urls[0]}" if len(urls) == 1 else f"the indexes {', '.join(urls)}"

    def lookup(self, name: NormalizedName, version: Version) -> ProjectFiles | None:
        """Return the files of ``name==version`` from the first index that has it."""
        known = None if self.revalidate else self._from_cache(name, version)
        if known is not None:
            return known
        for clean, links in self.project_pages(name, keep=pin_filter(name, version)):
            files = self._files(links, name, version)
            if files:
                return ProjectFiles(name=name, version=version, files=ordered(files), index=clean)
        return None

    def project_pages(
        self, name: NormalizedName, *, keep: Callable[[str], bool] | None = None
    ) -> Iterator[tuple[str, list[DistFile]]]:
        """Yield the links of ``name``'s page on each index that has one, in index order.

        ``keep`` is called with each file name; only the links it keeps are built.

        Yields:
            ``(the index URL without credentials, the page's links)``; a caller stops at
            the first index that has what it needs.

        Raises:
            OperationError: a page cannot be read (see :meth:`HttpClient.get_page`).
        """
        for raw, clean in self._indexes:
            where = f"{clean}/{name}/"
            page = self._page(urllib.parse.urljoin(raw, f"{name}/"), what=f"{name}: {where}")
            if page is not None:
                yield (
                    clean,
                    parse_page(page.body, page.content_type, page.url, where=where, keep=keep),
                )

    def _from_cache(self, name: NormalizedName, version: Version) -> ProjectFiles | None:
        """Answer from cached pages alone when the first index that has a page lists the version.

        The pin's links are kept beside the page (:meth:`PageCache.derived`) under the
        entry's stamp, so an unchanged page is not parsed again.
        """
        pages = self.pages
        if pages is None:
            return None
        pin = f"{name}=={canonicalize_version(version)}"  # equal versions, one key
        for raw, clean in self._indexes:
            where = f"{clean}/{name}/"
            found = _stamped(
                pages,
                urllib.parse.urljoin(raw, f"{name}/"),
                what=f"{name}: {where}",
                limit=self.client.limits.page_bytes,
            )
            if found is None:
                return None
            if isinstance(found, _Absent):
                continue
            key, stamp, read = found

            def make(read: Callable[[], Page | None] = read, where: str = where) -> object:
                page = read()
                if page is None:  # removed since: nothing kept, the index is asked
                    return []
                keep = pin_filter(name, version)
                return [
                    _file_to_json(link)
                    for link in parse_page(
                        page.body, page.content_type, page.url, where=where, keep=keep
                    )
                ]

            kept = pages.derived(f"{key}\n{pin}", stamp, make)
            links = [_file_from_json(item) for item in kept] if isinstance(kept, list) else []
            if not links or any(parse_filename(link.filename) != (name, version) for link in links):
                return None  # maybe uploaded since: ask the index
            if any("sha256" not in link.hashes for link in links):
                return None
            files = self._files(links, name, version)
            return ProjectFiles(name=name, version=version, files=ordered(files), index=clean)
        return None


class _Absent:
    """A ``file:`` index without this project's page (the next index is asked)."""


def _stamped(
    pages: PageCache, url: str, *, what: str, limit: int
) -> tuple[str, str, Callable[[], Page | None]] | _Absent | None:
    """Return ``(key, stamp, read)`` of a page that may answer from the cache, else ``None``.

    ``None``: a remote page not cached, or cached longer than :data:`PINNED_PAGE_AGE`.
    """
    import time  # noqa: PLC0415

    if url.startswith("file:"):
        local = _local_page(url)
        try:
            status = local.stat()
        except FileNotFoundError:
            return _Absent()
        except OSError as exc:
            raise OperationError(f"{what}: cannot read {local}: {exc.strerror or exc}") from None
        stamp = json.dumps([status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns])
        return (
            f"links/{_GROUPED_FORMAT}/local\n{url}",
            stamp,
            lambda: read_local_page(url, what=what, limit=limit),
        )
    clean = strip_credentials(url)[0]
    head = pages.head(clean, ACCEPT)
    if head is None or not 0 <= time.time() - head[0].stored < PINNED_PAGE_AGE:
        return None
    return f"links/{_GROUPED_FORMAT}/{ACCEPT}\n{clean}", head[1], lambda: pages.get(clean, ACCEPT)


_GROUPED_FORMAT = 2
"""The kept links' format (a change makes every kept value unused): 2 since a remote page's
``file:`` links are dropped."""


def _file_to_json(link: DistFile) -> list[object]:
    """Return a page's link as a JSON list (:func:`_file_from_json` reads it back)."""
    uploaded = link.upload_time.isoformat() if link.upload_time else None
    return [link.filename, link.url, dict(link.hashes), link.size, uploaded, link.yanked]


def _file_from_json(item: list[Any]) -> DistFile:
    """Rebuild a page's link that :func:`_file_to_json` wrote."""
    filename, url, hashes, size, uploaded, yanked = item
    return DistFile(
        filename=str(filename),
        url=str(url),
        hashes={str(k): str(v) for k, v in dict(hashes).items()},
        size=size if isinstance(size, int) else None,
        upload_time=datetime.fromisoformat(uploaded) if isinstance(uploaded, str) else None,
        yanked=bool(yanked),
    )


class FlatLinks(_Remote):
    """A ``--find-links URL``: one HTML page of file links (read once, shared by all lookups).

    The keyword arguments are :class:`SimpleIndex`'s.
    """

    def __init__(self, url: str, **options: Unpack[_Options]) -> None:
        super().__init__([url], **options)
        self.url = url
        self._links: list[DistFile] | None = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        """Return ``the find-links page URL``."""
        return f"the find-links page {strip_credentials(self.url)[0]}"

    def lookup(self, name: NormalizedName, version: Version) -> ProjectFiles | None:
        """Return the files of ``name==version`` the page links to."""
        with self._lock:
            if self._links is None:
                where = strip_credentials(self.url)[0]
                page = self._page(self.url, what=where)
                self._links = (
                    []
                    if page is None
                    else parse_page(page.body, "text/html", page.url, where=where)
                )
        files = self._files(self._links, name, version)
        return ProjectFiles(name=name, version=version, files=ordered(files)) if files else None


def _local_page(url: str) -> Path:
    """Return the file a ``file:`` URL of a local index reads: a directory's ``index.html``."""
    path = file_url_path(url) or Path(url)
    return path / "index.html" if path.is_dir() else path


def read_local_page(url: str, *, what: str, limit: int) -> Page | None:
    """Read a ``file:`` URL of a local index: a directory means its ``index.html``.

    ``what`` names it in messages; ``limit`` is the most bytes it may hold
    (:attr:`Limits.page_bytes`). Returns ``None`` when there is no such file.

    Raises:
        InputError: the page is not a regular file (a FIFO, a device: refused, never read).
        OperationError: it cannot be read, or is over ``limit``.
    """
    from envsnap._io import FileTooLargeError, NotRegularFileError, read_limited  # noqa: PLC0415

    path = _local_page(url)
    content_type = "text/html" if path.name == "index.html" else "application/octet-stream"
    try:
        return Page(body=read_limited(path, limit), content_type=content_type, url=url)
    except FileNotFoundError:
        return None
    except (NotRegularFileError, IsADirectoryError) as exc:
        raise InputError(
            f"{what}: {path}: {exc.strerror}, so not read",
            hint="a local index holds regular files: remove or replace it",
        ) from None
    except FileTooLargeError as exc:
        raise OperationError(
            f"{what}: {path} is {exc.strerror}",
            hint="raise ENVSNAP_MAX_PAGE_MB if the page is genuine",
        ) from None
    except OSError as exc:
        raise OperationError(f"{what}: cannot read {path}: {exc.strerror or exc}") from None

"""Index pages kept on disk, revalidated with ``ETag`` / ``Last-Modified`` (as pip and uv do).

A page is stored under ``pages/<sha256 of its URL and Accept header>`` as one JSON line of
metadata, then the body; it is used without a request while its ``Cache-Control: max-age``
lasts, then asked again with ``If-None-Match`` / ``If-Modified-Since`` (a 304 keeps it).
What envsnap reads out of a page is kept under ``pages/parsed/``, tagged with a stamp of the
page (:meth:`PageCache.derived`). Entries appear by atomic rename: never half a page.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Page", "PageCache", "max_age"]

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """An index page as read (from the server, a local index or here), and its validators."""

    body: bytes | bytearray
    """The page's bytes."""
    content_type: str
    """Its ``Content-Type``."""
    url: str
    """The URL it finally came from (after redirects; credentials stripped)."""
    etag: str | None = None
    """The ``ETag`` the server gave."""
    last_modified: str | None = None
    """The ``Last-Modified`` the server gave."""
    stored: float = 0.0
    """When it was fetched or last revalidated (``time.time()``)."""
    max_age: int | None = None
    """``Cache-Control: max-age`` seconds, when the server gave one (``no-cache``: 0)."""

    def fresh(self, now: float | None = None) -> bool:
        """Whether it may be used without asking the server (its max-age has not passed)."""
        moment = time.time() if now is None else now
        return self.max_age is not None and 0 <= moment - self.stored < self.max_age

    def validators(self) -> dict[str, str]:
        """Return the conditional request headers (``If-None-Match``, ``If-Modified-Since``)."""
        headers = {"If-None-Match": self.etag, "If-Modified-Since": self.last_modified}
        return {key: value for key, value in headers.items() if value}


def max_age(cache_control: str | None) -> int | None:
    """Return the seconds a ``Cache-Control`` header allows reuse for (0 for ``no-cache``)."""
    if not cache_control:
        return None
    lowered = cache_control.lower()
    if "no-cache" in lowered or "no-store" in lowered:
        return 0
    found = _MAX_AGE.search(lowered)
    return int(found[1]) if found else None


class PageCache:
    """The page cache under ``root`` (``<cache root>/pages``, created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, url: str, accept: str) -> Path:
        key = hashlib.sha256(f"{url}\n{accept}".encode()).hexdigest()
        return self.root / key[:2] / key

    def get(self, url: str, accept: str) -> Page | None:
        """Return the stored page for ``url`` asked with ``accept``, or ``None``."""
        try:
            with self._path(url, accept).open("rb") as handle:
                meta = json.loads(handle.readline())
                body = handle.read()
            return Page(body=body, **meta)
        except (OSError, ValueError, TypeError):
            return None

    def head(self, url: str, accept: str) -> tuple[Page, str] | None:
        """Return the stored page without its body (``b""``) and its stamp, or ``None``.

        The stamp names this very entry: its validators and the inode, size and
        modification time of its file. :meth:`put` always writes a new file
        (atomic rename), so a page stored or revalidated since has another stamp.
        """
        try:
            with self._path(url, accept).open("rb") as handle:
                meta = json.loads(handle.readline())
                status = os.fstat(handle.fileno())
            page = Page(body=b"", **meta)
        except (OSError, ValueError, TypeError):
            return None
        stamp = json.dumps(
            [page.etag, page.last_modified, status.st_ino, status.st_size, status.st_mtime_ns]
        )
        return page, stamp

    def derived(self, key: str, stamp: str, make: Callable[[], object]) -> object:
        """Return what ``make()`` read out of a page, kept from an earlier run when still valid.

        Args:
            key: names the page and what is read out of it (its URL, the reader's version).
            stamp: identifies the page's content (:meth:`head`'s stamp; for a local file its
                inode, size, mtime and ctime); a kept value is used only under the same stamp.
            make: reads the page; its JSON-serialisable result is kept for the next run
                (an unwritable cache is not an error).

        Returns:
            The kept value, else ``make()``'s.
        """
        digest = hashlib.sha256(key.encode()).hexdigest()
        path = self.root / "parsed" / digest[:2] / digest
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            kept = json.loads(path.read_bytes())
            if kept["stamp"] == stamp:
                return kept["data"]
        data = make()
        _store(path, ".parsed-", json.dumps({"stamp": stamp, "data": data}).encode())
        return data

    def put(self, url: str, accept: str, page: Page) -> None:
        """Store a page (an unwritable cache is not an error: the page is just not kept)."""
        meta = {k: v for k, v in asdict(page).items() if k != "body"}
        _store(self._path(url, accept), ".page-", json.dumps(meta).encode() + b"\n", page.body)


def _store(path: Path, prefix: str, *parts: bytes | bytearray) -> None:
    """Write ``parts`` to ``path`` by atomic rename; an unwritable cache is not an error."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=prefix)
        try:
            with os.fdopen(fd, "wb") as handle:
                for part in parts:
                    handle.write(part)
            os.replace(name, path)
        finally:
            Path(name).unlink(missing_ok=True)

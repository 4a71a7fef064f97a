"""Fetch distribution files into the cache, in parallel, each verified by its sha256.

A file already in the :class:`~envsnap.index.file_cache.FileCache` is re-hashed, not fetched;
a local file (``file:`` URL, wheelhouse path) is hashed in place; an ``http(s)`` URL is
streamed into a temporary file in the cache while hashed
(:meth:`envsnap.index.http.HttpClient.download`), then moved to its entry. Nothing is read
from a file that was not verified. Ctrl-C or SIGTERM stops the transfers and removes the
partial files first; failures are reported together in one ``OperationError`` (exit 3).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from envsnap._text import strip_credentials
from envsnap.errors import OperationError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from envsnap.index.distfile import DistFile
    from envsnap.index.file_cache import FileCache
    from envsnap.index.http import HttpClient

__all__ = ["DOWNLOAD_JOBS", "fetch_all"]

DOWNLOAD_JOBS = 8
"""Parallel downloads (I/O bound: threads)."""


class _Partial:
    """The scratch files being written, removed at once when the caller is interrupted."""

    def __init__(self) -> None:
        self._paths: set[Path] = set()
        self._lock = threading.Lock()

    def add(self, path: Path) -> None:
        with self._lock:
            self._paths.add(path)

    def discard(self, path: Path) -> None:
        with self._lock:
            self._paths.discard(path)

    def remove_all(self) -> None:
        with self._lock:
            for path in self._paths:
                path.unlink(missing_ok=True)
            self._paths.clear()


def fetch_all(
    requests: Sequence[DistFile],
    cache: FileCache,
    *,
    client: HttpClient | None = None,
    jobs: int = DOWNLOAD_JOBS,
) -> dict[str, Path]:
    """Fetch and verify every requested file.

    Args:
        requests: the files.
        cache: where downloads are stored (by sha256) and looked up first.
        client: the HTTP client (default: ``~/.netrc`` credentials, bounds from the environment).
        jobs: parallel downloads.

    Returns:
        ``{sha256: local path}`` for every request (a cache entry or the local file itself).

    Raises:
        OperationError: files could not be fetched or do not match their hash (each named).
        KeyboardInterrupt: Ctrl-C or SIGTERM (as the caller turns it into one); the
            transfers are stopped and partial files removed first.
    """
    from envsnap._io import run_parallel  # noqa: PLC0415
    from envsnap.index.http import HttpClient  # noqa: PLC0415

    unique = list({r.sha256.lower(): r for r in requests}.values())
    remote = [r for r in unique if _is_remote(r) and cache.get_file(r.sha256) is None]
    http = client or (HttpClient() if remote else None)
    partial = _Partial()
    try:
        outcomes = run_parallel(lambda r: _fetch(r, cache, http, partial), unique, jobs=jobs)
    except BaseException:
        if http is not None:
            http.cancel()
        partial.remove_all()
        raise
    found: dict[str, Path] = {}
    failures: list[OperationError] = []
    for request, outcome in zip(unique, outcomes, strict=True):
        if isinstance(outcome, OperationError):
            failures.append(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            found[request.sha256] = outcome
    if len(failures) == 1:
        raise failures[0]
    if failures:
        messages = sorted(f.message for f in failures)
        more = f" (and {len(messages) - 5} more)" if len(messages) > 5 else ""
        raise OperationError(
            "; ".join(messages[:5]) + more,
            hint="nothing was installed; check the index and the lock file, "
            "or regenerate the lock file if the files changed",
        )
    return found


def _is_remote(request: DistFile) -> bool:
    return request.path is None and bool(request.url) and not str(request.url).startswith("file:")


def _fetch(
    request: DistFile, cache: FileCache, client: HttpClient | None, partial: _Partial
) -> Path:
    """Return a verified local path for one request (see :func:`fetch_all`)."""
    from envsnap.index.file_cache import hash_file  # noqa: PLC0415

    cached = cache.get_file(request.sha256)
    if cached is not None:
        # re-hashed on reuse: a hash given in the lock is always enforced
        if hash_file(cached)[0] == request.sha256:
            return cached
        cached.unlink(missing_ok=True)
    local = request.path
    if local is None and request.url:
        from envsnap._text import file_url_path  # noqa: PLC0415

        local = file_url_path(request.url)
    what = request.filename if request.name is None else f"{request.label}: {request.filename}"
    if local is not None:
        try:
            digest, _ = hash_file(local)
        except OSError as exc:
            raise OperationError(f"{what}: cannot read {local}: {exc.strerror or exc}") from None
        _check(what, request.sha256, digest)
        return local
    if not request.url or client is None:
        raise OperationError(f"{what}: the lock file gives no URL or path for it")
    handle, scratch = cache.scratch_file()
    partial.add(scratch)
    try:
        with handle:
            answer = client.download(request.url, handle, what=what, size=request.size)
        if answer is None:
            raise OperationError(
                f"{what}: 404 Not Found from {strip_credentials(request.url)[0]}",
                hint="the file is gone from where the lock file says: regenerate the lock file",
            )
        _check(what, request.sha256, answer[0])
        return cache.add_file(scratch, answer[0])
    finally:
        scratch.unlink(missing_ok=True)
        partial.discard(scratch)


def _check(what: str, expected: str, found: str) -> None:
    if found != expected.lower():
        raise OperationError(
            f"{what}: hash mismatch: the lock file expects sha256 {expected.lower()}, "
            f"the file has {found}",
            hint="the file changed on the index or the lock file is wrong: nothing was "
            "installed; regenerate the lock file if the change is expected",
        )

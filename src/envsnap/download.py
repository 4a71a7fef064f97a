"""Fetch distribution files into the cache, in parallel, each verified by its sha256.

:func:`fetch_all` takes the files a restore needs (:class:`FileRequest`: a URL
or a local path plus the sha256 the lock file or the index promises) and
returns a local path for each, after checking every hash. Nothing is installed
from a file that was not verified, and :func:`fetch_all` finishes (or fails)
for all files before the caller installs any of them.

- a file whose hash is already in the :class:`~envsnap.cache.FileCache` is not
  fetched again (no request at all);
- a local file (a ``file:`` URL, a wheelhouse path) is hashed in place and
  used from there;
- an ``http(s)`` URL is streamed into a temporary file in the cache while it
  is hashed, then moved to its entry; connection errors, timeouts, 429/5xx
  answers and truncated bodies are retried with backoff. Credentials come
  from the index URLs (``user:password@``) or ``~/.netrc`` and are sent only
  to their own host; messages never show them.

Every failure is collected and reported together in one
:class:`~envsnap.errors.OperationError` (exit 3) naming each package and file.
"""

from __future__ import annotations

import base64
import hashlib
import netrc
import os
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap.errors import OperationError
from envsnap.origin import strip_credentials

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from urllib.request import Request

    from envsnap.cache import FileCache

__all__ = ["DOWNLOAD_JOBS", "Credentials", "FileRequest", "fetch_all", "http_timeout"]

DOWNLOAD_JOBS = 8
"""Parallel downloads (I/O bound: threads)."""
_CHUNK = 1 << 16


def http_timeout(default: float, *, environ: Mapping[str, str] | None = None) -> float:
    """Return the seconds to wait to connect or read: ``ENVSNAP_HTTP_TIMEOUT``, else ``default``.

    Raises:
        InputError: the variable is not a positive number.
    """
    from envsnap.errors import InputError  # noqa: PLC0415

    raw = (os.environ if environ is None else environ).get("ENVSNAP_HTTP_TIMEOUT", "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise InputError(
            f"ENVSNAP_HTTP_TIMEOUT={raw}: not a positive number of seconds",
            hint="set it to the seconds to wait for the index, e.g. 30, or unset it",
        )
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class FileRequest:
    """One file to fetch and verify."""

    package: str
    """``name==version`` (for messages)."""
    filename: str
    """The file's name (``idna-3.10-py3-none-any.whl``)."""
    sha256: str
    """The hex digest it must have."""
    url: str | None = None
    """An ``http(s):`` or ``file:`` URL (credentials allowed, never shown)."""
    path: Path | None = None
    """A local file (wins over ``url``)."""
    size: int | None = None
    """The size it must have, when known."""


class Credentials:
    """Basic-auth headers for hosts, from index URLs and ``~/.netrc`` (as pip does).

    Args:
        urls: index URLs that may carry ``user:password@``.
        use_netrc: also read ``$NETRC`` or ``~/.netrc`` for other hosts.
    """

    def __init__(self, urls: Sequence[str] = (), *, use_netrc: bool = True) -> None:
        self._headers: dict[str, str] = {}
        for url in urls:
            parts = urllib.parse.urlsplit(url)
            if parts.username is not None:
                user = urllib.parse.unquote(parts.username)
                password = urllib.parse.unquote(parts.password or "")
                self._headers.setdefault(host_key(url), _basic(user, password))
        self._netrc: netrc.netrc | None = None
        if use_netrc:
            path = os.environ.get("NETRC") or str(Path.home() / ".netrc")
            try:
                self._netrc = netrc.netrc(path)
            except (OSError, netrc.NetrcParseError):
                self._netrc = None

    def header_for(self, url: str) -> str | None:
        """Return the ``Authorization`` header for ``url``'s host, if any."""
        parts = urllib.parse.urlsplit(url)
        if parts.username is not None:
            return _basic(
                urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or "")
            )
        found = self._headers.get(host_key(url))
        if found is None and self._netrc is not None and parts.hostname:
            entry = self._netrc.authenticators(parts.hostname)
            if entry is not None:
                found = _basic(entry[0], entry[2] or "")
        return found


def fetch_all(
    requests: Sequence[FileRequest],
    cache: FileCache,
    *,
    credentials: Credentials | None = None,
    jobs: int = DOWNLOAD_JOBS,
    timeout: float | None = None,
    retries: int = 2,
    backoff: float = 0.25,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Path]:
    """Fetch and verify every requested file.

    Args:
        requests: the files.
        cache: where downloads are stored (by sha256) and looked up first.
        credentials: auth for index hosts (default: ``~/.netrc`` only).
        jobs: parallel downloads.
        timeout: seconds per connection attempt and per read (default
            ``ENVSNAP_HTTP_TIMEOUT`` or 30).
        retries: extra attempts after a connection error, timeout, 429/5xx
            answer or a truncated body.
        backoff: seconds before the first retry, doubled for each next one.
        progress: called as ``progress(done, total)`` after each file.

    Returns:
        ``{sha256: local path}`` for every request (a cache entry or the
        local file itself).

    Raises:
        OperationError: one or more files could not be fetched or do not match
            their hash; the message names each (package and file).
    """
    from envsnap._threads import run_parallel  # noqa: PLC0415

    auth = credentials or Credentials()
    seconds = http_timeout(30.0) if timeout is None else timeout
    unique = list({r.sha256.lower(): r for r in requests}.values())

    def one(request: FileRequest) -> Path:
        return _fetch(request, cache, auth, timeout=seconds, retries=retries, backoff=backoff)

    outcomes = run_parallel(one, unique, jobs=jobs, done=progress)
    found: dict[str, Path] = {}
    failures: list[OperationError] = []
    for request, outcome in zip(unique, outcomes, strict=True):
        if isinstance(outcome, OperationError):
            failures.append(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            found[request.sha256.lower()] = outcome
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


def _fetch(
    request: FileRequest,
    cache: FileCache,
    auth: Credentials,
    *,
    timeout: float,
    retries: int,
    backoff: float,
) -> Path:
    """Return a verified local path for one request (see :func:`fetch_all`)."""
    cached = cache.get_file(request.sha256)
    if cached is not None:
        from envsnap.cache import hash_file  # noqa: PLC0415

        # re-hashed on reuse: a hash given in the lock is always enforced
        if hash_file(cached)[0] == request.sha256:
            return cached
        cached.unlink(missing_ok=True)
    local = request.path
    if local is None and request.url and request.url.startswith("file:"):
        from urllib.request import url2pathname  # noqa: PLC0415

        local = Path(url2pathname(urllib.parse.urlsplit(request.url).path))
    what = f"{request.package}: {request.filename}"
    if local is not None:
        from envsnap.cache import hash_file  # noqa: PLC0415

        try:
            digest, _ = hash_file(local)
        except OSError as exc:
            raise OperationError(f"{what}: cannot read {local}: {exc.strerror or exc}") from None
        _check(what, request.sha256, digest)
        return local
    if not request.url:
        raise OperationError(f"{what}: the lock file gives no URL or path for it")
    return _download(
        request, cache, auth, what=what, timeout=timeout, retries=retries, backoff=backoff
    )


def _download(
    request: FileRequest,
    cache: FileCache,
    auth: Credentials,
    *,
    what: str,
    timeout: float,
    retries: int,
    backoff: float,
) -> Path:
    import http.client  # noqa: PLC0415 - only when something is downloaded
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    url = request.url or ""
    clean = strip_credentials(url)[0]
    headers = {"User-Agent": "envsnap", "Accept": "*/*"}
    header = auth.header_for(url)
    if header is not None:
        headers["Authorization"] = header
    http_request = urllib.request.Request(without_userinfo(url), headers=headers)  # noqa: S310
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        handle, scratch = cache.scratch_file()
        try:
            with handle:
                digest, size = _stream(http_request, handle, timeout=timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            scratch.unlink(missing_ok=True)
            if exc.code == 429 or exc.code >= 500:
                last = f"{exc.code} {exc.reason}"
                continue
            hint = (
                "give credentials in the index URL or in ~/.netrc"
                if exc.code in (401, 403)
                else "the file is gone from where the lock file says: regenerate the lock file"
            )
            raise OperationError(
                f"{what}: {exc.code} {exc.reason} from {clean}", hint=hint
            ) from None
        except (
            urllib.error.URLError,
            TimeoutError,
            ConnectionError,
            http.client.HTTPException,
        ) as exc:
            scratch.unlink(missing_ok=True)
            reason = getattr(exc, "reason", exc)
            strerror = reason.strerror if isinstance(reason, OSError) else None
            last = strerror or str(reason) or type(reason).__name__
            if isinstance(reason, TimeoutError):
                last = f"no answer for {timeout:g} s (ENVSNAP_HTTP_TIMEOUT)"
            if isinstance(exc, http.client.IncompleteRead):
                last = f"truncated download ({len(exc.partial)} bytes, then the connection closed)"
            continue
        except BaseException:
            scratch.unlink(missing_ok=True)
            raise
        if request.size is not None and size != request.size and digest != request.sha256.lower():
            scratch.unlink(missing_ok=True)
            last = f"truncated download ({size} of {request.size} bytes)"
            continue
        try:
            _check(what, request.sha256, digest)
        except OperationError:
            scratch.unlink(missing_ok=True)
            raise
        return cache.add_file(scratch, digest)
    raise OperationError(
        f"{what}: cannot download {clean} ({last}; {retries + 1} attempts)",
        hint="nothing was installed; check the network and the index, then run again",
    )


def _stream(request: Request, handle: object, *, timeout: float) -> tuple[str, int]:
    """GET ``request`` into ``handle``; return ``(sha256, size)`` of the body."""
    import http.client  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415
    from typing import BinaryIO, cast  # noqa: PLC0415

    out = cast("BinaryIO", handle)
    digest = hashlib.sha256()
    size = 0
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        expected = response.headers.get("Content-Length")
        while chunk := response.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    if expected is not None and expected.isdigit() and int(expected) != size:
        raise http.client.IncompleteRead(b"\0" * size, int(expected) - size)
    return digest.hexdigest(), size


def _check(what: str, expected: str, found: str) -> None:
    if found != expected.lower():
        raise OperationError(
            f"{what}: hash mismatch: the lock file expects sha256 {expected.lower()}, "
            f"the file has {found}",
            hint="the file changed on the index or the lock file is wrong: nothing was "
            "installed; regenerate the lock file if the change is expected",
        )


def host_key(url: str) -> str:
    """Return ``scheme://host:port`` of a URL: the key credentials and outages are kept by."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"


def _basic(user: str, password: str) -> str:
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def without_userinfo(url: str) -> str:
    """Return ``url`` without any ``user:password@`` (credentials go in a header instead)."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))

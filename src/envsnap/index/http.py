"""The one HTTP client for index pages and file downloads (urllib3).

Built on ``urllib3.PoolManager`` (connection reuse, ``maxsize`` connections
per host) and ``urllib3.Retry`` (connection errors, read timeouts, 429 and
5xx answers retried with exponential backoff; ``Retry-After`` is not obeyed,
so a server cannot make envsnap wait for hours). On top of it, what pip does
and what a hostile server must not get around:

- **credentials** from the index URLs (``user:password@``) and ``~/.netrc``
  (``$NETRC``) are sent as a header to their own origin only, and never
  appear in a message;
- **redirects** are followed here, hop by hop: each hop must pass pip's
  secure-origin rule (:func:`envsnap.index.secure.is_secure`), and a hop to
  another origin (scheme, host, port) loses the ``Authorization`` header
  (as requests and pip do);
- pip's ``cert`` (CA bundle) and ``client-cert`` settings are honoured, and a
  ``--trusted-host`` is fetched over ``https`` without certificate verification
  (pip's rule; hashes are still checked);
- **bounds**: a page larger than :attr:`Limits.page_bytes` or a file larger
  than the size the index or lock states (else :attr:`Limits.file_bytes`)
  is refused while streaming, never held in memory; a file must arrive
  within :attr:`Limits.deadline` seconds and, after the first
  :attr:`Limits.timeout` seconds, at :attr:`Limits.min_rate` bytes per
  second or more;
- :meth:`HttpClient.cancel` stops every transfer at its next chunk (the
  caller removes partial files; see :mod:`envsnap.index.download`).

Why one module of this size: one HTTP client (pooling, retries, credentials, proxies,
certificates, the page cache) is one concern; its parts share the connection state.
"""

from __future__ import annotations

import base64
import hashlib
import netrc
import os
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envsnap._text import strip_credentials
from envsnap.errors import InputError, OperationError
from envsnap.index.secure import is_secure, is_trusted

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import BinaryIO

    import urllib3

    from envsnap.index.cache import PageCache

__all__ = [
    "Cancelled",
    "Credentials",
    "HttpClient",
    "Limits",
    "Page",
    "Refused",
    "Unreachable",
    "host_key",
    "http_timeout",
    "without_userinfo",
]

_CHUNK = 1 << 16
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_HOPS = 10
_MB = 1 << 20
_TIMEOUT = 15.0


class Unreachable(OperationError):
    """The server did not answer usefully after the retries (refused, DNS, timeouts, 5xx)."""

    reason = ""
    """The cause in a few words (``Connection refused``, ``503 Service Unavailable``)."""


class Refused(Unreachable):
    """The server's answer was refused: over a size bound, too slow, an insecure redirect.

    A misbehaving index stops the whole run at once, reported alone (as
    :class:`Unreachable` does), not once per package.
    """


class _BrokenBody(Exception):
    """A body cut short (connection closed or read timeout): the download is tried again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Cancelled(OperationError):
    """The transfer was stopped by :meth:`HttpClient.cancel` (Ctrl-C, SIGTERM)."""


def http_timeout(default: float, *, environ: Mapping[str, str] | None = None) -> float:
    """Return the seconds to wait to connect or read: ``ENVSNAP_HTTP_TIMEOUT``, else ``default``.

    Raises:
        InputError: the variable is not a positive number.
    """
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
class Limits:
    """Time and size bounds of every transfer."""

    timeout: float = _TIMEOUT
    """Seconds to connect, and to wait for each read (``ENVSNAP_HTTP_TIMEOUT``)."""
    retries: int = 2
    """Extra attempts after a connection error, a timeout, a 429 or 5xx answer."""
    backoff: float = 0.25
    """urllib3's ``backoff_factor``: the second retry waits this, each next one double."""
    jobs: int = 8
    """Parallel transfers, and pooled connections kept per host."""
    page_bytes: int = 32 * _MB
    """The largest index page accepted (``ENVSNAP_MAX_PAGE_MB``; the package index's
    biggest pages are a few MB). Eight pages are read at once: 8 x 32 MiB bounds memory."""
    file_bytes: int = 4096 * _MB
    """The largest file accepted when neither the index nor the lock states its size."""
    deadline: float = 3600.0
    """Seconds one file (or page) may take, all of it."""
    min_rate: float = 1024.0
    """Bytes per second a transfer must average once ``timeout`` seconds have passed."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Return the defaults with ``ENVSNAP_HTTP_TIMEOUT`` and ``ENVSNAP_MAX_PAGE_MB`` applied.

        Raises:
            InputError: a variable is not a positive number.
        """
        env = os.environ if environ is None else environ
        pages = env.get("ENVSNAP_MAX_PAGE_MB", "").strip()
        if pages and not (pages.isdigit() and int(pages) > 0):
            raise InputError(
                f"ENVSNAP_MAX_PAGE_MB={pages}: not a positive whole number of MiB",
                hint="set it to the largest index page to accept, e.g. 64, or unset it",
            )
        return cls(
            timeout=http_timeout(_TIMEOUT, environ=env),
            page_bytes=int(pages) * _MB if pages else 32 * _MB,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """An index page as read (from the server or the page cache)."""

    body: bytes | bytearray
    """Its bytes (at most :attr:`Limits.page_bytes`)."""
    content_type: str
    """Its ``Content-Type``."""
    url: str
    """Where it finally came from (links resolve against it; credentials stripped)."""


def host_key(url: str) -> str:
    """Return ``scheme://host:port`` of a URL: its origin, the key credentials are kept by."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{parts.scheme.lower()}://{parts.hostname}:{port or default or ''}"


def without_userinfo(url: str) -> str:
    """Return ``url`` without any ``user:password@`` (credentials go in a header instead)."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _reason(exc: BaseException, timeout: float) -> str:
    """Return the root cause of a urllib3 error in a few words (``Connection refused``)."""
    import urllib3  # noqa: PLC0415

    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or current in seen:
            continue
        seen.append(current)
        if isinstance(current, (TimeoutError, urllib3.exceptions.TimeoutError)) and not isinstance(
            current, urllib3.exceptions.NewConnectionError
        ):
            return f"no answer for {timeout:g} s (ENVSNAP_HTTP_TIMEOUT)"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        todo += [getattr(current, "reason", None), current.__cause__, current.__context__]
    return str(getattr(exc, "reason", None) or exc)


def _basic(user: str, password: str) -> str:
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


class Credentials:
    """Basic-auth headers for origins, from index URLs and ``~/.netrc`` (as pip does).

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
        """Return the ``Authorization`` header for ``url``'s origin, if any."""
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


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` names ``host``: ``*``, the host, or a domain it ends in (curl's)."""
    host = host.lower().rstrip(".")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and port is not None and entry_port != str(port):
            continue
        name = name.lstrip(".").rstrip(".")
        if entry == "*" or (name and (host == name or host.endswith("." + name))):
            return True
    return False


class HttpClient:
    """Pooled, retried, bounded GETs for pages and files (see the module docstring).

    Args:
        credentials: auth for index origins (default: ``~/.netrc`` only).
        trusted_hosts: ``--trusted-host`` values: plain http allowed to them,
            and their ``https`` certificates not verified (as pip does; the
            files' hashes are still checked).
        cert: a CA bundle (pip's ``cert``); default: the system's.
        client_cert: a PEM file with a client key and certificate (pip's ``client-cert``).
        proxy: pip's ``proxy`` setting, used for every request; without it the
            ``HTTP_PROXY``/``HTTPS_PROXY`` variables are, except for the hosts
            of ``NO_PROXY`` (as pip and requests do).
        limits: time and size bounds (default :meth:`Limits.from_environment`).
    """

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        trusted_hosts: Sequence[str] = (),
        cert: str | None = None,
        client_cert: str | None = None,
        proxy: str | None = None,
        limits: Limits | None = None,
    ) -> None:
        import urllib3  # noqa: PLC0415 - only when the network is used

        self.limits = limits or Limits.from_environment()
        self.credentials = credentials or Credentials()
        self.trusted_hosts = tuple(trusted_hosts)
        self._retry = urllib3.Retry(
            total=self.limits.retries,
            backoff_factor=self.limits.backoff,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            redirect=False,
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        self._client_cert = client_cert
        self._ca_certs = cert
        self._proxy = proxy
        self._pools: dict[tuple[bool, str | None], urllib3.PoolManager] = {}
        self._cancelled = threading.Event()
        self._down: dict[str, OperationError] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            for pool in self._pools.values():
                pool.clear()

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        """Return the pool for ``url``: through its proxy, unverified TLS for a trusted host."""
        verify = not (url[:6].lower() == "https:" and is_trusted(url, self.trusted_hosts))
        key = (verify, self._proxy_for(url))
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = self._make_pool(verify=verify, proxy=key[1])
            return pool

    def _proxy_for(self, url: str) -> str | None:
        """Return the proxy a request to ``url`` goes through, as pip would choose it."""
        if self._proxy:
            return self._proxy
        import urllib.parse  # noqa: PLC0415
        import urllib.request  # noqa: PLC0415

        parts = urllib.parse.urlsplit(url)
        proxies = urllib.request.getproxies()  # HTTP_PROXY, HTTPS_PROXY, NO_PROXY...
        chosen = proxies.get(parts.scheme.lower()) or proxies.get("all")
        if not chosen or _bypassed(parts.hostname or "", parts.port, proxies.get("no", "")):
            return None
        return chosen

    def _make_pool(self, *, verify: bool, proxy: str | None) -> urllib3.PoolManager:
        """Return a pool with this client's bounds, retries and client certificate.

        ``verify``: check servers' certificates (against pip's ``cert``, else the
        system's). ``proxy``: go through it (a CONNECT tunnel for ``https``).
        """
        import urllib3  # noqa: PLC0415

        if not verify:  # the user named the host: pip warns nothing either
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        tls: dict[str, Any] = (
            {"cert_reqs": "CERT_REQUIRED", "ca_certs": self._ca_certs}
            if verify
            else {"cert_reqs": "CERT_NONE", "assert_hostname": False}
        )
        common: dict[str, Any] = {
            "num_pools": 32,
            "maxsize": max(1, self.limits.jobs),
            "retries": self._retry,
            "timeout": urllib3.Timeout(connect=self.limits.timeout, read=self.limits.timeout),
            "cert_file": self._client_cert,
            **tls,
        }
        if proxy is None:
            return urllib3.PoolManager(**common)
        userinfo = urllib3.util.parse_url(proxy).auth
        headers = urllib3.make_headers(proxy_basic_auth=userinfo) if userinfo else None
        return urllib3.ProxyManager(proxy, proxy_headers=headers, **common)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def cancel(self) -> None:
        """Stop every transfer at its next chunk (each raises :class:`Cancelled`)."""
        self._cancelled.set()

    def get_page(
        self, url: str, *, accept: str, what: str, cache: PageCache | None = None
    ) -> Page | None:
        """GET an index page, through the page cache when given.

        Args:
            url: the page (credentials allowed, never shown).
            accept: the ``Accept`` header.
            what: names the request in messages (``name: INDEX/name/``).
            cache: where pages are kept and revalidated.

        Returns:
            The :class:`Page`, or ``None`` for 404/410.

        Raises:
            OperationError: refused redirect, 401/403, another 4xx, a page over
                the size limit, a deadline missed; :class:`Unreachable` when
                the server does not answer after the retries.
        """
        from envsnap.index.cache import CachedPage, max_age  # noqa: PLC0415

        clean = strip_credentials(url)[0]
        cached = cache.get(clean, accept) if cache is not None else None
        if cached is not None and cached.fresh():
            return Page(body=cached.body, content_type=cached.content_type, url=cached.url)
        headers = {"Accept": accept, "Accept-Encoding": "gzip, deflate"}
        if cached is not None:
            headers.update(cached.validators())
        response, final = self._open(url, headers, what=what)
        try:
            if response.status == 304 and cached is not None:
                page = cached
            elif response.status in (404, 410):
                response.close()  # its body unread: the connection cannot be reused
                return None
            else:
                body = self._read(response, what=what, limit=self.limits.page_bytes)
                page = CachedPage(
                    body=body,
                    content_type=response.headers.get("Content-Type", ""),
                    url=strip_credentials(final)[0],
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                )
        except BaseException:
            response.close()  # half read: the connection cannot be reused
            raise
        finally:
            response.release_conn()
        if cache is not None:
            from dataclasses import replace  # noqa: PLC0415

            age = max_age(response.headers.get("Cache-Control"))
            cache.put(clean, accept, replace(page, stored=time.time(), max_age=age))
        return Page(body=page.body, content_type=page.content_type, url=page.url)

    def download(
        self,
        url: str,
        out: BinaryIO,
        *,
        what: str,
        size: int | None = None,
    ) -> tuple[str, int] | None:
        """Stream a file into ``out`` while hashing it.

        Args:
            url: the file (credentials allowed, never shown).
            out: an open binary file.
            what: names the file in messages (``name==version: FILE``).
            size: the size the index or lock states; more bytes are refused.

        Returns:
            ``(sha256 hex digest, size)``, or ``None`` for 404/410.

        Raises:
            OperationError: as :meth:`get_page`; also a body longer or shorter
                than ``size``; :class:`Cancelled` after :meth:`cancel`.
        """
        import urllib3  # noqa: PLC0415

        retry = self._retry
        while True:
            out.seek(0)
            out.truncate()
            try:
                return self._download_once(url, out, what=what, size=size)
            except _BrokenBody as exc:
                # a body cut short is retried too, counted and spaced by urllib3's Retry
                try:
                    retry = retry.increment(
                        method="GET", url=url, error=urllib3.exceptions.ProtocolError(exc.reason)
                    )
                except urllib3.exceptions.MaxRetryError:
                    raise OperationError(
                        f"{what}: cannot download {strip_credentials(url)[0]} "
                        f"({exc.reason}; {self.limits.retries + 1} attempts)",
                        hint="nothing was installed; check the network and the index, "
                        "then run again",
                    ) from None
                retry.sleep()

    def _download_once(
        self,
        url: str,
        out: BinaryIO,
        *,
        what: str,
        size: int | None,
    ) -> tuple[str, int] | None:
        try:
            response, _ = self._open(
                url, {"Accept": "*/*", "Accept-Encoding": "identity"}, what=what
            )
        except Unreachable as exc:
            raise OperationError(
                f"{what}: cannot download {strip_credentials(url)[0]} "
                f"({exc.reason}; {self.limits.retries + 1} attempts)",
                hint="nothing was installed; check the network and the index, then run again",
            ) from None
        try:
            if response.status in (404, 410):
                return None
            digest = hashlib.sha256()
            limit = size if size is not None else self.limits.file_bytes

            def write(chunk: bytes) -> None:
                digest.update(chunk)
                out.write(chunk)

            got = self._stream(response, write, what=what, limit=limit, stated=size is not None)
        except BaseException:
            response.close()  # half read: the connection cannot be reused
            raise
        finally:
            response.release_conn()
        if size is not None and got != size:
            raise _BrokenBody(f"truncated download ({got} of {size} bytes)")
        return digest.hexdigest(), got

    # ------------------------------------------------------------------ internals

    def _open(
        self, url: str, headers: Mapping[str, str], *, what: str
    ) -> tuple[urllib3.BaseHTTPResponse, str]:
        """GET ``url`` following redirects hop by hop; return the final response and URL."""
        import urllib3  # noqa: PLC0415

        current = url
        auth = self.credentials.header_for(url)
        for _hop in range(_MAX_HOPS + 1):
            self._check_hop(current, url, what=what)
            self._check_down(current)
            sent = {"User-Agent": "envsnap", **headers}
            if auth is not None:
                sent["Authorization"] = auth
            try:
                response = self._pool_for(current).request(
                    "GET",
                    without_userinfo(current),
                    headers=sent,
                    preload_content=False,
                    redirect=False,
                )
            except urllib3.exceptions.HTTPError as exc:
                raise self._unreachable(current, exc) from None
            location = response.headers.get("Location")
            if response.status in _REDIRECTS and location:
                response.drain_conn()
                response.release_conn()
                following = urllib.parse.urljoin(current, location)
                if host_key(following) != host_key(current):
                    auth = self.credentials.header_for(following)  # never the old origin's
                current = following
                continue
            self._check_status(response, current, what=what)
            return response, current
        raise OperationError(
            f"{what}: more than {_MAX_HOPS} redirects from {strip_credentials(url)[0]}",
            hint="the index redirects in a loop; check the index URL",
        )

    def _check_hop(self, current: str, first: str, *, what: str) -> None:
        if is_secure(current, self.trusted_hosts):
            return
        shown = strip_credentials(current)[0]
        netloc = urllib.parse.urlsplit(shown).netloc
        origin = strip_credentials(first)[0]
        raise Refused(
            f"{what}: {origin} redirects to {shown}, plain http to a host that is not trusted",
            hint=f"refused as pip refuses it; pass --trusted-host {netloc} if you trust "
            "the network to it (hashes are still checked)",
        )

    def _check_down(self, url: str) -> None:
        with self._lock:
            down = self._down.get(host_key(url))
        if down is not None:
            raise down

    def _unreachable(self, url: str, exc: Exception | str) -> Unreachable:
        text = exc if isinstance(exc, str) else _reason(exc, self.limits.timeout)
        server = without_userinfo(urllib.parse.urljoin(url, "/"))
        error = Unreachable(
            f"cannot reach {server} ({text}; {self.limits.retries + 1} attempts)",
            hint="check the index URL and your network, or use a local wheelhouse: "
            "pip download -d DIR -r requirements.txt, then --find-links DIR",
        )
        error.reason = text
        with self._lock:
            self._down.setdefault(host_key(url), error)
        return error

    def _check_status(self, response: urllib3.BaseHTTPResponse, url: str, *, what: str) -> None:
        status = response.status
        if status < 400 or status in (404, 410):
            return
        response.drain_conn()
        response.release_conn()
        clean = strip_credentials(url)[0]
        text = f"{status} {response.reason or ''}".strip()
        if status in (401, 403):
            raise OperationError(
                f"{what}: {text} from {clean}",
                hint="give credentials in the index URL (https://USER:TOKEN@host/...) "
                "or in ~/.netrc; envsnap never writes them to a file",
            )
        if status == 429 or status >= 500:
            raise self._unreachable(url, text)
        raise OperationError(f"{what}: {text} from {clean}")

    def _read(self, response: urllib3.BaseHTTPResponse, *, what: str, limit: int) -> bytearray:
        body = bytearray()  # grown in place: no second copy of a large page
        self._stream(response, body.extend, what=what, limit=limit, stated=False, page=True)
        return body

    def _stream(
        self,
        response: urllib3.BaseHTTPResponse,
        write: Callable[[bytes], None],
        *,
        what: str,
        limit: int,
        stated: bool,
        page: bool = False,
    ) -> int:
        """Pass the body to ``write`` chunk by chunk within the limits; return its length."""
        import urllib3  # noqa: PLC0415

        kind = "page" if page else "file"
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(what, kind, limit, stated=stated, declared=int(declared))
        limits = self.limits
        start = time.monotonic()
        total = 0
        try:
            while True:
                if self._cancelled.is_set():
                    raise Cancelled(f"{what}: interrupted")
                chunk = response.read1(_CHUNK)
                if not chunk:
                    return total
                total += len(chunk)
                if total > limit:
                    raise self._too_large(what, kind, limit, stated=stated)
                write(chunk)
                elapsed = time.monotonic() - start
                if elapsed > limits.deadline:
                    raise Refused(
                        f"{what}: took more than {limits.deadline:g} s ({total} bytes so far)",
                        hint="the server is too slow; try again later or use another index",
                    )
                if elapsed > limits.timeout and total / elapsed < limits.min_rate:
                    raise Refused(
                        f"{what}: too slow ({total} bytes in {elapsed:.0f} s, under "
                        f"{limits.min_rate:g} bytes/s)",
                        hint="the server is too slow; try again later or use another index",
                    )
        except urllib3.exceptions.HTTPError as exc:
            if isinstance(exc, urllib3.exceptions.ReadTimeoutError) or "timed out" in str(exc):
                reason = f"no answer for {limits.timeout:g} s (ENVSNAP_HTTP_TIMEOUT)"
            else:
                reason = f"truncated download ({total} bytes, then the connection closed)"
            if page:
                raise OperationError(f"{what}: {reason}") from None
            raise _BrokenBody(reason) from None

    @staticmethod
    def _too_large(
        what: str, kind: str, limit: int, *, stated: bool, declared: int | None = None
    ) -> OperationError:
        says = (
            f"says {declared} bytes" if declared is not None else f"sends more than {limit} bytes"
        )
        bound = "the size the index or lock file states" if stated else f"envsnap's {kind} limit"
        return Refused(
            f"{what}: the server {says}, over {bound} ({limit} bytes); stopped",
            hint="the server misbehaves (or the lock file states a wrong size); "
            "nothing was written or installed",
        )

"""The one HTTP client for index pages and file downloads (urllib3), held to what pip does.

``urllib3.Retry`` retries connection errors, read timeouts, 429 and 5xx with backoff but
ignores ``Retry-After`` (a server cannot make envsnap wait for hours). Credentials (index
URLs' ``user:password@``, ``~/.netrc``) go as a header to their own origin only, never into
a message (:mod:`envsnap.index.secure`). Redirects are followed hop by hop: each hop must pass
pip's secure-origin rule, and a hop to another origin loses ``Authorization`` (as requests
and pip do). pip's ``cert``, ``client-cert`` and ``proxy`` are honoured; a ``--trusted-host``
is fetched over ``https`` without certificate verification (pip's rule; hashes still
checked). Every body is read within :func:`envsnap.index.transfer.read_body`'s bounds, and
:meth:`HttpClient.cancel` stops every transfer at its next chunk.
"""

from __future__ import annotations

import hashlib
import threading
import time
import urllib.parse
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from envsnap._text import strip_credentials
from envsnap.errors import OperationError
from envsnap.index.secure import Credentials, host_key, is_secure, is_trusted, without_userinfo
from envsnap.index.transfer import BrokenBody, Limits, Refused, Unreachable, read_body

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import BinaryIO

    import urllib3

    from envsnap.index.cache import Page, PageCache
    from envsnap.index.settings import IndexSettings

__all__ = ["HttpClient"]

_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_HOPS = 10


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
        trusted_hosts: ``--trusted-host`` values: plain http allowed, ``https`` certificates
            not verified (pip's rule; hashes are still checked).
        cert: a CA bundle (pip's ``cert``); default: the system's.
        client_cert: a PEM file with a client key and certificate (pip's ``client-cert``).
        proxy: pip's ``proxy``, used for every request; without it ``HTTP(S)_PROXY`` are,
            except for the hosts of ``NO_PROXY`` (as pip and requests do).
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

    @classmethod
    def from_settings(cls, settings: IndexSettings, *, limits: Limits | None = None) -> HttpClient:
        """Return the client pip's settings describe (credentials, trusted hosts, cert, proxy)."""
        return cls(
            credentials=Credentials(settings.index_urls()),
            trusted_hosts=settings.trusted_hosts,
            cert=settings.cert,
            client_cert=settings.client_cert,
            proxy=settings.proxy,
            limits=limits,
        )

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
        import urllib.request  # noqa: PLC0415

        parts = urllib.parse.urlsplit(url)
        proxies = urllib.request.getproxies()  # HTTP_PROXY, HTTPS_PROXY, NO_PROXY...
        chosen = proxies.get(parts.scheme.lower()) or proxies.get("all")
        if not chosen or _bypassed(parts.hostname or "", parts.port, proxies.get("no", "")):
            return None
        return chosen

    def _make_pool(self, *, verify: bool, proxy: str | None) -> urllib3.PoolManager:
        """Return a pool with this client's bounds, retries, client certificate and proxy."""
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
        self,
        url: str,
        *,
        accept: str,
        what: str,
        cache: PageCache | None = None,
        revalidate: bool = False,
    ) -> Page | None:
        """GET an index page, through the page cache when given.

        Args:
            url: the page (credentials allowed, never shown).
            accept: the ``Accept`` header.
            what: names the request in messages (``name: INDEX/name/``).
            cache: where pages are kept and revalidated.
            revalidate: ask the server (conditionally: 304 keeps the cached body) even
                while the cached page's ``Cache-Control: max-age`` lasts.

        Returns:
            The :class:`~envsnap.index.cache.Page`, or ``None`` for 404/410.

        Raises:
            OperationError: refused redirect, 401/403, another 4xx, a page over the size
                limit, a deadline missed; :class:`Unreachable`: no answer after the retries.
        """
        from envsnap.index.cache import Page, max_age  # noqa: PLC0415

        clean = strip_credentials(url)[0]
        cached = cache.get(clean, accept) if cache is not None else None
        if cached is not None and cached.fresh() and not revalidate:
            return cached
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
                body = bytearray()  # grown in place: no second copy of a large page
                read_body(
                    response,
                    body.extend,
                    limits=self.limits,
                    cancelled=self._cancelled,
                    what=what,
                    limit=self.limits.page_bytes,
                    stated=False,
                    page=True,
                )
                page = Page(
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
            age = max_age(response.headers.get("Cache-Control"))
            page = replace(page, stored=time.time(), max_age=age)
            cache.put(clean, accept, page)
        return page

    def download(
        self, url: str, out: BinaryIO, *, what: str, size: int | None = None
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
            OperationError: as :meth:`get_page`; a body longer or shorter than ``size``;
                :class:`Cancelled` after :meth:`cancel`.
        """
        import urllib3  # noqa: PLC0415

        retry = self._retry
        while True:
            out.seek(0)
            out.truncate()
            try:
                return self._download_once(url, out, what=what, size=size)
            except BrokenBody as exc:
                # a body cut short is retried too, counted and spaced by urllib3's Retry
                try:
                    retry = retry.increment(
                        method="GET", url=url, error=urllib3.exceptions.ProtocolError(exc.reason)
                    )
                except urllib3.exceptions.MaxRetryError:
                    raise self._not_downloaded(url, exc.reason, what=what) from None
                retry.sleep()

    def _download_once(
        self, url: str, out: BinaryIO, *, what: str, size: int | None
    ) -> tuple[str, int] | None:
        try:
            response, _ = self._open(
                url, {"Accept": "*/*", "Accept-Encoding": "identity"}, what=what
            )
        except Unreachable as exc:
            raise self._not_downloaded(url, exc.reason, what=what) from None
        try:
            if response.status in (404, 410):
                return None
            digest = hashlib.sha256()

            def write(chunk: bytes) -> None:
                digest.update(chunk)
                out.write(chunk)

            got = read_body(
                response,
                write,
                limits=self.limits,
                cancelled=self._cancelled,
                what=what,
                limit=size if size is not None else self.limits.file_bytes,
                stated=size is not None,
            )
        except BaseException:
            response.close()  # half read: the connection cannot be reused
            raise
        finally:
            response.release_conn()
        if size is not None and got != size:
            raise BrokenBody(f"truncated download ({got} of {size} bytes)")
        return digest.hexdigest(), got

    def _not_downloaded(self, url: str, reason: str, *, what: str) -> OperationError:
        return OperationError(
            f"{what}: cannot download {strip_credentials(url)[0]} "
            f"({reason}; {self.limits.retries + 1} attempts)",
            hint="nothing was installed; check the network and the index, then run again",
        )

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

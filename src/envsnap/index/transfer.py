"""What a transfer is held to, and how it can end: bounds, bounded body reads, errors.

Every body the client of :mod:`envsnap.index.http` reads goes through :func:`read_body`:
chunk by chunk, refused as soon as it is over its size bound (the size the index or lock
states, else :class:`Limits`' page or file bound), never held whole in memory beyond it, and
within a deadline and a minimum rate, so a server that trickles cannot hold envsnap for hours.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envsnap.errors import InputError, OperationError

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Mapping

    import urllib3

__all__ = [
    "BrokenBody",
    "Cancelled",
    "Limits",
    "Refused",
    "Unreachable",
    "http_timeout",
    "read_body",
]

_CHUNK = 1 << 16
_MB = 1 << 20
_TIMEOUT = 15.0
_SLOW = "the server is too slow; try again later or use another index"


class Unreachable(OperationError):
    """The server did not answer usefully after the retries (refused, DNS, timeouts, 5xx)."""

    reason = ""
    """The cause in a few words (``Connection refused``, ``503 Service Unavailable``)."""


class Refused(Unreachable):
    """The server's answer was refused: over a size bound, too slow, an insecure redirect.

    Like :class:`Unreachable`, it stops the whole run at once, reported alone.
    """


class BrokenBody(Exception):
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


def read_body(
    response: urllib3.BaseHTTPResponse,
    write: Callable[[bytes], None],
    *,
    limits: Limits,
    cancelled: threading.Event,
    what: str,
    limit: int,
    stated: bool,
    page: bool = False,
) -> int:
    """Pass a response's body to ``write`` chunk by chunk, within the bounds.

    Args:
        response: an unread urllib3 response (``preload_content=False``).
        write: called with each chunk, as it arrives.
        limits: the deadline and the minimum rate.
        cancelled: set by :meth:`HttpClient.cancel`; checked before each chunk.
        what: names the transfer in messages.
        limit: the most bytes accepted (a stated size, else a page or file limit).
        stated: ``limit`` is the size the index or lock file states.
        page: the body is an index page (a cut-short page is not retried).

    Returns:
        The body's length in bytes.

    Raises:
        Refused: over ``limit`` (``Content-Length`` or bytes received), past the
            deadline, or under the minimum rate.
        Cancelled: ``cancelled`` was set.
        BrokenBody: a file's body was cut short (the caller tries again).
        OperationError: a page's body was cut short.
    """
    import urllib3  # noqa: PLC0415

    kind = "page" if page else "file"
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(what, kind, limit, stated=stated, declared=int(declared))
    start = time.monotonic()
    total = 0
    try:
        while True:
            if cancelled.is_set():
                raise Cancelled(f"{what}: interrupted")
            chunk = response.read1(_CHUNK)
            if not chunk:
                return total
            total += len(chunk)
            if total > limit:
                raise _too_large(what, kind, limit, stated=stated)
            write(chunk)
            elapsed = time.monotonic() - start
            if elapsed > limits.deadline:
                raise Refused(
                    f"{what}: took more than {limits.deadline:g} s ({total} bytes so far)",
                    hint=_SLOW,
                )
            if elapsed > limits.timeout and total / elapsed < limits.min_rate:
                raise Refused(
                    f"{what}: too slow ({total} bytes in {elapsed:.0f} s, under "
                    f"{limits.min_rate:g} bytes/s)",
                    hint=_SLOW,
                )
    except urllib3.exceptions.HTTPError as exc:
        if isinstance(exc, urllib3.exceptions.ReadTimeoutError) or "timed out" in str(exc):
            reason = f"no answer for {limits.timeout:g} s (ENVSNAP_HTTP_TIMEOUT)"
        else:
            reason = f"truncated download ({total} bytes, then the connection closed)"
        if page:
            raise OperationError(f"{what}: {reason}") from None
        raise BrokenBody(reason) from None


def _too_large(
    what: str, kind: str, limit: int, *, stated: bool, declared: int | None = None
) -> OperationError:
    says = f"says {declared} bytes" if declared is not None else f"sends more than {limit} bytes"
    bound = "the size the index or lock file states" if stated else f"envsnap's {kind} limit"
    return Refused(
        f"{what}: the server {says}, over {bound} ({limit} bytes); stopped",
        hint="the server misbehaves (or the lock file states a wrong size); "
        "nothing was written or installed",
    )

"""Origins: which are secure for plain http, and the credentials each one is sent (as pip does).

pip reads an ``http://`` index or find-links page only from a *secure origin* (pip's
``SECURE_ORIGINS``: ``https``, ``file``, ``localhost``, ``127.0.0.0/8``, ``::1``) or a
``--trusted-host`` (``PIP_TRUSTED_HOST``): a bare ``HOST`` trusts every port, ``HOST:PORT``
that one. pip skips another such index with a warning; envsnap stops instead (exit 2), as a
run that silently skips an index gives a different result. Hashes are still checked.
:class:`Credentials` holds each origin's ``Authorization`` header (from index URLs'
``user:password@`` and ``~/.netrc``); a URL sent on the wire carries none.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import netrc
import os
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap._text import strip_credentials
from envsnap.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["Credentials", "check_secure", "host_key", "is_secure", "is_trusted", "without_userinfo"]

_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def is_secure(url: str, trusted: Iterable[str] = ()) -> bool:
    """Return whether pip would fetch from ``url`` without ``--trusted-host``, or it is trusted.

    Args:
        url: an index, find-links or file URL (a local path counts as secure).
        trusted: ``HOST`` or ``HOST:PORT`` values (pip's ``--trusted-host``).
    """
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() != "http" or host == "localhost":
        return True
    with contextlib.suppress(ValueError):  # a name, not an address
        if any(ipaddress.ip_address(host) in net for net in _LOOPBACK):
            return True
    return is_trusted(url, trusted)


def is_trusted(url: str, trusted: Iterable[str] = ()) -> bool:
    """Return whether ``url``'s host is a ``--trusted-host`` (pip's rule, any scheme).

    A bare ``HOST`` trusts every port, ``HOST:PORT`` that one (80 for ``http``, 443 for
    ``https`` when the URL names none). ``trusted``: ``HOST`` or ``HOST:PORT`` values.
    """
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return False
    for entry in trusted:
        wanted = urllib.parse.urlsplit(f"//{entry.strip().lower()}")
        try:
            wanted_port = wanted.port
        except ValueError:
            continue
        if wanted.hostname == host and wanted_port in (None, port):
            return True
    return False


def check_secure(urls: Iterable[tuple[str, str]], trusted: Iterable[str] = ()) -> None:
    """Refuse the first plain-http URL whose host is neither a secure origin nor trusted.

    Args:
        urls: ``(url, where)`` pairs; ``where`` names its origin (``--index-url``,
            ``pylock.toml:12``...).
        trusted: ``--trusted-host`` values.

    Raises:
        InputError: names the URL without credentials; the hint, the ``--trusted-host``.
    """
    hosts = tuple(trusted)
    for url, where in urls:
        if is_secure(url, hosts):
            continue
        clean = strip_credentials(url)[0]
        netloc = urllib.parse.urlsplit(clean).netloc
        raise InputError(
            f"{where}: {clean} is plain http to a host that is not trusted",
            hint=f"use https, or pass --trusted-host {netloc} (or set PIP_TRUSTED_HOST) "
            "if you trust the network to it; hashes are still checked",
        )


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


def _basic(user: str, password: str) -> str:
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _from_userinfo(parts: urllib.parse.SplitResult) -> str | None:
    """Return the header for a URL's own ``user:password@``, if it has one."""
    if parts.username is None:
        return None
    return _basic(urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))


class Credentials:
    """Basic-auth headers for origins, from index URLs and ``~/.netrc`` (as pip does).

    Args:
        urls: index URLs that may carry ``user:password@``.
        use_netrc: also read ``$NETRC`` or ``~/.netrc`` for other hosts.
    """

    def __init__(self, urls: Sequence[str] = (), *, use_netrc: bool = True) -> None:
        self._headers: dict[str, str] = {}
        for url in urls:
            header = _from_userinfo(urllib.parse.urlsplit(url))
            if header is not None:
                self._headers.setdefault(host_key(url), header)
        self._netrc: netrc.netrc | None = None
        if use_netrc:
            with contextlib.suppress(OSError, netrc.NetrcParseError):
                self._netrc = netrc.netrc(os.environ.get("NETRC") or str(Path.home() / ".netrc"))

    def header_for(self, url: str) -> str | None:
        """Return the ``Authorization`` header for ``url``'s origin, if any."""
        parts = urllib.parse.urlsplit(url)
        found = _from_userinfo(parts) or self._headers.get(host_key(url))
        if found is None and self._netrc is not None and parts.hostname:
            entry = self._netrc.authenticators(parts.hostname)
            if entry is not None:
                found = _basic(entry[0], entry[2] or "")
        return found

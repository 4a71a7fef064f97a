"""Plain-http URLs: which hosts are secure origins, and refusing the others (as pip does).

pip fetches from an ``http://`` index or find-links page only when its host
is a *secure origin* or a ``--trusted-host``: ``https`` and ``file`` URLs,
the host ``localhost``, addresses in ``127.0.0.0/8`` and ``::1`` are secure
(pip's ``SECURE_ORIGINS``); anything else over plain http can be read and
changed on the way. pip ignores such an index with a warning; envsnap stops
instead (exit 2), because a restore or a freeze that silently skips an index
gives a different result. ``--trusted-host HOST`` (or ``HOST:PORT``) and
``PIP_TRUSTED_HOST`` (whitespace-separated) opt in, with pip's matching: a
bare host trusts every port of it, ``HOST:PORT`` only that port. Hashes are
still checked for files from a trusted host.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from typing import TYPE_CHECKING

from envsnap._text import strip_credentials
from envsnap.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["check_secure", "is_secure", "is_trusted"]

_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def is_secure(url: str, trusted: Iterable[str] = ()) -> bool:
    """Return whether pip would fetch from ``url`` without ``--trusted-host``, or it is trusted.

    Args:
        url: an index, find-links or file URL (a local path counts as secure).
        trusted: ``HOST`` or ``HOST:PORT`` values (pip's ``--trusted-host``).

    Returns:
        ``True`` for ``https``/``file``/paths, loopback hosts and trusted hosts.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "http":
        return True
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and any(address in net for net in _LOOPBACK):
        return True
    return is_trusted(url, trusted)


def is_trusted(url: str, trusted: Iterable[str] = ()) -> bool:
    """Return whether ``url``'s host is a ``--trusted-host`` (pip's rule, any scheme).

    A bare ``HOST`` trusts every port of it, ``HOST:PORT`` only that port
    (80 for ``http``, 443 for ``https`` when the URL names none). pip also
    skips TLS certificate verification for such a host over ``https``.

    Args:
        url: the URL.
        trusted: ``HOST`` or ``HOST:PORT`` values.
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
        urls: ``(url, where)`` pairs; ``where`` says where it came from
            (``--index-url``, ``pylock.toml:12``...).
        trusted: ``--trusted-host`` values.

    Raises:
        InputError: the first insecure URL, named without credentials, with
            a hint naming the ``--trusted-host`` value that would allow it.
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

"""URLs: ``file:`` URLs to paths, and credentials out of every URL envsnap records or shows.

One home for both jobs, so every reader, writer and installer treats a
``file:`` URL and a signed URL the same way.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

__all__ = ["SECRET_QUERY_KEYS", "file_url_path", "local_path", "redact_urls", "strip_credentials"]


def file_url_path(url: str) -> Path | None:
    """Return the local path of a ``file:`` URL (RFC 8089), else ``None``.

    ``file:///tmp/x%20y.whl`` -> ``/tmp/x y.whl``; ``file://localhost/x`` ->
    ``/x``. :func:`urllib.request.url2pathname` does the platform's part
    (drive letters on Windows); it is imported only here and only for a
    ``file:`` URL (``urllib.request`` costs about 30 ms to import).
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file":
        return None
    from urllib.request import url2pathname  # noqa: PLC0415 - 30 ms import, file: URLs only

    return Path(url2pathname(parts.path))


def local_path(value: str) -> Path | None:
    """Return the path of a ``file:`` URL or a bare path (``./x``, ``../x``, ``/x``, ``~/x``).

    Any other URL (``https://...``) or a bare name gives ``None``.
    """
    if value.startswith("file:"):
        return file_url_path(value)
    if "://" in value or not value.startswith((".", "/", "~")):
        return None
    return Path(value).expanduser()


SECRET_QUERY_KEYS = frozenset(
    {
        # signed URLs: S3 (SigV4 and V2), Google Cloud Storage, Azure SAS, CloudFront
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "awsaccesskeyid",
        "x-goog-signature",
        "x-goog-credential",
        "googleaccessid",
        "signature",
        "sig",
        # tokens and keys of private indexes and forges
        "token",
        "access_token",
        "refresh_token",
        "private_token",
        "job_token",
        "auth",
        "api_key",
        "apikey",
        "api-key",
        "client_secret",
        "secret",
        "password",
        "passwd",
    }
)
"""Query parameter names (compared lower-cased) whose value is a credential."""


def _is_placeholder(value: str) -> bool:
    """``${VAR}``: an environment variable PEP 610 lets a URL name instead of a secret."""
    return value.startswith("${") and value.endswith("}")


def strip_credentials(url: str) -> tuple[str, bool]:
    """Remove the credentials from a URL: ``user:password@`` and secret query parameters.

    PEP 610 says a recorded URL must not carry credentials; pip removes
    ``user:password@`` only, yet a signed URL (an S3 or GCS pre-signed link,
    an Azure SAS link, ``?token=`` of a private index) carries its secret in
    the query string. Both are removed: the ``user:password@`` part, and each
    query parameter named in :data:`SECRET_QUERY_KEYS` (the other parameters
    and the ``#fragment`` stay as written). PEP 610 allows ``${VAR}``
    placeholders and the ``git@`` user of SSH URLs; those are kept.

    Args:
        url: any URL.

    Returns:
        ``(clean_url, stripped)``: the URL without credentials, and whether
        anything was removed.
    """
    parts = urllib.parse.urlsplit(url)
    netloc, query = parts.netloc, parts.query
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        if userinfo != "git" and not _is_placeholder(userinfo):
            netloc = host
    if query:
        kept = [field for field in query.split("&") if not _is_secret_field(field)]
        query = "&".join(kept)
    if (netloc, query) == (parts.netloc, parts.query):
        return url, False
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query)), True


def _is_secret_field(field: str) -> bool:
    """Whether one ``name=value`` of a query string holds a credential."""
    name, _, value = field.partition("=")
    return urllib.parse.unquote_plus(
        name
    ).strip().lower() in SECRET_QUERY_KEYS and not _is_placeholder(urllib.parse.unquote(value))


_URL_USERINFO = r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s'\"]+)@"
_SECRET_NAMES = "|".join(re.escape(k) for k in sorted(SECRET_QUERY_KEYS, key=len, reverse=True))
_SECRET_QUERY = rf"(?P<name>[?&;](?:{_SECRET_NAMES})=)(?P<value>[^&#\s'\"]*)"
"""Both compiled on first use (:mod:`re` keeps them): most runs redact nothing."""


def redact_urls(text: str) -> str:
    """Remove the credentials from every URL inside free text (e.g. an error message).

    ``user:password@`` is removed, as :func:`strip_credentials` does; the value
    of a secret query parameter (:data:`SECRET_QUERY_KEYS`) is replaced with
    ``***``, so a reader still sees that the URL was signed. A ``git`` user and
    ``${VAR}`` placeholders are kept.
    """

    def clean(match: re.Match[str]) -> str:
        userinfo = match["userinfo"]
        if userinfo == "git" or _is_placeholder(userinfo):
            return match[0]
        return match["scheme"]

    def mask(match: re.Match[str]) -> str:
        if not match["value"] or _is_placeholder(match["value"]):
            return match[0]
        return f"{match['name']}***"

    without_userinfo = re.sub(_URL_USERINFO, clean, text)
    return re.sub(_SECRET_QUERY, mask, without_userinfo, flags=re.IGNORECASE)

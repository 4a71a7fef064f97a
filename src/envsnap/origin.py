"""Where a distribution came from: an index, or a direct URL (PEP 610).

The same :class:`Origin` describes an installed distribution (read from its
``direct_url.json``) and a locked package (read from a lock file), so drift
between the two is a plain comparison.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Literal

__all__ = ["SECRET_QUERY_KEYS", "Origin", "OriginKind", "redact_urls", "strip_credentials"]

OriginKind = Literal["index", "archive", "vcs", "directory"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin:
    """The source of a distribution (PEP 610 ``direct_url.json`` semantics).

    ``index`` means "installed by name from an index" (no ``direct_url.json``);
    the other kinds carry the URL (credentials already stripped).
    """

    kind: OriginKind = "index"
    """``index``, ``archive`` (a wheel/sdist URL or path), ``vcs`` or ``directory``."""
    url: str | None = None
    """The direct URL, for every kind but ``index``."""
    editable: bool = False
    """A ``directory`` installed in editable/develop mode."""
    vcs: str | None = None
    """The VCS (``git``, ``hg``, ...) of a ``vcs`` origin."""
    commit: str | None = None
    """The exact commit id of a ``vcs`` origin."""
    requested_revision: str | None = None
    """The branch/tag the user asked for, when recorded."""
    archive_hash: str | None = None
    """``algorithm=hexdigest`` of an ``archive`` origin, when recorded."""
    subdirectory: str | None = None
    """The project's subdirectory inside the URL's tree, when any."""

    @property
    def is_direct(self) -> bool:
        """Whether the distribution came from a direct URL rather than an index."""
        return self.kind != "index"

    def describe(self) -> str:
        """Return a short human description, e.g. ``git ...@abc123`` or ``index``."""
        match self.kind:
            case "index":
                return "index"
            case "vcs":
                return f"{self.vcs}+{self.url}@{self.commit}"
            case "directory":
                return f"{'editable ' if self.editable else ''}{self.url}"
            case "archive":
                return f"{self.url}" + (f" ({self.archive_hash})" if self.archive_hash else "")


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


_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s'\"]+)@")
_SECRET_NAMES = "|".join(re.escape(k) for k in sorted(SECRET_QUERY_KEYS, key=len, reverse=True))
_SECRET_QUERY = re.compile(
    rf"(?P<name>[?&;](?:{_SECRET_NAMES})=)(?P<value>[^&#\s'\"]*)", re.IGNORECASE
)


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

    return _SECRET_QUERY.sub(mask, _URL_USERINFO.sub(clean, text))

"""Untrusted text: control characters found where values are read, escaped where printed.

A value from a lock file, an environment or an index may reach pip's or uv's
input (a line separator in a URL adds an ``--index-url`` line), a terminal
(ESC repaints it) or a CI log (GitHub Actions reads ``::command::`` lines from
both streams): readers refuse control characters, output is escaped. URLs are
untrusted text too: credentials are stripped from every URL envsnap records
or shows, and ``file:`` URLs become paths, here only.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path

__all__ = [
    "EXPANSION",
    "SECRET_QUERY_KEYS",
    "counted",
    "excerpt",
    "file_url_path",
    "first_control",
    "first_line_control",
    "local_path",
    "printable",
    "redact_urls",
    "strip_credentials",
    "terminal_text",
]

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""C0, DEL, C1, U+2028/2029: none belongs in a name, version, URL, path or marker."""
_LINE_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
"""The same but tab, LF and CR, a text file's layout (pip splits lines on the others)."""

EXPANSION = re.compile(r"\$\{[A-Za-z0-9_]+\}")
"""``${NAME}``: an environment variable pip (``expand_env_variables``) and uv substitute."""


def first_control(value: str) -> str | None:
    """Return the first control character of a value (``U+000A``), or ``None``."""
    found = _CONTROL.search(value)
    return None if found is None else f"U+{ord(found[0]):04X}"


def first_line_control(text: str) -> tuple[int, str] | None:
    """Return ``(1-based line, U+XXXX)`` of a text's first control character but tab, LF, CR."""
    if (found := _LINE_CONTROL.search(text)) is None:
        return None
    return text.count("\n", 0, found.start()) + 1, f"U+{ord(found[0]):04X}"


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(found: re.Match[str]) -> str:
    return _SHORT_ESCAPES.get(found[0]) or f"\\u{ord(found[0]):04x}"


def printable(value: str, *, lines: bool = False) -> str:
    r"""Return an untrusted value (or a whole text) with each control character escaped.

    ``\n``, ``\r``, ``\t``, else ``\uXXXX`` (C0, DEL, C1, U+2028/2029): the
    spelling JSON, TOML basic strings and Python share, so a JSON or TOML text
    stays the same data. Escaping twice changes nothing. ``lines`` keeps LF,
    the text's own line breaks (a rendered report or lock).
    """
    pattern = _LINE_BREAKS_KEPT if lines else _CONTROL
    return pattern.sub(_escape, value) if pattern.search(value) else value


_LINE_BREAKS_KEPT = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
""":data:`_CONTROL` but LF."""

_COMMAND_LINE = re.compile(r"^([^\S\n]*)::", re.MULTILINE)
"""A GitHub Actions workflow command: ``::`` after any blanks (the runner trims Unicode's too)."""
_LEGACY_COMMAND = "##["
"""The older ``##[command]`` form, which the runner finds anywhere in a line."""
_SGR = re.compile(r"(\x1b\[[0-9;]*m)")
"""An ANSI colour sequence (SGR): what envsnap's own coloured report writes, nothing else."""


def terminal_text(text: str, *, commands: bool = False, colour: bool = False) -> str:
    r"""Return text envsnap composed (lines joined by LF), safe for a terminal and a CI log.

    Every control character but LF is escaped (:func:`printable`), but ANSI
    colour sequences with ``colour`` (the text report on a terminal). A line
    GitHub Actions would read as a workflow command gets ``\::``, but with
    ``commands`` (envsnap's ``--format github`` report, whose ``::error`` lines
    are its own); ``##[`` anywhere becomes ``##[\`` (the runner's own defusing).
    """
    if colour and "\x1b" in text:
        parts = _SGR.split(text)
        text = "".join(p if i % 2 else printable(p, lines=True) for i, p in enumerate(parts))
    else:
        text = printable(text, lines=True)
    if not commands and "::" in text:
        text = _COMMAND_LINE.sub(r"\1\\::", text)
    return text.replace(_LEGACY_COMMAND, "##[\\") if _LEGACY_COMMAND in text else text


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """Return ``count`` with its noun in number: ``1 package``, ``2 packages``, ``0 files``.

    ``plural`` is for a noun whose plural is not the singular with an ``s`` (``entries``).
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def excerpt(text: str, limit: int = 60, *, quoted: bool = True) -> str:
    """Return at most ``limit`` escaped characters of ``text``: ``'its start'... (N characters)``.

    For an error quoting a line or word of a file that may hold anything
    (``-r /proc/self/environ``). ``quoted``: in quotes, escaped by :func:`repr`
    (a requirement); ``False``: bare, escaped by :func:`printable` (a word, a path).
    """
    short = text[:limit]
    shown = repr(short) if quoted else printable(short)
    return shown if len(text) <= limit else f"{shown}... ({len(text)} characters)"


def file_url_path(url: str) -> Path | None:
    """Return the path of a ``file:`` URL (RFC 8089: ``file:///tmp/x%20y.whl``), else ``None``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file":
        return None
    if os.name == "nt":  # on POSIX, url2pathname is unquote
        from urllib.request import url2pathname  # noqa: PLC0415 - 20-30 ms, Windows only

        return Path(url2pathname(parts.path))
    return Path(urllib.parse.unquote(parts.path))


def local_path(value: str) -> Path | None:
    """Return the path of a ``file:`` URL or of ``./x``, ``../x``, ``/x``, ``~/x``, else None."""
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
    """``${VAR}``: the environment variable PEP 610 lets a URL name instead of a secret."""
    return value.startswith("${") and value.endswith("}")


def strip_credentials(url: str) -> tuple[str, bool]:
    """Return ``(url without credentials, whether any were removed)``.

    PEP 610: a recorded URL carries no credentials. pip removes
    ``user:password@`` only, yet a signed URL (S3, GCS, Azure SAS, ``?token=``)
    carries its secret in the query: each :data:`SECRET_QUERY_KEYS` parameter
    goes too, the rest and the ``#fragment`` stay. ``${VAR}`` placeholders and
    the ``git@`` user of SSH URLs (both allowed by PEP 610) are kept.
    """
    parts = urllib.parse.urlsplit(url)
    netloc, query = parts.netloc, parts.query
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        if userinfo != "git" and not _is_placeholder(userinfo):
            netloc = host
    if query:
        query = "&".join(field for field in query.split("&") if not _is_secret_field(field))
    if (netloc, query) == (parts.netloc, parts.query):
        return url, False
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query)), True


def _is_secret_field(field: str) -> bool:
    """Whether one ``name=value`` of a query string holds a credential."""
    name, _, value = field.partition("=")
    key = urllib.parse.unquote_plus(name).strip().lower()
    return key in SECRET_QUERY_KEYS and not _is_placeholder(urllib.parse.unquote(value))


_URL_USERINFO = r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s'\"]+)@"
_SECRET_NAMES = "|".join(re.escape(k) for k in sorted(SECRET_QUERY_KEYS, key=len, reverse=True))
_SECRET_QUERY = rf"(?P<name>[?&;](?:{_SECRET_NAMES})=)(?P<value>[^&#\s'\"]*)"
"""Both compiled on first use (:mod:`re` keeps them): most runs redact nothing."""


def redact_urls(text: str) -> str:
    """Remove the credentials from every URL inside free text (e.g. an error message).

    As :func:`strip_credentials`, but a secret query value becomes ``***``, so a
    reader still sees that the URL was signed.
    """

    def clean(match: re.Match[str]) -> str:
        userinfo = match["userinfo"]
        return match[0] if userinfo == "git" or _is_placeholder(userinfo) else match["scheme"]

    def mask(match: re.Match[str]) -> str:
        value = match["value"]
        return match[0] if not value or _is_placeholder(value) else f"{match['name']}***"

    without_userinfo = re.sub(_URL_USERINFO, clean, text)
    return re.sub(_SECRET_QUERY, mask, without_userinfo, flags=re.IGNORECASE)

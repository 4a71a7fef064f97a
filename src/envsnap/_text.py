"""Untrusted text: control characters found where values are read, escaped where printed.

Every value envsnap reads from a lock file, an environment or an index may
end up in a line handed to pip or uv, on a terminal, or in a CI log. A line
separator inside a URL becomes a second line of pip's input (an
``--index-url`` of the attacker's choosing); an ESC byte repaints the
terminal; GitHub Actions reads ``::command::`` lines from both streams. So a
value holding a control character is refused where it is read (the readers
share :func:`first_control` and :func:`first_line_control`), and whatever is
printed goes through :func:`printable` (each value, in the renderers) and
:func:`terminal_text` (each message and output, in the CLI).

URLs are untrusted text too, and have one home here:
:func:`strip_credentials` and :func:`redact_urls` take credentials out of
every URL envsnap records or shows, :func:`file_url_path` and
:func:`local_path` turn ``file:`` URLs into paths; so every reader, writer and
installer treats a ``file:`` URL and a signed URL the same way.
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
"""C0 and C1 control characters, DEL, and the Unicode line and paragraph
separators: none belongs in a name, version, URL, path or marker."""
_LINE_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
"""The same inside a text file's lines, where tab, LF and CR are ordinary
(:meth:`str.splitlines`, which pip also uses, splits on every other separator)."""

EXPANSION = re.compile(r"\$\{[A-Za-z0-9_]+\}")
"""``${NAME}``: what pip (``req_file.expand_env_variables``) and uv replace with
the value of an environment variable in a requirements file."""


def first_control(value: str) -> str | None:
    """Return the first control character of a value (``U+000A``), or ``None``."""
    found = _CONTROL.search(value)
    return None if found is None else f"U+{ord(found[0]):04X}"


def first_line_control(text: str) -> tuple[int, str] | None:
    """Return ``(1-based line, U+XXXX)`` of a text file's first stray control character.

    Tab, LF and CR are not counted: they are the file's layout.
    """
    found = _LINE_CONTROL.search(text)
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    return line, f"U+{ord(found[0]):04X}"


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(found: re.Match[str]) -> str:
    char = found[0]
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def printable(value: str, *, lines: bool = False) -> str:
    r"""Return ``value`` with each control character written as an escape.

    ``\n``, ``\r`` and ``\t`` for those three, ``\uXXXX`` for the others (C0,
    DEL, C1, U+2028/2029): the spelling JSON, TOML basic strings and Python
    share, so a JSON or TOML text stays the same data. Text without control
    characters is returned as it is (so escaping twice changes nothing).

    Args:
        value: an untrusted value (a path, URL, name, lock or index value), or
            a whole text.
        lines: keep LF, the text's own line breaks (a rendered report or lock).
    """
    pattern = _LINE_BREAKS_KEPT if lines else _CONTROL
    return pattern.sub(_escape, value) if pattern.search(value) else value


_LINE_BREAKS_KEPT = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
""":data:`_CONTROL` but LF."""

_COMMAND_LINE = re.compile(r"^([^\S\n]*)::", re.MULTILINE)
"""A line GitHub Actions reads as a workflow command: ``::`` after any blanks
(the runner trims leading white space, Unicode's included, before it looks)."""
_LEGACY_COMMAND = "##["
"""The older ``##[command]`` form, which the runner finds anywhere in a line."""
_SGR = re.compile(r"(\x1b\[[0-9;]*m)")
"""An ANSI colour sequence (Select Graphic Rendition): what envsnap's own
coloured report writes, nothing else."""


def terminal_text(text: str, *, commands: bool = False, colour: bool = False) -> str:
    r"""Return text envsnap composed, safe to print on a terminal and in a CI log.

    Every control character but LF is escaped (:func:`printable`); a line that
    GitHub Actions would read as a workflow command gets a backslash before its
    ``::`` (``\::error ...``), and ``##[`` anywhere becomes ``##[\`` (the
    runner's own way of defusing it), so only envsnap's own annotations are
    commands.

    Args:
        text: lines joined by LF (the values in it escaped or not).
        commands: the text is envsnap's ``--format github`` report, whose
            ``::error``/``::notice`` lines are its own (their values escaped
            by the renderer): those are left as they are.
        colour: keep ANSI colour sequences (the text report on a terminal);
            every other ESC is escaped.
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

    Args:
        count: how many.
        noun: the singular (``package``).
        plural: when it is not the singular with an ``s`` (``entries``).
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def excerpt(text: str, limit: int = 60, *, quoted: bool = True) -> str:
    """Return a short, escaped quotation of ``text``: ``'its start'... (N characters)``.

    For a line (or a word) of a file that may hold anything (``-r
    /proc/self/environ``): an error quotes no more than ``limit`` characters
    of it, escaped, with ``...`` and the text's length when there is more.

    Args:
        text: what to quote.
        limit: the most characters shown.
        quoted: in quotes, escaped by :func:`repr` (as a requirement is
            quoted); ``False``: bare, escaped by :func:`printable` (an option
            word, a path).
    """
    short = text[:limit]
    shown = repr(short) if quoted else printable(short)
    return shown if len(text) <= limit else f"{shown}... ({len(text)} characters)"


def file_url_path(url: str) -> Path | None:
    """Return the local path of a ``file:`` URL (RFC 8089), else ``None``.

    ``file:///tmp/x%20y.whl`` -> ``/tmp/x y.whl``; ``file://localhost/x`` ->
    ``/x``. On Windows :func:`urllib.request.url2pathname` does the
    platform's part (drive letters); on POSIX that function is
    :func:`urllib.parse.unquote`, called directly here: ``urllib.request``
    costs 20-30 ms to import, and pip's configuration often names ``file:``
    indexes, so every command would pay it.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file":
        return None
    if os.name == "nt":
        from urllib.request import url2pathname  # noqa: PLC0415 - 20-30 ms, Windows only

        return Path(url2pathname(parts.path))
    return Path(urllib.parse.unquote(parts.path))


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

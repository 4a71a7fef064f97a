"""Simple Repository API project pages: PEP 691 JSON and PEP 503 HTML.

The response's ``Content-Type`` decides how a page is read (some indexes serve only HTML,
some ignore ``Accept``). Links resolve against the page's final URL (and an HTML ``<base
href>``). The hash comes from a ``#sha256=`` fragment (PEP 503) or ``hashes`` (PEP 691);
PEP 592's yank from ``data-yanked`` / ``yanked``; PEP 700's upload time from
``upload-time``; PEP 658's ``.metadata`` file from ``data-core-metadata`` /
``core-metadata`` (PEP 714), else the older ``dist-info-metadata`` names, as pip reads them.

A page fetched over http(s) may link only http(s) URLs, so a remote index cannot make
envsnap read a local file (``file:///etc/shadow`` would be hashed and its sha256 printed);
pip refuses a redirect from http(s) to another scheme for the same reason.
"""

from __future__ import annotations

import html.parser
import json
import re
import urllib.parse
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from envsnap.errors import OperationError
from envsnap.index.distfile import DistFile

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["ACCEPT", "JSON_TYPE", "parse_page"]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
"""PEP 691's JSON content type."""
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
"""The ``Accept`` header of a project page request: JSON preferred, HTML accepted."""


def parse_page(
    body: bytes | bytearray,
    content_type: str,
    base_url: str,
    *,
    where: str,
    keep: Callable[[str], bool] | None = None,
) -> list[DistFile]:
    """Parse a Simple API project page, JSON (PEP 691) or HTML (PEP 503).

    Args:
        body: the page's bytes.
        content_type: its ``Content-Type`` (JSON when PEP 691's type, or any ``...json``
            type whose body is a JSON object; HTML otherwise).
        base_url: the URL it came from, to resolve relative links.
        where: names the page in messages.
        keep: called with each file name; only the links it keeps are built (a big
            project's page lists tens of thousands of files, a pin needs a few).

    Returns:
        Its file links in page order, without name and version; on a page fetched over
        http(s), only the http(s) ones.

    Raises:
        OperationError: the body is not a Simple API page.
    """
    mime = content_type.split(";", maxsplit=1)[0].strip().lower()
    try:
        if mime == JSON_TYPE or (mime.endswith("json") and body.lstrip()[:1] == b"{"):
            links = _parse_json(json.loads(body), base_url, keep)
        else:
            links = _parse_html(body.decode("utf-8", "replace"), base_url, keep)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise OperationError(
            f"{where}: not a Simple API page ({exc})",
            hint="--index-url takes the Simple API root of an index (usually ending in /simple)",
        ) from None
    allowed = _LINK_SCHEMES.get(_scheme(base_url), frozenset())
    return [link for link in links if _scheme(link.url or "") in allowed]


_LINK_SCHEMES = {
    "http": frozenset({"http", "https"}),
    "https": frozenset({"http", "https"}),
    "file": frozenset({"file", "http", "https"}),
}
"""The schemes a page may link to, by the scheme of the page's own URL."""


def _scheme(url: str) -> str:
    return urllib.parse.urlsplit(url).scheme.lower()


def _hash_pairs(hashes: Mapping[object, object]) -> dict[str, str]:
    """Return ``{algorithm: hexdigest}``, both lower case, of a page's hash table."""
    return {str(k).lower(): str(v).lower() for k, v in hashes.items()}


def _json_metadata(item: Mapping[str, object]) -> Mapping[str, str] | None:
    """Read PEP 658/714's ``core-metadata`` (else ``dist-info-metadata``): bool or hashes."""
    value = item.get("core-metadata")
    if value is None:
        value = item.get("dist-info-metadata")
    if isinstance(value, dict):
        return _hash_pairs(value)
    return {} if value else None


def _html_metadata(attrs: Mapping[str, str | None]) -> Mapping[str, str] | None:
    """Read ``data-core-metadata`` (else ``data-dist-info-metadata``) as pip does.

    ``"true"`` (or a value that is no ``algorithm=hexdigest``): served without a usable hash.
    """
    key = next((k for k in ("data-core-metadata", "data-dist-info-metadata") if k in attrs), None)
    if key is None:
        return None
    found = _FRAGMENT.match(attrs[key] or "")
    return {found["algo"].lower(): found["digest"].lower()} if found else {}


def _parse_json(
    data: dict[str, object], base_url: str, keep: Callable[[str], bool] | None
) -> list[DistFile]:
    files = data["files"]
    if not isinstance(files, list):
        raise TypeError("'files' is not a list")
    links = []
    for item in files:
        filename = str(item["filename"])
        if keep is not None and not keep(filename):
            continue
        size = item.get("size")
        uploaded = item.get("upload-time")
        links.append(
            DistFile(
                filename=filename,
                url=urllib.parse.urljoin(base_url, str(item["url"])),
                hashes=_hash_pairs(dict(item.get("hashes") or {})),
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                upload_time=_parse_time(uploaded) if isinstance(uploaded, str) else None,
                yanked=bool(item.get("yanked")),
                core_metadata=_json_metadata(item),
            )
        )
    return links


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


class _AnchorParser(html.parser.HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.anchors: list[tuple[str, dict[str, str | None]]] = []
        self._current: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base_url = urllib.parse.urljoin(self.base_url, href)
        elif tag == "a":
            self._current = dict(attrs)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._current is not None:
            href = self._current.get("href")
            if href:
                text = "".join(self._text).strip()
                self.anchors.append((text, {**self._current, "href": href}))
            self._current = None


_FRAGMENT = re.compile(r"^(?P<algo>[a-z0-9_]+)=(?P<digest>[0-9a-fA-F]+)$")


def _parse_html(text: str, base_url: str, keep: Callable[[str], bool] | None) -> list[DistFile]:
    parser = _AnchorParser(base_url)
    parser.feed(text)
    parser.close()
    links = []
    for anchor_text, attrs in parser.anchors:
        href = str(attrs["href"])
        url, _, fragment = urllib.parse.urljoin(parser.base_url, href).partition("#")
        path_name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        filename = path_name or anchor_text
        if keep is not None and not keep(filename):
            continue
        found = _FRAGMENT.match(fragment)
        links.append(
            DistFile(
                filename=filename,
                url=url,
                hashes={found["algo"].lower(): found["digest"].lower()} if found else {},
                yanked="data-yanked" in attrs,
                core_metadata=_html_metadata(attrs),
            )
        )
    return links

"""Simple API pages: PEP 658/714 metadata advertisements, and which link schemes a page may use."""

from __future__ import annotations

import json

import pytest

from envsnap.index.simple_api import JSON_TYPE, parse_page

WHEEL = "lib-1.0-py3-none-any.whl"
REMOTE = "https://index.test/simple/lib/"
LOCAL = "file:///srv/simple/lib/"
DIGEST = "ab" * 32


def html_page(*anchors: str) -> bytes:
    return ("<html><body>" + "".join(anchors) + "</body></html>").encode()


def json_page(*files: dict[str, object]) -> bytes:
    page = {"meta": {"api-version": "1.1"}, "name": "lib", "files": list(files)}
    return json.dumps(page).encode()


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ("", None),
        (f' data-core-metadata="sha256={DIGEST.upper()}"', {"sha256": DIGEST}),
        (f' data-dist-info-metadata="sha256={DIGEST}"', {"sha256": DIGEST}),
        # PEP 714: the new name wins where both are given
        (
            f' data-core-metadata="sha512={DIGEST}" data-dist-info-metadata="sha256={DIGEST}"',
            {"sha512": DIGEST},
        ),
        (' data-core-metadata="true"', {}),
        (" data-core-metadata", {}),
        (' data-core-metadata="not a hash"', {}),
    ],
)
def test_html_metadata_advertisement(attributes: str, expected: dict[str, str] | None) -> None:
    page = html_page(f'<a href="../../files/{WHEEL}#sha256={DIGEST}"{attributes}>{WHEEL}</a>')
    [link] = parse_page(page, "text/html", REMOTE, where="lib")
    assert link.core_metadata == expected
    assert link.hashes == {"sha256": DIGEST}


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({}, None),
        ({"core-metadata": {"SHA256": DIGEST.upper()}}, {"sha256": DIGEST}),
        ({"dist-info-metadata": {"sha256": DIGEST}}, {"sha256": DIGEST}),
        ({"core-metadata": False, "dist-info-metadata": {"sha256": DIGEST}}, None),
        ({"core-metadata": True}, {}),
        ({"dist-info-metadata": True}, {}),
        ({"core-metadata": False}, None),
    ],
)
def test_json_metadata_advertisement(
    keys: dict[str, object], expected: dict[str, str] | None
) -> None:
    entry = {"filename": WHEEL, "url": f"../../files/{WHEEL}", "hashes": {"sha256": DIGEST}}
    [link] = parse_page(json_page({**entry, **keys}), JSON_TYPE, REMOTE, where="lib")
    assert link.core_metadata == expected


HREFS = [
    "https://files.test/lib-1.0-py3-none-any.whl",
    "http://127.0.0.1/lib-1.0-py3-none-any.whl",
    "file:///etc/shadow",
    "file:///srv/files/lib-1.0-py3-none-any.whl",
    "ftp://files.test/lib-1.0-py3-none-any.whl",
    "data:text/plain,lib-1.0-py3-none-any.whl",
]


@pytest.mark.parametrize(
    ("base", "kept"),
    [
        # a page fetched over http(s) never sends envsnap to a local file
        (REMOTE, HREFS[:2]),
        ("http://127.0.0.1:8080/simple/lib/", HREFS[:2]),
        # a local page may name local files
        (LOCAL, HREFS[:4]),
    ],
)
@pytest.mark.parametrize("kind", ["html", "json"])
def test_a_remote_page_links_only_http_urls(base: str, kept: list[str], kind: str) -> None:
    if kind == "html":
        body = html_page(*(f'<a href="{h}">lib-1.0-py3-none-any.whl</a>' for h in HREFS))
        links = parse_page(body, "text/html", base, where="lib")
    else:
        files = [{"filename": WHEEL, "url": h, "hashes": {}} for h in HREFS]
        links = parse_page(json_page(*files), JSON_TYPE, base, where="lib")
    assert [link.url for link in links] == kept


def test_a_base_href_cannot_turn_remote_links_local() -> None:
    body = html_page('<base href="file:///etc/">', f'<a href="shadow">{WHEEL}</a>')
    assert parse_page(body, "text/html", REMOTE, where="lib") == []
    relative = html_page(f'<a href="/etc/shadow#sha256={DIGEST}">{WHEEL}</a>')
    [link] = parse_page(relative, "text/html", REMOTE, where="lib")
    assert link.url == "https://index.test/etc/shadow"

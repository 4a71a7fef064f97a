"""Index pages cached on disk and revalidated; a second lookup makes revalidation requests only."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.index import settings as settings_module
from envsnap.index import simple_index
from envsnap.index.cache import Page, PageCache, max_age
from envsnap.index.repository import source_for
from envsnap.index.settings import IndexSettings
from support.index import serve_index
from support.wheels import build_wheel, file_sha256

if TYPE_CHECKING:
    from pathlib import Path


def test_pages_round_trip_and_freshness(tmp_path: Path) -> None:
    cache = PageCache(tmp_path / "pages")
    assert cache.get("http://127.0.0.1:1/simple/a/", "text/html") is None
    page = Page(
        body=b"<html>\x00\xff</html>",
        content_type="text/html",
        url="http://127.0.0.1:1/simple/a/",
        etag='"abc"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        stored=1000.0,
        max_age=600,
    )
    cache.put("http://127.0.0.1:1/simple/a/", "text/html", page)
    assert cache.get("http://127.0.0.1:1/simple/a/", "text/html") == page
    assert cache.get("http://127.0.0.1:1/simple/a/", "application/json") is None
    assert page.fresh(now=1599.0)
    assert not page.fresh(now=1600.0)
    assert page.validators() == {
        "If-None-Match": '"abc"',
        "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
    }
    assert [p.name for p in (tmp_path / "pages").rglob("*") if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("max-age=600, public", 600), ("no-cache", 0), ("public", None)],
)
def test_max_age(header: str | None, seconds: int | None) -> None:
    assert max_age(header) == seconds


def test_a_second_lookup_only_revalidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Look two pins up twice on pip's default index (what freeze does): pages come from the cache.

    Pages that list the pinned versions answer from the cache; once they are
    older than PINNED_PAGE_AGE they are revalidated (304).
    """
    house = tmp_path / "house"
    build_wheel(house, "alpha", "1.0")
    build_wheel(house, "beta", "2.0")
    pins = [(canonicalize_name(n), Version(v)) for n, v in (("alpha", "1.0"), ("beta", "2.0"))]
    answers: list[tuple[str, int]] = []

    def lookup() -> None:
        source = source_for(IndexSettings(), cache_root=tmp_path / "cache")
        assert source is not None
        for name, version in pins:
            found = source.lookup(name, version)
            assert found is not None
            assert [f.filename for f in found.files] == [f"{name}-{version}-py3-none-any.whl"]

    with serve_index(house, answers=answers) as url:
        monkeypatch.setattr(settings_module, "pip_default_index", lambda: url)
        lookup()
        assert sorted(answers) == [("/simple/alpha/", 200), ("/simple/beta/", 200)]
        answers.clear()
        lookup()
        assert answers == []
        monkeypatch.setattr(simple_index, "PINNED_PAGE_AGE", 0)
        lookup()
    # revalidation only (urllib3 may repeat a request on a keep-alive connection the
    # server closed meanwhile: still a 304)
    assert set(answers) == {("/simple/alpha/", 304), ("/simple/beta/", 304)}


def test_derived_values_are_kept_per_stamp(tmp_path: Path) -> None:
    cache = PageCache(tmp_path / "pages")
    url = "http://127.0.0.1:1/simple/a/"
    assert cache.head(url, "text/html") is None
    cache.put(url, "text/html", Page(body=b"one", content_type="text/html", url=url))
    head = cache.head(url, "text/html")
    assert head is not None
    assert head[0].body == b""
    made: list[str] = []

    def make(value: str) -> object:
        made.append(value)
        return [value]

    assert cache.derived("k", head[1], lambda: make("first")) == ["first"]
    assert cache.derived("k", head[1], lambda: make("second")) == ["first"]
    assert made == ["first"]
    # storing the page again (new body or a revalidation) gives it a new stamp
    cache.put(url, "text/html", Page(body=b"two", content_type="text/html", url=url))
    again = cache.head(url, "text/html")
    assert again is not None
    assert again[1] != head[1]
    assert cache.derived("k", again[1], lambda: make("third")) == ["third"]
    assert made == ["first", "third"]


def _page_html(house: Path, *names: str) -> str:
    from envsnap.index.file_cache import hash_file  # noqa: PLC0415

    links = "".join(f'<a href="{n}#sha256={hash_file(house / n)[0]}">{n}</a>' for n in names)
    return f"<html><body>{links}</body></html>"


def test_cached_pages_are_parsed_once_per_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached remote page and a local ``file:`` page are parsed again only when they change."""
    house = tmp_path / "house"
    first = build_wheel(house, "alpha", "1.0").name
    second = build_wheel(house, "alpha", "2.0").name
    parsed: list[str] = []
    real_parse = simple_index.parse_page

    def counting(body: bytes, content_type: str, base_url: str, **options: Any) -> object:
        parsed.append(base_url)
        return real_parse(body, content_type, base_url, **options)

    monkeypatch.setattr(simple_index, "parse_page", counting)
    pages = PageCache(tmp_path / "cache" / "pages")
    alpha = canonicalize_name("alpha")

    remote = "http://127.0.0.1:1/simple/alpha/"
    remote_files = "http://127.0.0.1:1/files/"
    files_url = house.as_uri() + "/"
    body = _page_html(house, first).replace('href="', f'href="{remote_files}')
    pages.put(
        remote,
        simple_index.ACCEPT,
        Page(body=body.encode(), content_type="text/html", url=remote, stored=time.time()),
    )
    index = simple_index.SimpleIndex(["http://127.0.0.1:1/simple"], pages=pages)
    for _ in range(2):
        found = index.lookup(alpha, Version("1.0"))
        assert found is not None
        assert [f.filename for f in found.files] == [first]
    assert parsed == [remote]
    body = _page_html(house, first, second).replace('href="', f'href="{remote_files}')
    pages.put(
        remote,
        simple_index.ACCEPT,
        Page(body=body.encode(), content_type="text/html", url=remote, stored=time.time()),
    )
    found = index.lookup(alpha, Version("2.0"))
    assert found is not None
    assert [f.filename for f in found.files] == [second]
    assert parsed == [remote, remote]

    parsed.clear()
    local_root = tmp_path / "local" / "simple"
    (local_root / "alpha").mkdir(parents=True)
    html = local_root / "alpha" / "index.html"
    html.write_text(_page_html(house, first).replace('href="', f'href="{files_url}'))
    local = simple_index.SimpleIndex([local_root.as_uri()], pages=pages)
    for _ in range(2):
        found = local.lookup(alpha, Version("1.0"))
        assert found is not None
        assert [f.filename for f in found.files] == [first]
    assert len(parsed) == 1
    html.write_text(_page_html(house, first, second).replace('href="', f'href="{files_url}'))
    found = local.lookup(alpha, Version("2.0"))
    assert found is not None
    assert [f.filename for f in found.files] == [second]
    assert len(parsed) == 2


def test_revalidate_asks_for_every_page_and_sees_a_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``freeze --ask-index``: a page the cache could answer alone is asked for again."""
    house = tmp_path / "house"
    build_wheel(house, "alpha", "1.0")
    answers: list[tuple[str, int]] = []

    def sha256(*, revalidate: bool) -> str:
        source = source_for(IndexSettings(), cache_root=tmp_path / "cache", revalidate=revalidate)
        assert source is not None
        found = source.lookup(canonicalize_name("alpha"), Version("1.0"))
        assert found is not None
        (wheel,) = found.files
        return wheel.hashes["sha256"]

    with serve_index(house, answers=answers) as url:
        monkeypatch.setattr(settings_module, "pip_default_index", lambda: url)
        first = sha256(revalidate=False)
        answers.clear()
        assert sha256(revalidate=True) == first
        assert set(answers) == {("/simple/alpha/", 304)}  # asked, unchanged
        build_wheel(house, "alpha", "1.0", files={"alpha/__init__.py": "changed = True\n"})
        answers.clear()
        assert sha256(revalidate=False) == first  # the cache alone answers: no request
        assert answers == []
        changed = sha256(revalidate=True)
    assert set(answers) == {("/simple/alpha/", 200)}
    assert changed == file_sha256(house / "alpha-1.0-py3-none-any.whl") != first

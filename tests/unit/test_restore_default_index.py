"""Without --index-url the built-in installer uses pip's default index, as pip does.

A loopback index stands in for the default: the test replaces the function
that asks pip for it, never naming a host.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.direct import plan_requirements
from envsnap.environment import probe
from envsnap.errors import OperationError
from envsnap.index import settings as settings_module
from envsnap.index.settings import IndexSettings
from envsnap.lock import Lock, LockedPackage
from support.index import serve_index
from support.wheels import build_wheel


def lock_of(*pins: tuple[str, str]) -> Lock:
    packages = tuple(
        LockedPackage(name=canonicalize_name(n), display_name=n, version=Version(v))
        for n, v in pins
    )
    return Lock(path=None, format="requirements", packages=packages, complete=True)


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wheels")
    build_wheel(root, "alpha", "1.0")
    return root


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("other")
    build_wheel(root, "beta", "2.0")
    return root


def plan(settings: IndexSettings, tmp_path: Path) -> tuple[list[str], tuple[str, ...]]:
    environment = probe(Path(sys.executable))
    result = plan_requirements(
        lock_of(("alpha", "1.0"), ("beta", "2.0")),
        environment,
        list(sys_tags()),
        settings,
        cache_root=tmp_path / "cache",
    )
    return [f.filename for f in result.files], result.pip_lines


def test_the_default_index_alone_gives_every_wheel(
    wheelhouse: Path, other: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for wheel in other.iterdir():
        (tmp_path / "both").mkdir(exist_ok=True)
        (tmp_path / "both" / wheel.name).write_bytes(wheel.read_bytes())
    for wheel in wheelhouse.iterdir():
        (tmp_path / "both" / wheel.name).write_bytes(wheel.read_bytes())
    with serve_index(tmp_path / "both") as url:
        monkeypatch.setattr(settings_module, "pip_default_index", lambda: url)
        files, pip_lines = plan(IndexSettings(), tmp_path)
    assert files == ["alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl"]
    assert pip_lines == ()


def test_default_index_plus_an_extra_index(
    wheelhouse: Path, other: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[str] = []
    with serve_index(wheelhouse, log=log) as default, serve_index(other) as extra:
        monkeypatch.setattr(settings_module, "pip_default_index", lambda: default)
        files, pip_lines = plan(IndexSettings(extra_index_urls=(extra,)), tmp_path)
    assert files == ["alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl"]
    assert pip_lines == ()
    assert sorted(log) == ["/simple/alpha/", "/simple/beta/"]  # the default is asked first


def test_no_index_with_find_links_never_asks_the_default(
    wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail() -> str:
        raise AssertionError("pip's default index asked for despite --no-index")

    monkeypatch.setattr(settings_module, "pip_default_index", fail)
    with pytest.raises(
        OperationError, match=r"1 package not found in the wheelhouse .*: beta==2\.0"
    ):
        plan(IndexSettings(find_links=(str(wheelhouse),), no_index=True), tmp_path)
    with pytest.raises(OperationError) as info:
        plan(IndexSettings(no_index=True), tmp_path)
    assert info.value.message == "--no-index and no --find-links: no place to get the files from"


def test_an_explicit_index_replaces_the_default(
    wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings_module, "pip_default_index", lambda: "http://127.0.0.1:9/")
    empty = tmp_path / "empty-index"
    empty.mkdir()
    with pytest.raises(OperationError, match=r"beta==2\.0"):
        plan(IndexSettings(index_url=empty.as_uri(), find_links=(str(wheelhouse),)), tmp_path)

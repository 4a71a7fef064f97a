"""Repositories: wheelhouse, Simple API index (JSON and HTML), find-links pages, collection."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import socket
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest
from packaging.tags import Tag
from packaging.utils import NormalizedName
from packaging.version import Version

from envsnap.environment.target import environment_tags
from envsnap.errors import OperationError
from envsnap.index import settings as settings_module
from envsnap.index.distfile import DistFile, ProjectFiles
from envsnap.index.http import Limits
from envsnap.index.repository import ChainSource, StaticSource, collect, pip_hashes, source_for
from envsnap.index.settings import IndexSettings
from envsnap.index.simple_index import FlatLinks, SimpleIndex
from envsnap.index.wheelhouse import Wheelhouse, parse_filename, pin_filter
from support.fake_site import make_environment
from support.index import serve_index
from support.wheels import build_sdist, build_wheel, file_sha256

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

N = NormalizedName
V = Version


@pytest.fixture
def house(tmp_path: Path) -> Path:
    """alpha 1.0 (any), beta 2.0 (any + win wheel + sdist), a file that is not a dist."""
    root = tmp_path / "house"
    build_wheel(root, "alpha", "1.0", requires=["beta"])
    build_wheel(root, "beta", "2.0")
    build_wheel(root, "beta", "2.0", tag="cp311-cp311-win_amd64")
    build_sdist(root, "beta", "2.0")
    (root / "README.txt").write_text("not a distribution\n", encoding="utf-8")
    (root / "broken-.whl").write_bytes(b"")
    return root


# --------------------------------------------------------------------------- wheelhouse


def test_wheelhouse_hashes_files_of_the_version(house: Path) -> None:
    found = Wheelhouse(house).lookup(N("beta"), V("2.0"))
    assert found is not None
    assert [f.filename for f in found.files] == [
        "beta-2.0-cp311-cp311-win_amd64.whl",
        "beta-2.0-py3-none-any.whl",
        "beta-2.0.tar.gz",
    ]
    for file in found.files:
        assert file.path == (house / file.filename).resolve()
        assert file.hashes == {"sha256": file_sha256(house / file.filename)}
        assert file.size == (house / file.filename).stat().st_size
        assert file.url is None
    assert found.sdist is not None
    assert found.sdist.filename == "beta-2.0.tar.gz"
    assert [w.filename for w in found.wheels] == [
        "beta-2.0-cp311-cp311-win_amd64.whl",
        "beta-2.0-py3-none-any.whl",
    ]
    assert found.index is None


def test_wheelhouse_misses_other_versions_and_names(house: Path) -> None:
    source = Wheelhouse(house)
    assert source.lookup(N("beta"), V("1.0")) is None
    assert source.lookup(N("gamma"), V("1.0")) is None
    assert source.describe() == f"the wheelhouse {house}"


@pytest.mark.parametrize(
    ("filename", "kept"),
    [
        ("demo-1.0-py3-none-any.whl", True),
        ("demo-1.0.0-py3-none-any.whl", True),  # 1.0.0 == 1.0 (PEP 440)
        ("demo-1.0-1build-cp312-cp312-manylinux_2_17_x86_64.whl", True),
        ("Demo-1.0.tar.gz", True),
        ("demo-1.0.zip", True),
        ("demo-1.0.post1-py3-none-any.whl", False),
        ("demo-1.01-py3-none-any.whl", False),  # 1.01 is 1.1
        ("demo_extra-1.0-py3-none-any.whl", False),  # another project
        ("demo-extra-1.0.tar.gz", False),
        ("demo-1.0-py3-any.whl", False),  # too few fields: not a wheel
        ("demo-1.0.tar.bz2", False),
        ("demo-not.a.version.tar.gz", False),
        ("demo.tar.gz", False),
    ],
)
def test_pin_filter_agrees_with_parse_filename(filename: str, kept: bool) -> None:
    keep = pin_filter(N("demo"), V("1.0"))
    assert keep(filename) is kept
    assert (parse_filename(filename) == (N("demo"), V("1.0"))) is kept


def test_wheelhouse_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(OperationError) as info:
        Wheelhouse(tmp_path / "nope")
    assert info.value.message == (
        f"{tmp_path / 'nope'}: cannot read the wheelhouse: No such file or directory"
    )
    assert info.value.exit_code == 3


def test_pip_hashes_sorted_unique(house: Path) -> None:
    found = Wheelhouse(house).lookup(N("beta"), V("2.0"))
    assert found is not None
    assert pip_hashes(found) == tuple(
        sorted(f"sha256:{file_sha256(house / f.filename)}" for f in found.files)
    )


# --------------------------------------------------------------------------- collect


def test_collect_parallel_equals_sequential(house: Path) -> None:
    wanted = [(N("alpha"), V("1.0")), (N("beta"), V("2.0"))]
    one = collect(Wheelhouse(house), wanted, jobs=1)
    many = collect(Wheelhouse(house), wanted, jobs=8)
    assert one == many
    assert sorted(one) == ["alpha", "beta"]


def test_collect_names_every_missing_package(house: Path) -> None:
    wanted = [(N("alpha"), V("1.0")), (N("gamma"), V("3.0")), (N("beta"), V("9"))]
    with pytest.raises(OperationError) as info:
        collect(Wheelhouse(house), wanted)
    assert info.value.message == (
        f"2 packages not found in the wheelhouse {house}: beta==9, gamma==3.0"
    )
    assert info.value.hint == (
        "add the missing files to the wheelhouse (pip download -d DIR NAME==VERSION) "
        "or name an index that has them with --index-url / --extra-index-url"
    )


def test_collect_requires_a_file_for_this_environment(tmp_path: Path) -> None:
    root = tmp_path / "win-only"
    build_wheel(root, "winonly", "1.0", tag="cp311-cp311-win_amd64")
    linux = [Tag("cp311", "cp311", "manylinux_2_17_x86_64"), Tag("py3", "none", "any")]
    with pytest.raises(OperationError) as info:
        collect(Wheelhouse(root), [(N("winonly"), V("1.0"))], tags=linux)
    assert info.value.message == (
        f"winonly==1.0: no file for this environment in the wheelhouse {root} "
        "(no compatible wheel among 1, no sdist)"
    )
    windows = [Tag("cp311", "cp311", "win_amd64")]
    assert collect(Wheelhouse(root), [(N("winonly"), V("1.0"))], tags=windows)


def test_collect_accepts_sdist_only(house: Path, tmp_path: Path) -> None:
    root = tmp_path / "sd"
    build_sdist(root, "kappa", "1.0")
    found = collect(Wheelhouse(root), [(N("kappa"), V("1.0"))], tags=[Tag("py3", "none", "any")])
    assert found[N("kappa")].wheels == ()


def test_collect_lists_at_most_ten_missing(house: Path) -> None:
    wanted = [(N(f"p{i:02}"), V("1")) for i in range(12)]
    with pytest.raises(OperationError) as info:
        collect(Wheelhouse(house), wanted)
    names = ", ".join(f"p{i:02}==1" for i in range(10))
    assert info.value.message == (
        f"12 packages not found in the wheelhouse {house}: {names} and 2 more"
    )


def test_static_and_chain_sources(house: Path) -> None:
    file = DistFile(filename="zeta-1.0-py3-none-any.whl", hashes={"sha256": "0" * 64}, url="u")
    static = StaticSource(
        {N("zeta"): ProjectFiles(name=N("zeta"), version=V("1.0"), files=(file,))}
    )
    assert static.lookup(N("zeta"), V("2.0")) is None
    chain = ChainSource((Wheelhouse(house), static))
    assert chain.describe() == f"the wheelhouse {house} or the given files"
    zeta = chain.lookup(N("zeta"), V("1.0"))
    assert zeta is not None
    assert zeta.files == (file,)
    beta = chain.lookup(N("beta"), V("2.0"))
    assert beta is not None
    assert beta.index is None
    assert chain.lookup(N("nope"), V("1")) is None


# --------------------------------------------------------------------------- index


@pytest.mark.parametrize("json", [True, False], ids=["json", "html"])
def test_index_lookup(house: Path, json: bool) -> None:
    with serve_index(house, json=json) as url:
        index = SimpleIndex([url])
        found = index.lookup(N("beta"), V("2.0"))
        assert index.lookup(N("beta"), V("3.0")) is None
        assert index.lookup(N("nothere"), V("1.0")) is None
    assert found is not None
    assert found.index == url.rstrip("/")
    base = url.removesuffix("simple/")
    assert [(f.filename, f.url, f.sha256) for f in found.files] == [
        (name, f"{base}files/{name}", file_sha256(house / name))
        for name in (
            "beta-2.0-cp311-cp311-win_amd64.whl",
            "beta-2.0-py3-none-any.whl",
            "beta-2.0.tar.gz",
        )
    ]
    assert index.describe() == f"the index at {url.rstrip('/')}"


def test_index_down_is_unreachable_fast() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/simple/"
    index = SimpleIndex([url], limits=Limits(retries=1, backoff=0.01, timeout=2))
    with pytest.raises(OperationError) as info:
        collect(index, [(N("alpha"), V("1.0")), (N("beta"), V("2.0"))])
    assert info.value.message == (
        f"cannot reach http://127.0.0.1:{port}/ (Connection refused; 2 attempts)"
    )
    assert info.value.exit_code == 3
    assert info.value.hint is not None
    assert "--find-links DIR" in info.value.hint


def test_index_server_errors_are_retried_then_reported(house: Path) -> None:
    log: list[str] = []
    with serve_index(house, status_override={"/simple/alpha/": 503}, log=log) as url:
        index = SimpleIndex([url], limits=Limits(retries=2, backoff=0.01))
        with pytest.raises(OperationError) as info:
            index.lookup(N("alpha"), V("1.0"))
    assert log == ["/simple/alpha/"] * 3
    assert info.value.message == (
        f"cannot reach {url.removesuffix('simple/')} (503 Service Unavailable; 3 attempts)"
    )


def test_index_auth_failure_says_how(house: Path) -> None:
    with (
        serve_index(house, status_override={"/simple/alpha/": 401}) as url,
        pytest.raises(OperationError) as info,
    ):
        SimpleIndex([url]).lookup(N("alpha"), V("1.0"))
    assert info.value.message == (
        f"alpha: {url.rstrip('/')}/alpha/: 401 Unauthorized from {url}alpha/"
    )
    assert info.value.hint is not None
    assert "~/.netrc" in info.value.hint


def test_first_index_with_the_version_wins(house: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    build_wheel(other, "beta", "1.0")
    with serve_index(other) as first, serve_index(house) as second:
        index = SimpleIndex([first, second])
        old = index.lookup(N("beta"), V("1.0"))
        new = index.lookup(N("beta"), V("2.0"))
        assert index.describe() == f"the indexes {first.rstrip('/')}, {second.rstrip('/')}"
    assert old is not None
    assert old.index == first.rstrip("/")
    assert new is not None
    assert new.index == second.rstrip("/")


# ------------------------------------------------- a static HTML-only index (no hash fragments)


class _Recorder(SimpleHTTPRequestHandler):
    seen: list[tuple[str, str | None]]

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        super().do_GET()


@contextmanager
def static_index(root: Path) -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    """Serve ``root`` as plain files: ``simple/<name>/index.html`` pages, HTML only."""
    seen: list[tuple[str, str | None]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})

    def factory(*args: object) -> SimpleHTTPRequestHandler:
        return handler(*args, directory=str(root))  # type: ignore[arg-type]

    server = ThreadingHTTPServer(("127.0.0.1", 0), factory)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def write_static(root: Path, house: Path, *, missing: str | None = None) -> None:
    page = root / "simple" / "beta"
    page.mkdir(parents=True)
    (root / "files").mkdir()
    links = []
    for path in sorted(house.glob("beta-*")):
        if path.name != missing:
            (root / "files" / path.name).write_bytes(path.read_bytes())
        links.append(f'<a href="../../files/{path.name}" data-yanked="">{path.name}</a>')
    (page / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n" + "<br/>\n".join(links) + "\n</body></html>\n",
        encoding="utf-8",
    )


def test_html_links_without_hash_are_downloaded_and_hashed(house: Path, tmp_path: Path) -> None:
    write_static(tmp_path / "www", house)
    with static_index(tmp_path / "www") as (base, seen):
        found = SimpleIndex([f"http://user:s3cret@{base[7:]}/simple"]).lookup(N("beta"), V("2.0"))
    assert found is not None
    assert found.index == f"{base}/simple"
    assert [(f.url, f.sha256, f.size, f.yanked) for f in found.files] == [
        (
            f"{base}/files/{name}",
            file_sha256(house / name),
            (house / name).stat().st_size,
            True,
        )
        for name in (
            "beta-2.0-cp311-cp311-win_amd64.whl",
            "beta-2.0-py3-none-any.whl",
            "beta-2.0.tar.gz",
        )
    ]
    token = "Basic " + base64.b64encode(b"user:s3cret").decode()
    assert seen[0] == ("/simple/beta/", token)
    assert {auth for _, auth in seen} == {token}
    assert len(seen) == 4


def test_html_file_404_names_package_and_file(house: Path, tmp_path: Path) -> None:
    write_static(tmp_path / "www", house, missing="beta-2.0.tar.gz")
    with static_index(tmp_path / "www") as (base, _):
        index = SimpleIndex([f"{base}/simple/"])
        with pytest.raises(OperationError) as info:
            collect(index, [(N("beta"), V("2.0"))])
    assert info.value.message == (
        "beta==2.0: beta-2.0.tar.gz: the index lists it but answers 404 Not Found "
        f"({base}/files/beta-2.0.tar.gz)"
    )


def test_netrc_credentials(house: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_static(tmp_path / "www", house)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bob password hunter2\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with static_index(tmp_path / "www") as (base, seen):
        SimpleIndex([f"{base}/simple/"]).lookup(N("beta"), V("2.0"))
    assert seen[0][1] == "Basic " + base64.b64encode(b"bob:hunter2").decode()


def test_not_a_simple_page(tmp_path: Path) -> None:
    root = tmp_path / "www" / "simple" / "beta"
    root.mkdir(parents=True)
    (root / "index.json").write_text("[1, 2]", encoding="utf-8")
    (root / "index.html").write_text("", encoding="utf-8")
    with static_index(tmp_path / "www") as (base, _):
        assert SimpleIndex([f"{base}/simple/"]).lookup(N("beta"), V("2.0")) is None


# --------------------------------------------------------------------------- settings


def test_source_for(house: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "pip_default_index", lambda: "http://127.0.0.1:8/default")
    assert source_for(IndexSettings(no_index=True)) is None
    only_house = source_for(IndexSettings(find_links=(str(house),), no_index=True))
    assert isinstance(only_house, Wheelhouse)
    default = source_for(IndexSettings())
    assert isinstance(default, SimpleIndex)
    assert default.urls == ("http://127.0.0.1:8/default",)
    extra = source_for(IndexSettings(extra_index_urls=("http://127.0.0.1:9/x",)))
    assert isinstance(extra, SimpleIndex)
    assert extra.urls == ("http://127.0.0.1:8/default", "http://127.0.0.1:9/x")
    assert isinstance(source_for(IndexSettings(index_url="http://127.0.0.1:9/s")), SimpleIndex)
    chain = source_for(
        IndexSettings(
            index_url="http://u:p@127.0.0.1:9/s",
            find_links=(str(house), "/nonexistent", "http://127.0.0.1:9/links.html"),
        )
    )
    assert isinstance(chain, ChainSource)
    assert chain.describe() == (
        f"the wheelhouse {house} or the find-links page http://127.0.0.1:9/links.html "
        "or the index at http://127.0.0.1:9/s"
    )
    assert isinstance(chain.sources[1], FlatLinks)
    assert IndexSettings(index_url="http://u:p@127.0.0.1:9/s").has_credentials()
    assert not IndexSettings(extra_index_urls=("http://127.0.0.1:9/s",)).has_credentials()


def test_environment_tags_of_a_foreign_platform(tmp_path: Path) -> None:
    env = dataclasses.replace(make_environment(tmp_path), platform="win-amd64")
    tags = environment_tags(env)
    assert tags[0] == Tag("cp311", "cp311", "win_amd64")
    assert Tag("py3", "none", "any") in tags
    assert Tag("cp311", "abi3", "win_amd64") in tags
    assert all(t.platform in {"win_amd64", "any"} for t in tags)


def test_local_file_index_reads_index_html(house: Path, tmp_path: Path) -> None:
    write_static(tmp_path / "www", house)
    (tmp_path / "www" / "files" / "beta-2.0.tar.gz").unlink()
    index = SimpleIndex([(tmp_path / "www" / "simple").as_uri()])
    assert index.lookup(N("nothere"), V("1.0")) is None
    with pytest.raises(OperationError) as info:
        index.lookup(N("beta"), V("2.0"))
    files_url = (tmp_path / "www" / "files").as_uri()
    assert info.value.message == (
        "beta==2.0: beta-2.0.tar.gz: the index lists it but answers 404 Not Found "
        f"({files_url}/beta-2.0.tar.gz)"
    )
    (tmp_path / "www" / "files" / "beta-2.0.tar.gz").write_bytes(b"sdist")
    found = index.lookup(N("beta"), V("2.0"))
    assert found is not None
    assert found.index == (tmp_path / "www" / "simple").as_uri()
    assert [(f.url, f.sha256) for f in found.files][-1] == (
        f"{files_url}/beta-2.0.tar.gz",
        hashlib.sha256(b"sdist").hexdigest(),
    )

"""The file cache, verified downloads, and the index settings of a lock."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from envsnap.errors import OperationError
from envsnap.index.download import fetch_all
from envsnap.index.file_cache import FileCache, default_cache_dir, hash_file
from envsnap.index.http import HttpClient
from envsnap.index.secure import Credentials
from envsnap.index.settings import IndexOptions, IndexSettings, settings_for_lock
from envsnap.index.transfer import Limits
from support.files import dist_file
from support.index import serve_index
from support.wheels import build_wheel


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_cache_dir_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVSNAP_CACHE_DIR", "/somewhere/cache")
    assert default_cache_dir() == Path("/somewhere/cache")
    monkeypatch.delenv("ENVSNAP_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert default_cache_dir() == Path("/xdg/envsnap")


def test_entries_are_content_addressed(tmp_path: Path) -> None:
    cache = FileCache(tmp_path / "c")
    digest = "AB" + "0" * 62
    assert cache.file_path(digest) == tmp_path / "c/files/sha256/ab" / digest.lower()
    assert cache.get_file(digest) is None
    handle, scratch = cache.scratch_file()
    with handle:
        handle.write(b"data")
    stored = cache.add_file(scratch, digest)
    assert stored == cache.get_file(digest)
    assert stored.read_bytes() == b"data"
    assert not scratch.exists()


def test_fetch_local_files_and_report_every_mismatch(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "wh", "solo", "1.0")
    other = build_wheel(tmp_path / "wh", "omega", "1.0")
    cache = FileCache(tmp_path / "cache")
    good = dist_file(package="solo==1.0", filename=wheel.name, sha256=sha(wheel), path=wheel)
    assert fetch_all([good], cache) == {sha(wheel): wheel}
    bad = dist_file(package="omega==1.0", filename=other.name, sha256="0" * 64, url=other.as_uri())
    with pytest.raises(OperationError) as info:
        fetch_all([good, bad], cache)
    assert info.value.message == (
        f"omega==1.0: {other.name}: hash mismatch: the lock file expects sha256 {'0' * 64}, "
        f"the file has {sha(other)}"
    )
    assert info.value.exit_code == 3


def test_download_once_then_from_the_cache(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "wh", "solo", "1.0")
    cache = FileCache(tmp_path / "cache")
    log: list[str] = []
    with serve_index(tmp_path / "wh", log=log) as url:
        base = url.removesuffix("simple/")
        request = dist_file(
            package="solo==1.0",
            filename=wheel.name,
            sha256=sha(wheel),
            url=f"{base}files/{wheel.name}",
        )
        first = fetch_all([request], cache)
        second = fetch_all([request], cache)
    assert first == second == {sha(wheel): cache.file_path(sha(wheel))}
    assert log == [f"/files/{wheel.name}"]
    assert hash_file(first[sha(wheel)]) == (sha(wheel), wheel.stat().st_size)


def test_download_errors_name_package_and_file(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "wh", "solo", "1.0")
    cache = FileCache(tmp_path / "cache")
    missing = f"/files/{wheel.name}"
    with serve_index(tmp_path / "wh", status_override={missing: 404}) as url:
        file_url = f"{url.removesuffix('simple/')}files/{wheel.name}"
        request = dist_file(
            package="solo==1.0", filename=wheel.name, sha256=sha(wheel), url=file_url
        )
        with pytest.raises(OperationError) as info:
            fetch_all([request], cache)
    assert info.value.message == f"solo==1.0: {wheel.name}: 404 Not Found from {file_url}"
    with pytest.raises(OperationError) as info:
        fetch_all([request], cache, client=HttpClient(limits=Limits(retries=1, backoff=0.01)))
    assert info.value.message == (
        f"solo==1.0: {wheel.name}: cannot download {file_url} (Connection refused; 2 attempts)"
    )
    assert not list((tmp_path / "cache/tmp").iterdir())


def test_credentials_come_from_index_urls_only_for_their_host() -> None:
    credentials = Credentials(["https://user:p%40ss@example.invalid/simple"], use_netrc=False)
    assert credentials.header_for("https://example.invalid/files/x.whl") == "Basic dXNlcjpwQHNz"
    assert credentials.header_for("https://other.invalid/files/x.whl") is None


def test_settings_for_lock(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wh").mkdir()
    environ = {"PIP_CONFIG_FILE": os.devnull}
    file_options = [
        "--index-url https://file.invalid/simple",
        "--find-links wheels",
        "--extra-index-url https://extra.invalid/simple",
    ]
    settings = settings_for_lock(
        IndexOptions(index_url="https://cli.invalid/simple"),
        file_options,
        base=tmp_path,
        environ=environ,
    )
    assert settings == IndexSettings(
        index_url="https://cli.invalid/simple",
        extra_index_urls=("https://extra.invalid/simple",),
        find_links=(str(tmp_path / "wheels"),),
    )
    assert settings_for_lock(
        IndexOptions(no_index=True, find_links=(str(tmp_path / "wh"),), trusted_hosts=("h",)),
        file_options,
        base=tmp_path,
        environ=environ,
    ) == IndexSettings(
        index_url="https://file.invalid/simple",
        extra_index_urls=("https://extra.invalid/simple",),
        find_links=(str(tmp_path / "wh"), str(tmp_path / "wheels")),
        trusted_hosts=("h",),
        no_index=True,
    )

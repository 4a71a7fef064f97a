"""The file cache, verified downloads, and wheel installs from the unpacked cache."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from envsnap.errors import OperationError
from envsnap.index.download import fetch_all
from envsnap.index.file_cache import FileCache, default_cache_dir, hash_file
from envsnap.index.http import Credentials, HttpClient, Limits
from envsnap.index.settings import IndexSettings, settings_from_pip_args
from envsnap.install.wheels import WheelJob, install_unpacked, unpack_wheel
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


def test_a_failed_unpack_leaves_no_entry(tmp_path: Path) -> None:
    cache = FileCache(tmp_path)

    def fail(dest: Path) -> None:
        (dest / "half").write_text("x", encoding="utf-8")
        raise OperationError("broken")

    with pytest.raises(OperationError):
        cache.add_unpacked("cd" * 32, fail)
    assert cache.get_unpacked("cd" * 32) is None
    assert list((tmp_path / "unpacked/sha256/cd").iterdir()) == []


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
        ticks: list[tuple[int, int]] = []
        first = fetch_all([request], cache, progress=lambda d, t: ticks.append((d, t)))
        second = fetch_all([request], cache)
    assert first == second == {sha(wheel): cache.file_path(sha(wheel))}
    assert log == [f"/files/{wheel.name}"]
    assert ticks == [(1, 1)]
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


def test_settings_from_pip_args(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wh").mkdir()
    environ = {"PIP_CONFIG_FILE": os.devnull}
    file_options = ["--index-url https://file.invalid/simple", "--find-links wheels"]
    settings = settings_from_pip_args(
        ["--index-url", "https://cli.invalid/simple"], file_options, base=tmp_path, environ=environ
    )
    assert settings == IndexSettings(
        index_url="https://cli.invalid/simple", find_links=(str(tmp_path / "wheels"),)
    )
    assert settings_from_pip_args(
        ["--no-index", "--find-links", str(tmp_path / "wh")],
        file_options,
        base=tmp_path,
        environ=environ,
    ) == IndexSettings(
        index_url="https://file.invalid/simple",
        find_links=(str(tmp_path / "wh"), str(tmp_path / "wheels")),
        no_index=True,
    )


def test_unpack_rejects_a_member_that_does_not_match_record(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "solo", "1.0")
    tampered = tmp_path / "t" / wheel.name
    tampered.parent.mkdir()
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "solo/__init__.py":
                data = data.replace(b"1.0", b"2.0")  # same size: the hash tells
            target.writestr(item, data)
    (tmp_path / "out").mkdir()
    with pytest.raises(OperationError) as info:
        unpack_wheel(tampered, wheel.name, tmp_path / "out")
    assert info.value.message == (
        f"{wheel.name}: not a valid wheel (solo/__init__.py does not match its RECORD hash)"
    )


def test_install_links_from_the_unpacked_cache(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path / "wh",
        "Mixed.Case_Name",
        "0.5",
        files={
            "mixed/__init__.py": "X = 1\n",
            "mixed_case_name-0.5.data/scripts/tool": "#!python\nprint(1)\n",
            "mixed_case_name-0.5.data/data/share/mixed.txt": "shared\n",
        },
    )
    cache = FileCache(tmp_path / "cache")
    entry = cache.add_unpacked(sha(wheel), lambda d: unpack_wheel(wheel, wheel.name, d))
    site = tmp_path / "venv" / "site-packages"
    scheme = {
        "purelib": str(site),
        "platlib": str(site),
        "scripts": str(tmp_path / "venv" / "bin"),
        "data": str(tmp_path / "venv"),
        "headers": str(tmp_path / "venv" / "include"),
    }
    direct = {"url": "https://example.invalid/x.whl", "archive_info": {"hashes": {"sha256": "ab"}}}
    job = WheelJob(filename=wheel.name, unpacked=entry, requested=True, direct_url=direct)
    install_unpacked(job, scheme, interpreter=Path(sys.executable))
    module = site / "mixed" / "__init__.py"
    assert module.read_text(encoding="utf-8") == "X = 1\n"
    assert os.path.samefile(module, entry / "mixed" / "__init__.py")
    info = site / "mixed_case_name-0.5.dist-info"
    assert sorted(p.name for p in info.iterdir()) == [
        "INSTALLER",
        "METADATA",
        "RECORD",
        "REQUESTED",
        "WHEEL",
        "direct_url.json",
    ]
    assert (info / "INSTALLER").read_text(encoding="utf-8") == "envsnap\n"
    tool = tmp_path / "venv" / "bin" / "tool"
    assert tool.read_text(encoding="utf-8") == f"#!{sys.executable}\nprint(1)\n"
    assert not os.path.samefile(tool, entry / "mixed_case_name-0.5.data/scripts/tool")
    assert (tmp_path / "venv" / "share" / "mixed.txt").read_text(encoding="utf-8") == "shared\n"
    assert json.loads((info / "direct_url.json").read_text(encoding="utf-8")) == direct
    record = (info / "RECORD").read_text(encoding="utf-8").splitlines()
    digest = hashlib.sha256(b"X = 1\n").digest()
    encoded = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert f"mixed/__init__.py,sha256={encoded},6" in record
    assert "mixed_case_name-0.5.dist-info/RECORD,," in record

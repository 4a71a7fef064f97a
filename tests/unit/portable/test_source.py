"""The index candidate source over a loopback index: pages, first index, sdist metadata."""

from __future__ import annotations

import io
import tarfile
from typing import TYPE_CHECKING

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from envsnap.errors import OperationError
from envsnap.index.file_cache import FileCache
from envsnap.index.http import HttpClient
from envsnap.index.simple_index import SimpleIndex
from envsnap.portable.source import IndexCandidates
from support.index import serve_index
from support.wheels import build_sdist, build_wheel, metadata_text

if TYPE_CHECKING:
    from pathlib import Path


def candidates(urls: list[str], tmp_path: Path) -> IndexCandidates:
    index = SimpleIndex(urls, client=HttpClient(), files=FileCache(tmp_path / "cache"))
    return IndexCandidates(index)


def static_sdist(dest: Path, name: str, version: str, *, dynamic: str | None = None) -> None:
    """An sdist whose PKG-INFO is metadata 2.2 (PEP 643), optionally with one Dynamic field."""
    text = metadata_text(
        name, version, requires=["idna>=3"], requires_python=">=3.9", metadata_version="2.2"
    )
    if dynamic:
        text += f"Dynamic: {dynamic}\n"
    data = text.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(f"{name}-{version}/PKG-INFO")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    (dest / f"{name}-{version}.tar.gz").write_bytes(buffer.getvalue())


@pytest.mark.parametrize("json", [True, False])
def test_releases_and_wheel_metadata(tmp_path: Path, json: bool) -> None:
    root = tmp_path / "index"
    build_wheel(root, "lib", "1.0")
    build_wheel(root, "lib", "2.0", requires=['idna; os_name == "nt"'], requires_python=">=3.10")
    build_wheel(root, "lib", "2.0", tag="cp312-cp312-win_amd64")
    with serve_index(root, json=json) as url:
        source = candidates([url], tmp_path)
        releases = sorted(source.releases("lib"), key=lambda r: r.version)
        assert [(str(r.version), [f.filename for f in r.files]) for r in releases] == [
            ("1.0", ["lib-1.0-py3-none-any.whl"]),
            ("2.0", ["lib-2.0-cp312-cp312-win_amd64.whl", "lib-2.0-py3-none-any.whl"]),
        ]
        meta = source.metadata(releases[1], releases[1].files[1])
        assert meta.requires == (Requirement('idna; os_name == "nt"'),)
        assert meta.requires_python == SpecifierSet(">=3.10")
        assert source.releases("nothing-here") == ()


def test_first_index_that_has_the_project_wins(tmp_path: Path) -> None:
    (main := tmp_path / "main").mkdir()
    (extra := tmp_path / "extra").mkdir()
    build_wheel(main, "lib", "1.0")
    build_wheel(extra, "lib", "9.0")
    build_wheel(extra, "other", "1.0")
    with serve_index(main) as first, serve_index(extra) as second:
        source = candidates([first, second], tmp_path)
        assert [str(r.version) for r in source.releases("lib")] == ["1.0"]
        assert [str(r.version) for r in source.releases("other")] == ["1.0"]
        assert source.describe() == f"the indexes {first.rstrip('/')}, {second.rstrip('/')}"


def test_sdist_metadata_only_when_static(tmp_path: Path) -> None:
    root = tmp_path / "index"
    root.mkdir()
    static_sdist(root, "static", "1.0")
    static_sdist(root, "dynamic", "1.0", dynamic="Requires-Dist")
    build_sdist(root, "old", "1.0", requires=["idna"])  # metadata 2.1
    with serve_index(root) as url:
        source = candidates([url], tmp_path)
        (static,) = source.releases("static")
        meta = source.metadata(static, static.files[0])
        assert meta.requires == (Requirement("idna>=3"),)
        assert meta.requires_python == SpecifierSet(">=3.9")
        for name in ("dynamic", "old"):
            (release,) = source.releases(name)
            with pytest.raises(OperationError) as caught:
                source.metadata(release, release.files[0])
            assert caught.value.message == (
                f"{name}==1.0: {name}-1.0.tar.gz: only an sdist, and its requirements are "
                "known only after a build"
            )
    assert static.version == Version("1.0")


def test_no_index_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OperationError, match="no index URL given"):
        candidates([], tmp_path)

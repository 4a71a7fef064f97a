"""The test helpers other tests stand on: built wheels/sdists and the loopback index."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tarfile
import urllib.error
import urllib.request
import zipfile
from typing import TYPE_CHECKING

from support.index import JSON_CONTENT_TYPE, serve_index
from support.venvs import NO_INDEX, clean_env
from support.wheels import build_sdist, build_wheel, file_sha256

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def fetch(url: str, accept: str | None = None) -> tuple[int, str, bytes]:
    """GET ``url``: (status, content type, body); HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def test_wheel_record_matches_every_member(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path,
        "Mixed.Case-Pkg",
        "1.2",
        requires=["beta>=1"],
        extras={"fast": ["epsilon", 'zeta; sys_platform == "win32"']},
        requires_python=">=3.9",
    )
    assert wheel.name == "mixed_case_pkg-1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        record = archive.read("mixed_case_pkg-1.2.dist-info/RECORD").decode().splitlines()
        metadata = archive.read("mixed_case_pkg-1.2.dist-info/METADATA").decode()
        rows = [line.split(",") for line in record]
        assert sorted(row[0] for row in rows) == sorted(names)
        for path, digest, size in rows:
            if path.endswith("RECORD"):
                assert (digest, size) == ("", "")
                continue
            data = archive.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert (digest, size) == (f"sha256={expected.decode()}", str(len(data)))
        assert archive.read("mixed_case_pkg/__init__.py").decode().endswith('"1.2"\n')
    assert metadata == (
        "Metadata-Version: 2.1\n"
        "Name: Mixed.Case-Pkg\n"
        "Version: 1.2\n"
        "Summary: Mixed.Case-Pkg, a test package built by envsnap's tests\n"
        "Requires-Python: >=3.9\n"
        "Provides-Extra: fast\n"
        "Requires-Dist: beta>=1\n"
        'Requires-Dist: epsilon; extra == "fast"\n'
        'Requires-Dist: zeta; (sys_platform == "win32") and extra == "fast"\n'
    )


def test_builds_are_deterministic(tmp_path: Path) -> None:
    first = build_wheel(tmp_path / "a", "solo", "1.0")
    second = build_wheel(tmp_path / "b", "solo", "1.0")
    assert first.read_bytes() == second.read_bytes()
    sdist_a = build_sdist(tmp_path / "a", "kappa", "1.0")
    sdist_b = build_sdist(tmp_path / "b", "kappa", "1.0")
    assert sdist_a.read_bytes() == sdist_b.read_bytes()
    with tarfile.open(sdist_a) as archive:
        assert sorted(archive.getnames()) == [
            "kappa-1.0/PKG-INFO",
            "kappa-1.0/envsnap_test_backend.py",
            "kappa-1.0/kappa/__init__.py",
            "kappa-1.0/pyproject.toml",
        ]


def test_index_serves_html_and_json_pages(wheelhouse: Path, loopback_index: str) -> None:
    status, ctype, body = fetch(loopback_index + "alpha/")
    digest = file_sha256(wheelhouse / "alpha-1.0-py3-none-any.whl")
    assert (status, ctype) == (200, "text/html; charset=utf-8")
    assert (
        f'<a href="../../files/alpha-1.0-py3-none-any.whl#sha256={digest}">'
        "alpha-1.0-py3-none-any.whl</a>"
    ) in body.decode()
    status, ctype, body = fetch(loopback_index + "omega/", accept=JSON_CONTENT_TYPE)
    assert (status, ctype) == (200, JSON_CONTENT_TYPE)
    assert json.loads(body) == {
        "meta": {"api-version": "1.0"},
        "name": "omega",
        "files": [
            {
                "filename": f"omega-{v}-py3-none-any.whl",
                "url": f"../../files/omega-{v}-py3-none-any.whl",
                "hashes": {"sha256": file_sha256(wheelhouse / f"omega-{v}-py3-none-any.whl")},
            }
            for v in ("1.0", "2.0")
        ],
    }
    status, _, body = fetch(loopback_index, accept=JSON_CONTENT_TYPE)
    names = [p["name"] for p in json.loads(body)["projects"]]
    assert "mixed-case-name" in names
    assert "kappa" in names


def test_index_redirects_to_normalized_name_and_serves_files(
    wheelhouse: Path, loopback_index: str
) -> None:
    status, _, body = fetch(loopback_index + "Mixed_Case.Name")
    assert status == 200
    assert "mixed_case_name-0.5-py3-none-any.whl" in body.decode()
    root = loopback_index.removesuffix("simple/")
    status, _, body = fetch(root + "files/kappa-1.0.tar.gz")
    assert (status, body) == (200, (wheelhouse / "kappa-1.0.tar.gz").read_bytes())
    assert fetch(root + "files/nope-1.0.tar.gz")[0] == 404
    assert fetch(loopback_index + "nope/")[0] == 404


def test_index_without_json_answers_html(wheelhouse: Path) -> None:
    with serve_index(wheelhouse, json=False) as url:
        _status, ctype, _body = fetch(url + "alpha/", accept=JSON_CONTENT_TYPE)
    assert ctype == "text/html; charset=utf-8"


def test_index_fault_hooks(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "solo", "1.0")
    log: list[str] = []
    with serve_index(tmp_path, delay=0.01, status_override={"/simple/solo/": 503}, log=log) as url:
        assert fetch(url + "solo/")[0] == 503
        status, _, body = fetch(url.removesuffix("simple/") + f"files/{wheel.name}")
    assert (status, body) == (200, wheel.read_bytes())
    assert log == ["/simple/solo/", f"/files/{wheel.name}"]


def test_clean_env_drops_pip_and_uv_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:8/simple/")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "http://127.0.0.1:8/simple/")
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:8/simple/")
    monkeypatch.setenv("VIRTUAL_ENV", "/nowhere")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("UV_CACHE_DIR", "/the-tests-own")  # tests/conftest.py sets one per test
    env = clean_env(EXTRA="1")
    assert not [
        k
        for k in env
        if (k.startswith(("PIP_EXTRA", "UV_")) and k != "UV_CACHE_DIR")
        or k in {"VIRTUAL_ENV", "COLUMNS"}
    ]
    assert env["UV_CACHE_DIR"] == "/the-tests-own"
    assert env["PIP_INDEX_URL"] == NO_INDEX  # a closed port stands in for the default index
    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert (env["PIP_NO_INPUT"], env["PIP_DISABLE_PIP_VERSION_CHECK"], env["EXTRA"]) == (
        "1",
        "1",
        "1",
    )

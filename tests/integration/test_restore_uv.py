"""The direct installer on real venvs: round trip, the cache, and download faults (offline)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from support.index import serve_index
from support.venvs import make_venv, pip_freeze, pip_install, run_envsnap

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.integration

PY = "{}.{}.{}".format(*sys.version_info[:3])
TAG = sys.implementation.cache_tag


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """envsnap's cache for this test (run_envsnap passes os.environ on)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("ENVSNAP_CACHE_DIR", str(root))
    return root


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def write_lock(path: Path, files: list[tuple[str, str, str, str]]) -> Path:
    """A pylock file of ``(name, version, url, sha256)`` wheels."""
    lines = ['lock-version = "1.0"', 'created-by = "tests"', ""]
    for name, version, url, digest in files:
        lines += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            f'wheels = [{{ url = "{url}", hashes = {{ sha256 = "{digest}" }} }}]',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_solo(path: Path) -> None:
    """envsnap's requirements file pinning the one package ``solo``: the whole closure."""
    path.write_text(
        f"# envsnap 0.1.0 freeze - CPython {PY}, linux x86_64 - 1 top-level, 0 transitive\n"
        "# top-level\nsolo==1.0\n# transitive\n",
        encoding="utf-8",
    )


def files_url(index_url: str, wheel: Path) -> str:
    return f"{index_url.removesuffix('simple/')}files/{wheel.name}"


def test_round_trip_then_a_second_restore_downloads_nothing(
    tmp_path: Path, wheelhouse: Path, cache: Path
) -> None:
    source = make_venv(tmp_path / "source")
    pip_install(source, "alpha", "delta[fast]", "Mixed.Case_Name", find_links=wheelhouse)
    frozen = run_envsnap("freeze", "-p", "source", "-o", "requirements.txt", cwd=tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    log: list[str] = []
    with serve_index(wheelhouse, log=log) as url:
        first = run_envsnap("restore", "--venv", "one", "--index-url", url, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        downloads = sorted(p for p in log if p.startswith("/files/"))
        assert downloads == [
            "/files/alpha-1.0-py3-none-any.whl",
            "/files/beta-1.0-py3-none-any.whl",
            "/files/delta-2.0-py3-none-any.whl",
            "/files/epsilon-1.0-py3-none-any.whl",
            "/files/gamma-1.0-py3-none-any.whl",
            "/files/mixed_case_name-0.5-py3-none-any.whl",
        ]
        log.clear()
        second = run_envsnap(
            "restore", "--venv", "two", "--without-pip", "--index-url", url, cwd=tmp_path
        )
        assert second.returncode == 0, second.stderr
        assert [p for p in log if p.startswith("/files/")] == []
    original = (tmp_path / "requirements.txt").read_text(encoding="utf-8")
    for name in ("one", "two"):
        again = run_envsnap("freeze", "-p", name, cwd=tmp_path)
        assert again.stdout == original
        assert pip_freeze(tmp_path / name / "bin" / "python") == pip_freeze(source)
    for wheel in wheelhouse.glob("alpha-1.0-*.whl"):
        assert (cache / "files" / "sha256" / sha(wheel)[:2] / sha(wheel)).read_bytes() == (
            wheel.read_bytes()
        )
    site = next((tmp_path / "one" / "lib").glob("python*/site-packages"))
    assert (site / "alpha-1.0.dist-info" / "INSTALLER").read_text(encoding="utf-8") == "envsnap\n"
    assert (site / "pip").is_dir()
    assert (tmp_path / "one" / "bin" / f"pip{sys.version_info[0]}.{sys.version_info[1]}").exists()
    assert not (next((tmp_path / "two" / "lib").glob("python*/site-packages")) / "pip").exists()
    # no bytecode without --compile, but pip's from the check that pip runs
    assert {p.relative_to(site).parts[0] for p in site.rglob("__pycache__")} == {"pip"}
    kept = list((cache / "pip-bytecode").glob("*/manifest.json"))
    assert len(kept) == 1
    for name, digest in json.loads(kept[0].read_text(encoding="utf-8")):
        assert (site / name).read_bytes() == (kept[0].parent / name).read_bytes()
        assert sha(kept[0].parent / name) == digest


def test_a_second_venv_gets_the_kept_pip_bytecode(
    tmp_path: Path, wheelhouse: Path, cache: Path
) -> None:
    """The first restore's pip check leaves pip's bytecode in the cache; the next venv links it."""
    write_solo(tmp_path / "requirements.txt")
    for name in ("one", "two"):
        done = run_envsnap(
            "restore", "--venv", name, "--no-index", "--find-links", str(wheelhouse),
            cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "check: pip " in done.stderr
    (kept,) = (cache / "pip-bytecode").glob("*/manifest.json")
    rows = json.loads(kept.read_text(encoding="utf-8"))
    assert any(name == f"pip/__pycache__/__init__.{TAG}.pyc" for name, _ in rows)
    site = next((tmp_path / "two" / "lib").glob("python*/site-packages"))
    for name, _ in rows:
        assert (site / name).stat().st_ino == (kept.parent / name).stat().st_ino


def test_an_installed_file_edited_in_place_does_not_reach_the_next_restore(
    tmp_path: Path, wheelhouse: Path, cache: Path
) -> None:
    write_solo(tmp_path / "requirements.txt")
    with serve_index(wheelhouse) as url:
        args = ("--without-pip", "--index-url", url)
        first = run_envsnap("restore", "--venv", "one", *args, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        module = next((tmp_path / "one" / "lib").glob("python*/site-packages")) / "solo"
        pristine = (module / "__init__.py").read_bytes()
        with (module / "__init__.py").open("ab") as handle:  # in place: shares the cache's inode
            handle.write(b"# edited\n")
        second = run_envsnap("restore", "--venv", "two", *args, cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        again = next((tmp_path / "two" / "lib").glob("python*/site-packages")) / "solo"
        assert (again / "__init__.py").read_bytes() == pristine
        # a damaged archive in the cache is fetched again, not trusted
        archive = next(cache.glob("files/sha256/*/*"))
        archive.write_bytes(b"not the wheel")
        for entry in cache.glob("unpacked/sha256/*/*"):
            with (entry / "solo" / "__init__.py").open("ab") as handle:
                handle.write(b"# edited again\n")
        third = run_envsnap("restore", "--venv", "three", *args, cwd=tmp_path)
        assert third.returncode == 0, third.stderr
    assert archive.read_bytes() != b"not the wheel"
    last = next((tmp_path / "three" / "lib").glob("python*/site-packages")) / "solo"
    assert (last / "__init__.py").read_bytes() == pristine


def test_compile_and_no_cache(tmp_path: Path, wheelhouse: Path, cache: Path) -> None:
    write_solo(tmp_path / "requirements.txt")
    done = run_envsnap(
        "restore",
        "--without-pip",
        "--no-cache",
        "--compile",
        "-q",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    site = next((tmp_path / ".venv" / "lib").glob("python*/site-packages"))
    assert [p.name.split(".")[0] for p in (site / "solo" / "__pycache__").iterdir()] == ["__init__"]
    assert not cache.exists()


def test_hash_mismatch_on_download_installs_nothing(
    tmp_path: Path, wheelhouse: Path, cache: Path
) -> None:
    old = make_venv(tmp_path / ".venv")
    before = tree(tmp_path / ".venv")
    solo = next(wheelhouse.glob("solo-1.0-*.whl"))
    gamma = next(wheelhouse.glob("gamma-1.0-*.whl"))
    with serve_index(wheelhouse) as url:
        write_lock(
            tmp_path / "pylock.toml",
            [
                ("gamma", "1.0", files_url(url, gamma), sha(gamma)),
                ("solo", "1.0", files_url(url, solo), "0" * 64),
            ],
        )
        done = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines()[-2:] == [
        f"error: solo==1.0: {solo.name}: hash mismatch: the lock file expects sha256 "
        f"{'0' * 64}, the file has {sha(solo)}",
        "hint: the file changed on the index or the lock file is wrong: nothing was installed; "
        "regenerate the lock file if the change is expected",
    ]
    assert tree(tmp_path / ".venv") == before
    assert old.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".venv", "cache", "pylock.toml"]
    assert not (cache / "files" / "sha256" / "00").exists()


def test_index_down_and_404_for_one_file(tmp_path: Path, wheelhouse: Path, cache: Path) -> None:
    solo = next(wheelhouse.glob("solo-1.0-*.whl"))
    gamma = next(wheelhouse.glob("gamma-1.0-*.whl"))
    missing = f"/files/{solo.name}"
    with serve_index(wheelhouse, status_override={missing: 404}) as url:
        write_lock(
            tmp_path / "pylock.toml",
            [
                ("gamma", "1.0", files_url(url, gamma), sha(gamma)),
                ("solo", "1.0", files_url(url, solo), sha(solo)),
            ],
        )
        done = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines()[-2:] == [
        f"error: solo==1.0: {solo.name}: 404 Not Found from {files_url(url, solo)}",
        "hint: the file is gone from where the lock file says: regenerate the lock file",
    ]
    assert not (tmp_path / ".venv").exists()
    # the server is gone now: nothing answers at that address
    (tmp_path / "cache").rename(tmp_path / "cold")  # gamma was cached: start cold
    done = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: gamma==1.0: {gamma.name}: cannot download {files_url(url, gamma)} "
        f"(Connection refused; 3 attempts); solo==1.0: {solo.name}: cannot download "
        f"{files_url(url, solo)} (Connection refused; 3 attempts)"
    ]
    assert not (tmp_path / ".venv").exists()


@contextmanager
def truncating_server(root: Path) -> Iterator[str]:
    """Serve ``/files/NAME`` from ``root`` announcing the full length, sending half."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            data = (root / self.path.rsplit("/", 1)[-1]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/files/"
    finally:
        server.shutdown()
        server.server_close()


def test_truncated_download(tmp_path: Path, wheelhouse: Path, cache: Path) -> None:
    solo = next(wheelhouse.glob("solo-1.0-*.whl"))
    with truncating_server(wheelhouse) as base:
        write_lock(tmp_path / "pylock.toml", [("solo", "1.0", base + solo.name, sha(solo))])
        done = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    half = solo.stat().st_size // 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: solo==1.0: {solo.name}: cannot download {base}{solo.name} (truncated download "
        f"({half} bytes, then the connection closed); 3 attempts)"
    ]
    assert not (tmp_path / ".venv").exists()
    assert list((cache / "tmp").iterdir()) == []
    assert not os.path.exists(cache / "files")


def test_an_sdist_goes_to_pip_after_its_hash_is_checked(
    tmp_path: Path, wheelhouse: Path, cache: Path
) -> None:
    text = (
        f"# envsnap 0.1.0 freeze - CPython {PY}, linux x86_64 - 2 top-level, 0 transitive\n"
        "# top-level\nkappa==1.0\nsolo==1.0\n# transitive\n"
    )
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    done = run_envsnap(
        "restore", "--without-pip", "--no-index", "--find-links", str(wheelhouse), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert run_envsnap("freeze", "-p", ".venv", cwd=tmp_path).stdout == text
    site = next((tmp_path / ".venv" / "lib").glob("python*/site-packages"))
    installers = {
        p.parent.name: p.read_text(encoding="utf-8").strip() for p in site.glob("*/INSTALLER")
    }
    assert installers == {"kappa-1.0.dist-info": "pip", "solo-1.0.dist-info": "envsnap"}

"""Issue 15 items 3 and 10: files named by a URL, and sdists installed from a URL.

- Item 3: a file name was URL-decoded from the URL and joined to pip's staging
  directory, so ``..%2F..%2F..%2Fpwned.tar.gz`` in a ``name @ URL`` line or a
  pylock ``archive`` wrote outside it (and stayed after the failure). A URL's
  name now only tells a wheel from an sdist: a direct-URL sdist goes to pip
  as its URL, and a wheel's name must be a wheel file name of the package.
- Item 10: ``pip install "pkg @ URL-of-an-sdist"``, ``envsnap freeze``, ``envsnap
  restore`` failed with ``No matching distribution found for pkg==None``: the
  sdist was staged and asked for as ``name==version``, with no version for a
  ``name @ URL`` line, and pip would not have recorded its URL anyway.

Every server is on 127.0.0.1; ``TMPDIR`` points inside the test's directory,
so a file written outside the staging directory would be seen there.
"""

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
from support.venvs import make_venv, pip_install, run_envsnap
from support.wheels import build_sdist, build_wheel

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


pytestmark = pytest.mark.integration

PY = "{}.{}.{}".format(*sys.version_info[:3])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(root: Path) -> list[str]:
    """Every path under ``root``, relative (what a write outside the target would change)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@contextmanager
def serve_any_path(body: bytes, log: list[str]) -> Iterator[str]:
    """Serve ``body`` for every GET, whatever the (encoded) path; yield the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

        def do_GET(self) -> None:
            log.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def installed_direct_url(venv: Path, dist: str) -> dict[str, object]:
    info = next(venv.glob(f"lib/python3*/site-packages/{dist}.dist-info"))
    result: dict[str, object] = json.loads((info / "direct_url.json").read_text(encoding="utf-8"))
    return result


# --------------------------------------------------------------------------- item 10


@pytest.mark.parametrize(
    ("output", "again"), [("requirements.txt", "again.txt"), ("pylock.toml", "pylock.again.toml")]
)
def test_a_freeze_of_an_sdist_installed_from_a_url_restores(
    tmp_path: Path, output: str, again: str
) -> None:
    files = tmp_path / "files"
    sdist = build_sdist(files, "urlpkg", "1.0")
    source = make_venv(tmp_path / "source")
    with serve_index(files) as index:
        url = f"{index.removesuffix('simple/')}files/{sdist.name}"
        pip_install(source, f"urlpkg @ {url}", index_url=index)
        frozen = run_envsnap("freeze", "-p", "source", "-o", output, cwd=tmp_path)
        assert frozen.returncode == 0, frozen.stderr
        done = run_envsnap("restore", output, "--venv", "target", "--without-pip", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"done: {tmp_path / 'target'} matches {output}" in done.stderr
        refrozen = run_envsnap("freeze", "-p", "target", "-o", again, cwd=tmp_path)
        assert refrozen.returncode == 0, refrozen.stderr
    assert installed_direct_url(tmp_path / "target", "urlpkg-1.0") == {
        "url": url,
        "archive_info": {"hash": f"sha256={sha256(sdist)}", "hashes": {"sha256": sha256(sdist)}},
    }
    body = [
        line
        for line in (tmp_path / again).read_text(encoding="utf-8").splitlines()
        if "urlpkg" in line or "archive" in line
    ]
    original = [
        line
        for line in (tmp_path / output).read_text(encoding="utf-8").splitlines()
        if "urlpkg" in line or "archive" in line
    ]
    assert body == original


# --------------------------------------------------------------------------- item 3

ENCODED = "..%2F..%2F..%2Fpwned.tar.gz"
"""From ``TMPDIR/envsnap-pip-X/files/`` three levels up is the test's directory."""


def _lock(kind: str, url: str, digest: str) -> tuple[str, str]:
    """The attack as a lock file: ``(file name, text)``."""
    if kind == "requirements":
        # envsnap's freeze header and sections: the closure is complete, the direct backend runs
        header = f"# envsnap 0.1.0 freeze - CPython {PY}, linux x86_64 - 1 top-level, 0 transitive"
        return "requirements.txt", (
            f"{header}\n# top-level\nevil @ {url}#sha256={digest}\n# transitive\n"
        )
    return (
        "pylock.toml",
        'lock-version = "1.0"\ncreated-by = "t"\n\n[[packages]]\nname = "evil"\nversion = "1.0"\n'
        f'archive = {{ url = "{url}", hashes = {{ sha256 = "{digest}" }} }}\n',
    )


@pytest.mark.parametrize("kind", ["requirements", "pylock"])
def test_an_encoded_path_in_an_sdist_url_writes_nothing_outside(tmp_path: Path, kind: str) -> None:
    sdist = build_sdist(tmp_path / "build", "evil", "1.0")
    body = sdist.read_bytes()
    (tmp_path / "tmp").mkdir()
    log: list[str] = []
    with serve_any_path(body, log) as base:
        name, text = _lock(kind, f"{base}/dl/{ENCODED}", sha256(sdist))
        (tmp_path / name).write_text(text, encoding="utf-8")
        before = listing(tmp_path)
        done = run_envsnap(
            "restore", name, "--venv", "target", "--without-pip",
            cwd=tmp_path, env={"TMPDIR": os.fspath(tmp_path / "tmp")},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = "1 package" if kind == "requirements" else "1 package of pylock.toml"
    assert f"install: {shown} with uv" in done.stderr
    assert set(log) == {f"/dl/{ENCODED}"}  # fetched by uv, as the URL says
    assert not (tmp_path / "pwned.tar.gz").exists()
    outside = [p for p in listing(tmp_path) if not p.startswith(("target", "tmp/"))]
    assert outside == before
    assert list((tmp_path / "tmp").iterdir()) == []
    assert installed_direct_url(tmp_path / "target", "evil-1.0")["url"] == f"{base}/dl/{ENCODED}"


@pytest.mark.parametrize("kind", ["requirements", "pylock"])
def test_a_wheel_url_that_decodes_to_a_path_is_refused(tmp_path: Path, kind: str) -> None:
    """uv reads the wheel's name from the URL and refuses one that is a path; nothing is written."""
    wheel = build_wheel(tmp_path / "build", "evil", "1.0")
    (tmp_path / "tmp").mkdir()
    log: list[str] = []
    encoded = f"..%2F..%2F{wheel.name}"
    with serve_any_path(wheel.read_bytes(), log) as base:
        url = f"{base}/dl/{encoded}"
        name, text = _lock(kind, url, sha256(wheel))
        (tmp_path / name).write_text(text, encoding="utf-8")
        before = listing(tmp_path)
        done = run_envsnap(
            "restore", name, "--venv", "target", "--without-pip",
            cwd=tmp_path, env={"TMPDIR": os.fspath(tmp_path / "tmp")},
        )  # fmt: skip
    assert done.returncode == 3, done.stderr  # uv refuses the name before fetching it
    assert f"  | error: The wheel filename `../../{wheel.name}` has an invalid package name" in (
        done.stderr.splitlines()
    )
    assert log == []
    assert listing(tmp_path) == before


def test_a_direct_url_line_for_pip_keeps_its_hash_and_subdirectory() -> None:
    """What an installer gets for a ``name @ URL`` sdist (``requirements_text``)."""
    from packaging.version import Version  # noqa: PLC0415

    from envsnap.lock import (  # noqa: PLC0415
        Lock,
        LockedPackage,
        Origin,
    )
    from envsnap.lockfiles.requirements.write import requirements_text  # noqa: PLC0415

    def package(
        name: str, *, hashes: tuple[str, ...] = (), sub: str | None = None
    ) -> LockedPackage:
        return LockedPackage(
            name=name,  # type: ignore[arg-type]
            display_name=name,
            version=None if not hashes else Version("1.0"),
            hashes=hashes,
            origin=Origin(
                kind="archive",
                url=f"https://h/{name}-1.0.tar.gz",
                archive_hash="sha256=ab",
                subdirectory=sub,
            ),
        )

    lock = Lock(
        path=None,
        format="requirements",
        packages=(
            package("a"),
            package("b", sub="src/b"),
            package("c", hashes=("sha256:ab",), sub="c"),
        ),
    )
    assert requirements_text(lock) == (
        "a @ https://h/a-1.0.tar.gz#sha256=ab\n"
        "b @ https://h/b-1.0.tar.gz#sha256=ab&subdirectory=src/b\n"
        "c @ https://h/c-1.0.tar.gz#subdirectory=c --hash=sha256:ab\n"
    )

"""Index pages and local index files that lie or trap (issue 20, items 7 and 8).

- a ``.metadata`` file (PEP 658) that does not match the hash its project
  page gives is refused (exit 3): it once added ``evildep`` to a portable
  lock; a ``.metadata`` file the page does not advertise (or advertises
  without a hash) is never asked for: the wheel, verified by its sha256, is
  read instead;
- a page fetched over http(s) that links ``file:`` URLs: those links are
  ignored (``file:///etc/shadow`` once had its sha256 printed);
- a FIFO or a link to ``/dev/zero`` in a wheelhouse or a local ``file:``
  index is refused at once (exit 2, one line naming it), never read: a
  plain read would wait for a writer forever, or fill memory.

Every run has a timeout, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from typing import TYPE_CHECKING, Literal

import pytest

from support.index import serve_index
from support.venvs import clean_env, make_venv, pip_install
from support.wheels import build_wheel, file_sha256, metadata_text

if TYPE_CHECKING:
    from pathlib import Path

# one xdist worker runs the module: its module-scoped venvs are built once, not per worker
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("index-pages")]

WINLIB = "winlib-1.0-py3-none-any.whl"
SOLO = "solo-1.0-py3-none-any.whl"


def envsnap(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """Run envsnap with a clean environment and a bound, so a hang fails the test."""
    return subprocess.run(
        [sys.executable, "-m", "envsnap", *args],
        env=clean_env(ENVSNAP_CACHE_DIR=str(cache)),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def said(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """stderr without the lines every freeze prints."""
    return [
        line
        for line in proc.stderr.splitlines()
        if not line.startswith(("Using environment at: ", "top-level: "))
    ]


# PEP 658 metadata


@pytest.fixture(scope="module")
def lying_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``app`` needs ``winlib`` on Windows; winlib's ``.metadata`` adds ``evildep``."""
    root = tmp_path_factory.mktemp("lying-index")
    build_wheel(root, "app", "1.0", requires=['winlib; sys_platform == "win32"'])
    build_wheel(root, "winlib", "1.0")
    build_wheel(root, "evildep", "1.0")
    lie = metadata_text("winlib", "1.0", requires=["evildep"])
    (root / f"{WINLIB}.metadata").write_text(lie, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def app_venv(tmp_path_factory: pytest.TempPathFactory, lying_root: Path) -> Path:
    python = make_venv(tmp_path_factory.mktemp("app") / "venv")
    pip_install(python, "app", find_links=lying_root)
    return python


def freeze_portable(
    python: Path, url: str, out: Path, cache: Path
) -> subprocess.CompletedProcess[str]:
    return envsnap(
        "freeze", "-p", str(python), "--portable", "--index-url", url,
        "--python-version", "3.12", "--platform", "windows-amd64", "-o", str(out),
        cache=cache,
    )  # fmt: skip


@pytest.mark.parametrize("json", [True, False])
def test_a_lying_metadata_file_is_refused(
    app_venv: Path, lying_root: Path, tmp_path: Path, json: bool
) -> None:
    out = tmp_path / "portable.txt"
    log: list[str] = []
    with serve_index(lying_root, json=json, log=log) as url:
        proc = freeze_portable(app_venv, url, out, tmp_path / "cache")
    assert proc.returncode == 3, proc.stderr
    wheel = lying_root / WINLIB
    with zipfile.ZipFile(wheel) as archive:
        honest = hashlib.sha256(archive.read("winlib-1.0.dist-info/METADATA")).hexdigest()
    lie = file_sha256(lying_root / f"{WINLIB}.metadata")
    files = url.removesuffix("simple/") + "files"
    assert said(proc) == [
        f"error: winlib==1.0: {WINLIB}.metadata: hash mismatch: the project page gives sha256 "
        f"{honest}, the file has {lie} ({files}/{WINLIB}.metadata)",
        "hint: the index serves core metadata that does not match its own page; nothing was "
        "written: try again later or use another index",
    ]
    assert not out.exists()
    assert "/simple/evildep/" not in log


@pytest.mark.parametrize("advertise", [False, "true"])
def test_metadata_not_advertised_with_a_hash_is_never_asked_for(
    app_venv: Path, lying_root: Path, tmp_path: Path, advertise: bool | Literal["true"]
) -> None:
    out = tmp_path / "portable.txt"
    log: list[str] = []
    with serve_index(lying_root, log=log, advertise_metadata=advertise) as url:
        proc = freeze_portable(app_venv, url, out, tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert [p for p in log if p.endswith(".metadata")] == []
    assert f"/files/{WINLIB}" in log  # the wheel itself, checked by its sha256
    pins = [line for line in out.read_text(encoding="utf-8").splitlines() if "#" not in line]
    assert pins == ["app==1.0", "winlib==1.0"]


# file: links on a remote page


@pytest.fixture(scope="module")
def solo_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding solo 1.0, pip-installed (read-only for the tests)."""
    root = tmp_path_factory.mktemp("solo")
    build_wheel(root / "house", "solo", "1.0")
    python = make_venv(root / "venv")
    pip_install(python, "solo", find_links=root / "house")
    return python


def test_a_remote_page_cannot_send_envsnap_to_a_local_file(solo_venv: Path, tmp_path: Path) -> None:
    python = solo_venv
    secret = tmp_path / "secret"
    secret.write_text("root:$6$not-for-the-index\n", encoding="utf-8")
    (evil := tmp_path / "evil").mkdir()
    links = {"solo": [(SOLO, secret.as_uri()), (SOLO, "file:///etc/hostname")]}
    with serve_index(evil, extra_links=links) as url:
        proc = envsnap("freeze", "-p", str(python), "--hashes", "--index-url", url,
                       cache=tmp_path / "cache")  # fmt: skip
    assert proc.returncode == 3
    assert said(proc)[0] == (
        f"error: 1 package not found in the index at {url.rstrip('/')}: solo==1.0"
    )
    assert file_sha256(secret) not in proc.stdout + proc.stderr


# FIFOs and devices in a wheelhouse or a local index


def plant(path: Path, trap: str) -> str:
    """Put a FIFO or a link to /dev/zero at ``path``; return how envsnap names it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if trap == "fifo":
        os.mkfifo(path)
        return "not a regular file (a FIFO)"
    path.symlink_to("/dev/zero")
    return "not a regular file (a character device)"


@pytest.mark.parametrize("trap", ["fifo", "dev-zero"])
def test_a_trap_in_a_wheelhouse_is_refused(solo_venv: Path, tmp_path: Path, trap: str) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    why = plant(wheelhouse / SOLO, trap)
    proc = envsnap("freeze", "-p", str(solo_venv), "--hashes", "--no-index",
                   "--find-links", str(wheelhouse), cache=tmp_path / "cache")  # fmt: skip
    assert proc.returncode == 2
    assert said(proc) == [
        f"error: solo==1.0: {wheelhouse / SOLO}: {why}, so not read",
        "hint: a wheelhouse or a local index holds regular files: remove or replace it",
    ]


def local_index(root: Path, project: str, *links: tuple[str, str]) -> str:
    """Write ``root/simple/<project>/index.html`` linking ``(filename, href)``; return its URL."""
    page = root / "simple" / project / "index.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    anchors = "".join(f'<a href="{href}">{name}</a>' for name, href in links)
    page.write_text(f"<html><body>{anchors}</body></html>", encoding="utf-8")
    return (root / "simple").as_uri()


@pytest.mark.parametrize("trap", ["fifo", "dev-zero"])
def test_a_trap_linked_from_a_local_index_is_refused(
    solo_venv: Path, tmp_path: Path, trap: str
) -> None:
    files = tmp_path / "local" / "files"
    why = plant(files / SOLO, trap)
    url = local_index(tmp_path / "local", "solo", (SOLO, f"../../files/{SOLO}"))
    proc = envsnap("freeze", "-p", str(solo_venv), "--hashes", "--index-url", url,
                   cache=tmp_path / "cache")  # fmt: skip
    assert proc.returncode == 2
    assert said(proc)[0] == f"error: solo==1.0: {SOLO}: {files / SOLO}: {why}, so not read"


@pytest.mark.parametrize("trap", ["fifo", "dev-zero"])
def test_a_trap_as_a_local_index_page_is_refused(
    solo_venv: Path, tmp_path: Path, trap: str
) -> None:
    page = tmp_path / "local" / "simple" / "solo" / "index.html"
    why = plant(page, trap)
    url = (tmp_path / "local" / "simple").as_uri()
    proc = envsnap("freeze", "-p", str(solo_venv), "--hashes", "--index-url", url,
                   cache=tmp_path / "cache")  # fmt: skip
    assert proc.returncode == 2
    assert said(proc)[0] == f"error: solo: {url}/solo/: {page}: {why}, so not read"


@pytest.mark.parametrize("trap", ["fifo", "dev-zero"])
def test_a_trap_in_a_local_index_stops_a_portable_lock(
    app_venv: Path, lying_root: Path, tmp_path: Path, trap: str
) -> None:
    local = tmp_path / "local"
    (local / "files").mkdir(parents=True)
    app = lying_root / "app-1.0-py3-none-any.whl"
    (local / "files" / app.name).write_bytes(app.read_bytes())
    local_index(local, "app", (app.name, f"../../files/{app.name}#sha256={file_sha256(app)}"))
    why = plant(local / "files" / WINLIB, trap)
    url = local_index(local, "winlib", (WINLIB, f"../../files/{WINLIB}"))
    out = tmp_path / "portable.txt"
    proc = freeze_portable(app_venv, url, out, tmp_path / "cache")
    assert proc.returncode == 2, proc.stderr
    assert said(proc)[0] == (
        f"error: winlib==1.0: {WINLIB}: {local / 'files' / WINLIB}: {why}, so not read"
    )
    assert not out.exists()

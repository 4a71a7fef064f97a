"""Issue 20 item 5: freeze, check, tree and diff while a restore builds the venv they read.

Was: ``freeze`` during a restore read the half-built venv and wrote a lock with
0, then 38-43 of 60 pins, exit 0. A restore holds an exclusive ``flock`` on the
venv's parent directory for its whole build (``restore/target.py:target_lock``);
every reader now checks that lock before it reads, and again after, and stops
with exit 2 and one line. It does not wait: a restore may take minutes, and
whether it ends with the new venv or the old one put back is not known before.

The restore is real (``python -m envsnap restore``), held mid-build by a
loopback server that answers its download a few bytes at a time, forever.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import pytest

import envsnap.environment.snapshot as snapshot_module
from envsnap.environment.find import restore_running
from envsnap.environment.snapshot import take_snapshot
from envsnap.errors import TargetError
from envsnap.restore.target import target_lock
from support.venvs import clean_env, make_venv, run_envsnap

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.integration

HINT = "hint: run this again once the restore has finished\n"


def refused(venv: str, parent: Path) -> str:
    return (
        f"error: {venv}: an envsnap restore is running in {parent} and may be rebuilding it; "
        f"refused to read it, nothing was written\n{HINT}"
    )


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` and its sha256 (symlinks as their target)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(root))] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def trickling_server() -> Iterator[str]:
    """A loopback server whose every answer is a 1 GB body sent 256 bytes each 50 ms.

    Fast enough for any minimum-rate rule (5 KiB/s), never done: a download
    that keeps a restore in its build for as long as the test needs.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                    b"Content-Length: 1000000000\r\n\r\n"
                )
                while not stop.wait(0.05):
                    conn.sendall(b"\0" * 256)
            except OSError:
                return  # the client went away

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


def restore_in_build(work: Path, server: str) -> subprocess.Popen[bytes]:
    """Start ``envsnap restore --venv .venv`` and return once it is building.

    Building: it holds the lock beside ``.venv`` and has moved the old venv aside.
    """
    lock = work / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "tests"\n\n[[packages]]\nname = "solo"\n'
        f'version = "1.0"\nwheels = [{{ url = "{server}/solo-1.0-py3-none-any.whl", '
        f'hashes = {{ sha256 = "{"0" * 64}" }} }}]\n',
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "envsnap", "restore", "pylock.toml", "--venv", ".venv"],
        cwd=work,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        aside = any(".envsnap-old-" in name for name in os.listdir(work))
        if aside and restore_running(work / ".venv"):
            return process
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    _, err = process.communicate()
    raise AssertionError(f"the restore never got to its build: {err.decode()}")


def test_readers_stop_while_a_restore_builds_the_venv(
    tmp_path: Path, trickling_server: str
) -> None:
    make_venv(tmp_path / ".venv")
    old = tree_digest(tmp_path / ".venv")
    (tmp_path / "requirements.txt").write_text("solo==1.0\n", encoding="utf-8")
    process = restore_in_build(tmp_path, trickling_server)
    try:
        cases = [
            (["freeze", "-o", "requirements.txt"], str(tmp_path / ".venv")),
            (["freeze", "-o", "new.txt"], str(tmp_path / ".venv")),
            (["check"], str(tmp_path / ".venv")),
            (["tree"], str(tmp_path / ".venv")),
            (["freeze", "-p", ".venv", "-o", "new.txt"], ".venv"),
            (["check", "-p", ".venv/bin/python"], ".venv"),
            (["diff", ".venv", "requirements.txt"], ".venv"),
        ]
        for args, shown in cases:
            done = run_envsnap(*args, cwd=tmp_path)
            assert (done.returncode, done.stderr, done.stdout) == (
                2,
                refused(shown, tmp_path),
                "",
            ), args
        assert process.poll() is None, "the restore ended while the readers ran"
        assert (tmp_path / "requirements.txt").read_text(encoding="utf-8") == "solo==1.0\n"
        assert not (tmp_path / "new.txt").exists()
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the restore puts the old venv back
        process.communicate(timeout=60)
    assert process.returncode == 130
    assert tree_digest(tmp_path / ".venv") == old
    after = run_envsnap("freeze", "-o", "new.txt", cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert (tmp_path / "new.txt").is_file()


# ---- a restore that starts while a reader reads ---------------------------------------------


def test_a_restore_that_takes_the_lock_during_the_read_voids_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / ".venv"
    make_venv(venv)
    read = snapshot_module.read_distributions
    restore = contextlib.ExitStack()

    def read_while_a_restore_starts(*args: object, **kwargs: object) -> object:
        found = read(*args, **kwargs)  # type: ignore[arg-type]
        restore.enter_context(target_lock(venv))  # the restore's own lock, taken mid-read
        return found

    monkeypatch.setattr(snapshot_module, "read_distributions", read_while_a_restore_starts)
    with restore, pytest.raises(TargetError) as caught:
        take_snapshot(venv)
    assert caught.value.message == (
        f"{venv}: an envsnap restore started while it was being read; what was read is "
        "discarded, nothing was written"
    )
    assert caught.value.exit_code == 2


def test_a_venv_replaced_during_the_read_voids_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / ".venv"
    make_venv(venv)
    read = snapshot_module.read_distributions

    def read_then_replace(*args: object, **kwargs: object) -> object:
        found = read(*args, **kwargs)  # type: ignore[arg-type]
        venv.rename(tmp_path / "..venv.envsnap-old-1")  # a restore that began and finished
        make_venv(venv)
        return found

    monkeypatch.setattr(snapshot_module, "read_distributions", read_then_replace)
    with pytest.raises(TargetError, match="started while it was being read"):
        take_snapshot(venv)


def test_the_restores_own_verification_reads_under_its_lock(tmp_path: Path) -> None:
    """restore/build.py verifies the venv it builds with take_snapshot(environment=...)."""
    venv = tmp_path / ".venv"
    make_venv(venv)
    environment = take_snapshot(venv).environment
    with target_lock(venv):
        assert restore_running(venv)
        with pytest.raises(TargetError, match="an envsnap restore is running in"):
            take_snapshot(venv)
        assert take_snapshot(environment=environment).environment == environment
    assert not restore_running(venv)

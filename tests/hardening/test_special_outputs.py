"""Issue 15, item 5 (and 12's disk full): ``freeze -o`` onto special files.

The attack: the atomic temp-and-rename of ``-o`` replaced ``/dev/full``, a
FIFO and a symbolic link with a regular file. Now a regular file (or a link's
target) is replaced atomically, a device or FIFO is written directly, ``-`` is
stdout, and a write that fails for lack of room is exit 3 with the OS's words.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

import pytest

import envsnap._io as io_module
from hardening.corpus import assert_error, assert_no_traceback, fake_target, invoke

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX devices and FIFOs")

EXPECTED_PINS = ["# top-level", "needy==1.0", "# transitive"]


def _freeze_to(output: str) -> tuple[int, str, str]:
    result = invoke("freeze", "-p", "venv", "-o", output)
    assert_no_traceback(result)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_link_to_dev_full_is_written_through_and_reports_no_space(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_target(monkeypatch, tmp_path, "missing-dependency")
    link = tmp_path / "out.txt"
    link.symlink_to("/dev/full")
    result = invoke("freeze", "-p", "venv", "-o", str(link))
    assert_error(
        result,
        3,
        f"error: {link}: cannot write: No space left on device",
        hint="make room on that file system and run again; a file there is unchanged",
    )
    assert link.is_symlink()
    assert os.readlink(link) == "/dev/full"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null on this system")
def test_link_to_dev_null_stays_a_link_to_the_device(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_target(monkeypatch, tmp_path, "missing-dependency")
    link = tmp_path / "out.txt"
    link.symlink_to("/dev/null")
    code, stdout, stderr = _freeze_to(str(link))
    assert (code, stdout) == (0, "")
    assert stderr.endswith(f"wrote {link}: 1 top-level, 0 transitive\n")
    assert os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "venv"]


def test_fifo_is_written_into_not_replaced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_target(monkeypatch, tmp_path, "missing-dependency")
    fifo = tmp_path / "out.txt"
    os.mkfifo(fifo)
    # the reading end is open first (non-blocking), so the write neither waits nor hangs
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        code, _, stderr = _freeze_to(str(fifo))
        received = os.read(reader, 1 << 20)
    finally:
        os.close(reader)
    assert code == 0, stderr
    assert received.decode("utf-8").splitlines()[1:] == EXPECTED_PINS
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_link_to_a_regular_file_replaces_the_target_and_keeps_the_link(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_target(monkeypatch, tmp_path, "missing-dependency")
    (tmp_path / "locks").mkdir()
    target = tmp_path / "locks" / "requirements.txt"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "requirements.txt"
    link.symlink_to(Path("locks") / "requirements.txt")
    code, _, stderr = _freeze_to(str(link))
    assert code == 0, stderr
    assert os.readlink(link) == str(Path("locks") / "requirements.txt")
    assert target.read_text(encoding="utf-8").splitlines()[1:] == EXPECTED_PINS
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["requirements.txt"]


def test_dash_is_stdout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_target(monkeypatch, tmp_path, "missing-dependency")
    code, stdout, stderr = _freeze_to("-")
    assert code == 0, stderr
    assert stdout.splitlines()[1:] == EXPECTED_PINS
    assert not (tmp_path / "-").exists()


def test_disk_full_on_a_regular_file_is_exit_3_and_keeps_the_old_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_target(monkeypatch, tmp_path, "missing-dependency")
    out = tmp_path / "requirements.txt"
    out.write_text("old\n", encoding="utf-8")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(io_module.os, "fsync", full)
    result = invoke("freeze", "-p", "venv", "-o", str(out))
    assert_error(result, 3, f"error: {out}: cannot write: No space left on device")
    assert out.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt", "venv"]


def test_a_directory_is_not_replaced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_target(monkeypatch, tmp_path, "missing-dependency")
    (tmp_path / "out").mkdir()
    result = invoke("freeze", "-p", "venv", "-o", str(tmp_path / "out"))
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert (tmp_path / "out").is_dir()

"""_io: atomic writes (old file or new, never half), output files, bounded reads."""

from __future__ import annotations

import errno
import os
import sys
from typing import TYPE_CHECKING

import pytest

from envsnap._io import (
    FileTooLargeError,
    NotRegularFileError,
    atomic_write,
    open_regular,
    read_limited,
    write_output,
)
from envsnap.errors import InputError, OperationError

if TYPE_CHECKING:
    from pathlib import Path


def test_writes_text_and_bytes(tmp_path: Path) -> None:
    atomic_write(tmp_path / "a.txt", "caf\u00e9\n")
    assert (tmp_path / "a.txt").read_bytes() == b"caf\xc3\xa9\n"
    atomic_write(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    atomic_write(tmp_path / "c.txt", "\u00e9", encoding="latin-1")
    assert (tmp_path / "c.txt").read_bytes() == b"\xe9"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin", "c.txt"]


def test_new_file_mode_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o640


def test_replacing_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o604)
    atomic_write(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert target.stat().st_mode & 0o777 == 0o604


def test_missing_directory_raises_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "nope" / "x.txt", "x")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_old_file_and_removes_the_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("old", encoding="utf-8")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_destination_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError):
        atomic_write(tmp_path / "d", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["d"]


# ---- bounded reads ---------------------------------------------------------------------------


def test_read_limited_reads_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_limited(path, 10) == b"x" * 10
    with pytest.raises(FileTooLargeError) as info:
        read_limited(path, 9)
    assert info.value.strerror == "larger than the 9 bytes limit"
    assert info.value.filename == str(path)


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs")
def test_open_regular_refuses_fifos_and_directories_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")  # no writer: a plain open would wait for good
    with pytest.raises(NotRegularFileError) as info:
        open_regular(tmp_path / "fifo")
    assert info.value.strerror == "not a regular file (a FIFO)"
    with pytest.raises(IsADirectoryError):
        open_regular(tmp_path)
    with pytest.raises(FileNotFoundError):
        open_regular(tmp_path / "missing")


# ---- write_output ------------------------------------------------------------------------------


def test_write_output_errors_carry_their_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InputError) as missing:
        write_output(tmp_path / "nodir" / "r.txt", "x")
    assert (
        missing.value.message
        == f"{tmp_path / 'nodir' / 'r.txt'}: cannot write: No such file or directory"
    )
    monkeypatch.setattr(os, "fsync", _raise_enospc)
    with pytest.raises(OperationError) as full:
        write_output(tmp_path / "r.txt", "x")
    assert full.value.exit_code == 3
    assert full.value.message == f"{tmp_path / 'r.txt'}: cannot write: No space left on device"
    assert list(tmp_path.iterdir()) == []


def _raise_enospc(fd: int) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_write_output_follows_a_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("target.txt")
    write_output(tmp_path / "link", "x\n")
    assert (tmp_path / "target.txt").read_text(encoding="utf-8") == "x\n"
    assert (tmp_path / "link").is_symlink()


@pytest.mark.parametrize("reported", [0, 3, 10_000])
def test_read_limited_reads_the_whole_file_whatever_its_size_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reported: int
) -> None:
    """The first read is sized by ``st_size``; a file that grew (or a size of 0, as
    ``/proc`` files report) is read on to its end, within the limit."""
    path = tmp_path / "f"
    path.write_bytes(b"x" * 20_000)
    real_fstat = os.fstat

    def fstat(fd: int) -> os.stat_result:
        info = real_fstat(fd)
        fields = list(info)
        fields[6] = reported  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", fstat)
    assert read_limited(path, 20_000) == b"x" * 20_000
    with pytest.raises(FileTooLargeError):
        read_limited(path, 19_999)

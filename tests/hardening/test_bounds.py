"""Issue 15, item 6 (probe output, metadata, RECORD) and 12 (a FIFO as METADATA).

The attacks: an interpreter flooding stdout and a METADATA linked to
``/dev/zero`` each grew envsnap to a 3-4 GB limit and ended in a MemoryError
traceback; a METADATA that is a FIFO hung freeze for good. Now every file of
the target is read as a regular file only (checked without blocking) and up to
a limit (``envsnap._io.*_LIMIT``): a broken distribution is one warning and
freeze goes on, as for any other broken metadata; an unreadable ``RECORD`` is
exit 3 as before; a flooding interpreter is exit 2.

envsnap runs as a child process here, on a real venv, so that its peak
resident memory can be read (``RUSAGE_CHILDREN``) and asserted under 500 MB,
and so that a regression that hangs fails at a generous timeout instead of
stopping the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from envsnap._io import (
    LOCK_FILE_LIMIT,
    METADATA_LIMIT,
    RECORD_LIMIT,
    RECORD_ROWS_LIMIT,
    SMALL_FILE_LIMIT,
)
from support.venvs import messages

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="/dev/zero, FIFOs and ru_maxrss in KiB"
)

GIB = 1 << 30
PEAK_LIMIT_MIB = 500

# Runs envsnap as its child and reports its peak RSS (ru_maxrss: KiB on Linux).
_MEASURE = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, timeout=300)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": done.returncode, "stdout": done.stdout.decode(),
                  "stderr": done.stderr.decode(), "peak_kib": peak}))
"""


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    peak_mib: float


def envsnap(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``python -m envsnap ARGS`` in a child process; return its result and peak RSS."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "UV_", "PYTHON")) and k != "VIRTUAL_ENV"
    }
    clean.update({"PIP_CONFIG_FILE": os.devnull, **(env or {})})
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-m", "envsnap", *args],
        capture_output=True,
        check=True,
        cwd=cwd,
        env=clean,
        timeout=400,
    )
    raw = json.loads(done.stdout)
    run = Run(raw["code"], raw["stdout"], messages(raw["stderr"]), raw["peak_kib"] / 1024)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.peak_mib < PEAK_LIMIT_MIB, run
    return run


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A real venv without pip, holding one good distribution ``ok 1.0``."""
    root = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    info = _site(root) / "ok-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ok\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "RECORD").write_text("ok-1.0.dist-info/METADATA,,\n", encoding="utf-8")
    return root


def _site(venv: Path) -> Path:
    [site] = venv.glob("lib/python*/site-packages")
    return site


def _dist_info(venv: Path, name: str = "evil") -> Path:
    info = _site(venv) / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
    )
    return info


def _sparse(path: Path, size: int, prefix: bytes = b"") -> None:
    """A file of ``size`` bytes that takes no disk: ``prefix``, then zero bytes."""
    with path.open("wb") as handle:
        handle.write(prefix)
        handle.truncate(size)


def _pins(run: Run) -> list[str]:
    return [line for line in run.stdout.splitlines() if not line.startswith("#")]


# ---- METADATA ------------------------------------------------------------------------------


def test_metadata_linked_to_dev_zero(venv: Path, tmp_path: Path) -> None:
    info = _site(venv) / "evil-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").symlink_to("/dev/zero")
    run = envsnap("freeze", "-q", "-p", str(venv), cwd=tmp_path)
    assert run.code == 0, run
    assert run.stderr == (
        f"warning: {info / 'METADATA'}: cannot read: "
        "not a regular file (a character device): skipped\n"
    )
    assert _pins(run) == ["ok==1.0"]


def test_metadata_that_is_a_fifo_does_not_hang_freeze(venv: Path, tmp_path: Path) -> None:
    info = _site(venv) / "evil-1.0.dist-info"
    info.mkdir()
    os.mkfifo(info / "METADATA")
    run = envsnap("freeze", "-q", "-p", str(venv), cwd=tmp_path)
    assert run.code == 0, run
    assert run.stderr == (
        f"warning: {info / 'METADATA'}: cannot read: not a regular file (a FIFO): skipped\n"
    )
    assert _pins(run) == ["ok==1.0"]


def test_metadata_header_of_one_gigabyte(venv: Path, tmp_path: Path) -> None:
    """A regular file whose header never ends (1 GiB, no blank line): read up to the limit."""
    info = _site(venv) / "evil-1.0.dist-info"
    info.mkdir()
    _sparse(info / "METADATA", GIB, b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\nX: ")
    run = envsnap("freeze", "-q", "-p", str(venv), cwd=tmp_path)
    assert run.code == 0, run
    assert run.stderr == (
        f"warning: {info / 'METADATA'}: cannot read: larger than the "
        f"{METADATA_LIMIT >> 20} MiB limit: skipped\n"
    )
    assert _pins(run) == ["ok==1.0"]


def test_metadata_with_a_one_gigabyte_body_is_read(venv: Path, tmp_path: Path) -> None:
    """The limit is on the header block: a long description body is never read."""
    info = _site(venv) / "big-1.0.dist-info"
    info.mkdir()
    _sparse(info / "METADATA", GIB, b"Metadata-Version: 2.1\nName: big\nVersion: 1.0\n\n")
    run = envsnap("freeze", "-q", "-p", str(venv), cwd=tmp_path)
    assert (run.code, run.stderr) == (0, "")
    assert _pins(run) == ["big==1.0", "ok==1.0"]


def test_small_files_linked_to_dev_zero_or_fifos(venv: Path, tmp_path: Path) -> None:
    """direct_url.json, INSTALLER: a device or FIFO is refused, never read or waited on."""
    info = _dist_info(venv)
    (info / "direct_url.json").symlink_to("/dev/zero")
    os.mkfifo(info / "INSTALLER")
    run = envsnap("freeze", "-q", "-p", str(venv), cwd=tmp_path)
    assert run.code == 0, run
    assert run.stderr == (
        f"warning: {info / 'direct_url.json'}: cannot read: "
        "not a regular file (a character device)\n"
    )
    assert _pins(run) == ["evil==1.0", "ok==1.0"]


def test_direct_url_json_of_one_gigabyte(venv: Path, tmp_path: Path) -> None:
    info = _dist_info(venv)
    _sparse(info / "direct_url.json", GIB, b'{"url": "')
    run = envsnap("freeze", "-q", "-p", str(venv), cwd=tmp_path)
    assert run.code == 0, run
    assert run.stderr == (
        f"warning: {info / 'direct_url.json'}: cannot read: "
        f"larger than the {SMALL_FILE_LIMIT >> 20} MiB limit\n"
    )
    assert _pins(run) == ["evil==1.0", "ok==1.0"]


def test_egg_info_requires_txt_of_one_gigabyte(venv: Path, tmp_path: Path) -> None:
    egg = _site(venv) / "egg-1.0.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: egg\nVersion: 1.0\n", "utf-8")
    _sparse(egg / "requires.txt", GIB, b"ok\n")
    run = envsnap("freeze", "-q", "-p", str(venv), cwd=tmp_path)
    assert run.code == 0, run
    assert run.stderr == (
        f"warning: {egg / 'requires.txt'}: cannot read: "
        f"larger than the {METADATA_LIMIT >> 20} MiB limit\n"
    )
    assert _pins(run) == ["egg==1.0", "ok==1.0"]


# ---- RECORD (check --verify-files) -----------------------------------------------------------


def _verify(venv: Path, tmp_path: Path) -> Run:
    lock = tmp_path / "requirements.txt"
    frozen = envsnap("freeze", "-q", "-p", str(venv), "-o", str(lock), cwd=tmp_path)
    assert frozen.code == 0, frozen
    return envsnap("check", str(lock), "-q", "-p", str(venv), "--verify-files", cwd=tmp_path)


def test_record_of_one_gigabyte(venv: Path, tmp_path: Path) -> None:
    info = _dist_info(venv)
    _sparse(info / "RECORD", GIB, b"evil/__init__.py,sha256=")
    run = _verify(venv, tmp_path)
    assert run.code == 3, run
    assert run.stderr.splitlines() == [
        f"error: {info / 'RECORD'}: cannot read: larger than the {RECORD_LIMIT >> 20} MiB limit",
        "hint: reinstall the package (pip install --force-reinstall --no-deps NAME)",
    ]


@pytest.mark.parametrize("rows", [RECORD_ROWS_LIMIT, RECORD_ROWS_LIMIT + 1])
def test_record_of_many_rows(rows: int, venv: Path, tmp_path: Path) -> None:
    """The shortest rows that count, up to the row limit and one past it."""
    info = _dist_info(venv)
    (info / "RECORD").write_bytes(b"e,sha256=a,1\n" * rows)
    run = _verify(venv, tmp_path)
    if rows > RECORD_ROWS_LIMIT:
        assert run.code == 3, run
        assert run.stderr.splitlines()[0] == (
            f"error: {info / 'RECORD'}: more than {RECORD_ROWS_LIMIT:,} rows with a hash"
        )
    else:  # the file "e" is missing: a drift, found and reported, every row
        assert run.code == 1, run
        assert f"installed files missing ({RECORD_ROWS_LIMIT}):" in run.stdout


def test_record_listing_dev_zero(venv: Path, tmp_path: Path) -> None:
    info = _dist_info(venv)
    climb = "../" * len(_site(venv).parts)
    (info / "RECORD").write_text(f"{climb}dev/zero,sha256=AAAA,1\n", encoding="utf-8")
    run = _verify(venv, tmp_path)
    assert run.code == 3, run
    assert run.stderr.splitlines()[0] == (
        "error: /dev/zero: cannot read: not a regular file (a character device)"
    )


def test_record_that_is_a_fifo(venv: Path, tmp_path: Path) -> None:
    info = _dist_info(venv)
    os.mkfifo(info / "RECORD")
    run = _verify(venv, tmp_path)
    assert run.code == 3, run
    assert run.stderr.splitlines()[0] == (
        f"error: {info / 'RECORD'}: cannot read: not a regular file (a FIFO)"
    )


# ---- the probe -------------------------------------------------------------------------------


def test_interpreter_flooding_stdout(tmp_path: Path) -> None:
    target = tmp_path / "python"
    target.write_text("#!/bin/sh\nexec cat /dev/zero\n", encoding="utf-8")
    target.chmod(0o755)
    run = envsnap("freeze", "-q", "-p", str(target), cwd=tmp_path)
    assert run.code == 2, run
    assert run.stderr.splitlines() == [
        f"error: {target}: the interpreter's answer is too large (stdout over 16 MiB)",
        "hint: is it a Python interpreter? name another with --python",
    ]
    assert run.stdout == ""


# ---- lock files ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge-requirements", "huge-pylock"])
def test_lock_file_that_is_special_or_huge(kind: str, tmp_path: Path) -> None:
    """restore and diff read the lock first: a FIFO, a device or 1 GiB is refused, exit 2."""
    other = tmp_path / "requirements.txt"
    other.write_text("ok==1.0\n", encoding="utf-8")
    if kind == "fifo":
        lock = tmp_path / "lock.txt"
        os.mkfifo(lock)
        detail = "not a regular file (a FIFO)"
    elif kind == "dev-zero":
        lock = tmp_path / "lock.txt"
        lock.symlink_to("/dev/zero")
        detail = "not a regular file (a character device)"
    else:
        lock = tmp_path / ("pylock.toml" if kind == "huge-pylock" else "lock.txt")
        _sparse(lock, GIB, b"ok==1.0\n" if kind == "huge-requirements" else b"")
        detail = f"larger than the {LOCK_FILE_LIMIT >> 20} MiB limit"
    for args in (
        ("diff", str(lock), str(other)),
        ("restore", str(lock), "--venv", str(tmp_path / "new"), "--dry-run"),
    ):
        run = envsnap(*args, cwd=tmp_path)
        assert run.code == 2, run
        assert run.stderr.splitlines()[0] == f"error: {lock}: cannot read: {detail}"
    assert not (tmp_path / "new").exists()


def test_included_requirements_file_of_one_gigabyte(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    _sparse(big, GIB, b"ok==1.0\n")
    lock = tmp_path / "lock.txt"
    lock.write_text("ok==1.0\n-r big.txt\n", encoding="utf-8")
    run = envsnap("diff", str(lock), str(lock), cwd=tmp_path)
    assert run.code == 2, run
    assert run.stderr.splitlines()[0] == (
        f"error: {big}: cannot read: larger than the {LOCK_FILE_LIMIT >> 20} MiB limit"
    )

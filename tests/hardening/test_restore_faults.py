"""Faults during ``envsnap restore``: it must never lose the user's venv.

- SIGKILL at many points, from venv creation to verification and the swap:
  a driver runs the real CLI in a new session and, at the k-th interesting
  event (a call into restore/venvs/installers, or a rename/unlink/rmdir/
  mkdir/open/exec at the C level), kills its whole process group (envsnap
  and the installer it started). After each kill the next ``restore`` finds
  the leftover and refuses with a hint, ``restore --recover`` puts the old
  venv back, and the old venv is byte-for-byte what it was; then a normal
  restore succeeds.
- Disk full (``ENOSPC``) during the install, an install that fails, a hash
  mismatch: exit 3, old venv byte-for-byte in place, no leftover.
- Two restores of one target at once: the second refuses (``flock``).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from support.venvs import clean_env, make_venv, run_envsnap

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

KILL_POINTS = 20
"""SIGKILL points per run of the suite, spread evenly over every event of a restore."""

_DRIVER = r"""
import os, signal, sys
kill_at = int(os.environ["HARDENING_KILL_AT"])
count_file = os.environ.get("HARDENING_COUNT_FILE")
WATCHED_PY = ("/envsnap/restore.py", "/envsnap/venvs.py", "/envsnap/installers.py")
WATCHED_C = {"rename", "replace", "unlink", "rmdir", "mkdir", "open", "fork_exec", "symlink",
             "flock", "rmtree", "write"}
count = 0
active = False
def profile(frame, event, arg):
    global count, active
    name = frame.f_code.co_filename
    if not active:
        code = frame.f_code
        if event == "call" and name.endswith("/restore.py") and code.co_name == "restore":
            active = True
        else:
            return
    if event == "call" and name.endswith(WATCHED_PY):
        count += 1
    elif event == "c_call" and getattr(arg, "__name__", "") in WATCHED_C:
        count += 1
    else:
        return
    if count == kill_at:
        os.killpg(os.getpgid(0), signal.SIGKILL)
sys.setprofile(profile)
sys.argv = ["envsnap", *sys.argv[1:]]
from envsnap.cli import main
try:
    main()
finally:
    sys.setprofile(None)
    if count_file:
        with open(count_file, "w") as handle:
            handle.write(str(count))
"""


def tree_digest(root: Path) -> dict[str, tuple[str, ...]]:
    """Every entry under ``root``: links by target, files by sha256 and mode, dirs by name."""
    found: dict[str, tuple[str, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                found[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                found[rel] = ("dir",)
            else:
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
                found[rel] = ("file", digest, oct(os.stat(path).st_mode))
    return found


def _lock_text(*pins: str) -> str:
    version = ".".join(str(v) for v in sys.version_info[:3])
    header = (
        f"# envsnap 0.1.0 freeze - CPython {version}, linux x86_64 - "
        f"{len(pins)} top-level, 0 transitive"
    )
    return "\n".join([header, "# top-level", *pins, "# transitive"]) + "\n"


def _old_venv(path: Path) -> dict[str, tuple[str, ...]]:
    """The user's venv: a real one holding a file they care about."""
    make_venv(path)
    site = next((path / "lib").glob("python3*/site-packages"))
    info = site / "precious-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: precious\nVersion: 1.0\n")
    (site / "precious.py").write_text("WORK = 'a day of it'\n", encoding="utf-8")
    return tree_digest(path)


def _restore_args(lock: Path, wheelhouse: Path) -> list[str]:
    return [
        "restore",
        str(lock),
        "--venv",
        str(lock.parent / ".venv"),
        "--installer",
        "uv",
        "--without-pip",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        "-q",
    ]


def _drive(args: list[str], *, kill_at: int, count_file: Path | None = None) -> tuple[int, str]:
    env = clean_env(HARDENING_KILL_AT=str(kill_at))
    if count_file is not None:
        env["HARDENING_COUNT_FILE"] = str(count_file)
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,
        timeout=120,
    )
    return done.returncode, done.stderr


def _leftovers(work: Path) -> list[Path]:
    return sorted(work.glob(".venv.envsnap-old-*"))


def _is_new_venv(venv: Path) -> bool:
    """Whether ``venv`` is a complete restored venv (pyvenv.cfg, both packages, no old file)."""
    sites = list((venv / "lib").glob("python3*/site-packages"))
    return (
        (venv / "pyvenv.cfg").is_file()
        and len(sites) == 1
        and (sites[0] / "gamma-1.0.dist-info" / "RECORD").is_file()
        and (sites[0] / "solo-1.0.dist-info" / "RECORD").is_file()
        and not (sites[0] / "precious.py").exists()
    )


def test_sigkill_at_many_points_loses_nothing(tmp_path: Path, wheelhouse: Path) -> None:
    probe_dir = tmp_path / "count"
    probe_dir.mkdir()
    lock = probe_dir / "requirements.txt"
    lock.write_text(_lock_text("gamma==1.0", "solo==1.0"), encoding="utf-8")
    _old_venv(probe_dir / ".venv")
    count_file = tmp_path / "events"
    code, err = _drive(_restore_args(lock, wheelhouse), kill_at=0, count_file=count_file)
    assert code == 0, err
    events = int(count_file.read_text(encoding="utf-8"))
    assert events > KILL_POINTS
    points = sorted({1 + (events - 1) * i // (KILL_POINTS - 1) for i in range(KILL_POINTS)})
    lost: list[int] = []
    outcomes: dict[str, int] = {}
    for point in points:
        work = tmp_path / f"kill-{point}"
        work.mkdir()
        lock = work / "requirements.txt"
        lock.write_text(_lock_text("gamma==1.0", "solo==1.0"), encoding="utf-8")
        before = _old_venv(work / ".venv")
        code, err = _drive(_restore_args(lock, wheelhouse), kill_at=point)
        assert code == -signal.SIGKILL, (point, code, err)
        leftovers = _leftovers(work)
        if leftovers:
            outcomes["leftover"] = outcomes.get("leftover", 0) + 1
            assert len(leftovers) == 1
            if tree_digest(leftovers[0]) != before:
                lost.append(point)
            again = run_envsnap(*_restore_args(lock, wheelhouse), cwd=work)
            assert again.returncode == 2, again.stderr
            error = again.stderr.splitlines()[0]
            assert error.startswith(f"error: {work / '.venv'}: a previous restore ")
            assert error.endswith(f"left the old venv at {leftovers[0]}")
            assert "hint: put it back with `envsnap restore --recover --venv" in again.stderr
            recovered = run_envsnap("restore", "--recover", "--venv", str(work / ".venv"))
            assert recovered.returncode == 0, recovered.stderr
            assert _leftovers(work) == []
            if tree_digest(work / ".venv") != before:
                lost.append(point)
        elif tree_digest(work / ".venv") == before:
            outcomes["untouched"] = outcomes.get("untouched", 0) + 1
        elif _is_new_venv(work / ".venv"):  # killed after the swap: the restore was done
            outcomes["replaced"] = outcomes.get("replaced", 0) + 1
        else:
            lost.append(point)
        final = run_envsnap(*_restore_args(lock, wheelhouse), cwd=work)
        assert final.returncode == 0, (point, final.stderr)
        site = next((work / ".venv" / "lib").glob("python3*/site-packages"))
        assert (site / "gamma-1.0.dist-info").is_dir()
        assert not (site / "precious.py").exists()
    assert lost == [], f"the old venv was damaged after SIGKILL at events {lost} of {events}"
    assert sum(outcomes.values()) == len(points) >= 20
    assert outcomes.get("leftover", 0) >= 5, outcomes  # most points are mid-restore


def test_disk_full_during_install(
    tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The installer fails with ENOSPC (injected: a fake uv that says so and exits 2)."""
    lock = tmp_path / "requirements.txt"
    lock.write_text(_lock_text("gamma==1.0"), encoding="utf-8")
    before = _old_venv(tmp_path / ".venv")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    uv = fake_bin / "uv"
    uv.write_text(
        "#!/bin/sh\necho 'error: Failed to write to the target: No space left on device "
        "(os error 28)' >&2\nexit 2\n",
        encoding="utf-8",
    )
    uv.chmod(0o755)
    import envsnap.installers as installers  # noqa: PLC0415

    monkeypatch.setattr(installers, "find_uv", lambda: uv)
    from click.testing import CliRunner  # noqa: PLC0415

    from envsnap.cli import cli  # noqa: PLC0415

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, _restore_args(lock, wheelhouse), env=clean_env())
    assert result.exit_code == 3, result.stderr
    assert "No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(tmp_path / ".venv") == before
    assert _leftovers(tmp_path) == []


def test_hash_mismatch_stops_and_keeps_old(tmp_path: Path, wheelhouse: Path) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text(_lock_text("gamma==1.0 \\\n    --hash=sha256:" + "0" * 64), encoding="utf-8")
    before = _old_venv(tmp_path / ".venv")
    result = run_envsnap(*_restore_args(lock, wheelhouse), cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(tmp_path / ".venv") == before
    assert _leftovers(tmp_path) == []


def test_two_restores_at_once_the_second_refuses(tmp_path: Path, wheelhouse: Path) -> None:
    """While a restore holds the target's lock another refuses (exit 2), never interleaves."""
    import fcntl  # noqa: PLC0415

    lock = tmp_path / "requirements.txt"
    lock.write_text(_lock_text("gamma==1.0"), encoding="utf-8")
    before = _old_venv(tmp_path / ".venv")
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running restore holds
        second = run_envsnap(*_restore_args(lock, wheelhouse), cwd=tmp_path)
    finally:
        os.close(fd)
    assert second.returncode == 2, second.stderr
    assert f"error: another envsnap restore is working in {tmp_path}" in second.stderr
    assert tree_digest(tmp_path / ".venv") == before
    first = subprocess.Popen(
        [sys.executable, "-m", "envsnap", *_restore_args(lock, wheelhouse)],
        cwd=tmp_path,
        env=clean_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    other = run_envsnap(*_restore_args(lock, wheelhouse), cwd=tmp_path)
    first_err = first.communicate(timeout=120)[1]
    codes = sorted([first.returncode, other.returncode])
    # either they did not overlap (both 0) or the later one refused (0 and 2)
    assert codes in ([0, 0], [0, 2]), (first_err, other.stderr)
    site = next((tmp_path / ".venv" / "lib").glob("python3*/site-packages"))
    assert (site / "gamma-1.0.dist-info").is_dir()
    assert _leftovers(tmp_path) == []


# ----------------------------------------------------- index faults (freeze's hash lookups)


class _FailFirst(dict[str, int]):
    """``status_override`` that answers 500 to the first ``times`` requests of one path."""

    def __init__(self, path: str, times: int) -> None:
        super().__init__({path: 500})  # not empty: serve_index ignores a falsy mapping
        self.path = path
        self.left = times

    def __contains__(self, key: object) -> bool:
        if key == self.path and self.left > 0:
            self.left -= 1
            return True
        return False

    def __getitem__(self, key: str) -> int:
        return 500


@pytest.mark.parametrize(("failures", "code"), [(2, 0), (3, 3)])
def test_index_500s_then_recovers(
    failures: int,
    code: int,
    wheelhouse: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two 500s are retried away (2 retries); a third one stops freeze with exit 3."""
    from hardening.corpus import assert_error, fake_target, invoke, site_packages  # noqa: PLC0415
    from support.fake_site import FakeSite  # noqa: PLC0415
    from support.index import serve_index  # noqa: PLC0415

    venv = fake_target(monkeypatch, tmp_path)
    FakeSite(site_packages(venv))("gamma", "1.0", requested=True)
    out = tmp_path / "pylock.toml"
    log: list[str] = []
    override = _FailFirst("/simple/gamma/", failures)
    with serve_index(wheelhouse, status_override=override, log=log) as url:
        result = invoke("freeze", "-p", str(venv), "-o", str(out), "--index-url", url)
    assert log.count("/simple/gamma/") == min(failures + 1, 3), (log, result.stderr)
    if code == 0:
        assert result.exit_code == 0, result.stderr
        assert 'name = "gamma"' in out.read_text(encoding="utf-8")
    else:
        assert_error(result, 3, "error: cannot reach http://127.0.0.1:", "(500 ", "3 attempts")
        assert not out.exists()


def test_index_unreachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The network is gone (nothing listens on the port): exit 3, nothing written."""
    import socket  # noqa: PLC0415

    from hardening.corpus import assert_error, fake_target, invoke, site_packages  # noqa: PLC0415
    from support.fake_site import FakeSite  # noqa: PLC0415

    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    venv = fake_target(monkeypatch, tmp_path)
    FakeSite(site_packages(venv))("gamma", "1.0", requested=True)
    out = tmp_path / "pylock.toml"
    url = f"http://127.0.0.1:{port}/simple/"
    result = invoke("freeze", "-p", str(venv), "-o", str(out), "--index-url", url)
    assert_error(
        result,
        3,
        f"error: cannot reach http://127.0.0.1:{port}/ (Connection refused; 3 attempts)",
        hint="use a local wheelhouse",
    )
    assert not out.exists()

"""Faults during ``envsnap restore``: it must never lose the user's venv.

- SIGKILL at many points, from venv creation to verification and the swap:
  a driver runs the real CLI in a new session and, at the k-th interesting
  event (a call of an envsnap function, or a rename/unlink/rmdir/mkdir/
  open/exec at the C level, counted per restore stage: aside, create,
  install, verify, swap), kills its whole process group (envsnap and the
  installer it started). The points are spread over every stage, so moving
  code between files cannot move them. After each kill the next ``restore`` finds
  the leftover and refuses with a hint, ``restore --recover`` puts the old
  venv back, and the old venv is byte-for-byte what it was; then a normal
  restore succeeds.
- Disk full (``ENOSPC``) during the install, an install that fails, a hash
  mismatch: exit 3, old venv byte-for-byte in place, no leftover.
- Two restores of one target at once: the second refuses (``flock``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from support.venvs import clean_env, make_venv, run_envsnap

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.integration

KILL_POINTS = 20
"""SIGKILL points per run of the suite, spread over the events of each restore stage."""

STAGES = ("aside", "create", "install", "verify", "swap")
"""The stages of a restore, in order (its progress stages, plus ``aside`` before the first
and ``swap`` after the build): every one gets kill points, whatever file holds its code."""


def kill_points(stages: dict[str, int], total: int) -> list[tuple[str, int]]:
    """Choose about ``total`` kill points, ``(stage, event)``, spread evenly over each stage.

    ``stages`` maps each stage of :data:`STAGES` to its number of events in
    a run; events are numbered from 1 within their stage. The last two
    events of a stage are left out: the install stage's count varies by one
    or two between runs (the installer's output is read in chunks).
    """
    per_stage = max(2, total // len(STAGES))
    points: list[tuple[str, int]] = []
    for stage in STAGES:
        last = max(1, stages[stage] - 2)
        shown = min(per_stage, last)
        points += sorted({(stage, 1 + (last - 1) * i // max(1, shown - 1)) for i in range(shown)})
    return points


_DRIVER = r"""
import json, os, signal, sys
kill_stage, _, kill_at = os.environ["HARDENING_KILL_AT"].partition(":")
kill_at = int(kill_at or 0)
count_file = os.environ.get("HARDENING_COUNT_FILE")
WATCHED_C = {"rename", "replace", "unlink", "rmdir", "mkdir", "open", "fork_exec", "symlink",
             "flock", "rmtree", "write"}
stage = None
stages = {}
def profile(frame, event, arg):
    if stage is None:
        return
    if event == "call":
        if not frame.f_globals.get("__name__", "").startswith("envsnap."):
            return
    elif event != "c_call" or getattr(arg, "__name__", "") not in WATCHED_C:
        return
    stages[stage] = stages.get(stage, 0) + 1
    if stage == kill_stage and stages[stage] == kill_at:
        os.killpg(os.getpgid(0), signal.SIGKILL)
import envsnap._report as report
import envsnap.restore as engine
import envsnap.restore.build as build
real_restore, real_build, real_stage = engine.restore, build.build_venv, report.stage
def staged(name, message):
    global stage
    if stage is not None:
        stage = name
    real_stage(name, message)
def restore(plan):
    global stage
    stage = "aside"
    try:
        return real_restore(plan)
    finally:
        stage = None
def build_venv(plan):
    global stage
    result = real_build(plan)
    stage = "swap"
    return result
engine.restore, build.build_venv, report.stage = restore, build_venv, staged
sys.argv = ["envsnap", *sys.argv[1:]]
from envsnap.cli import main
try:
    sys.setprofile(profile)
    main()
finally:
    sys.setprofile(None)
    if count_file:
        with open(count_file, "w") as handle:
            json.dump(stages, handle)
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


def _drive(args: list[str], *, kill_at: str, count_file: Path | None = None) -> tuple[int, str]:
    env = clean_env(HARDENING_KILL_AT=kill_at)
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
    return sorted(work.glob("..venv.envsnap-old-*"))


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
    for run in ("warm", "count"):  # counted with uv's cache warm, as every killed run has it
        probe_dir = tmp_path / run
        probe_dir.mkdir()
        lock = probe_dir / "requirements.txt"
        lock.write_text(_lock_text("gamma==1.0", "solo==1.0"), encoding="utf-8")
        _old_venv(probe_dir / ".venv")
        count_file = tmp_path / f"events-{run}"
        code, err = _drive(_restore_args(lock, wheelhouse), kill_at="", count_file=count_file)
        assert code == 0, err
    stages = json.loads(count_file.read_text(encoding="utf-8"))
    assert [s for s in stages if s in STAGES] == list(STAGES), stages
    points = kill_points(stages, KILL_POINTS)
    lost: list[str] = []
    outcomes: dict[str, int] = {}
    for stage, event in points:
        point = f"{stage}:{event}"
        work = tmp_path / f"kill-{stage}-{event}"
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
        assert list(work.glob("..venv.envsnap-trash-*")) == []  # a killed delete is finished
    assert lost == [], (
        f"the old venv was damaged after SIGKILL at {lost} (events per stage: {stages})"
    )
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
    import envsnap.install.uv as installers  # noqa: PLC0415

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
    assert f"error: another envsnap restore is running in {tmp_path}" in second.stderr
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


# ------------------------------------------- restore: network faults, plain http, leftovers


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pylock(path: Path, *wheels: tuple[str, str, str]) -> Path:
    """A pylock file of ``(name, url, sha256)`` wheels at version 1.0."""
    lines = ['lock-version = "1.0"', 'created-by = "tests"', ""]
    for name, url, digest in wheels:
        lines += [
            "[[packages]]",
            f'name = "{name}"',
            'version = "1.0"',
            f'wheels = [{{ url = "{url}", hashes = {{ sha256 = "{digest}" }} }}]',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@contextlib.contextmanager
def _dropping_server(root: Path, mode: str, log: list[str]) -> Iterator[str]:
    """Serve ``/files/NAME`` from ``root``, dropping each download half way.

    ``reset``: chunked, one chunk of half the file, then the connection is
    closed (no final chunk). ``stall``: the full length announced, half sent,
    then nothing until the test ends.
    """
    import threading  # noqa: PLC0415
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: PLC0415

    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            log.append(self.path)
            data = (root / self.path.rsplit("/", 1)[-1]).read_bytes()
            half = data[: len(data) // 2]
            self.send_response(200)
            if mode == "reset":
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(f"{len(half):x}\r\n".encode() + half + b"\r\n")
            else:
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(half)
            self.wfile.flush()
            if mode == "stall":
                done.wait(30)
            self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/files/"
    finally:
        done.set()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("reset", "truncated download ({half} bytes, then the connection closed)"),
        ("stall", "no answer for 0.3 s (ENVSNAP_HTTP_TIMEOUT)"),
    ],
)
def test_network_drops_mid_download(
    tmp_path: Path, wheelhouse: Path, mode: str, reason: str
) -> None:
    """The connection dies half way through a wheel: the installer retries, exit 3, old venv intact.

    pip's ``timeout`` and ``retries`` settings reach uv (``UV_HTTP_TIMEOUT``,
    ``UV_HTTP_RETRIES``).
    """
    del reason  # uv says it in its own words
    solo = next(wheelhouse.glob("solo-1.0-*.whl"))
    before = _old_venv(tmp_path / ".venv")
    log: list[str] = []
    with _dropping_server(wheelhouse, mode, log) as base:
        lock = _pylock(tmp_path / "pylock.toml", ("solo", base + solo.name, _sha(solo)))
        done = run_envsnap(
            "restore",
            "--without-pip",
            cwd=tmp_path,
            env={
                "PIP_DEFAULT_TIMEOUT": "1",
                "PIP_RETRIES": "1",
                "UV_CACHE_DIR": str(tmp_path / "cache"),
            },
        )
    assert done.returncode == 3, done.stderr
    assert log == [f"/files/{solo.name}"] * 2  # the first attempt and one retry
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    assert re.fullmatch(
        rf"error: uv could not install {re.escape(str(lock))} \(exit [12]\)", errors[0]
    )
    assert done.stderr.splitlines()[-1] == (
        "hint: nothing was replaced; rerun with -v to see the installer's full output"
    )
    assert "Traceback" not in done.stderr
    assert tree_digest(tmp_path / ".venv") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".venv", "cache", "pylock.toml"]


def test_plain_http_refused_then_trusted_with_hashes_enforced(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """``http://0.0.0.0`` is not a secure origin (pip's rule); ``--trusted-host`` opts in."""
    from support.index import serve_index  # noqa: PLC0415

    solo = next(wheelhouse.glob("solo-1.0-*.whl"))
    before = _old_venv(tmp_path / ".venv")
    cache = {"UV_CACHE_DIR": str(tmp_path / "cache")}
    log: list[str] = []
    with serve_index(wheelhouse, log=log) as url:
        insecure = url.replace("127.0.0.1", "0.0.0.0").removesuffix("simple/") + "files/"
        netloc = insecure.split("/")[2]
        lock = _pylock(tmp_path / "pylock.toml", ("solo", f"{insecure}{solo.name}", "0" * 64))
        refused = run_envsnap("restore", "--without-pip", cwd=tmp_path, env=cache)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.splitlines() == [
            f"error: {lock}:7: {insecure}{solo.name} is plain http to a host that is not trusted",
            f"hint: use https, or pass --trusted-host {netloc} (or set PIP_TRUSTED_HOST) if you "
            "trust the network to it; hashes are still checked",
        ]
        assert log == []
        mismatch = run_envsnap(
            "restore", "--without-pip", "--trusted-host", "0.0.0.0", cwd=tmp_path, env=cache
        )
        assert mismatch.returncode == 3, mismatch.stderr
        assert mismatch.stderr.splitlines()[-1] == (
            "hint: a downloaded file does not match the hash in the lock file: the file or the "
            "index changed; nothing was replaced"
        )
        assert tree_digest(tmp_path / ".venv") == before
        _pylock(lock, ("solo", f"{insecure}{solo.name}", _sha(solo)))
        trusted = run_envsnap(
            "restore", "--without-pip", cwd=tmp_path, env={**cache, "PIP_TRUSTED_HOST": netloc}
        )
    assert trusted.returncode == 0, trusted.stderr
    assert log == [f"/files/{solo.name}"] * 2
    site = next((tmp_path / ".venv" / "lib").glob("python3*/site-packages"))
    assert (site / "solo-1.0.dist-info").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".venv", "cache", "pylock.toml"]


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def test_stale_trash_is_removed_by_the_next_restore(tmp_path: Path, wheelhouse: Path) -> None:
    """A run killed while deleting the replaced venv leaves ``..venv.envsnap-trash-PID``."""
    solo = next(wheelhouse.glob("solo-1.0-*.whl"))
    _pylock(tmp_path / "pylock.toml", ("solo", solo.as_uri(), _sha(solo)))
    dead = _dead_pid()
    stale = tmp_path / f"..venv.envsnap-trash-{dead}"
    (stale / "venv" / "lib").mkdir(parents=True)
    (stale / "ENVSNAP-TRASH").write_text(f"{dead}\n", encoding="utf-8")
    (stale / "venv" / "lib" / "half-deleted.py").write_text("", encoding="utf-8")
    empty = tmp_path / f"..venv.envsnap-trash-{_dead_pid()}"
    empty.mkdir()  # killed between mkdir and the marker
    alive = tmp_path / f"..venv.envsnap-trash-{os.getpid()}"  # a live process: not touched
    (alive / "venv").mkdir(parents=True)
    (alive / "ENVSNAP-TRASH").write_text("x\n", encoding="utf-8")
    foreign = tmp_path / f"..venv.envsnap-trash-{dead}0"  # not what envsnap makes: kept
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine\n", encoding="utf-8")
    _old_venv(tmp_path / ".venv")
    done = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (
        f"clean: removed {stale}, left by a restore that was killed while deleting" in done.stderr
    )
    assert f"clean: removed {empty}," in done.stderr
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([".venv", "pylock.toml", alive.name, foreign.name])
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in alive.iterdir()) == ["ENVSNAP-TRASH", "venv"]


def test_interrupted_versus_running(tmp_path: Path, wheelhouse: Path) -> None:
    """A leftover of a dead run: "interrupted"; the same while another holds the lock: "running"."""
    import fcntl  # noqa: PLC0415

    solo = next(wheelhouse.glob("solo-1.0-*.whl"))
    _pylock(tmp_path / "pylock.toml", ("solo", solo.as_uri(), _sha(solo)))
    before = _old_venv(tmp_path / ".venv")
    aside = tmp_path / f"..venv.envsnap-old-{_dead_pid()}"
    (tmp_path / ".venv").rename(aside)  # what a run does before it builds
    (tmp_path / ".venv").mkdir()  # its partial new venv
    (tmp_path / ".venv" / "bin").mkdir()
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the running restore's lock
        for extra in ([], ["--dry-run"]):
            running = run_envsnap("restore", "--without-pip", *extra, cwd=tmp_path)
            assert running.returncode == 2, running.stderr
            assert running.stderr.splitlines() == [
                f"error: another envsnap restore is running in {tmp_path}",
                "hint: wait for it to finish, then run this one again",
            ]
    finally:
        os.close(fd)
    interrupted = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert interrupted.returncode == 2, interrupted.stderr
    assert interrupted.stderr.splitlines()[0] == (
        f"error: {tmp_path / '.venv'}: a previous restore was interrupted and left the old venv "
        f"at {aside}"
    )
    recovered = run_envsnap("restore", "--recover", "--venv", str(tmp_path / ".venv"))
    assert recovered.returncode == 0, recovered.stderr
    assert tree_digest(tmp_path / ".venv") == before

"""envsnap restore on real venvs, offline (wheels built by the tests, loopback index)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envsnap._report import reporting
from envsnap.index.settings import IndexOptions
from envsnap.restore import RestoreOptions, plan_restore, restore
from support.index import serve_index
from support.reporter import Recorder
from support.venvs import clean_env, make_venv, pip_freeze, pip_install, run_envsnap, uv_install

pytestmark = pytest.mark.integration

HEADER = "# envsnap 0.1.0 freeze - CPython {v}, linux x86_64 - {top} top-level, {rest} transitive\n"
PY = "{}.{}.{}".format(*sys.version_info[:3])


@pytest.fixture(autouse=True)
def _cache_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep envsnap's download cache out of the user's home (run_envsnap passes os.environ on)."""
    monkeypatch.setenv("ENVSNAP_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def tree_digest(root: Path) -> dict[str, str]:
    """Every file, link and directory under ``root`` with its content hash / target / mode."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = "link:" + os.readlink(path)
            elif path.is_dir():
                found[key] = f"dir:{path.stat().st_mode:o}"
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[key] = f"file:{path.stat().st_mode:o}:{digest}"
    return found


def siblings(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


def stages(stderr: str) -> list[str]:
    """The progress lines without their elapsed seconds."""
    return [re.sub(r" \[\d+\.\d+s\]$", " [Ns]", line) for line in stderr.splitlines()]


@pytest.fixture
def old_venv(tmp_path: Path, wheelhouse: Path) -> Path:
    """An existing venv at tmp_path/.venv holding omega 1.0 (the user's current env)."""
    python = make_venv(tmp_path / ".venv")
    uv_install(python, "omega==1.0", find_links=wheelhouse)
    return tmp_path / ".venv"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_round_trip_freeze_restore_freeze(tmp_path: Path, wheelhouse: Path) -> None:
    source = make_venv(tmp_path / "source")
    pip_install(source, "alpha", "delta[fast]", "Mixed.Case_Name", "solo", find_links=wheelhouse)
    frozen = run_envsnap("freeze", "-p", str(source), "-o", "requirements.txt", cwd=tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    original = (tmp_path / "requirements.txt").read_bytes()

    done = run_envsnap(
        "restore",
        "--venv",
        "restored",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    file = tmp_path / "requirements.txt"
    target = tmp_path / "restored"
    assert stages(done.stderr) == [
        f"read: {file}: 7 packages (4 top-level) [Ns]",
        f"Using Python {PY} (from the file: made with Python {PY})",
        f"create: {target} with uv (Python {PY}, pip) [Ns]",
        "install: 7 packages with uv [Ns]",
        f"verify: {target} against {file} [Ns]",
        f"done: {target} matches {file} [Ns]",
    ]
    again = run_envsnap("freeze", "-p", "restored", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.encode() == original
    restored = target / "bin" / "python"
    assert pip_freeze(restored) == pip_freeze(source)
    # users expect pip inside a venv; REQUESTED only on the top-level packages
    assert (target / "bin" / "pip").exists()
    site = next((target / "lib").glob("python*/site-packages"))
    # envsnap's mark; uv's own REQUESTED in every package counts for nothing
    requested = sorted(
        p.parent.name for p in site.glob("*.dist-info/REQUESTED") if p.read_bytes() == b"envsnap\n"
    )
    tools = ("pip-", "setuptools-", "wheel-")  # uv's REQUESTED, left alone: never listed
    assert [r for r in requested if not r.startswith(tools)] == [
        "alpha-1.0.dist-info",
        "delta-2.0.dist-info",
        "mixed_case_name-0.5.dist-info",
        "solo-1.0.dist-info",
    ]
    assert siblings(tmp_path) == ["requirements.txt", "restored", "source"]


def test_replaces_an_existing_venv_and_keep_old(
    tmp_path: Path, wheelhouse: Path, old_venv: Path
) -> None:
    write(
        tmp_path / "requirements.txt",
        HEADER.format(v=PY, top=1, rest=0) + "# top-level\nsolo==1.0\n# transitive\n",
    )
    done = run_envsnap(
        "restore",
        "--without-pip",
        "--keep-old",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    kept = tmp_path / f"..venv.envsnap-kept-{_pid_of(done.stderr)}"
    assert done.stderr.splitlines()[-1] == f"kept the old venv at {kept}"
    assert pip_freeze(old_venv / "bin" / "python") == ["solo==1.0"]
    assert pip_freeze(kept / "bin" / "python") == ["omega==1.0"]
    assert not (old_venv / "bin" / "pip").exists()
    # a kept venv is not mistaken for one an interrupted restore left behind
    again = run_envsnap(
        "restore", "--without-pip", "--no-index", "--find-links", str(wheelhouse), cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    assert kept.is_dir()


def _pid_of(stderr: str) -> str:
    match = re.search(r"envsnap-kept-(\d+)", stderr)
    assert match, stderr
    return match[1]


def test_wrong_hash_fails_and_leaves_the_old_venv_untouched(
    tmp_path: Path, wheelhouse: Path, old_venv: Path
) -> None:
    before = tree_digest(old_venv)
    write(
        tmp_path / "requirements.txt",
        HEADER.format(v=PY, top=1, rest=0)
        + "# top-level\nsolo==1.0 \\\n    --hash=sha256:"
        + "0" * 64
        + "\n# transitive\n",
    )
    done = run_envsnap(
        "restore", "--without-pip", "--no-index", "--find-links", str(wheelhouse), cwd=tmp_path
    )
    assert done.returncode == 3, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith(("error:", "hint:"))]
    assert errors == [
        "error: uv could not install the lock's packages (exit 1)",
        "hint: a downloaded file does not match the hash in the lock file: the file or "
        "the index changed; nothing was replaced",
    ]
    assert f"  |            sha256:{'0' * 64}" in done.stderr.splitlines()
    assert tree_digest(old_venv) == before
    assert siblings(tmp_path) == [".venv", "requirements.txt"]

    done = run_envsnap(
        "restore",
        "--installer",
        "pip",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        cwd=tmp_path,
    )
    assert done.returncode == 3, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith(("error:", "hint:"))]
    assert errors[0] == "error: pip could not install the lock's packages (exit 1)"
    assert "solo==1.0" in done.stderr
    assert "Expected sha256 " + "0" * 64 in done.stderr
    assert errors[1] == (
        "hint: a downloaded file does not match the hash in the lock file: the file or "
        "the index changed; nothing was replaced"
    )
    assert tree_digest(old_venv) == before
    assert siblings(tmp_path) == [".venv", "requirements.txt"]


def test_sigterm_during_a_slow_install_puts_the_old_venv_back(
    tmp_path: Path, wheelhouse: Path, old_venv: Path
) -> None:
    before = tree_digest(old_venv)
    write(
        tmp_path / "requirements.txt",
        HEADER.format(v=PY, top=1, rest=0) + "# top-level\nsolo==1.0\n# transitive\n",
    )
    log: list[str] = []
    with serve_index(wheelhouse, delay=60, log=log) as url:
        process = subprocess.Popen(
            # --no-cache: uv's cache could hold the wheel from an earlier test whose
            # loopback port was the same, and then nothing would be downloaded
            [
                sys.executable,
                "-m",
                "envsnap",
                "restore",
                "--without-pip",
                "--no-cache",
                "--index-url",
                url,
            ],
            cwd=tmp_path,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not any(p.endswith(".whl") for p in log) and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        assert any(p.endswith(".whl") for p in log), log
        assert any(p.startswith("..venv.envsnap-old-") for p in siblings(tmp_path))
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "error: interrupted"
    assert stdout == ""
    assert tree_digest(old_venv) == before
    assert siblings(tmp_path) == [".venv", "requirements.txt"]


def test_target_that_is_not_a_venv_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path / "requirements.txt",
        HEADER.format(v=PY, top=1, rest=0) + "# top-level\nsolo==1.0\n",
    )
    (tmp_path / "stuff").mkdir()
    write(tmp_path / "stuff" / "notes.txt", "mine")
    done = run_envsnap("restore", "--venv", "stuff", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {tmp_path / 'stuff'}: exists, is not a virtual environment (no pyvenv.cfg) "
        "and is not empty",
        "hint: envsnap never deletes what it did not create: choose another --venv DIR, "
        "or empty it yourself",
    ]
    assert siblings(tmp_path / "stuff") == ["notes.txt"]


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    done = run_envsnap("restore", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: no lock file: neither pylock.toml nor requirements.txt in {tmp_path}",
        "hint: name the file (envsnap restore FILE), or write one with "
        "`envsnap freeze -o requirements.txt`",
    ]
    done = run_envsnap("restore", "nope.txt", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == "error: nope.txt: no such file"
    write(tmp_path / "bad.txt", "alpha==1.0\nbeta=1.0\n")
    done = run_envsnap("restore", "bad.txt", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: bad.txt:2: Invalid requirement: 'beta=1.0': did you mean 'beta==1.0'?",
        "hint: PEP 440's version operators are ==, !=, <=, >=, <, >, ~= and ===",
    ]
    write(tmp_path / "mine.txt", HEADER.format(v=PY, top=1, rest=0) + "# top-level\nalpha>=1\n")
    done = run_envsnap("restore", "mine.txt", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        "error: mine.txt:3: alpha>=1 is not pinned as name==version"
    )
    assert siblings(tmp_path) == ["bad.txt", "mine.txt"]


def test_unpinned_strict_refuses_and_lenient_resolves(tmp_path: Path, loopback_index: str) -> None:
    write(tmp_path / "requirements.txt", "alpha>=1\nsolo==1.0\n")
    strict = run_envsnap("restore", "--strict", "--index-url", loopback_index, cwd=tmp_path)
    assert strict.returncode == 2
    file = tmp_path / "requirements.txt"
    assert strict.stderr.splitlines() == [
        f"error: {file}: 1 requirement(s) not pinned to one version "
        f"(first: {file}:1: alpha>=1 is not pinned to one version)",
        "hint: pin every package (envsnap freeze writes such files), or drop --strict "
        "to let the installer resolve them",
    ]
    assert siblings(tmp_path) == ["requirements.txt"]

    done = run_envsnap("restore", "--without-pip", "--index-url", loopback_index, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = stages(done.stderr)
    assert f"note: {file}:1: alpha>=1 is not pinned to one version" in lines
    assert "note: uv resolves what the file does not pin" in lines
    assert lines[-1] == ("note: uv added packages the file does not list: beta==1.0, gamma==1.0")
    assert pip_freeze(tmp_path / ".venv" / "bin" / "python") == [
        "alpha==1.0",
        "beta==1.0",
        "gamma==1.0",
        "solo==1.0",
    ]


def test_interpreter_mismatch_and_dry_run(tmp_path: Path) -> None:
    write(
        tmp_path / "requirements.txt",
        HEADER.format(v="3.99.1", top=1, rest=0) + "# top-level\nsolo==1.0\n# transitive\n",
    )
    bindir = tmp_path / "bin"
    bindir.mkdir()
    env = {"PATH": str(bindir)}
    done = run_envsnap("restore", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: the lock file was made with Python 3.99.1 and no Python 3.99 was found "
        "(neither python3.99 nor python3 is on PATH)",
        "hint: install Python 3.99, or choose an interpreter with --python PATH",
    ]
    (bindir / "python3").symlink_to(sys.executable)
    done = run_envsnap("restore", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0].endswith(
        f"(no Python 3.99 was found ({bindir / 'python3'} is {PY})"[-30:]
    )
    done = run_envsnap("restore", "--dry-run", "--python", sys.executable, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    file = tmp_path / "requirements.txt"
    lines = done.stdout.splitlines()
    assert lines[:2] == [
        f"base interpreter: {sys.executable} (Python {PY}, from --python)",
        f"create {tmp_path / '.venv'}",
    ]
    assert lines[3].endswith(" pip") and "--no-deps" not in lines[3]  # pip alone, resolved
    assert lines[4:5] == [f"install 1 package rendered from {file} as REQUIREMENTS (exactly these)"]
    assert lines[5].endswith(" --no-deps -r REQUIREMENTS")
    assert lines[6:] == [
        "verify against the file, then mark the top-level packages as REQUESTED",
        f"note: the file was made with Python 3.99.1; building with {PY} as --python says",
    ]
    assert f"read: {file}: 1 package (1 top-level)" in done.stderr.splitlines()[0]
    assert siblings(tmp_path) == ["bin", "requirements.txt"]


def test_leftover_old_venv_is_reported_and_recovered(tmp_path: Path, old_venv: Path) -> None:
    before = tree_digest(old_venv)
    write(
        tmp_path / "requirements.txt",
        HEADER.format(v=PY, top=1, rest=0) + "# top-level\nsolo==1.0\n",
    )
    crashed = tmp_path / "..venv.envsnap-old-4242"
    old_venv.rename(crashed)
    (tmp_path / ".venv").mkdir()
    write(tmp_path / ".venv" / "pyvenv.cfg", "home = /nowhere\n")
    done = run_envsnap("restore", "--python", sys.executable, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {tmp_path / '.venv'}: a previous restore was interrupted and left the old "
        f"venv at {crashed}",
        "hint: put it back with `envsnap restore --recover --venv .venv`, "
        f"or delete {crashed} if you do not need it",
    ]
    done = run_envsnap("restore", "--recover", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pid = re.search(r"replaced-(\d+)", done.stderr)
    assert pid, done.stderr
    moved = tmp_path / f"..venv.envsnap-replaced-{pid[1]}"
    assert done.stderr.splitlines() == [
        f"moved what was at {tmp_path / '.venv'} to {moved} (not deleted)",
        f"recovered the old venv at {tmp_path / '.venv'}",
    ]
    assert tree_digest(tmp_path / ".venv") == before
    done = run_envsnap("restore", "--recover", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {tmp_path / '.venv'}: no old venv left by an interrupted restore"
    ]


def test_uv_installer_round_trip(tmp_path: Path, wheelhouse: Path) -> None:
    source = make_venv(tmp_path / "source")
    pip_install(source, "alpha", find_links=wheelhouse)
    assert run_envsnap("freeze", "-p", "source", "-o", "r.txt", cwd=tmp_path).returncode == 0
    done = run_envsnap(
        "restore",
        "r.txt",
        "--installer",
        "uv",
        "--without-pip",
        "--venv",
        "new",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        "-q",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    again = run_envsnap("freeze", "-p", "new", cwd=tmp_path)
    assert again.stdout == (tmp_path / "r.txt").read_text(encoding="utf-8")
    assert pip_freeze(tmp_path / "new" / "bin" / "python") == pip_freeze(source)


def test_pylock_restore_verbose(tmp_path: Path, wheelhouse: Path) -> None:
    source = make_venv(tmp_path / "source")
    pip_install(source, "alpha", "solo", find_links=wheelhouse)
    frozen = run_envsnap(
        "freeze",
        "-p",
        "source",
        "-o",
        "pylock.toml",
        "--find-links",
        str(wheelhouse),
        cwd=tmp_path,
    )
    assert frozen.returncode == 0, frozen.stderr
    requirements = run_envsnap("freeze", "-p", "source", cwd=tmp_path).stdout
    done = run_envsnap(
        "restore",
        "--installer",
        "pip",
        "-v",
        "--venv",
        "new",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert f"read: {tmp_path / 'pylock.toml'}: 4 packages (2 top-level)" in done.stderr
    assert "  | Successfully installed alpha-1.0 beta-1.0 gamma-1.0 solo-1.0" in done.stderr
    assert run_envsnap("freeze", "-p", "new", cwd=tmp_path).stdout == requirements


def test_the_library_is_silent_and_a_callers_reporter_hears_the_stages(
    tmp_path: Path,
    wheelhouse: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in [k for k in os.environ if k.startswith(("PIP_", "UV_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    file = write(tmp_path / "requirements.txt", "solo==1.0\n")
    options = RestoreOptions(
        venv=tmp_path / "silent",
        python=sys.executable,
        with_pip=False,
        index=IndexOptions(no_index=True, find_links=(str(wheelhouse),)),
    )
    restore(plan_restore(file, options))
    assert capfd.readouterr() == ("", "")
    with reporting(Recorder(verbose=True)) as heard:
        restore(plan_restore(file, dataclasses.replace(options, venv=tmp_path / "heard")))
    assert capfd.readouterr() == ("", "")
    target = tmp_path / "heard"
    said = [(kind, text) for kind, text in heard.said if kind not in {"output", "run"}]
    assert said == [
        ("create", f"{target} with uv (Python {PY})"),
        ("install", "1 package with uv"),
        ("verify", f"{target} against {file}"),
        ("done", f"{target} matches {file}"),
    ]
    ran = [text for kind, text in heard.said if kind == "run"]
    assert [line.split()[1:3] for line in ran] == [["venv", "--no-config"], ["pip", "install"]]
    assert any(kind == "output" for kind, _ in heard.said)

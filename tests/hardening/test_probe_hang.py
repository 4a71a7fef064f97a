"""Issue 15, item 7: a target that hangs is given up at the probe timeout, wrappers included.

The attack: a wrapper script (a pyenv shim is one) whose child, not the
script itself, holds the probe's pipes. Killing only the direct child left
the probe waiting on a pipe the grandchild still held (30 s and more, past
the timeout). Now the probe runs in its own process group, the whole group is
killed, and every wait is bounded: freeze exits 2 naming the interpreter, and
no process of the target is left running.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from envsnap.environment.process import BoundedProcess, ProcessTimeoutError
from envsnap.environment.target import probe
from envsnap.errors import TargetError
from envsnap.install.venvs import find_base_interpreter
from hardening.corpus import assert_error, invoke

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell scripts as targets")


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(0o755)
    return path


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped yet counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return False
    except OSError:  # pragma: no cover - no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def _ends(pid: int) -> bool:
    """Whether ``pid`` ends within 10 s: SIGKILL is delivered when the victim next runs."""
    for _ in range(1000):
        if not _alive(pid):
            return True
        time.sleep(0.01)
    return False


def _sleeper_pid(pidfile: Path) -> int:
    return int(pidfile.read_text(encoding="ascii").strip())


def test_wrapper_whose_child_hangs_is_given_up_at_the_timeout(tmp_path: Path) -> None:
    """The shim case: the script waits for a child that holds stdout and never answers."""
    pidfile = tmp_path / "sleeper.pid"
    target = _script(tmp_path, "python", f"sleep 300 &\necho $! > {pidfile}\nwait\n")
    result = invoke("freeze", "-p", str(target), env={"ENVSNAP_PROBE_TIMEOUT": "1"})
    assert_error(
        result,
        2,
        f"error: {target}: the interpreter did not answer within 1 s",
        hint="check that it starts (run it with -c pass), or name another with --python",
    )
    assert result.stdout == ""
    assert _ends(_sleeper_pid(pidfile))


def test_target_that_forks_a_sleeper_and_exits(tmp_path: Path) -> None:
    """The child exits at once, its background child keeps the pipes open for 300 s."""
    pidfile = tmp_path / "sleeper.pid"
    target = _script(tmp_path, "python", f"sleep 300 &\necho $! > {pidfile}\nexit 0\n")
    result = invoke("freeze", "-p", str(target), env={"ENVSNAP_PROBE_TIMEOUT": "60"})
    assert_error(
        result,
        2,
        f"error: {target}: unexpected answer from the interpreter probe (",
        hint="is it a Python interpreter? name another with --python",
    )
    assert _ends(_sleeper_pid(pidfile))


def test_script_that_sleeps(tmp_path: Path) -> None:
    target = _script(tmp_path, "python", "exec sleep 300\n")
    with pytest.raises(TargetError) as info:
        probe(target, timeout=0.5)
    assert info.value.message == f"{target}: the interpreter did not answer within 0.5 s"


def test_wrapper_that_runs_the_real_interpreter_still_works(tmp_path: Path) -> None:
    """A shim that does not ``exec``: its answer comes through, then its group is ended."""
    target = _script(tmp_path, "python", f'"{sys.executable}" "$@"\n')
    environment = probe(target)
    assert environment.interpreter == target
    assert environment.python_version == tuple(sys.version_info[:3])


def test_base_interpreter_of_a_restore_whose_child_hangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``restore --python`` asks the base interpreter's version through the same probe."""
    monkeypatch.setenv("ENVSNAP_PROBE_TIMEOUT", "1")
    pidfile = tmp_path / "sleeper.pid"
    target = _script(tmp_path, "python3.11", f"sleep 300 &\necho $! > {pidfile}\nwait\n")
    with pytest.raises(TargetError) as info:
        find_base_interpreter(None, python=str(target))
    assert info.value.message == f"{target}: the interpreter did not answer within 1 s"
    assert info.value.exit_code == 2
    assert _ends(_sleeper_pid(pidfile))


def test_bounded_process_cancelled_before_waiting_kills_the_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "sleeper.pid"
    target = _script(tmp_path, "python", f"sleep 300 &\necho $! > {pidfile}\nwait\n")
    with BoundedProcess([str(target)], timeout=60, max_output=1024) as process:
        while not pidfile.exists() or not pidfile.read_text(encoding="ascii").strip():
            time.sleep(0.01)
    assert _ends(_sleeper_pid(pidfile))
    assert _ends(process.pid)
    with pytest.raises(RuntimeError):
        process.wait()


def test_bounded_process_deadline_counts_from_the_start(tmp_path: Path) -> None:
    target = _script(tmp_path, "python", "exec sleep 300\n")
    process = BoundedProcess([str(target)], timeout=0.2, max_output=1024)
    with pytest.raises(ProcessTimeoutError):
        process.wait()
    assert _ends(process.pid)

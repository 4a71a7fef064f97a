"""Bad targets (``-p``): not a Python, a broken venv, Python 2, a hung interpreter,
a lying one, and no target at all. Each is exit 2 with one ``error:`` line naming
the path and a hint; the probe runs for real (a subprocess), except where noted."""

from __future__ import annotations

import os
import shutil
import sys
from typing import TYPE_CHECKING

import pytest

from envsnap.environment.find import find_interpreter
from envsnap.errors import TargetError
from hardening.corpus import BAD, assert_error, invoke

if TYPE_CHECKING:
    from pathlib import Path

TARGETS = BAD / "targets"
ANOTHER = "name another with --python"


def _copy(name: str, tmp_path: Path, *, executable: bool = True) -> Path:
    """Copy a corpus target into tmp_path (git may not keep the x bit everywhere)."""
    target = tmp_path / name
    shutil.copy(TARGETS / name, target)
    target.chmod(0o755 if executable else 0o644)
    return target


def test_text_file_not_executable(tmp_path: Path) -> None:
    target = _copy("not-python.txt", tmp_path, executable=False)
    result = invoke("freeze", "-p", str(target))
    # root too: exec needs an x bit even for root, so the same error applies to all
    assert_error(result, 2, f"error: {target}: cannot run it: Permission denied")


def test_text_file_executable(tmp_path: Path) -> None:
    target = _copy("not-python.txt", tmp_path)
    result = invoke("freeze", "-p", str(target))
    assert_error(result, 2, f"error: {target}: cannot run it: Exec format error", hint="--python")


def test_relative_name_is_not_looked_up_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-p python2`` means ./python2; it used to run whatever python2 PATH had."""
    _copy("python2", tmp_path)
    monkeypatch.chdir(tmp_path)
    result = invoke("freeze", "-p", "python2")
    assert_error(
        result,
        2,
        "error: python2: not a usable Python 3 interpreter (Unknown option: -I: Python 2 or older)",
        hint="envsnap reads Python 3 environments",
    )


def test_python2_interpreter(tmp_path: Path) -> None:
    """The fake prints what CPython 2.7 prints for ``-I`` (checked on 2.7.18)."""
    target = _copy("python2", tmp_path)
    result = invoke("freeze", "-p", str(target))
    assert_error(
        result,
        2,
        f"error: {target}: not a usable Python 3 interpreter (Unknown option: -I: Python 2",
        hint=ANOTHER,
    )


def test_hanging_interpreter_times_out(tmp_path: Path) -> None:
    target = _copy("hanging-python", tmp_path)
    result = invoke("freeze", "-p", str(target), env={"ENVSNAP_PROBE_TIMEOUT": "0.3"})
    assert_error(
        result,
        2,
        f"error: {target}: the interpreter did not answer within 0.3 s",
        hint="check that it starts",
    )


def test_interpreter_answering_garbage(tmp_path: Path) -> None:
    target = _copy("garbage-python", tmp_path)
    result = invoke("freeze", "-p", str(target))
    assert_error(
        result,
        2,
        f"error: {target}: unexpected answer from the interpreter probe (",
        hint="is it a Python interpreter?",
    )


def test_directory_that_is_not_a_venv() -> None:
    target = TARGETS / "not-a-venv"
    result = invoke("freeze", "-p", str(target))
    assert_error(result, 2, f"error: {target}: not a virtual environment (no pyvenv.cfg, no bin/)")


def test_broken_venv_symlink(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /gone/bin\n", encoding="utf-8")
    (venv / "bin" / "python").symlink_to("/gone/bin/python3.11")
    result = invoke("freeze", "-p", str(venv))
    assert_error(
        result,
        2,
        f"error: {venv}: broken virtual environment: {venv}/bin/python points to missing "
        "/gone/bin/python3.11",
        hint="recreate it",
    )


def test_broken_interpreter_symlink(tmp_path: Path) -> None:
    link = tmp_path / "python3"
    link.symlink_to(tmp_path / "nowhere")
    result = invoke("freeze", "-p", str(link))
    assert_error(result, 2, f"error: {link}: broken link to missing {tmp_path}/nowhere")


def test_missing_path(tmp_path: Path) -> None:
    result = invoke("check", "-p", str(tmp_path / "nope"), str(BAD / "requirements" / "crlf.txt"))
    assert_error(result, 2, f"error: {tmp_path / 'nope'}: no such file or directory (--python)")


def test_system_python_never_silently(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No -p, no $VIRTUAL_ENV, no ./.venv and not running in a venv: exit 2."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "prefix", sys.base_prefix)
    with pytest.raises(TargetError) as caught:
        find_interpreter(None, cwd=tmp_path, environ={})
    assert caught.value.message.startswith("no target environment: $VIRTUAL_ENV is not set")
    result = invoke("freeze")
    assert_error(result, 2, "error: no target environment", hint="name one with --python PATH")


def test_system_python_subprocess(tmp_path: Path) -> None:
    """The same through the real console entry, run by the base (non-venv) interpreter."""
    import subprocess  # noqa: PLC0415

    from support.venvs import clean_env  # noqa: PLC0415

    base = os.path.join(sys.base_prefix, "bin", "python3")
    src = str(BAD.parents[1] / "src")
    code = "import sys; sys.argv[0] = 'envsnap'; from envsnap.cli import main; main()"
    site_dirs = [p for p in sys.path if p.endswith("site-packages")]
    env = clean_env(PYTHONPATH=os.pathsep.join([src, *site_dirs]))
    done = subprocess.run(
        [base, "-c", code, "freeze"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: no target environment: $VIRTUAL_ENV is not set and there is no .venv in "
        f"{tmp_path} or its parents up to the project root"
    ]
    assert "Traceback" not in done.stderr


def test_every_target_case_is_tested() -> None:
    assert {p.name for p in TARGETS.iterdir()} == {
        "not-python.txt",
        "python2",
        "hanging-python",
        "garbage-python",
        "not-a-venv",
    }

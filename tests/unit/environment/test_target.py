"""Probing an interpreter (real interpreters, cheap venvs)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from packaging.markers import default_environment

from envsnap.environment.target import (
    _PRINT,
    _PROBE,
    PendingProbe,
    TargetEnvironment,
    probe,
    start_probe,
)
from envsnap.errors import TargetError
from support.fake_site import make_environment

# ---- probe ---------------------------------------------------------------------------------


def test_probe_of_the_running_interpreter() -> None:
    env = probe(Path(sys.executable))
    assert env.interpreter == Path(sys.executable)
    assert env.prefix == Path(sys.prefix)
    assert env.base_prefix == Path(sys.base_prefix)
    assert env.python_version == tuple(sys.version_info[:3])
    assert env.implementation == "CPython"
    assert env.platform == sysconfig.get_platform()
    assert Path(sysconfig.get_paths()["purelib"]) in env.site_packages
    assert dict(env.markers) == {k: v for k, v in default_environment().items() if k != "extra"}
    assert env.is_venv is (sys.prefix != sys.base_prefix)
    assert env.python_version_text == "{}.{}.{}".format(*sys.version_info[:3])


def test_probe_of_a_venv(venv: Path) -> None:
    env = probe(venv / "bin" / "python")
    assert env.prefix == venv
    assert env.is_venv
    assert env.include_system_site_packages is False
    # the base installation's dirs are reported; they are read only with include-system
    assert env.base_site_packages
    assert all(not p.is_relative_to(venv) for p in env.base_site_packages)
    assert len(env.site_packages) == 1
    assert env.site_packages[0].is_relative_to(venv)
    assert env.site_packages[0].name == "site-packages"


def test_probe_runs_no_pth_file_and_no_sitecustomize(venv: Path) -> None:
    probe(venv / "bin" / "python")
    assert not (venv.parent / "pth-ran").exists()
    assert not (venv.parent / "sitecustomize-ran").exists()
    # the planted files are real: a normal start runs them
    subprocess.run([str(venv / "bin" / "python"), "-c", "pass"], check=True)
    assert (venv.parent / "pth-ran").read_text(encoding="utf-8") == "ran"
    (venv.parent / "pth-ran").unlink()
    (venv.parent / "sitecustomize-ran").unlink()


def test_probe_ignores_the_callers_python_variables(
    venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONHOME", "/nonexistent")
    monkeypatch.setenv("PYTHONPATH", str(venv.parent))
    env = probe(venv / "bin" / "python")
    assert env.prefix == venv


def test_probe_with_system_site_packages(tmp_path: Path) -> None:
    root = tmp_path / "sys-venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(root)],
        check=True,
    )
    env = probe(root / "bin" / "python")
    assert env.include_system_site_packages is True
    assert env.base_site_packages
    assert all(not p.is_relative_to(root) for p in env.base_site_packages)


def _script(tmp_path: Path, body: str, *, mode: int = 0o755) -> Path:
    path = tmp_path / "fake-python"
    path.write_text(body, encoding="utf-8")
    path.chmod(mode)
    return path


def test_probe_of_a_file_that_is_not_a_program(tmp_path: Path) -> None:
    path = _script(tmp_path, "just some text\n")
    with pytest.raises(TargetError) as info:
        probe(path)
    assert info.value.message == f"{path}: cannot run it: Exec format error"
    assert info.value.hint == "python= takes a venv directory or a Python 3 interpreter"


def test_probe_of_a_file_that_is_not_executable(tmp_path: Path) -> None:
    path = _script(tmp_path, "#!/bin/sh\n", mode=0o644)
    with pytest.raises(TargetError, match=r"cannot run it: Permission denied$"):
        probe(path)


def test_probe_of_a_program_that_fails(tmp_path: Path) -> None:
    path = _script(tmp_path, "#!/bin/sh\necho 'SyntaxError: invalid syntax' >&2\nexit 1\n")
    with pytest.raises(TargetError) as info:
        probe(path)
    assert (
        info.value.message
        == f"{path}: not a usable Python 3 interpreter (SyntaxError: invalid syntax)"
    )
    silent = _script(tmp_path, "#!/bin/sh\nexit 4\n")
    with pytest.raises(TargetError, match=r"interpreter \(exit code 4\)$"):
        probe(silent)


@pytest.mark.parametrize(
    "output",
    [
        "hello",
        '{"prefix": "/x"}',
        '{"prefix": "/x", "base_prefix": "/x", '
        '"site_packages": [], "base_site_packages": [], "version": "3", '
        '"markers": {}, "implementation": "C", "platform": "p"}',
    ],
)
def test_probe_of_a_program_that_answers_nonsense(tmp_path: Path, output: str) -> None:
    path = _script(tmp_path, f"#!/bin/sh\nprintf '%s' '{output}'\n")
    with pytest.raises(TargetError) as info:
        probe(path)
    assert info.value.message.startswith(f"{path}: unexpected answer from the interpreter probe (")


def test_probe_timeout(tmp_path: Path) -> None:
    path = _script(tmp_path, "#!/bin/sh\nexec sleep 30\n")
    with pytest.raises(TargetError) as info:
        probe(path, timeout=0.3)
    assert info.value.message == f"{path}: the interpreter did not answer within 0.3 s"


def test_probe_markers_without_the_fast_path_are_the_same() -> None:
    """Off CPython/PyPy the probe asks ``platform``: both ways give the same markers."""
    prelude = (
        "import sys, types; sys.implementation = types.SimpleNamespace("
        "**{**vars(sys.implementation), 'name': 'other'}); "
    )
    script = f"{prelude}exec(compile({_PROBE + _PRINT!r}, 'probe', 'exec'))"
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script], capture_output=True, check=True
    )
    markers = ast.literal_eval(done.stdout.decode("ascii"))["markers"]
    expected = {k: v for k, v in default_environment().items() if k != "extra"}
    assert markers == {**expected, "implementation_name": "other"}


# ---- start_probe: the probe running in the background -------------------------------------


def test_started_probe_gives_what_probe_gives() -> None:
    with start_probe(Path(sys.executable)) as pending:
        assert isinstance(pending, PendingProbe)
        assert pending.interpreter == Path(sys.executable)
        first = pending.result()
        assert pending.result() is first  # asked twice: one process, one answer
    assert first == probe(Path(sys.executable))


def test_probe_takes_the_answer_of_a_started_probe_of_the_same_interpreter(
    tmp_path: Path,
) -> None:
    with start_probe(Path(sys.executable)) as pending:
        env = pending.result()
        assert probe(Path(sys.executable), started=pending) is env
    # a started probe of another interpreter is not used
    other = _script(tmp_path, "#!/bin/sh\nexit 4\n")
    with start_probe(other) as pending, pytest.raises(TargetError, match=r"\(exit code 4\)$"):
        probe(other, started=pending)
    with start_probe(other) as pending:
        assert probe(Path(sys.executable), started=pending) == env


def test_started_probe_raises_its_error_only_when_asked(tmp_path: Path) -> None:
    path = _script(tmp_path, "#!/bin/sh\n", mode=0o644)
    with start_probe(path) as pending:  # nothing raised here
        for _ in range(2):
            with pytest.raises(TargetError) as info:
                pending.result()
            assert info.value.message == f"{path}: cannot run it: Permission denied"
            assert info.value.hint == "python= takes a venv directory or a Python 3 interpreter"


def test_started_probe_timeout_counts_from_the_start(tmp_path: Path) -> None:
    path = _script(tmp_path, "#!/bin/sh\nexec sleep 30\n")
    with start_probe(path, timeout=0.3) as pending, pytest.raises(TargetError) as info:
        pending.result()
    assert info.value.message == f"{path}: the interpreter did not answer within 0.3 s"


def test_a_probe_whose_answer_is_not_taken_is_stopped(tmp_path: Path) -> None:
    path = _script(tmp_path, "#!/bin/sh\nexec sleep 30\n")
    pending = start_probe(path)
    process = pending._process  # the child itself is what is checked
    assert process is not None
    os.kill(process.pid, 0)  # running
    with pending:
        pass
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(process.pid, 0)
    with pytest.raises(TargetError, match=r": the probe was cancelled$"):
        pending.result()


# ---- TargetEnvironment ---------------------------------------------------------------------


def test_describe_and_is_venv(tmp_path: Path) -> None:
    env = make_environment(tmp_path)
    assert env.describe() == "CPython 3.11.7, linux x86_64"
    assert env.is_venv
    bare = TargetEnvironment(
        interpreter=Path("/usr/bin/python3"),
        prefix=Path("/usr"),
        base_prefix=Path("/usr"),
        python_version=(3, 12, 0),
        implementation="PyPy",
        platform="linux-aarch64",
        site_packages=(),
    )
    assert not bare.is_venv
    assert bare.describe() == f"PyPy 3.12.0, {sys.platform}"


def test_pyvenv_cfg_include_system(tmp_path: Path) -> None:
    from envsnap.environment.target import _include_system  # noqa: PLC0415 - private helper under test

    assert _include_system(tmp_path) is False
    (tmp_path / "pyvenv.cfg").write_text(
        "home = /usr\nInclude-System-Site-Packages = TRUE\n", encoding="utf-8"
    )
    assert _include_system(tmp_path) is True
    (tmp_path / "pyvenv.cfg").write_text("home = /usr\nversion = 3.11\n", encoding="utf-8")
    assert _include_system(tmp_path) is False


def test_probe_answer_with_malformed_site_packages(tmp_path: Path) -> None:
    answer = (
        '{"prefix": "/x", "base_prefix": "/x", "site_packages": "not-a-list", '
        '"base_site_packages": [],'
        ' "version": [3, 11, 7], "markers": {}, "implementation": "CPython", "platform": "p"}'
    )
    path = _script(tmp_path, f"#!/bin/sh\nprintf '%s' '{answer}'\n")
    with pytest.raises(
        TargetError,
        match=r"unexpected answer from the interpreter probe \(malformed probe answer\)",
    ):
        probe(path)


def test_site_dirs_are_deduplicated_by_real_path(tmp_path: Path) -> None:
    real = tmp_path / "lib" / "site-packages"
    real.mkdir(parents=True)
    (tmp_path / "lib64").symlink_to(tmp_path / "lib")
    answer = (
        f'{{"prefix": "{tmp_path}", "base_prefix": "/usr", "site_packages": ["{real}", '
        f'"{tmp_path / "lib64" / "site-packages"}", "{tmp_path / "missing"}"], '
        f'"base_site_packages": ["{real}"], "version": [3, 11, 7], "markers": {{"a": "b"}}, '
        '"implementation": "CPython", "platform": "p"}'
    )
    path = _script(tmp_path, f"#!/bin/sh\nprintf '%s' '{answer}'\n")
    env = probe(path)
    assert env.site_packages == (real,)
    assert env.base_site_packages == ()
    assert env.markers == {"a": "b"}
    assert env.include_system_site_packages is False

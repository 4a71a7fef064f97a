"""Base interpreter discovery: PATH, managed installs, version requests, broken candidates."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import pytest

from envsnap.errors import InputError
from envsnap.install.venvs import candidates, find_base_interpreter
from support.fake_python import fake_python

if TYPE_CHECKING:
    from pathlib import Path


def shim(path: Path) -> Path:
    """A pyenv-like shim for a version that is not installed: exits 127."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho 'pyenv: python3.97: command not found' >&2\nexit 127\n")
    path.chmod(0o755)
    return path


def test_version_request_finds_pythonx_y_on_path(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    exact = fake_python(bindir / "python3.97", "3.97.2")
    env = {"HOME": str(tmp_path)}
    for request in ("3.97", "python3.97", "cpython3.97", "3.97.2"):
        found = find_base_interpreter(None, python=request, search_path=str(bindir), environ=env)
        assert (found.path, found.version) == (exact, "3.97.2")


def test_a_shim_that_exits_127_is_skipped_and_the_next_candidate_used(tmp_path: Path) -> None:
    """A pyenv shim of a version not installed: passed over, and no news once one is found."""
    shim(tmp_path / "shims" / "python3.97")
    working = fake_python(tmp_path / "bin" / "python3.97", "3.97.1")
    path = f"{tmp_path / 'shims'}:{tmp_path / 'bin'}"
    env = {"HOME": str(tmp_path)}
    found = find_base_interpreter(None, python="3.97", search_path=path, environ=env)
    assert found.path == working
    # the same when the lock file asks for 3.97 and --python is not given
    assert find_base_interpreter("3.97.0", search_path=path, environ=env).path == working


def test_managed_installs_pyenv_asdf_uv_newest_first(tmp_path: Path) -> None:
    pyenv = tmp_path / "pyenv"
    fake_python(pyenv / "versions" / "3.97.1" / "bin" / "python3.97", "3.97.1")
    newest = fake_python(pyenv / "versions" / "3.97.10" / "bin" / "python3.97", "3.97.10")
    fake_python(pyenv / "versions" / "3.96.0" / "bin" / "python3.96", "3.96.0")
    asdf = fake_python(
        tmp_path / ".asdf" / "installs" / "python" / "3.97.3" / "bin" / "python3.97", "3.97.3"
    )
    uv = fake_python(
        tmp_path / "uvpy" / "cpython-3.97.4-linux-x86_64-gnu" / "bin" / "python3.97", "3.97.4"
    )
    env = {
        "HOME": str(tmp_path),
        "PYENV_ROOT": str(pyenv),
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uvpy"),
    }
    found = list(candidates("3.97", search_path="", environ=env))
    assert found == [
        newest,
        pyenv / "versions" / "3.97.1" / "bin" / "python3.97",
        asdf,
        uv,
    ]
    assert list(candidates("3.97.4", search_path="", environ=env)) == [uv]
    chosen = find_base_interpreter(None, python="3.97", search_path="", environ=env)
    assert (chosen.path, chosen.version) == (newest, "3.97.10")


def test_uv_dir_defaults_to_xdg_data_home(tmp_path: Path) -> None:
    uv = fake_python(
        tmp_path
        / "data"
        / "uv"
        / "python"
        / "cpython-3.97.4-linux-x86_64-gnu"
        / "bin"
        / "python3.97",
        "3.97.4",
    )
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    assert list(candidates("3.97", search_path="", environ=env)) == [uv]


def test_nothing_found_names_what_was_seen_and_skipped(tmp_path: Path) -> None:
    broken = shim(tmp_path / "bin" / "python3.97")
    other = fake_python(tmp_path / "bin" / "python3", "3.12.1")
    with pytest.raises(InputError) as info:
        find_base_interpreter(
            None, python="3.97", search_path=str(tmp_path / "bin"), environ={"HOME": str(tmp_path)}
        )
    assert info.value.message == (
        f"python=3.97: no such interpreter ({other} is 3.12.1; "
        f"skipped {broken}: not a usable Python 3 interpreter "
        "(pyenv: python3.97: command not found))"
    )
    assert info.value.hint == (
        "give a path, a version such as 3.12, or a name on PATH such as python3.12"
    )
    assert info.value.exit_code == 2


def test_an_explicit_path_is_used_as_given(tmp_path: Path) -> None:
    broken = shim(tmp_path / "bin" / "python3.97")
    with pytest.raises(InputError) as info:
        find_base_interpreter(None, python=str(broken))
    assert info.value.message == (
        f"{broken}: not a usable Python 3 interpreter (pyenv: python3.97: command not found)"
    )


def test_the_running_interpreter_named_by_path_is_not_probed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link to the interpreter running envsnap: its version is known without a subprocess."""

    def no_probe(interpreter: Path) -> None:
        raise AssertionError(f"probed {interpreter}")

    monkeypatch.setattr("envsnap.environment.target.probe", no_probe)
    link = tmp_path / "python"
    link.symlink_to(os.path.realpath(sys.executable))
    found = find_base_interpreter("3.5", python=str(link))
    assert found.path == link
    assert found.version == ".".join(map(str, sys.version_info[:3]))


def test_a_plain_name_is_searched_on_path(tmp_path: Path) -> None:
    pypy = fake_python(tmp_path / "bin" / "pypy3", "3.97.0")
    found = find_base_interpreter(None, python="pypy3", search_path=str(tmp_path / "bin"))
    assert found.path == pypy

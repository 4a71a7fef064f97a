"""Finding the target interpreter: -p, $VIRTUAL_ENV, .venv, $WORKON_HOME (cheap venvs)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from envsnap.environment.find import find_interpreter
from envsnap.errors import TargetError


def test_explicit_venv_dir_gives_its_interpreter(venv: Path) -> None:
    assert find_interpreter(venv) == venv / "bin" / "python"
    assert find_interpreter(str(venv / "bin" / "python")) == venv / "bin" / "python"


def test_interpreter_link_is_not_resolved(venv: Path) -> None:
    exe = find_interpreter(venv)
    assert exe.is_symlink()
    assert exe == venv / "bin" / "python"


def test_virtual_env_variable_then_dot_venv(venv: Path, tmp_path: Path) -> None:
    assert (
        find_interpreter(None, cwd=tmp_path, environ={"VIRTUAL_ENV": str(venv)})
        == venv / "bin" / "python"
    )
    (tmp_path / ".venv").symlink_to(venv)
    assert find_interpreter(None, cwd=tmp_path, environ={}) == tmp_path / ".venv" / "bin" / "python"


NO_TARGET = (
    "no target environment: $VIRTUAL_ENV is not set and there is no .venv in {} "
    "or its parents up to the project root"
)
NO_TARGET_HINT = (
    "name one with python=PATH (a venv directory, its interpreter, or a $WORKON_HOME env "
    "name), activate a venv, or create ./.venv"
)


def test_envsnap_own_venv_is_never_a_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # envsnap itself runs in a venv (as under pipx or uv tool): still exit 2, not itself
    monkeypatch.setattr(sys, "prefix", "/some/venv")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    with pytest.raises(TargetError) as info:
        find_interpreter(None, cwd=tmp_path, environ={})
    assert info.value.message == NO_TARGET.format(tmp_path)
    assert info.value.hint == NO_TARGET_HINT
    assert info.value.exit_code == 2
    # named, it is taken like any other
    assert find_interpreter(sys.executable, environ={}) == Path(sys.executable)


def test_never_the_system_python_silently(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "prefix", sys.base_prefix)
    with pytest.raises(TargetError) as info:
        find_interpreter(None, cwd=tmp_path, environ={"VIRTUAL_ENV": ""})
    assert info.value.message == NO_TARGET.format(tmp_path)
    assert info.value.exit_code == 2


def test_dot_venv_found_in_a_parent_up_to_the_git_root(venv: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    member = repo / "packages" / "lib" / "src"
    member.mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / "packages" / "lib" / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    (repo / ".venv").symlink_to(venv)
    assert find_interpreter(None, cwd=member, environ={}) == repo / ".venv" / "bin" / "python"
    # the nearest .venv wins
    (member / ".venv").symlink_to(venv)
    assert find_interpreter(None, cwd=member, environ={}) == member / ".venv" / "bin" / "python"


def test_dot_venv_above_the_project_root_is_not_taken(venv: Path, tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(venv)  # a stray ~/.venv, say
    project = tmp_path / "work" / "proj"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    with pytest.raises(TargetError) as info:
        find_interpreter(None, cwd=project, environ={})
    assert info.value.message == NO_TARGET.format(project)
    # outside any project only the current directory counts
    elsewhere = tmp_path / "notes"
    elsewhere.mkdir()
    with pytest.raises(TargetError):
        find_interpreter(None, cwd=elsewhere, environ={})


def test_virtual_env_wins_over_dot_venv(venv: Path, tmp_path: Path) -> None:
    (tmp_path / ".venv").mkdir()  # not even a venv: never looked at
    assert (
        find_interpreter(None, cwd=tmp_path, environ={"VIRTUAL_ENV": str(venv)})
        == venv / "bin" / "python"
    )


def test_a_bare_name_finds_a_workon_home_env(
    venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "envs"
    home.mkdir()
    (home / "web").symlink_to(venv)
    monkeypatch.chdir(tmp_path)
    assert (
        find_interpreter("web", environ={"WORKON_HOME": str(home)})
        == home / "web" / "bin" / "python"
    )
    # default ~/.virtualenvs, as virtualenvwrapper
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".virtualenvs").mkdir()
    (tmp_path / ".virtualenvs" / "api").symlink_to(venv)
    assert (
        find_interpreter("api", environ={}) == tmp_path / ".virtualenvs" / "api" / "bin" / "python"
    )
    # a file or directory of that name in the current directory comes first
    (tmp_path / "web").mkdir()
    with pytest.raises(TargetError, match="not a virtual environment"):
        find_interpreter("web", environ={"WORKON_HOME": str(home)})
    with pytest.raises(TargetError) as info:
        find_interpreter("nothing", environ={"WORKON_HOME": str(home)})
    assert info.value.message == "nothing: no such file or directory (python=)"


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(TargetError) as info:
        find_interpreter(tmp_path / "nope")
    assert info.value.message == f"{tmp_path / 'nope'}: no such file or directory (python=)"


def test_missing_virtual_env_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"no such file or directory \(\$VIRTUAL_ENV\)"):
        find_interpreter(None, environ={"VIRTUAL_ENV": str(tmp_path / "gone")})


def test_directory_that_is_not_a_venv(tmp_path: Path) -> None:
    with pytest.raises(TargetError) as info:
        find_interpreter(tmp_path)
    assert info.value.message == f"{tmp_path}: not a virtual environment (no pyvenv.cfg, no bin/)"


def test_venv_without_interpreter(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    with pytest.raises(TargetError) as info:
        find_interpreter(tmp_path)
    assert info.value.message == f"{tmp_path}: no interpreter in {tmp_path / 'bin'}"


def test_broken_venv_link(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "pyvenv.cfg").write_text("home = /gone\n", encoding="utf-8")
    (tmp_path / "bin" / "python").symlink_to("/gone/python3.99")
    with pytest.raises(TargetError) as info:
        find_interpreter(tmp_path)
    assert info.value.message == (
        f"{tmp_path}: broken virtual environment: {tmp_path / 'bin' / 'python'} "
        "points to missing /gone/python3.99"
    )
    with pytest.raises(TargetError) as direct:
        find_interpreter(tmp_path / "bin" / "python")
    assert (
        direct.value.message
        == f"{tmp_path / 'bin' / 'python'}: broken link to missing /gone/python3.99"
    )

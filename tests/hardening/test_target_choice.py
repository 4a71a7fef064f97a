"""Which environment freeze, check, tree and diff read when none is named (issues 20, 22).

- Issue 22 item 2: pre-commit (like pipx and ``uv tool``) points ``$VIRTUAL_ENV``
  at the tool's own environment; envsnap read it and reported its own
  distributions as drift. envsnap's own environment is passed over, with a
  note, for the project's ``.venv``.
- Issue 20 item 12: ``.venv -> /usr`` made freeze read the system Python without
  a word. A default that is not a venv is refused (exit 2, nothing written);
  named with ``-p`` it is read, and the ``Using environment at:`` line says it
  is not a virtual environment.

The venvs are real (stdlib ``venv``, no pip); the readers run in-process
through click's runner, so ``sys.prefix`` can stand for the environment envsnap
runs in.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from envsnap import __version__
from envsnap.cli import cli
from envsnap.environment.find import choose_target
from support.venvs import make_venv

if TYPE_CHECKING:
    from collections.abc import Mapping

VERSION = ".".join(map(str, sys.version_info[:3]))
BASE = Path(sys.base_prefix)
"""The Python installation the tests run on: a prefix with ``bin/python3`` and no ``pyvenv.cfg``."""


def run(*args: str, env: Mapping[str, str] | None = None) -> Result:
    base = {"VIRTUAL_ENV": "", "PYTHONPATH": "", "ENVSNAP_PYTHON": "", "ENVSNAP_QUIET": ""}
    return CliRunner().invoke(cli, list(args), env={**base, **(env or {})})


def header() -> str:
    return f"# envsnap {__version__} freeze - CPython {VERSION}, linux x86_64"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory (the cwd) with a pyproject.toml and no .venv yet."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n', encoding="utf-8")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A venv standing for the one envsnap runs in (a pre-commit hook env, say)."""
    venv = tmp_path / "cache" / "pre-commit" / "repo1" / "py_env-python3"
    make_venv(venv)
    monkeypatch.setattr(sys, "prefix", str(venv))
    return venv


# ---- issue 22 item 2: $VIRTUAL_ENV that is envsnap's own environment -----------------------


def test_own_virtual_env_is_passed_over_with_a_note_for_the_projects_venv(
    project: Path, own: Path
) -> None:
    make_venv(project / ".venv")
    result = run("freeze", "-o", "requirements.txt", env={"VIRTUAL_ENV": str(own)})
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[:2] == [
        f"note: $VIRTUAL_ENV ({own}) is envsnap's own environment, not the project's: "
        f"reading {project / '.venv'} instead",
        f"Using environment at: .venv (Python {VERSION})",
    ]
    text = (project / "requirements.txt").read_text(encoding="utf-8")
    assert text.startswith(header())
    assert "envsnap" not in text.splitlines()[1:]
    quiet = run("check", "-q", env={"VIRTUAL_ENV": str(own)})
    assert (quiet.exit_code, quiet.stderr) == (0, "")


def test_own_virtual_env_and_no_project_venv_is_exit_2(project: Path, own: Path) -> None:
    (project / "requirements.txt").write_text("", encoding="utf-8")
    for command in ("freeze", "check", "tree"):
        args = [command, "-o", "requirements.txt"] if command == "freeze" else [command]
        result = run(*args, env={"VIRTUAL_ENV": str(own)})
        assert result.exit_code == 2, (command, result.stderr)
        assert result.stderr == (
            f"error: no target environment: $VIRTUAL_ENV ({own}) is envsnap's own environment, "
            f"and there is no .venv in {project} or its parents up to the project root\n"
            "hint: name the environment to read with --python PATH (--python $VIRTUAL_ENV for "
            "envsnap's own), or create ./.venv\n"
        )
        assert result.stdout == ""
    assert sorted(p.name for p in project.iterdir()) == ["pyproject.toml", "requirements.txt"]
    assert (project / "requirements.txt").read_text(encoding="utf-8") == ""


def test_own_environment_is_read_when_named_or_when_it_is_the_projects_venv(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = project / ".venv"
    make_venv(venv)
    monkeypatch.setattr(sys, "prefix", str(venv))  # envsnap installed into the project's .venv
    result = run("freeze", env={"VIRTUAL_ENV": str(venv)})
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == f"Using environment at: .venv (Python {VERSION})"
    # named, envsnap's own environment is read wherever it is
    other = project.parent / "tool-env"
    make_venv(other)
    monkeypatch.setattr(sys, "prefix", str(other))
    named = run("freeze", "-p", str(other), env={"VIRTUAL_ENV": str(other)})
    assert named.exit_code == 0, named.stderr
    assert named.stderr.splitlines()[0] == f"Using environment at: {other} (Python {VERSION})"


def test_choice_carries_the_note_for_library_users(project: Path, own: Path) -> None:
    make_venv(project / ".venv")
    choice = choose_target(None, cwd=project, environ={"VIRTUAL_ENV": str(own)})
    assert choice.interpreter == project / ".venv" / "bin" / "python"
    assert choice.notes == (
        f"$VIRTUAL_ENV ({own}) is envsnap's own environment, not the project's: "
        f"reading {project / '.venv'} instead",
    )
    other = choose_target(None, cwd=project, environ={"VIRTUAL_ENV": str(project / ".venv")})
    assert other.notes == ()


# ---- issue 20 item 12: a default that is the system Python ----------------------------------


def base_interpreter() -> Path:
    """The interpreter envsnap names in its hint: ``bin/python``, else ``bin/python3``."""
    for name in ("python", "python3"):
        if (BASE / "bin" / name).exists():
            return BASE / "bin" / name
    raise AssertionError(f"no bin/python or bin/python3 in {BASE}")


def test_dot_venv_linked_to_the_system_python_is_refused(project: Path) -> None:
    (project / ".venv").symlink_to(BASE)
    (project / "requirements.txt").write_text("solo==1.0\n", encoding="utf-8")
    for args in (["freeze", "-o", "requirements.txt"], ["check"], ["tree"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert result.stderr == (
            f"error: {project / '.venv'}: leads to {BASE}, a Python installation, not a "
            "virtual environment (no pyvenv.cfg); refused: the system Python is read only "
            "when named\n"
            f"hint: to read it anyway, name it: --python {base_interpreter()}\n"
        )
        assert result.stdout == ""
    assert (project / "requirements.txt").read_text(encoding="utf-8") == "solo==1.0\n"


def test_virtual_env_set_to_the_system_python_is_refused(project: Path) -> None:
    result = run("freeze", "-o", "out.txt", env={"VIRTUAL_ENV": str(BASE)})
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: $VIRTUAL_ENV={BASE}: a Python installation, not a virtual environment (no "
        "pyvenv.cfg); refused: the system Python is read only when named\n"
        f"hint: to read it anyway, name it: --python {base_interpreter()}\n"
    )
    assert not (project / "out.txt").exists()


def test_a_fake_installation_as_dot_venv_is_refused_before_it_runs(project: Path) -> None:
    """Nothing of the target is run: the refusal looks at the directory only."""
    usr = project.parent / "usr"
    (usr / "bin").mkdir(parents=True)
    (usr / "bin" / "python3").write_text("#!/bin/sh\ntouch ran\n", encoding="utf-8")
    (usr / "bin" / "python3").chmod(0o755)
    (project / ".venv").symlink_to(usr)
    result = run("freeze", "-o", "out.txt")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1] == (
        f"hint: to read it anyway, name it: --python {usr.resolve()}/bin/python3"
    )
    assert sorted(p.name for p in project.iterdir()) == [".venv", "pyproject.toml"]


def test_the_system_python_named_is_read_and_said_to_be_no_venv(project: Path) -> None:
    result = run("freeze", "-p", str(base_interpreter()), "-o", "out.txt")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"Using environment at: {BASE} (Python {VERSION}, not a virtual environment)"
    )
    assert (project / "out.txt").read_text(encoding="utf-8").startswith(header())

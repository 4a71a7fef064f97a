"""The hooks of ``.pre-commit-hooks.yaml`` in a real ``pre-commit run`` (issue 22 item 2).

pre-commit clones the hook repository (a local git path works as ``repo:``),
makes a virtualenv for it, ``pip install .`` there, and runs each hook with
``$VIRTUAL_ENV`` pointing at that virtualenv. envsnap took it for the target
and reported its own distributions as drift. Now the hook checks the
project's ``.venv``, and passes right after a freeze.

Offline: pip in the hook's virtualenv gets ``--no-index`` and a find-links
directory holding envsnap's runtime dependencies and its build backend,
repacked from the distributions installed in the interpreter running the
tests (:mod:`support.repack`); the machine's pip configuration is hidden
(:func:`support.venvs.clean_env`). pre-commit's store is under ``tmp_path``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from envsnap._io import load_toml
from support.repack import closure, repack
from support.venvs import clean_env, git, make_venv, pip_install, run_envsnap

if TYPE_CHECKING:
    from collections.abc import Mapping

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("src", "pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")
"""What ``pip install .`` of the hook repository needs (the wheel's files and metadata)."""
VERSION = ".".join(map(str, sys.version_info[:3]))


@pytest.fixture(scope="module")
def offline_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """envsnap's runtime dependencies and build backend as wheels, from this interpreter."""
    into = tmp_path_factory.mktemp("precommit-wheels")
    pyproject = load_toml((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    build = pyproject["build-system"]["requires"]
    runtime = pyproject["project"]["dependencies"]
    for dist in closure([*runtime, *build]):
        repack(dist, into)
    return into


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding this checkout's envsnap, committed; returns it and its commit."""
    repo = tmp_path_factory.mktemp("envsnap-hooks")
    for name in SHIPPED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / name)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "envsnap", cwd=repo)
    return repo, git("rev-parse", "HEAD", cwd=repo)


@pytest.fixture
def project(tmp_path: Path, wheelhouse: Path, hook_repo: tuple[Path, str]) -> Path:
    """A git project with a .venv holding solo 1.0, declared, frozen, and the shipped hooks."""
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\ndependencies = ["solo"]\n', encoding="utf-8"
    )
    pip_install(make_venv(root / ".venv"), "solo==1.0", find_links=wheelhouse)
    frozen = run_envsnap("freeze", "-o", "requirements.txt", cwd=root)
    assert frozen.returncode == 0, frozen.stderr
    repo, rev = hook_repo
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: envsnap-check\n      - id: envsnap-check-env\n",
        encoding="utf-8",
    )
    (root / ".gitignore").write_text(".venv/\n", encoding="utf-8")
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    return root


def pre_commit(project: Path, wheels: Path, home: Path, *args: str) -> tuple[int, str]:
    """Run ``pre-commit run --hook-stage manual ARGS``; return its exit code and output.

    Only pre-commit's pip is pointed at ``wheels`` (with ``--no-index``).
    """
    env: Mapping[str, str] = clean_env(
        PRE_COMMIT_HOME=str(home),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        VIRTUALENV_NO_PERIODIC_UPDATE="1",
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_CONFIG_NOSYSTEM="1",
    )
    command = ["run", "--hook-stage", "manual", "--color", "never", *args]
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", *command],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def results(output: str) -> list[str]:
    """The hooks' result lines, dots squeezed: ``envsnap check (...)...Passed``."""
    return [
        re.sub(r"\.{3,}", "...", line)
        for line in output.splitlines()
        if re.search(r"\.{3,}(\(no files to check\))?(Passed|Failed|Skipped)$", line)
    ]


def test_shipped_hooks_check_the_projects_venv_and_pass_after_a_freeze(
    project: Path, offline_wheels: Path, tmp_path: Path, wheelhouse: Path
) -> None:
    home = tmp_path / "pre-commit-home"
    code, output = pre_commit(project, offline_wheels, home, "--all-files", "--verbose")
    assert code == 0, output
    assert results(output) == [
        "envsnap check (lock vs pyproject.toml)...Passed",
        "envsnap check (environment vs lock)...Passed",
    ]
    [hook_env] = home.glob("repo*/py_env-*")
    assert (
        f"note: $VIRTUAL_ENV ({hook_env}) is envsnap's own environment, not the project's: "
        f"reading {project / '.venv'} instead\n"
        f"Using environment at: .venv (Python {VERSION})\n"
    ) in output
    assert "missing" not in output
    assert "extra" not in output

    # the project's .venv drifts, no file changes: the env hook runs all the same and fails
    git("commit", "-q", "-m", "frozen", cwd=project)
    pip_install(project / ".venv" / "bin" / "python", "omega==1.0", find_links=wheelhouse)
    code, output = pre_commit(project, offline_wheels, home)
    assert code == 1, output
    assert results(output) == [
        "envsnap check (lock vs pyproject.toml)...(no files to check)Skipped",
        "envsnap check (environment vs lock)...Failed",
    ]
    assert (
        "extra (1):\n"
        f"  omega==1.0 is in env {project / '.venv'} but not in requirements.txt\n"
        f"drift: 1 extra (requirements.txt vs env {project / '.venv'})\n"
    ) in output

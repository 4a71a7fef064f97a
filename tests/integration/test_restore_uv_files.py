"""Files uv writes, and editable and VCS lines, restored by uv in one install (offline).

- ``uv export`` of a packaged project: ``-e .`` plus hashed pins (pip refuses
  editables in hash-checking mode; uv checks the hashes it has);
- an envsnap file with an editable and a git package: every line goes to uv,
  one ``uv pip install``, and the round trip is byte-identical.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from envsnap.install.uv import find_uv
from support.venvs import clean_env, git, make_venv, pip_install, run_envsnap
from support.wheels import write_project

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


def uv(*args: str, cwd: Path, index: str) -> None:
    subprocess.run(
        [os.fspath(find_uv()), *args, "--no-config", "--quiet"],
        cwd=cwd,
        env=clean_env(UV_INDEX_URL=index),
        check=True,
    )


@pytest.mark.parametrize("kind", ["requirements-txt", "pylock.toml"])
def test_a_uv_export_of_a_packaged_project_restores(
    tmp_path: Path, loopback_index: str, kind: str
) -> None:
    project = write_project(tmp_path / "app", "myapp", "1.0", requires=["alpha==1.0"])
    with (project / "pyproject.toml").open("a", encoding="utf-8") as toml:
        toml.write(
            '\n[project]\nname = "myapp"\nversion = "1.0"\nrequires-python = ">=3.8"\n'
            'dependencies = ["alpha==1.0"]\n'
        )
    name = "requirements.txt" if kind == "requirements-txt" else "pylock.toml"
    uv("lock", cwd=project, index=loopback_index)
    uv("export", "--format", kind, "-o", name, cwd=project, index=loopback_index)
    text = (project / name).read_text(encoding="utf-8")
    assert (
        ("-e ." in text.splitlines()) if kind == "requirements-txt" else "editable = true" in text
    )
    done = run_envsnap(
        "restore", name, "--without-pip", "--python", "3.11", "--index-url", loopback_index,
        cwd=project, env={"UV_CACHE_DIR": str(tmp_path / "uv")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    checked = run_envsnap("check", name, "-p", ".venv", cwd=project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith(f"OK {name} matches env {project / '.venv'} (4 packages)")


def test_an_editable_and_a_git_package_go_to_uv_in_one_install(
    tmp_path: Path, wheelhouse: Path
) -> None:
    assert shutil.which("git") is not None, "git is part of this machine"
    repo = write_project(tmp_path / "gitlib", "gitlib", "1.0")
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-q", "-m", "one", cwd=repo)
    commit = git("rev-parse", "HEAD", cwd=repo)
    project = tmp_path / "project"
    editable = write_project(project / "edlib", "edlib", "1.0")
    with (editable / "pyproject.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[project]\nname = "edlib"\nversion = "1.0"\n')
    source = make_venv(project / "source")
    pip_install(
        source, f"gitlib @ git+{repo.as_uri()}@{commit}", "-e", str(editable), "solo==1.0",
        find_links=wheelhouse,
    )  # fmt: skip
    frozen = run_envsnap("freeze", "-p", "source", "-o", "requirements.txt", cwd=project)
    assert frozen.returncode == 0, frozen.stderr
    done = run_envsnap(
        "restore", "--venv", "new", "--without-pip", "-v",
        "--no-index", "--find-links", str(wheelhouse),
        cwd=project, env={"UV_CACHE_DIR": str(tmp_path / "uv")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    runs = [line for line in done.stderr.splitlines() if line.startswith("run: ")]
    assert len(runs) == 2, runs  # uv venv, then one uv pip install for every line
    assert " pip install " in runs[1]
    again = run_envsnap("freeze", "-p", "new", cwd=project)
    assert again.stdout == (project / "requirements.txt").read_text(encoding="utf-8")

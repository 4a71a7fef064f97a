"""Issue 20 item 13: pip's editable VCS checkout in ``.venv/src/NAME`` round-trips.

The attack (round 3): ``pip install -e git+URL#egg=NAME`` clones into the
venv's ``src/NAME`` and records an editable directory there (pip 26 writes
``dir_info.editable``, no ``vcs_info``); freeze wrote ``-e ./.venv/src/NAME``,
a path inside the venv that restore replaces, so the file could not rebuild
the venv. Now the checkout's remote and commit are read from its ``.git``
files (no git is run) and freeze writes ``NAME @ git+URL@COMMIT``, with a
warning; the environment checks clean against it, and a restore from it
installs that commit and freezes to the same file.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest

from support.venvs import git, make_venv, pip_install, run_envsnap, venv_root
from support.wheels import write_project

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file() and not p.is_symlink()
        else "-"
        for p in sorted(root.rglob("*"))
    }


def test_an_editable_checkout_in_the_venv_is_frozen_as_its_repository(tmp_path: Path) -> None:
    repo = write_project(tmp_path / "repo", "vcsdep", "1.0")
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "one", cwd=repo)
    commit = git("rev-parse", "HEAD", cwd=repo)
    python = make_venv(tmp_path / "venv")
    pip_install(python, "-e", f"git+{repo.as_uri()}#egg=vcsdep")
    venv = venv_root(python)
    assert (venv / "src" / "vcsdep" / ".git").is_dir()
    site = next(venv.glob("lib/python3*/site-packages"))
    recorded = (site / "vcsdep-1.0.dist-info" / "direct_url.json").read_text(encoding="utf-8")
    assert '"editable": true' in recorded
    assert "vcs_info" not in recorded  # what pip records: a directory inside the venv
    before = _digest(venv)
    work = tmp_path / "work"
    work.mkdir()

    done = run_envsnap("freeze", "-p", str(venv), "-o", "requirements.txt", cwd=work)
    assert done.returncode == 0, done.stderr
    line = f"vcsdep @ git+file://localhost{repo}@{commit}"
    assert (work / "requirements.txt").read_text(encoding="utf-8").splitlines()[1:] == [
        "# top-level",
        line,
        "# transitive",
    ]
    assert done.stderr.splitlines()[1] == (
        f"warning: {site / 'vcsdep-1.0.dist-info'}: pip's editable checkout "
        f"{venv / 'src' / 'vcsdep'} (inside the venv, which a restore replaces) is recorded as "
        f"its repository at its commit, git+{repo.as_uri()}@{commit}: a restore installs that "
        "commit, not editable"
    )
    check = run_envsnap("check", "-p", str(venv), "requirements.txt", cwd=work)
    assert check.returncode == 0, check.stderr
    assert _digest(venv) == before

    restored = run_envsnap(
        "restore", "--venv", "new", "--without-pip", "--no-index", "requirements.txt", cwd=work
    )
    assert restored.returncode == 0, restored.stderr
    again = run_envsnap("freeze", "-p", "new", cwd=work)
    assert again.returncode == 0, again.stderr
    assert again.stdout == (work / "requirements.txt").read_text(encoding="utf-8")
    assert not (work / "new" / "src").exists()
    assert _digest(venv) == before
    assert sorted(p.name for p in work.iterdir()) == ["new", "requirements.txt"]


def test_a_checkout_whose_repository_cannot_be_read_is_said(tmp_path: Path) -> None:
    """No remote: the path is what there is, and the warning says why."""
    repo = write_project(tmp_path / "venv" / "src" / "vcsdep", "vcsdep", "1.0")
    python = make_venv(tmp_path / "venv")
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "one", cwd=repo)
    pip_install(python, "--no-build-isolation", "-e", str(repo))
    done = run_envsnap("freeze", "-p", str(tmp_path / "venv"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    site = next((tmp_path / "venv").glob("lib/python3*/site-packages"))
    assert done.stderr.splitlines()[1] == (
        f"warning: {site / 'vcsdep-1.0.dist-info'}: pip's editable checkout {repo} is inside "
        "a venv, which a restore replaces, and its repository cannot be read (it has no "
        "remote): the lock names that path"
    )
    assert "-e ./venv/src/vcsdep" in done.stdout.splitlines()

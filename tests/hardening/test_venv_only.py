"""Issue 20 item 1: restore replaces only a venv, never a project that holds one.

The attack: a project made with ``python -m venv .`` (its sources, ``.git``
and lock file beside ``bin/`` and ``lib/``), then ``envsnap restore --venv .``:
the whole directory was taken for the old venv and deleted after a successful
build, exit 0. Now such a directory is refused before anything is built or
moved (exit 2, naming what was found), however it is named (``.``, relative,
absolute, a symbolic link to it) and by ``--recover`` too. Every file of the
project is hashed before and after.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING

import pytest

from envsnap.restore.target import foreign_entries
from support.venvs import make_venv, run_envsnap

if TYPE_CHECKING:
    from pathlib import Path

LOCK = """\
lock-version = "1.0"
created-by = "tests"

[[packages]]
name = "solo"
version = "1.0"
wheels = [{ url = "http://127.0.0.1:9/files/solo-1.0-py3-none-any.whl", hashes = { sha256 = "%s" } }]
""".replace("%s", "0" * 64)  # noqa: E501


def digest(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (the root's parent included) and its sha256 or link."""
    found = {}
    for path in sorted(root.parent.rglob("*")):
        key = str(path.relative_to(root.parent))
        if path.is_symlink():
            found[key] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[key] = "dir"
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``python -m venv .`` in a project that has sources, ``.git`` and its lock file."""
    root = tmp_path / "proj"
    make_venv(root)
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "__init__.py").write_text("VALUE = 1\n", encoding="utf-8")
    (root / ".git" / "refs").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n', encoding="utf-8")
    (root / "pylock.toml").write_text(LOCK, encoding="utf-8")
    return root


EXPECTED = (
    "holds .git, pylock.toml, pyproject.toml, src/app, which no venv holds; refused, "
    "nothing was built or moved"
)


@pytest.mark.parametrize("naming", ["dot", "relative", "absolute", "dry-run"])
def test_a_project_holding_a_venv_is_refused(project: Path, naming: str) -> None:
    before = digest(project)
    match naming:
        case "dot":
            done = run_envsnap("restore", "--venv", ".", cwd=project)
        case "relative":
            done = run_envsnap("restore", "proj/pylock.toml", "--venv", "proj", cwd=project.parent)
        case "absolute":
            done = run_envsnap("restore", str(project / "pylock.toml"), "--venv", str(project))
        case _:
            done = run_envsnap("restore", "--venv", ".", "--dry-run", cwd=project)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == f"error: {project}: {EXPECTED}"
    assert done.stderr.splitlines()[1].startswith("hint: envsnap replaces only a directory")
    assert done.stdout == ""
    assert digest(project) == before


def test_a_link_to_the_project_is_refused(project: Path) -> None:
    link = project.parent / "link"
    link.symlink_to(project)
    before = digest(project)
    done = run_envsnap("restore", str(project / "pylock.toml"), "--venv", str(link))
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == (
        f"error: {link}: is a symbolic link; envsnap replaces only a venv directory itself"
    )
    assert digest(project) == before


def test_recover_does_not_move_a_project(project: Path) -> None:
    """A leftover aside of ``proj`` exists; ``--recover --venv .`` must not move the project."""
    leftover = project.parent / ".proj.envsnap-old-999999"
    make_venv(leftover)
    before = digest(project)
    done = run_envsnap("restore", "--recover", "--venv", ".", cwd=project)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0] == f"error: {project}: {EXPECTED}"
    assert digest(project) == before


def test_a_plain_venv_is_still_only_a_venv(tmp_path: Path) -> None:
    """What venv tools and installs put at a venv's top is a venv's, and nothing else."""
    venv = tmp_path / "venv"
    make_venv(venv)
    for name in (".gitignore", "CACHEDIR.TAG", ".lock", ".project"):
        (venv / name).write_text("", encoding="utf-8")
    assert foreign_entries(venv) == []
    site = next((venv / "lib").glob("python3*/site-packages"))
    info = site / "tool-1.0.dist-info"
    info.mkdir()
    # a data file (PEP 427 .data/data) lands at the venv's top: its RECORD row says so
    (venv / "share" / "man").mkdir(parents=True)
    (venv / "share" / "man" / "tool.1").write_text("", encoding="utf-8")
    (info / "RECORD").write_text(
        "../../../share/man/tool.1,,\ntool-1.0.dist-info/RECORD,,\n", encoding="utf-8"
    )
    # pip checks an editable VCS install out into the venv's src/NAME (PEP 610 records it)
    (venv / "src" / "vcsdep" / ".git").mkdir(parents=True)
    (info.parent / "vcsdep-1.0.dist-info").mkdir()
    (info.parent / "vcsdep-1.0.dist-info" / "direct_url.json").write_text(
        json.dumps({"url": (venv / "src" / "vcsdep").as_uri(), "dir_info": {"editable": True}}),
        encoding="utf-8",
    )
    assert foreign_entries(venv) == []
    (venv / "src" / "mine").mkdir()
    (venv / "notes.md").write_text("", encoding="utf-8")
    (venv / "lib" / "extra.txt").write_text("", encoding="utf-8")  # inside the layout: the venv's
    assert foreign_entries(venv) == ["notes.md", "src/mine"]

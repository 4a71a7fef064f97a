"""Issue 20 items 9 and 10, and issue 22 item 5's hint: targets a restore cannot take.

- the venv envsnap itself runs from (the README's set-up): it would be gone
  half way; refused before anything is built (was: ``ModuleNotFoundError``
  after the rename, exit 1);
- a mount point (a Docker named volume) and a target in a read-only
  directory: one line, exit 3, the old venv untouched (was: a traceback, and
  a mount point that could never be restored again);
- a file whose wheels are for another Python: the hint names ``--python X.Y``.

Mounts need root, as this machine's tests run.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.venvs import clean_env, make_venv, run_envsnap
from support.wheels import build_wheel

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

SRC = Path(__file__).resolve().parents[2] / "src"
LOCK = (
    "# envsnap 0.1.0 freeze - CPython {py}, linux x86_64 - 1 top-level, 0 transitive\n"
    "# top-level\nsolo==1.0\n# transitive\n"
)
PY = "{}.{}.{}".format(*sys.version_info[:3])


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file() and not p.is_symlink()
        else "-"
        for p in sorted(root.rglob("*"))
    }


def test_the_venv_envsnap_runs_from_is_refused(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    python = make_venv(venv)
    (tmp_path / "requirements.txt").write_text(LOCK.format(py=PY), encoding="utf-8")
    before = digest(venv)
    # envsnap running from that venv: its interpreter, envsnap and its dependencies on the path
    site = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    done = subprocess.run(
        [str(python), "-m", "envsnap", "restore", "--venv", ".venv"],
        cwd=tmp_path,
        env=clean_env(PYTHONPATH=f"{SRC}{os.pathsep}{site}"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-2:] == [
        f"error: {venv}: envsnap runs from this venv ({python}); replacing it would remove "
        "envsnap half way through",
        "hint: run envsnap from an environment of its own: `uv tool install envsnap`, pipx, "
        "or another venv",
    ]
    assert digest(venv) == before


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs mounted in the test's directory (root only), unmounted afterwards."""
    mount = tmp_path / "volume"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_mount_point_is_refused_with_what_to_do(tmp_path: Path, tmpfs: Path) -> None:
    make_venv(tmpfs)  # the Docker named-volume pattern: the volume is the venv
    (tmp_path / "requirements.txt").write_text(LOCK.format(py=PY), encoding="utf-8")
    before = digest(tmpfs)
    done = run_envsnap("restore", "--venv", str(tmpfs), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines()[-2:] == [
        f"error: {tmpfs}: is a mount point; restore moves the old venv aside while it builds "
        "the new one, and a mount point cannot be moved; nothing was built",
        f"hint: restore into a directory inside the volume (--venv {tmpfs / '.venv'}), or "
        "mount the volume one level up",
    ]
    assert "Traceback" not in done.stderr
    assert digest(tmpfs) == before


def test_a_read_only_parent_is_one_line_and_keeps_the_venv(
    tmp_path: Path, tmpfs: Path, wheelhouse: Path
) -> None:
    venv = tmpfs / "proj" / ".venv"
    make_venv(venv)
    (tmp_path / "requirements.txt").write_text(LOCK.format(py=PY), encoding="utf-8")
    before = digest(venv)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    done = run_envsnap(
        "restore", "--venv", str(venv), "--without-pip", "--no-index",
        "--find-links", str(wheelhouse), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    name = next(iter(done.stderr.split("cannot move it aside to ")[1:]), "").split(" ")[0]
    assert done.stderr.splitlines()[-2:] == [
        f"error: {venv}: cannot move it aside to {name} (Read-only file system); nothing was "
        "changed",
        f"hint: restore keeps the old venv beside it while it builds: it needs to write to "
        f"{venv.parent}",
    ]
    assert digest(venv) == before


def test_wheels_for_another_python_name_it_in_the_hint(tmp_path: Path) -> None:
    other = "3.12" if sys.version_info[:2] != (3, 12) else "3.13"
    tag = "cp" + other.replace(".", "")
    wheel = build_wheel(
        tmp_path / "files", "cponly", "1.0", tag=f"{tag}-{tag}-manylinux_2_17_x86_64"
    )
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "pip"\n\n[[packages]]\nname = "cponly"\n'
        f'version = "1.0"\nwheels = [{{ path = "files/{wheel.name}", hashes = {{ sha256 = '
        f'"{sha}" }} }}]\n',
        encoding="utf-8",
    )
    done = run_envsnap(
        "restore", "--venv", "new", "--without-pip", "--python", sys.executable, cwd=tmp_path,
        env={"UV_CACHE_DIR": str(tmp_path / "uv")},
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"hint: the file was made for Python {other} and the venv is {PY}: restore with "
        f"--python {other}; nothing was replaced"
    )
    assert not (tmp_path / "new").exists()

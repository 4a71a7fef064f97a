"""Issue 20 item 13: a lock whose hashes are sha384 or sha512 only restores, and is enforced.

The attack (round 3): pip accepts ``--hash=sha384:`` and ``--hash=sha512:``
alone, envsnap's built-in installer refused them, and only after the venv was
built. The built-in installer is gone: uv (or pip) installs and checks every
hash pip accepts. These tests replay it: such a lock restores with either
installer, in both formats, and a wrong sha512 stops the restore with the old
venv untouched.
"""

from __future__ import annotations

import hashlib
import sys
from typing import TYPE_CHECKING

import pytest

from support.venvs import make_venv, pip_freeze, run_envsnap, uv_install, venv_python

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

PY = "{}.{}.{}".format(*sys.version_info[:3])
HEADER = f"# envsnap 0.1.0 freeze - CPython {PY}, linux x86_64 - 1 top-level, 0 transitive\n"
HEADER_TWO = f"# envsnap 0.1.0 freeze - CPython {PY}, linux x86_64 - 2 top-level, 0 transitive\n"
SOLO = "solo-1.0-py3-none-any.whl"
GAMMA = "gamma-1.0-py3-none-any.whl"


def _digest(path: Path, algorithm: str) -> str:
    return hashlib.new(algorithm, path.read_bytes()).hexdigest()


def _listing(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file() and not p.is_symlink()
        else "-"
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_requirements_lock_with_only_strong_hashes_restores(
    tmp_path: Path, wheelhouse: Path, loopback_index: str, installer: str
) -> None:
    """One lock, one restore per installer: gamma has only a sha384, solo only a sha512."""
    gamma = _digest(wheelhouse / GAMMA, "sha384")
    solo = _digest(wheelhouse / SOLO, "sha512")
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        f"{HEADER_TWO}# top-level\ngamma==1.0 \\\n    --hash=sha384:{gamma}\n"
        f"solo==1.0 \\\n    --hash=sha512:{solo}\n# transitive\n",
        encoding="utf-8",
    )
    done = run_envsnap(
        "restore", "--installer", installer, "--index-url", loopback_index, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert pip_freeze(venv_python(tmp_path / ".venv"), "--exclude", "pip") == [
        "gamma==1.0",
        "solo==1.0",
    ]
    check = run_envsnap("check", "-p", ".venv", "requirements.txt", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".venv", "requirements.txt"]


def test_a_pylock_with_only_a_sha512_restores(
    tmp_path: Path, wheelhouse: Path, loopback_index: str
) -> None:
    url = loopback_index.removesuffix("simple/") + f"files/{SOLO}"
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "tests"\n\n[[packages]]\nname = "solo"\n'
        f'version = "1.0"\n\n[[packages.wheels]]\nurl = "{url}"\n'
        f'hashes = {{ sha512 = "{_digest(wheelhouse / SOLO, "sha512")}" }}\n',
        encoding="utf-8",
    )
    done = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert pip_freeze(venv_python(tmp_path / ".venv")) == ["solo==1.0"]


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_wrong_sha512_stops_the_restore(
    tmp_path: Path, wheelhouse: Path, loopback_index: str, installer: str
) -> None:
    # the old venv: its content matters here, not which installer made it
    uv_install(make_venv(tmp_path / ".venv"), "omega==1.0", find_links=wheelhouse)
    (tmp_path / "requirements.txt").write_text(
        f"{HEADER}# top-level\nsolo==1.0 \\\n    --hash=sha512:{'0' * 128}\n# transitive\n",
        encoding="utf-8",
    )
    before = _listing(tmp_path)
    done = run_envsnap(
        "restore", "--installer", installer, "--index-url", loopback_index, cwd=tmp_path
    )
    assert done.returncode == 3, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith(("error:", "hint:"))]
    assert errors == [
        f"error: {installer} could not install the lock's packages (exit 1)",
        "hint: a downloaded file does not match the hash in the lock file: the file or the "
        "index changed; nothing was replaced",
    ]
    assert "0" * 128 in done.stderr
    assert _listing(tmp_path) == before

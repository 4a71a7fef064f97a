"""``envsnap check`` / ``diff`` / ``tree`` on real venvs built from the test wheelhouse."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from support.venvs import make_venv, pip_install, run_envsnap, venv_root

if TYPE_CHECKING:
    from pathlib import Path

# one xdist worker runs the module: its module-scoped venvs are built once, not per worker
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("check-venv")]


def _frozen(work: Path, wheelhouse: Path) -> tuple[Path, Path]:
    python = make_venv(work / "venv")
    pip_install(python, "alpha", "omega==1.0", find_links=wheelhouse)
    for name in ("requirements.txt", "pylock.toml"):
        done = run_envsnap(
            "freeze", "-p", str(python), "-o", name, "--find-links", str(wheelhouse), cwd=work
        )
        assert done.returncode == 0, done.stderr
    return python, work


@pytest.fixture
def frozen(tmp_path: Path, wheelhouse: Path) -> tuple[Path, Path]:
    """A venv with alpha -> beta -> gamma and omega 1.0, frozen to both formats."""
    return _frozen(tmp_path, wheelhouse)


@pytest.fixture(scope="module")
def shared_frozen(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> tuple[Path, Path]:
    """Like ``frozen``, shared by the tests of this module that put back what they change."""
    return _frozen(tmp_path_factory.mktemp("check"), wheelhouse)


def test_install_after_freeze_is_drift(frozen: tuple[Path, Path], wheelhouse: Path) -> None:
    python, work = frozen
    env = venv_root(python)
    clean = run_envsnap("check", "-p", str(python), cwd=work)  # pylock.toml comes first
    assert (clean.returncode, clean.stdout) == (
        0,
        f"OK pylock.toml matches env {env} (4 packages)\n",
    )

    pip_install(python, "solo", "omega==2.0", find_links=wheelhouse)
    drift = run_envsnap("check", "requirements.txt", "-p", str(python), cwd=work)
    assert drift.returncode == 1, drift.stderr
    assert drift.stdout == (
        "extra (1):\n"
        f"  solo==1.0 is in env {env} but not in requirements.txt\n"
        "version changed (1):\n"
        f"  omega: requirements.txt has 1.0, env {env} has 2.0  (line 4)\n"
        f"drift: 1 extra, 1 changed (requirements.txt vs env {env})\n"
    )
    github = run_envsnap("check", "-p", str(python), "--format", "github", cwd=work)
    assert github.returncode == 1
    lock_text = (work / "pylock.toml").read_text(encoding="utf-8").splitlines()
    omega_line = lock_text.index('name = "omega"') + 1
    assert github.stdout == (
        f"::error file=pylock.toml,title=envsnap%3A extra::solo==1.0 is in env {env} "
        "but not in pylock.toml\n"
        f"::error file=pylock.toml,line={omega_line},title=envsnap%3A version changed::"
        f"omega: pylock.toml has 1.0, env {env} has 2.0\n"
        f"drift: 1 extra, 1 changed (pylock.toml vs env {env})\n"
    )

    diff = run_envsnap("diff", "requirements.txt", str(env), "--format", "json", cwd=work)
    assert diff.returncode == 1
    data = json.loads(diff.stdout)
    assert [(c["kind"], c["package"], c["file"], c["line"]) for c in data["changes"]] == [
        ("extra", "solo", "requirements.txt", None),
        ("changed", "omega", "requirements.txt", 4),
    ]


def test_edited_file_is_named_by_verify_files(shared_frozen: tuple[Path, Path]) -> None:
    python, work = shared_frozen
    env = venv_root(python)
    (site,) = env.glob("lib/python*/site-packages")
    clean = run_envsnap("check", "requirements.txt", "-p", str(python), "--verify-files", cwd=work)
    assert clean.returncode == 0
    edited = site / "beta" / "__init__.py"
    deleted = site / "gamma" / "__init__.py"
    originals = {edited: edited.read_bytes(), deleted: deleted.read_bytes()}
    try:
        edited.write_bytes(originals[edited] + b"patched = True\n")
        deleted.unlink()
        done = run_envsnap(
            "check", "requirements.txt", "-p", str(python), "--verify-files", cwd=work
        )
        without = run_envsnap("check", "-p", str(python), cwd=work)
    finally:
        for path, data in originals.items():
            path.write_bytes(data)
    assert done.returncode == 1, done.stderr
    assert done.stdout == (
        "installed files modified (1):\n"
        "  beta: beta/__init__.py was changed after install (its RECORD hash differs)\n"
        "installed files missing (1):\n"
        "  gamma: gamma/__init__.py was deleted after install (it is listed in RECORD)\n"
        f"drift: 1 file-modified, 1 file-missing (requirements.txt vs env {env})\n"
    )
    assert without.returncode == 0


def test_tree_of_real_venv(shared_frozen: tuple[Path, Path]) -> None:
    python, work = shared_frozen
    done = run_envsnap("tree", "-p", str(python), cwd=work)
    assert (done.returncode, done.stdout) == (
        0,
        "alpha==1.0\n"
        "└── beta==1.0 [required: >=1]\n"
        "    └── gamma==1.0 [required: any]\n"
        "omega==1.0\n",
    )


def test_pips_install_of_envsnaps_pylock_checks_clean(
    tmp_path: Path, wheelhouse: Path, loopback_index: str
) -> None:
    # pip marks every package of a pylock.toml REQUESTED (issue 22): epsilon is no longer
    # explained by delta[fast]; the environment is the same, so that is not drift
    source = make_venv(tmp_path / "source")
    pip_install(source, "delta[fast]", find_links=wheelhouse)
    frozen = run_envsnap(
        "freeze",
        "-p",
        str(source),
        "-o",
        "pylock.toml",
        "--index-url",
        loopback_index,
        cwd=tmp_path,
    )
    assert frozen.returncode == 0, frozen.stderr
    assert '[tool.envsnap.extras]\ndelta = ["fast"]\n' in (tmp_path / "pylock.toml").read_text(
        encoding="utf-8"
    )
    target = make_venv(tmp_path / "target")
    pip_install(target, "-r", str(tmp_path / "pylock.toml"), index_url=loopback_index)
    env = venv_root(target)
    done = run_envsnap("check", "-p", str(target), "-q", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"OK pylock.toml matches env {env} (2 packages)\n")
    shown = run_envsnap("check", "-p", str(target), "-v", cwd=tmp_path)
    assert (shown.returncode, shown.stdout) == (
        0,
        "extras changed (not drift) (1):\n"
        f"  delta: pylock.toml has delta[fast], env {env} has delta  (line 7)\n"
        "reclassified (not drift) (1):\n"
        "  epsilon: transitive (via delta[fast]) in pylock.toml, top-level (requested) in "
        f"env {env}  (line 16)\n"
        f"OK pylock.toml matches env {env} (2 packages; 1 extras-changed, 1 reclassified "
        "(not drift))\n",
    )

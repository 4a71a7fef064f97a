"""A portable lock for Pythons older than an installed transitive pin allows (issue 22 item 8).

The venv is made with this interpreter (3.11) from a loopback index: ``top``
(any Python from 3.8) requires ``helper``, installed at 2.0, which needs Python
3.11; ``helper`` 1.0 (with its own dependency ``compat``) is on the index for
older Pythons. ``newtop``, also top-level, needs Python 3.10: asked for
3.9-3.13, the lock leaves 3.9 out and says so, and covers 3.10 with a second,
older ``helper`` entry. The files are then installed by pip into venvs of
Python 3.10 and 3.13 and imported there.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import tomllib
from packaging.markers import Marker

from envsnap.lockfiles.readers import read_lock
from support.index import serve_index
from support.venvs import make_venv, pip_install, run_checked, run_envsnap
from support.wheels import build_wheel

if TYPE_CHECKING:
    from collections.abc import Iterator

# one xdist worker runs the module: its module-scoped venvs are built once, not per worker
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("portable-pythons")]

PINS = [
    'compat==1.0 ; python_version < "3.11"',
    'helper==1.0 ; python_version < "3.11"',
    'helper==2.0 ; python_version >= "3.11"',
    "newtop==1.0",
    "top==1.0",
]
NARROWED = "newtop==1.0 requires Python >=3.10: Python 3.9 left out"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("pythons-index")
    build_wheel(root, "top", "1.0", requires=["helper>=1"], requires_python=">=3.8")
    build_wheel(root, "newtop", "1.0", requires_python=">=3.10")
    build_wheel(root, "helper", "1.0", requires=["compat"], requires_python=">=3.8")
    build_wheel(root, "helper", "2.0", requires_python=">=3.11")
    build_wheel(root, "compat", "1.0")
    with serve_index(root) as url:
        yield url


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, index: str) -> Path:
    assert sys.version_info[:2] >= (3, 11), "helper 2.0 needs Python 3.11"
    python = make_venv(tmp_path_factory.mktemp("pythons") / "venv")
    pip_install(python, "top", "newtop", index_url=index)
    return python


def freeze(venv: Path, index: str, tmp_path: Path, name: str) -> tuple[Path, list[str]]:
    out = tmp_path / name
    proc = run_envsnap(
        "freeze", "-p", str(venv), "--portable", "--index-url", index,
        "--python-version", "3.9-3.13", "-o", str(out),
        env={"ENVSNAP_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return out, proc.stderr.splitlines()


def test_requirements_cover_older_pythons_with_a_second_entry(
    venv: Path, index: str, tmp_path: Path
) -> None:
    out, stderr = freeze(venv, index, tmp_path, "portable.txt")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[1:3] == ["# requires-python: <3.14,>=3.10", "# python: 3.10, 3.11, 3.12, 3.13"]
    assert f"# narrowed: {NARROWED}" in lines
    assert [line for line in lines if not line.startswith("#")] == PINS
    assert f"warning: {NARROWED}" in stderr
    assert (
        "note: an installed version's Requires-Python leaves these targets out, so they get "
        "another version: helper==1.0 on Python 3.10 (installed: 2.0)"
    ) in stderr
    assert stderr[-1] == f"wrote {out}: 5 pins for 20 targets"
    # the readers keep both helper entries, each with its marker
    lock = read_lock(out)
    helpers = [(str(p.version), str(p.marker)) for p in lock.packages if p.name == "helper"]
    assert helpers == [("1.0", 'python_version < "3.11"'), ("2.0", 'python_version >= "3.11"')]


def test_pylock_covers_older_pythons_with_a_second_entry(
    venv: Path, index: str, tmp_path: Path
) -> None:
    out, _ = freeze(venv, index, tmp_path, "pylock.toml")
    data = tomllib.loads(out.read_text(encoding="utf-8"))
    assert data["requires-python"] == "<3.14,>=3.10"
    pins = [
        f"{p['name']}=={p['version']}" + (f" ; {Marker(p['marker'])}" if "marker" in p else "")
        for p in data["packages"]
    ]
    assert pins == PINS
    assert data["tool"]["envsnap"]["narrowed"] == {
        "newtop==1.0": {"requires-python": ">=3.10", "left-out": ["3.9"]}
    }
    lock = read_lock(out)
    assert [(p.name, str(p.version)) for p in lock.packages if p.name == "helper"] == [
        ("helper", "1.0"),
        ("helper", "2.0"),
    ]


def _pyenv_python(version: str) -> str:
    # real interpreters only: pyenv's shims on PATH may not run the version asked for
    found = sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/python{version}"))
    if not found:
        pytest.skip(f"no pyenv Python {version} on this machine")
    return str(found[-1])


@pytest.mark.parametrize("name", ["portable.txt", "pylock.toml"])
@pytest.mark.parametrize(("version", "helper"), [("3.10", "1.0"), ("3.13", "2.0")])
def test_pip_installs_it_on_older_and_newer_pythons(
    venv: Path, index: str, tmp_path: Path, name: str, version: str, helper: str
) -> None:
    out, _ = freeze(venv, index, tmp_path, name)
    target = tmp_path / f"py{version}"
    run_checked([_pyenv_python(version), "-m", "venv", "--without-pip", str(target)])
    python = target / "bin" / "python"
    pip_install(python, "-r", str(out), index_url=index)
    imported = run_checked(
        [str(python), "-c", "import top, newtop, helper; print(helper.__version__)"]
    )
    assert imported.strip() == helper
    listed = run_checked([sys.executable, "-m", "pip", "--python", str(python), "list"])
    names = {line.split()[0] for line in listed.splitlines()[2:]}
    assert names == {"top", "newtop", "helper"} | ({"compat"} if version == "3.10" else set())

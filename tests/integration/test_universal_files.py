"""Files that pin one name once per marker, written by uv and by envsnap, against real venvs.

``uv pip compile --universal --python-version 3.9``, ``uv export`` (requirements
and pylock.toml) and ``envsnap freeze --portable --python-version 3.8-3.13``
all write ``clicky==8.1.8 ; python_full_version < '3.10'`` next to
``clicky==8.5.1 ; python_full_version >= '3.10'`` (or, for envsnap, two
tomli pins). Every file is read, a venv is made from it by uv on Python 3.9,
3.11 and 3.13, and ``check`` and ``diff`` of that venv against the file are
clean (issue 22). Offline: the wheels are built here, with version-dependent
requirements, and served from a loopback index.
"""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from envsnap.install.venvs import find_base_interpreter
from envsnap.lockfiles.readers import read_lock
from support.index import serve_index
from support.venvs import clean_env, run_envsnap
from support.wheels import build_wheel

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# one xdist worker runs the module: its module-scoped venvs are built once, not per worker
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("universal-files")]

PYTHONS = ("3.9", "3.11", "3.13")
UV = (sys.executable, "-m", "uv")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A loopback index of wheels whose requirements depend on the Python and the platform."""
    wheels = tmp_path_factory.mktemp("universal-wheels")
    windows = ['colorama; platform_system == "Windows"']
    build_wheel(wheels, "clicky", "8.1.8", requires=windows, requires_python=">=3.7")
    build_wheel(wheels, "clicky", "8.5.1", requires=windows, requires_python=">=3.10")
    build_wheel(wheels, "colorama", "0.4.6")
    build_wheel(wheels, "tomli", "2.0.1", requires_python=">=3.7")
    build_wheel(wheels, "tomli", "2.2.1", requires_python=">=3.9")
    build_wheel(wheels, "pywin", "306")
    build_wheel(
        wheels,
        "app",
        "1.0",
        requires=["clicky>=8", 'tomli; python_version < "3.11"', 'pywin; sys_platform == "win32"'],
    )
    build_wheel(wheels, "h2", "4.2.0")
    build_wheel(wheels, "httpx", "0.28.1", extras={"http2": ["h2"]})
    with serve_index(wheels) as url:
        yield url


def uv(*args: str, cache: Path, cwd: Path | None = None) -> str:
    """Run uv with no configuration, no Python download, its cache under the test's dir."""
    env = clean_env(UV_PYTHON_DOWNLOADS="never", UV_CACHE_DIR=str(cache))
    done = subprocess.run(
        [*UV, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"uv {' '.join(args)}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, index: str) -> dict[str, Path]:
    """The four files, written by uv and by envsnap from the loopback index."""
    work = tmp_path_factory.mktemp("universal")
    cache = work / "uv-cache"
    (work / "requirements.in").write_text("app\nhttpx[http2]\n", encoding="utf-8")
    compiled = work / "compiled.txt"
    uv(
        *("pip", "compile", "--no-config", "--universal", "--python-version", "3.9"),
        *("--index-url", index, "-o", str(compiled), str(work / "requirements.in")),
        cache=cache,
    )
    project = work / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "0.1"\nrequires-python = ">=3.9"\n'
        'dependencies = ["app", "httpx[http2]"]\n',
        encoding="utf-8",
    )
    uv("lock", "--no-config", "--index-url", index, cache=cache, cwd=project)
    exported = work / "exported.txt"
    exported_lock = work / "pylock.exported.toml"
    uv("export", "--no-config", "--frozen", "-o", str(exported), cache=cache, cwd=project)
    uv(
        *("export", "--no-config", "--frozen", "--format", "pylock.toml"),
        *("-o", str(exported_lock)),
        cache=cache,
        cwd=project,
    )
    # envsnap's own: a 3.11 venv whose pins every Python from 3.8 allows
    source = work / "source"
    uv("venv", "--no-config", "-q", "-p", str(python("3.11")), str(source), cache=cache)
    uv(
        *("pip", "install", "--no-config", "--python", str(source / "bin" / "python")),
        *("--index-url", index, "app", "clicky==8.1.8", "httpx[http2]"),
        cache=cache,
    )
    portable = work / "portable.txt"
    done = run_envsnap(
        *("freeze", "-p", str(source), "--portable", "--python-version", "3.8-3.13"),
        *("--index-url", index, "-o", str(portable)),
    )
    assert done.returncode == 0, done.stderr
    return {
        "compiled": compiled,
        "exported": exported,
        "exported-lock": exported_lock,
        "portable": portable,
    }


def python(version: str) -> Path:
    return find_base_interpreter(None, python=version).path


def test_every_file_pins_one_name_once_per_marker(files: dict[str, Path]) -> None:
    def pins(kind: str) -> list[tuple[str, str, str | None]]:
        lock = read_lock(files[kind])
        return [
            (p.name, str(p.version), str(p.marker) if p.marker else None)
            for p in lock.packages
            if p.name in {"clicky", "tomli"}
        ]

    universal = [
        ("clicky", "8.1.8", 'python_full_version < "3.10"'),
        ("clicky", "8.5.1", 'python_full_version >= "3.10"'),
        ("tomli", "2.2.1", 'python_full_version < "3.11"'),
    ]
    assert pins("compiled") == pins("exported") == pins("exported-lock") == universal
    assert pins("portable") == [
        ("clicky", "8.1.8", None),
        ("tomli", "2.0.1", 'python_version < "3.9"'),
        ("tomli", "2.2.1", 'python_version < "3.11" and python_version >= "3.9"'),
    ]


@pytest.mark.parametrize("version", PYTHONS)
@pytest.mark.parametrize("kind", ["compiled", "exported", "exported-lock", "portable"])
def test_check_and_diff_are_clean_on_a_venv_made_from_the_file(
    files: dict[str, Path], index: str, tmp_path: Path, kind: str, version: str
) -> None:
    venv = tmp_path / "venv"
    cache = tmp_path / "uv-cache"
    uv("venv", "--no-config", "-q", "-p", str(python(version)), str(venv), cache=cache)
    target = ("--python", str(venv / "bin" / "python"), "--index-url", index)
    if kind == "exported-lock":  # what a lock promises, installed as it is
        uv(
            "pip",
            "install",
            "--no-config",
            "--no-deps",
            *target,
            "-r",
            str(files[kind]),
            cache=cache,
        )
    else:
        uv("pip", "sync", "--no-config", *target, str(files[kind]), cache=cache)
    for command in (
        ("check", str(files[kind]), "-p", str(venv)),
        ("diff", str(files[kind]), str(venv)),
    ):
        done = run_envsnap(*command, "-q", cwd=tmp_path)
        assert (done.returncode, done.stderr) == (0, ""), done.stdout
        assert done.stdout.startswith(f"OK {files[kind]} matches env {venv} (")

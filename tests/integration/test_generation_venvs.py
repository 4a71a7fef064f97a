"""The generation invariant on real venvs made by pip and by uv (issue 12).

Wheels built here, installed offline: nested extras three levels deep
(``app[x]`` -> ``mid[x]`` -> ``leaf[x]`` -> ``deep``), an extra that is
satisfied but was never asked for (``app[y]`` needs ``solo2``, which the user
named by itself), and a self-referencing extra (``p[all]`` requires
``p[io,viz]``; only ``p[io]`` is installed). For each venv:

- ``freeze --top-level-only`` gives the exact lines (on the pip-made venv:
  exactly what was named on the pip command line, with its extras);
- pip (``install --dry-run --report``) and uv (``pip compile``) resolving the
  top-level file with the full freeze as constraints give exactly the venv's
  set of distributions;
- ``check`` of the venv against both files is clean (exit 0).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import pytest

from envsnap import __version__
from support.venvs import (
    git,
    make_venv,
    pip_freeze,
    pip_install,
    run_checked,
    run_envsnap,
)
from support.wheels import build_wheel, write_project

if TYPE_CHECKING:
    from pathlib import Path

# one xdist worker runs the module: its module-scoped venvs are built once, not per worker
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("generation-venvs")]

NAMED = ["app[x]", "solo2", "p[io]"]
INSTALLED = {"app", "mid", "leaf", "deep", "solo2", "p", "pio"}
TOOLS = {"pip", "setuptools", "wheel"}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("gen-wheels")
    build_wheel(dest, "app", "1.0", extras={"x": ["mid[x]"], "y": ["solo2"]})
    build_wheel(dest, "mid", "1.0", extras={"x": ["leaf[x]"]})
    build_wheel(dest, "leaf", "1.0", extras={"x": ["deep"]})
    build_wheel(dest, "deep", "1.0")
    build_wheel(dest, "solo2", "1.0")
    build_wheel(dest, "p", "1.0", extras={"all": ["p[io,viz]"], "io": ["pio"], "viz": ["pviz"]})
    build_wheel(dest, "pio", "1.0")
    build_wheel(dest, "pviz", "1.0")
    return dest


@pytest.fixture(scope="module")
def pip_venv(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Path:
    python = make_venv(tmp_path_factory.mktemp("gen-pip") / "venv")
    pip_install(python, *NAMED, find_links=wheels)
    return python


@pytest.fixture(scope="module")
def uv_venv(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Path:
    python = make_venv(tmp_path_factory.mktemp("gen-uv") / "venv")
    run_checked(
        [
            *(sys.executable, "-m", "uv", "pip", "install", "--no-config", "--offline"),
            *("--python", str(python), "--no-index", "--find-links", str(wheels), *NAMED),
        ]
    )
    return python


def freeze(python: Path, *args: str) -> str:
    # run outside any project: a pyproject.toml in the cwd would count as declared
    result = run_envsnap("freeze", "-p", str(python), "-q", *args, cwd=python.parent)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout


def header(python: Path, count: str) -> str:
    version = ".".join(map(str, sys.version_info[:3]))
    import platform  # noqa: PLC0415

    where = f"{platform.system().lower()} {platform.machine()}"
    return f"# envsnap {__version__} freeze - CPython {version}, {where} - {count}"


def installed_names(python: Path) -> set[str]:
    names = {line.split("==")[0].lower() for line in pip_freeze(python)}
    return names - TOOLS


def pip_resolves(python: Path, wheels: Path, top: Path, full: Path) -> set[str]:
    """Names pip would install for ``-r top -c full`` into an empty env (dry run)."""
    out = run_checked(
        [
            *(sys.executable, "-m", "pip", "--python", str(python), "install", "--dry-run"),
            *("--ignore-installed", "--quiet", "--report", "-", "--no-index"),
            *("--find-links", str(wheels), "-r", str(top), "-c", str(full)),
        ]
    )
    report = json.loads(out)
    return {item["metadata"]["name"].lower() for item in report["install"]}


def uv_resolves(python: Path, wheels: Path, top: Path, full: Path) -> set[str]:
    """Names ``uv pip compile top -c full`` pins."""
    out = run_checked(
        [
            *(sys.executable, "-m", "uv", "pip", "compile", "--no-config", "--offline"),
            *("--quiet", "--python", str(python), "--no-index", "--find-links", str(wheels)),
            *("--no-header", "--no-annotate", str(top), "-c", str(full)),
        ]
    )
    return {line.split("==")[0].split("[")[0].lower() for line in out.split() if "==" in line}


@pytest.mark.parametrize(
    ("made_by", "expected"),
    [
        # pip: exactly what was named, with its extras
        ("pip", ["app[x]==1.0", "p[io]==1.0", "solo2==1.0"]),
        # uv: REQUESTED everywhere carries no signal; every package the extras
        # explain stays visible, the extras are still written (app[y] too: it
        # explains solo2, which may just as well have been named)
        (
            "uv",
            [
                "app[x,y]==1.0",
                "deep==1.0",
                "leaf==1.0",
                "mid==1.0",
                "p[io]==1.0",
                "pio==1.0",
                "solo2==1.0",
            ],
        ),
    ],
)
def test_top_level_lines_regenerate_the_venv(
    made_by: str,
    expected: list[str],
    request: pytest.FixtureRequest,
    wheels: Path,
    tmp_path: Path,
) -> None:
    python: Path = request.getfixturevalue(f"{made_by}_venv")
    assert installed_names(python) == INSTALLED
    top = tmp_path / "top.txt"
    full = tmp_path / "full.txt"
    top.write_text(freeze(python, "--top-level-only"), encoding="utf-8")
    full.write_text(freeze(python), encoding="utf-8")
    assert top.read_text(encoding="utf-8").splitlines() == [
        header(python, f"{len(expected)} top-level"),
        "# top-level",
        *expected,
    ]
    pins = [line for line in full.read_text(encoding="utf-8").splitlines() if "==" in line]
    assert not [line for line in pins if "[" in line]  # usable as pip constraints
    assert pip_resolves(python, wheels, top, full) == INSTALLED
    assert uv_resolves(python, wheels, top, full) == INSTALLED
    for lock in (full, top):
        result = run_envsnap("check", "-p", str(python), "-q", str(lock), cwd=tmp_path)
        assert (result.returncode, result.stderr) == (0, ""), result.stdout


def test_pip_made_venv_explains_each_package(pip_venv: Path, tmp_path: Path) -> None:
    result = run_envsnap(
        "freeze", "-p", str(pip_venv), "--explain", "deep", "--explain", "app", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "deep 1.0: transitive (via leaf[x])\n"
        "  REQUESTED: no\n"
        "  INSTALLER: pip\n"
        "  required by:\n"
        '    leaf[x] (deep; extra == "x")\n'
        "  extras in effect: none\n"
        "\n"
        "app 1.0: top-level (requested)\n"
        "  REQUESTED: yes: the user named it when installing\n"
        "  INSTALLER: pip\n"
        "  required by: nothing installed\n"
        "  extras in effect: x\n"
        "  inferred: app[x], which explains deep, leaf, mid\n"
    )
    version = ".".join(map(str, sys.version_info[:3]))
    assert result.stderr == f"Using environment at: {pip_venv.parent.parent} (Python {version})\n"
    summary = run_envsnap("freeze", "-p", str(pip_venv), "-o", "out.txt", cwd=tmp_path)
    assert summary.stderr.splitlines()[1] == (
        "top-level: 3 (3 requested); extras inferred: app[x], p[io]"
    )


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_with_editable_vcs_and_url_installs_too(
    installer: str, wheels: Path, tmp_path: Path
) -> None:
    # pip: "Editable requirements are not allowed as constraints"; uv: "Unnamed
    # requirements are not allowed as constraints" (issue 22). The top-level file
    # installs every editable, the constraints name it (freeze --constraints)
    repo = write_project(tmp_path / "gitlib", "gitlib", "1.0", requires=["deep"])
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-q", "-m", "one", cwd=repo)
    commit = git("rev-parse", "HEAD", cwd=repo)
    edlib = write_project(tmp_path / "edlib", "edlib", "1.0", requires=["solo2"])
    with (edlib / "pyproject.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[project]\nname = "edlib"\nversion = "1.0"\ndependencies = ["solo2"]\n')
    archive = build_wheel(tmp_path / "files", "arclib", "1.0", requires=["pio"])
    source = make_venv(tmp_path / "source")
    named = ["app[x]", f"gitlib @ git+{repo.as_uri()}@{commit}", "-e", str(edlib), archive.as_uri()]
    pip_install(source, *named, find_links=wheels)
    top, constraints = tmp_path / "top.txt", tmp_path / "constraints.txt"
    top.write_text(freeze(source, "--top-level-only"), encoding="utf-8")
    constraints.write_text(freeze(source, "--constraints"), encoding="utf-8")
    assert "# editable: edlib" in constraints.read_text(encoding="utf-8").splitlines()
    target = make_venv(tmp_path / "target")
    options = ("--no-index", "--find-links", str(wheels), "-r", str(top), "-c", str(constraints))
    if installer == "pip":
        pip_install(target, *options[3:], find_links=wheels)
    else:
        run_checked(
            [
                *(sys.executable, "-m", "uv", "pip", "install", "--no-config", "--offline"),
                *("--python", str(target), *options),
            ]
        )
    same = run_envsnap("diff", "-q", str(source.parent.parent), str(target.parent.parent))
    assert (same.returncode, same.stderr) == (0, ""), same.stdout
    for lock in (top, constraints):
        result = run_envsnap("check", "-p", str(target), "-q", str(lock), cwd=tmp_path)
        assert (result.returncode, result.stderr) == (0, ""), result.stdout

"""``envsnap freeze`` on real venvs, with wheels built by the tests and installed offline.

Every venv is made by the stdlib ``venv`` (no pip inside); the host pip
installs into it with ``--no-index --find-links`` (see ``support.venvs``).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import stat
import sys
from typing import TYPE_CHECKING

import pytest

from envsnap import __version__
from support.venvs import make_venv, pip_freeze, pip_install, run_envsnap, venv_root
from support.wheels import file_sha256, write_project

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

# one xdist worker runs the module: its module-scoped venvs are built once, not per worker
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("freeze-venv")]

TOOLS = {"pip", "setuptools", "wheel", "distribute"}

# What the shared venv gets, in one `pip install` call: pip marks these REQUESTED.
NAMED = ["alpha", "delta[fast]", "cyca", "eta", "Mixed.Case_Name", "solo", "kappa"]

DESCRIBE = (
    f"{platform.python_implementation()} {platform.python_version()}, "
    f"{platform.system().lower()} {platform.machine()}"
)

EXPECTED = f"""\
# envsnap {__version__} freeze - {DESCRIBE} - 7 top-level, 4 transitive
# top-level
alpha==1.0
cyca==1.0
delta==2.0
eta==1.0
kappa==1.0
Mixed.Case_Name==0.5
solo==1.0
# transitive
beta==1.0
    # via alpha
cycb==1.0
    # via cyca
epsilon==1.0
    # via delta[fast]
gamma==1.0
    # via beta
"""

# delta[fast] explains epsilon, which nothing requires and pip did not mark REQUESTED
SUMMARY = "top-level: 7 (7 requested); extras inferred: delta[fast]\n"


def using(python: Path) -> str:
    """The first stderr line of every command (not with -q)."""
    version = ".".join(map(str, sys.version_info[:3]))
    return f"Using environment at: {venv_root(python)} (Python {version})\n"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """A venv holding NAMED and their dependencies (read-only for the tests using it)."""
    python = make_venv(tmp_path_factory.mktemp("installed") / "venv")
    pip_install(python, *NAMED, find_links=wheelhouse)
    return python


def pins(text: str) -> set[str]:
    """The requirement lines of a requirements file (comments and blanks dropped)."""
    return {
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }


def pip_pins(python: Path) -> set[str]:
    """``pip freeze`` of the venv, minus the tools envsnap leaves out like pip does."""
    return {
        line
        for line in pip_freeze(python)
        if not line.startswith("#") and line.split("==")[0].lower() not in TOOLS
    }


def tree_digest(root: Path) -> dict[str, str]:
    """Map every path under ``root`` to a digest of its type, mode and content."""
    result: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            rel = os.path.relpath(path, root)
            if stat.S_ISLNK(info.st_mode):
                result[rel] = f"link {os.readlink(path)}"
            elif stat.S_ISDIR(info.st_mode):
                result[rel] = f"dir {oct(info.st_mode)}"
            else:
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
                result[rel] = f"file {oct(info.st_mode)} {info.st_mtime_ns} {digest}"
    return result


def test_freeze_matches_pip_freeze(installed: Path) -> None:
    result = run_envsnap("freeze", "-p", str(installed))
    assert result.returncode == 0, result.stderr
    assert result.stderr == using(installed) + SUMMARY
    assert pins(result.stdout) == pip_pins(installed)


def test_freeze_exact_output_classifies_requested_and_transitive(installed: Path) -> None:
    result = run_envsnap("freeze", "-p", str(installed))
    assert result.returncode == 0, result.stderr
    assert result.stdout == EXPECTED


def test_freeze_same_output_for_venv_dir_interpreter_and_virtual_env(
    installed: Path, tmp_path: Path
) -> None:
    by_dir = run_envsnap("freeze", "-p", str(venv_root(installed)))
    by_env = run_envsnap("freeze", cwd=tmp_path, env={"VIRTUAL_ENV": str(venv_root(installed))})
    assert (by_dir.returncode, by_dir.stdout) == (0, EXPECTED)
    assert (by_env.returncode, by_env.stdout) == (0, EXPECTED)


def test_freeze_no_annotate_and_top_level_only(installed: Path) -> None:
    plain = run_envsnap("freeze", "-p", str(installed), "--no-annotate")
    top = run_envsnap("freeze", "-p", str(installed), "--top-level-only")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == "".join(
        line for line in EXPECTED.splitlines(keepends=True) if "# via" not in line
    )
    assert top.returncode == 0, top.stderr
    # it counts only what it writes, and carries the extra that brings epsilon in
    assert top.stdout == (
        EXPECTED.split("# transitive\n", maxsplit=1)[0]
        .replace(", 4 transitive", "")
        .replace("delta==2.0", "delta[fast]==2.0")
    )


def test_freeze_exclude_drops_the_named_distribution(installed: Path) -> None:
    result = run_envsnap(
        "freeze", "-p", str(installed), "--exclude", "mixed-case-name", "--exclude", "gamma"
    )
    assert result.returncode == 0, result.stderr
    assert pins(result.stdout) == pip_pins(installed) - {"Mixed.Case_Name==0.5", "gamma==1.0"}


def test_freeze_json_schema(installed: Path) -> None:
    result = run_envsnap("freeze", "-p", str(installed), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "envsnap.snapshot/1"
    assert data["envsnap"] == __version__
    env = data["environment"]
    assert env["prefix"] == str(venv_root(installed))
    assert env["is_venv"] is True
    assert env["include_system_site_packages"] is False
    assert env["python_version"] == platform.python_version()
    packages = {p["name"]: p for p in data["packages"]}
    assert {f"{p['display_name']}=={p['version']}" for p in packages.values()} == pip_pins(
        installed
    )
    assert {n: (p["reason"], p["via"]) for n, p in packages.items()} == {
        "alpha": ("requested", []),
        "beta": ("transitive", ["alpha"]),
        "cyca": ("requested", []),
        "cycb": ("transitive", ["cyca"]),
        "delta": ("requested", []),
        "epsilon": ("transitive", ["delta[fast]"]),
        "eta": ("requested", []),
        "gamma": ("transitive", ["beta"]),
        "kappa": ("requested", []),
        "mixed-case-name": ("requested", []),
        "solo": ("requested", []),
    }
    assert packages["delta"]["extras"] == ["fast"]
    assert packages["delta"]["inferred_extras"] == ["fast"]
    assert packages["eta"]["requires"] == ['zeta; sys_platform == "win32"']
    assert packages["alpha"]["origin"] == {"kind": "index"}
    assert packages["alpha"]["installer"] == "pip"
    edges = {(e["from"], e["to"], e["extra"]) for e in data["edges"]}
    assert edges == {
        ("alpha", "beta", None),
        ("beta", "gamma", None),
        ("cyca", "cycb", None),
        ("cycb", "cyca", None),
        ("delta", "epsilon", "fast"),
    }
    assert data["unsatisfied"] == []
    assert data["warnings"] == []


def test_output_file_is_written_atomically_with_stdout_bytes(
    installed: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "requirements.txt"
    target.parent.mkdir()
    target.write_text("old content\n", encoding="utf-8")
    result = run_envsnap("freeze", "-p", str(installed), "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        f"{using(installed)}{SUMMARY}wrote {target}: 7 top-level, 4 transitive\n"
    )
    assert target.read_bytes() == EXPECTED.encode("utf-8")
    assert sorted(p.name for p in target.parent.iterdir()) == ["requirements.txt"]


def test_freeze_does_not_modify_the_environment(installed: Path) -> None:
    root = venv_root(installed)
    before = tree_digest(root)
    for args in ([], ["--format", "json"], ["--all"]):
        result = run_envsnap("freeze", "-p", str(installed), *args)
        assert result.returncode == 0, result.stderr
    assert tree_digest(root) == before


def test_cycle_without_requested_marks_one_root(
    venv_factory: Callable[..., Path], wheelhouse: Path
) -> None:
    python = venv_factory()
    pip_install(python, "cyca", find_links=wheelhouse)
    # An installer that writes no REQUESTED (PEP 376 makes it optional): nothing asked for.
    (requested,) = venv_root(python).glob("lib/python*/site-packages/cyca-1.0.dist-info/REQUESTED")
    requested.unlink()
    result = run_envsnap("freeze", "-p", str(python), "--format", "json")
    assert result.returncode == 0, result.stderr
    packages = {p["name"]: (p["reason"], p["via"]) for p in json.loads(result.stdout)["packages"]}
    assert packages == {"cyca": ("root", []), "cycb": ("transitive", ["cyca"])}
    text = run_envsnap("freeze", "-p", str(python))
    assert text.stdout.splitlines()[1:] == [
        "# top-level",
        "cyca==1.0",
        "# transitive",
        "cycb==1.0",
        "    # via cyca",
    ]


def test_dependency_installed_first_by_name_stays_top_level(
    venv_factory: Callable[..., Path], wheelhouse: Path
) -> None:
    python = venv_factory()
    pip_install(python, "gamma", find_links=wheelhouse)  # pip marks gamma REQUESTED
    pip_install(python, "alpha", find_links=wheelhouse)
    result = run_envsnap("freeze", "-p", str(python))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "# top-level",
        "alpha==1.0",
        "gamma==1.0",
        "# transitive",
        "beta==1.0",
        "    # via alpha",
    ]


def test_dependency_named_again_when_installed_stays_transitive(
    venv_factory: Callable[..., Path], wheelhouse: Path
) -> None:
    python = venv_factory()
    pip_install(python, "alpha", find_links=wheelhouse)
    # "Requirement already satisfied": pip leaves gamma's dist-info alone, no REQUESTED.
    pip_install(python, "gamma", find_links=wheelhouse)
    result = run_envsnap("freeze", "-p", str(python))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "# top-level",
        "alpha==1.0",
        "# transitive",
        "beta==1.0",
        "    # via alpha",
        "gamma==1.0",
        "    # via beta",
    ]


@pytest.fixture(scope="module")
def direct_installs(
    tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path
) -> tuple[Path, Path, Path]:
    """A venv with an editable project (requires solo) and omega from its wheel's path.

    Returns (interpreter, project dir, omega wheel path); tests write their
    files beside the project (``project.parent``), each under its own name.
    """
    root = tmp_path_factory.mktemp("direct")
    python = make_venv(root / "venv")
    project = write_project(root / "work" / "proj", "proj", "0.3", requires=["solo"])
    archive = wheelhouse / "omega-1.0-py3-none-any.whl"
    pip_install(python, "-e", str(project), str(archive), find_links=wheelhouse)
    return python, project, archive


def test_editable_and_archive_lines(
    direct_installs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    python, project, archive = direct_installs
    output = project.parent / "lines.txt"
    written = run_envsnap("freeze", "-p", str(python), "-o", str(output))
    assert written.returncode == 0, written.stderr
    archive_line = f"omega @ {archive.as_uri()}#sha256={file_sha256(archive)}"
    assert output.read_text(encoding="utf-8").splitlines()[1:] == [
        "# top-level",
        archive_line,
        "-e ./proj",
        "# transitive",
        "solo==1.0",
        "    # via proj",
    ]
    # On stdout from elsewhere the editable path cannot be relative: it is absolute.
    printed = run_envsnap("freeze", "-p", str(python), cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.splitlines()[2:4] == [archive_line, f"-e {project}"]
    # ... and from the project's parent it is relative again.
    here = run_envsnap("freeze", "-p", str(python), cwd=project.parent)
    assert here.stdout == output.read_text(encoding="utf-8")


def test_editable_and_archive_json_origins(direct_installs: tuple[Path, Path, Path]) -> None:
    python, project, archive = direct_installs
    result = run_envsnap("freeze", "-p", str(python), "--format", "json")
    assert result.returncode == 0, result.stderr
    origins = {p["name"]: p["origin"] for p in json.loads(result.stdout)["packages"]}
    assert origins == {
        "omega": {
            "kind": "archive",
            "url": archive.as_uri(),
            "archive_hash": f"sha256={file_sha256(archive)}",
        },
        "proj": {"kind": "directory", "url": project.as_uri(), "editable": True},
        "solo": {"kind": "index"},
    }


def test_frozen_file_reinstalls_the_same_environment(
    installed: Path, venv_factory: Callable[..., Path], wheelhouse: Path, tmp_path: Path
) -> None:
    frozen = tmp_path / "requirements.txt"
    result = run_envsnap("freeze", "-p", str(installed), "-o", str(frozen))
    assert result.returncode == 0, result.stderr
    fresh = venv_factory("fresh")
    pip_install(fresh, "-r", str(frozen), find_links=wheelhouse)
    assert pip_freeze(fresh) == pip_freeze(installed)


def test_frozen_direct_installs_reinstall_the_same_environment(
    direct_installs: tuple[Path, Path, Path],
    venv_factory: Callable[..., Path],
    wheelhouse: Path,
    tmp_path: Path,
) -> None:
    python, project, _archive = direct_installs
    frozen = project.parent / "frozen.txt"
    assert run_envsnap("freeze", "-p", str(python), "-o", str(frozen)).returncode == 0
    fresh = venv_factory("fresh")
    # pip resolves `-e ./proj` against its working directory: run it beside the file.
    pip_install(fresh, "-r", frozen.name, find_links=wheelhouse, cwd=frozen.parent)
    assert pip_freeze(fresh) == pip_freeze(python)
    again = run_envsnap("freeze", "-p", str(fresh), cwd=project.parent)
    assert again.returncode == 0, again.stderr
    # Same lines; `pip install -r` marks every line REQUESTED, so solo moves to top-level.
    assert pins(again.stdout) == pins(frozen.read_text(encoding="utf-8"))


def test_system_site_packages_left_out_like_pip_freeze_local(
    venv_factory: Callable[..., Path], wheelhouse: Path
) -> None:
    python = venv_factory(system_site_packages=True)
    pip_install(python, "solo", find_links=wheelhouse)
    local = run_envsnap("freeze", "-p", str(python))
    assert local.returncode == 0, local.stderr
    assert pins(local.stdout) == {"solo==1.0"}
    everything = run_envsnap("freeze", "-p", str(python), "--include-system")
    assert everything.returncode == 0, everything.stderr
    expected = {
        line
        for line in pip_freeze(python)
        if not line.startswith("#") and line.split("==")[0].lower() not in TOOLS
    }
    assert pins(everything.stdout) == expected


def test_install_from_loopback_index_is_pinned(
    venv_factory: Callable[..., Path], loopback_index: str
) -> None:
    python = venv_factory()
    pip_install(python, "alpha", "omega==1.0", index_url=loopback_index)
    result = run_envsnap("freeze", "-p", str(python), "--format", "json")
    assert result.returncode == 0, result.stderr
    packages = json.loads(result.stdout)["packages"]
    assert {(p["name"], p["version"], p["origin"]["kind"], p["reason"]) for p in packages} == {
        ("alpha", "1.0", "index", "requested"),
        ("beta", "1.0", "index", "transitive"),
        ("gamma", "1.0", "index", "transitive"),
        ("omega", "1.0", "index", "requested"),
    }


def test_tools_left_out_unless_all(venv_factory: Callable[..., Path]) -> None:
    python = venv_factory(with_pip=True)  # virtualenv seeds pip alone
    default = run_envsnap("freeze", "-p", str(python))
    assert default.returncode == 0, default.stderr
    assert default.stdout.splitlines()[1:] == ["# top-level", "# transitive"]
    everything = run_envsnap("freeze", "-p", str(python), "--all")
    assert everything.returncode == 0, everything.stderr
    assert pins(everything.stdout) == set(pip_freeze(python, "--all"))
    assert {line.split("==")[0] for line in pins(everything.stdout)} == {"pip"}


def test_pythonpath_of_the_caller_is_noted_once_and_ignored(
    installed: Path, tmp_path: Path
) -> None:
    (tmp_path / "alpha-9.0.dist-info").mkdir()
    (tmp_path / "alpha-9.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: alpha\nVersion: 9.0\n", encoding="utf-8"
    )
    result = run_envsnap("freeze", "-p", str(installed), env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == EXPECTED
    assert result.stderr == (
        "note: PYTHONPATH is set in your shell; it is ignored when reading the "
        "target environment (the probe runs isolated)\n" + using(installed) + SUMMARY
    )


def test_venv_with_dangling_interpreter_is_bad_input(venv_factory: Callable[..., Path]) -> None:
    python = venv_factory()
    root = venv_root(python)
    real = root / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    real.unlink()
    real.symlink_to(root / "gone" / "python")
    result = run_envsnap("freeze", "-p", str(root))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {root}: broken virtual environment: {root}/bin/python points to missing "
        f"{real.name}\nhint: recreate it (python -m venv) or name another with --python\n"
    )


def test_the_pip_python_bundles_installs_a_local_vcs_package_from_the_file(
    tmp_path: Path, wheelhouse: Path
) -> None:
    # issue 22: `name @ git+file:///PATH@SHA` is refused by the pip that ensurepip gives
    # Python 3.11 and 3.12 (23.2.1, "Invalid URL"); `python -m venv && pip install -r` works
    import subprocess  # noqa: PLC0415
    import venv  # noqa: PLC0415

    from support.venvs import clean_env, git  # noqa: PLC0415

    repo = write_project(tmp_path / "gitlib", "gitlib", "1.0", requires=["solo"])
    for args in (("init", "-q"), ("add", "."), ("commit", "-q", "-m", "one")):
        git(*args, cwd=repo)
    commit = git("rev-parse", "HEAD", cwd=repo)
    source = make_venv(tmp_path / "source")
    pip_install(source, f"gitlib @ git+{repo.as_uri()}@{commit}", find_links=wheelhouse)
    frozen = run_envsnap("freeze", "-p", str(source), "-q", "-o", "requirements.txt", cwd=tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    text = (tmp_path / "requirements.txt").read_text(encoding="utf-8")
    assert f"gitlib @ git+file://localhost{repo}@{commit}" in text.splitlines()
    venv.EnvBuilder(with_pip=True, symlinks=True).create(tmp_path / "plain")
    bundled = tmp_path / "plain" / "bin" / "python"
    done = subprocess.run(
        [
            *(str(bundled), "-m", "pip", "install", "--no-index"),
            *("--find-links", str(wheelhouse), "-r", "requirements.txt"),
        ],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    check = run_envsnap("check", "-p", str(bundled), "-q", "requirements.txt", cwd=tmp_path)
    assert (check.returncode, check.stderr) == (0, ""), check.stdout

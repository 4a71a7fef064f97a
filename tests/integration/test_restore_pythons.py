"""Restore that tells the truth, on real venvs: other Pythons, system site-packages, VCS via pip.

Every test runs offline: wheels built here, served from the loopback index or
a wheelhouse; pip is seeded from the target Python's own ensurepip wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from envsnap.cli import cli
from envsnap.errors import InputError
from envsnap.index.settings import IndexSettings
from envsnap.install import backend as installers
from envsnap.install import backend_for
from envsnap.install.venvs import find_base_interpreter
from support.venvs import clean_env, git, make_venv, pip_install, run_envsnap
from support.wheels import build_wheel, write_project

pytestmark = pytest.mark.integration

PY = "{}.{}.{}".format(*sys.version_info[:3])


def other_python(version: str) -> Path:
    """A real interpreter of ``version`` found the way ``--python 3.X`` finds one, or skip."""
    try:
        return find_base_interpreter(None, python=version).path
    except InputError as exc:
        pytest.skip(f"no Python {version} on this machine: {exc.message}")


def pip_version(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-m", "pip", "--version"],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("version", ["3.6", "3.7", "3.8", "3.9", "3.10", "3.12", "3.13"])
def test_restore_for_another_python_gets_a_pip_that_runs(
    version: str, tmp_path: Path, loopback_index: str
) -> None:
    """freeze -> restore -> freeze is byte-identical and the new venv's pip runs on that Python."""
    (tmp_path / "hand.txt").write_text("alpha==1.0\nsolo==1.0\n", encoding="utf-8")
    index = ("--index-url", loopback_index)
    # a hand-written file: uv resolves it, with a pip for that Python from the index
    first = run_envsnap(
        "restore", "hand.txt", "--venv", "a", "--python", version, *index, cwd=tmp_path
    )
    if first.returncode == 2 and "no such interpreter" in first.stderr:
        pytest.skip(f"no Python {version} on this machine: {first.stderr.strip()}")
    assert first.returncode == 0, first.stderr
    assert "install: 2 packages with uv" in first.stderr
    assert run_envsnap("freeze", "-p", "a", "-o", "one.txt", cwd=tmp_path).returncode == 0
    # envsnap's own file, with the pip backend this time
    done = run_envsnap(
        "restore", "one.txt", "--venv", "b", "--installer", "pip", *index, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    # the file records the exact version: no --python needed to find it again
    assert f"(Python {version}." in done.stderr
    for venv in ("a", "b"):
        shown = pip_version(tmp_path / venv / "bin" / "python")
        assert shown.startswith("pip ")
        assert f"from {tmp_path / venv}" in shown
        assert shown.rstrip().endswith(f"(python {version})")
    again = run_envsnap("freeze", "-p", "b", "-o", "two.txt", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "two.txt").read_bytes() == (tmp_path / "one.txt").read_bytes()


def fake_base(tmp_path: Path) -> Path:
    """A base installation of the running Python with its own, empty site-packages.

    The interpreter binary is copied (a symlink would resolve to the real
    prefix) and the standard library linked entry by entry.
    """
    if os.name == "nt":
        pytest.skip("the fake base installation is built for POSIX layouts")
    real = Path(sys.base_prefix)
    short = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    base = tmp_path / "base"
    (base / "bin").mkdir(parents=True)
    stdlib = base / "lib" / short
    (stdlib / "site-packages").mkdir(parents=True)
    shutil.copy2(os.path.realpath(getattr(sys, "_base_executable", sys.executable)), base / "bin")
    binary = base / "bin" / Path(os.path.realpath(sys._base_executable)).name
    if binary.name != short:
        binary.rename(base / "bin" / short)
    for entry in (real / "lib" / short).iterdir():
        if entry.name != "site-packages":
            (stdlib / entry.name).symlink_to(entry)
    for library in (real / "lib").glob("libpython*"):
        (base / "lib" / library.name).symlink_to(library)
    python = base / "bin" / short
    done = subprocess.run(
        [str(python), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or done.stdout.strip() != str(base):
        pytest.skip(f"this Python cannot run as a copied base installation: {done.stderr[-200:]}")
    return python


def test_system_site_packages_venv_round_trip(
    tmp_path: Path, wheelhouse: Path, loopback_index: str
) -> None:
    base_python = fake_base(tmp_path)
    site = next((tmp_path / "base" / "lib").glob("python*/site-packages"))
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps"),
            *("--find-links", str(wheelhouse), "--target", str(site), "beta==1.0", "gamma==1.0"),
        ],
        env=clean_env(),
        check=True,
    )
    subprocess.run(
        [str(base_python), "-m", "venv", "--without-pip", "--system-site-packages", "source"],
        cwd=tmp_path,
        check=True,
    )
    pip_install(tmp_path / "source" / "bin" / "python", "alpha==1.0", find_links=wheelhouse)
    frozen = run_envsnap("freeze", "-p", "source", "-o", "requirements.txt", cwd=tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    text = (tmp_path / "requirements.txt").read_text(encoding="utf-8")
    assert text.splitlines()[1:] == [
        "# system-site-packages: beta==1.0, gamma==1.0",
        "# top-level",
        "alpha==1.0",
        "# transitive",
    ]
    file = tmp_path / "requirements.txt"

    # the base interpreter provides beta and gamma: the new venv sees them again
    same = run_envsnap(
        "restore", "--venv", "same", "--python", str(base_python), "--index-url", loopback_index,
        cwd=tmp_path,
    )  # fmt: skip
    assert same.returncode == 0, same.stderr
    assert (
        f"note: {file}: it was frozen from a venv that sees the base Python's site-packages; "
        f"the new venv sees those of {tmp_path / 'base'} too for beta==1.0, gamma==1.0"
    ) in same.stderr.splitlines()
    cfg = (tmp_path / "same" / "pyvenv.cfg").read_text(encoding="utf-8")
    assert "include-system-site-packages = true" in cfg
    again = run_envsnap("freeze", "-p", "same", "-o", "again.txt", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.txt").read_bytes() == file.read_bytes()

    # with pip: a pip the venv sees in the base does not stand in for the venv's own
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps"),
            *("--find-links", str(wheelhouse), "--target", str(site), "pip"),
        ],
        env=clean_env(),
        check=True,
    )
    with_pip = run_envsnap(
        "restore", "--venv", "viapip", "--installer", "pip", "--python", str(base_python),
        "--index-url", loopback_index, cwd=tmp_path,
    )  # fmt: skip
    assert with_pip.returncode == 0, with_pip.stderr
    assert f"from {tmp_path / 'viapip'}" in pip_version(tmp_path / "viapip" / "bin" / "python")

    # the real base does not have them: an isolated venv gets them installed, and says so
    isolated = run_envsnap(
        "restore", "--venv", "isolated", "--python", sys.executable,
        "--index-url", loopback_index, cwd=tmp_path,
    )  # fmt: skip
    assert isolated.returncode == 0, isolated.stderr
    assert (
        f"note: {file}: it was frozen from a venv that sees the base Python's site-packages, "
        f"but {sys.executable} does not provide beta==1.0, gamma==1.0: the new venv is isolated "
        "and gets beta==1.0, gamma==1.0 installed from the index"
    ) in isolated.stderr.splitlines()
    assert "install: 2 packages with uv" in isolated.stderr  # the base packages, --no-deps
    cfg = (tmp_path / "isolated" / "pyvenv.cfg").read_text(encoding="utf-8")
    assert "include-system-site-packages = false" in cfg
    names = sorted(p.name for p in (tmp_path / "isolated").glob("lib/python*/site-packages/*"))
    tools = ("pip-", "setuptools-", "wheel-")  # uv seeds them before Python 3.12
    assert [n for n in names if n.endswith(".dist-info") and not n.startswith(tools)] == [
        "alpha-1.0.dist-info",
        "beta-1.0.dist-info",
        "gamma-1.0.dist-info",
    ]


def test_editable_vcs_and_archive_round_trip_through_the_new_venvs_pip(
    tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pip backend runs NEW_VENV/bin/python -m pip, never envsnap's own pip (or uv)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = write_project(tmp_path / "gitlib", "gitlib", "1.0")
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-q", "-m", "one", cwd=repo)
    commit = git("rev-parse", "HEAD", cwd=repo)
    editable = write_project(tmp_path / "project" / "edlib", "edlib", "1.0")
    with (editable / "pyproject.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[project]\nname = "edlib"\nversion = "1.0"\n')  # what restore checks
    archive = build_wheel(tmp_path / "files", "arclib", "1.0")
    source = make_venv(tmp_path / "project" / ".venv")
    pip_install(
        source,
        f"gitlib @ git+{repo.as_uri()}@{commit}",
        "-e",
        str(editable),
        archive.as_uri(),
        "solo==1.0",
        find_links=wheelhouse,
    )
    project = tmp_path / "project"
    frozen = run_envsnap("freeze", "-p", ".venv", "-o", "requirements.txt", cwd=project)
    assert frozen.returncode == 0, frozen.stderr
    text = (project / "requirements.txt").read_text(encoding="utf-8")
    # a local repository as file://localhost/PATH: the pip of Python 3.11/3.12 takes it
    assert f"gitlib @ git+file://localhost{repo}@{commit}" in text.splitlines()
    assert "-e ./edlib" in text.splitlines()

    ran: list[tuple[str, ...]] = []
    real = installers.run_logged

    def recording(argv: tuple[str, ...], **kwargs: object) -> tuple[int, list[str]]:
        ran.append(tuple(argv))
        return real(argv, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(installers, "run_logged", recording)
    monkeypatch.chdir(project)
    for key in [k for k in os.environ if k.startswith(("PIP_", "UV_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    result = CliRunner().invoke(
        cli,
        [
            *("restore", "--venv", "new", "--installer", "pip", "--python", sys.executable),
            *("--no-index", "--find-links", str(wheelhouse)),
        ],
    )
    assert result.exit_code == 0, result.output
    new_python = project / "new" / "bin" / "python"
    assert ran[0] == (sys.executable, "-m", "venv", "--without-pip", str(project / "new"))
    # then the new venv's Python: pip from the base's ensurepip wheel installs pip, which
    # installs the file
    assert (ran[1][:2], ran[1][3], ran[1][-1]) == ((str(new_python), "-c"), "install", "pip")
    assert ran[2][:4] == (str(new_python), "-m", "pip", "install")
    assert len(ran) == 3
    again = run_envsnap("freeze", "-p", "new", "-o", "again.txt", cwd=project)
    assert again.returncode == 0, again.stderr
    assert (project / "again.txt").read_bytes() == (project / "requirements.txt").read_bytes()
    assert pip_version(new_python).startswith("pip ")


def test_pylock_with_a_relative_directory_moved_elsewhere_builds_nothing(
    tmp_path: Path, wheelhouse: Path
) -> None:
    project = tmp_path / "project"
    lib = write_project(tmp_path / "hatchlib", "hatchlib", "1.0")
    source = make_venv(project / ".venv")
    pip_install(source, str(lib), find_links=wheelhouse)
    frozen = run_envsnap(
        "freeze", "-p", ".venv", "--format", "pylock", "-o", "pylock.toml", "--find-links",
        str(wheelhouse), cwd=project,
    )  # fmt: skip
    assert frozen.returncode == 0, frozen.stderr
    lines = (project / "pylock.toml").read_text(encoding="utf-8").splitlines()
    assert 'directory = {path = "../hatchlib"}' in lines
    moved = tmp_path / "elsewhere" / "deeper"
    moved.mkdir(parents=True)
    shutil.copy(project / "pylock.toml", moved / "pylock.toml")
    done = run_envsnap("restore", "--venv", "new", "--python", sys.executable, cwd=moved)
    assert done.returncode == 2
    line = lines.index('directory = {path = "../hatchlib"}') + 1
    assert done.stderr.splitlines()[0] == (
        f"error: {moved / 'pylock.toml'}:{line}: hatchlib: {tmp_path / 'elsewhere' / 'hatchlib'} "
        "does not exist"
    )
    assert not (moved / "new").exists()
    assert sorted(p.name for p in moved.iterdir()) == ["pylock.toml"]


def test_a_shim_that_exits_127_first_on_path_is_skipped(tmp_path: Path, wheelhouse: Path) -> None:
    short = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / short).write_text("#!/bin/sh\necho 'pyenv: not installed' >&2\nexit 127\n")
    (shims / short).chmod(0o755)
    real = tmp_path / "real"
    real.mkdir()
    (real / short).symlink_to(sys.executable)
    (tmp_path / "requirements.txt").write_text("solo==1.0\n", encoding="utf-8")
    path = os.pathsep.join([str(shims), str(real), os.environ.get("PATH", "")])
    done = run_envsnap(
        "restore", "--python", short.removeprefix("python"), "--without-pip",
        "--no-index", "--find-links", str(wheelhouse),
        cwd=tmp_path, env={"PATH": path},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert str(shims) not in done.stderr  # a pyenv shim passed over is no news
    plan = run_envsnap(
        "restore", "--python", short.removeprefix("python"), "--dry-run",
        cwd=tmp_path, env={"PATH": path},
    )  # fmt: skip
    assert f"base interpreter: {real / short} (Python {PY}, from --python)" in (
        plan.stdout.splitlines()
    )
    quiet = run_envsnap(
        "restore", "-q", "--python", short.removeprefix("python"), "--without-pip",
        "--no-index", "--find-links", str(wheelhouse),
        cwd=tmp_path, env={"PATH": path},
    )  # fmt: skip
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""  # -q: errors only, no notes
    assert PY in (tmp_path / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8")


def test_a_file_from_a_system_site_venv_without_the_record_gets_a_hint_that_says_so(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """A file an older envsnap froze from a --system-site-packages venv: alpha needs beta."""
    (tmp_path / "requirements.txt").write_text(
        f"# envsnap 0.1.0 freeze - CPython {PY}, linux x86_64 - 1 top-level, 0 transitive\n"
        "# top-level\nalpha==1.0\n# transitive\n",
        encoding="utf-8",
    )
    done = run_envsnap(
        "restore", "--python", sys.executable, "--without-pip",
        "--no-index", "--find-links", str(wheelhouse), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines()[-1] == (
        "hint: a package needs one the file does not list; if the venv it was frozen from "
        "saw the base Python's packages (--system-site-packages), freeze it again with "
        "this envsnap (it records them) or with --include-system"
    )
    assert not (tmp_path / ".venv").exists()


def test_a_python_without_ensurepips_bundled_wheel_bootstraps_pip_first(
    tmp_path: Path, loopback_index: str
) -> None:
    """Where ensurepip has no ``_bundled`` wheel (Debian keeps them elsewhere), bootstrap() runs."""
    fake = tmp_path / "fake" / "ensurepip"
    fake.mkdir(parents=True)
    # Debian's ensurepip finds its wheels in its own place: here, the real bundled one
    (fake / "__init__.py").write_text(
        "import glob, os, sys, sysconfig\n"
        "def bootstrap():\n"
        "    open(os.environ['BOOTSTRAPPED'], 'w').close()\n"
        "    real = os.path.join(sysconfig.get_paths()['stdlib'], 'ensurepip', '_bundled')\n"
        "    sys.path[:0] = glob.glob(os.path.join(real, 'pip-*.whl'))[:1]\n",
        encoding="utf-8",
    )
    request = installers.VenvRequest(
        target=tmp_path / "v",
        interpreter=Path(sys.executable),
        python_version=PY,
        with_pip=True,
        index=IndexSettings(index_url=loopback_index),
    )
    create, bootstrap = backend_for("pip").venv_commands(request)
    mark = tmp_path / "bootstrapped"
    # the commands run in the project's directory: its modules must not stand in for the stdlib's
    for name in ("glob.py", "runpy.py"):
        (tmp_path / name).write_text("raise SystemExit('the project was imported')\n")
    for command in (create, bootstrap):
        done = subprocess.run(
            command.argv,
            cwd=command.cwd,
            env=clean_env(**command.env, PYTHONPATH=str(fake.parent), BOOTSTRAPPED=str(mark)),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert mark.exists()
    assert f"from {tmp_path / 'v'}" in pip_version(tmp_path / "v" / "bin" / "python")

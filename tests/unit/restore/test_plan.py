"""Restore planning: interpreter selection, target checks, strictness, install mode."""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

import pytest

from envsnap.errors import InputError, LockFileError
from envsnap.install.uv import find_uv
from envsnap.install.venvs import Interpreter, find_base_interpreter
from envsnap.restore import RestoreOptions, find_leftovers, plan_restore, restore
from support.fake_python import fake_python as support_fake_python

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "requirements"
PY = "{}.{}.{}".format(*sys.version_info[:3])


def fake_python(bindir: Path, name: str, version: str) -> Path:
    """A script in ``bindir`` that answers the interpreter probe like a Python would."""
    return support_fake_python(bindir / name, version)


def test_picks_python3x_matching_the_file(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    fake_python(bindir, "python3", "3.12.1")
    exact = fake_python(bindir, "python3.98", "3.98.9")
    found = find_base_interpreter("3.98.7", search_path=str(bindir))
    assert found == Interpreter(path=exact, version="3.98.9")


def test_falls_back_to_python3(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    python3 = fake_python(bindir, "python3", "3.98.2")
    found = find_base_interpreter("3.98", search_path=str(bindir))
    assert (found.path, found.version, found.major_minor) == (python3, "3.98.2", "3.98")


def test_mismatch_names_what_was_found(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    python3 = fake_python(bindir, "python3", "3.12.1")
    with pytest.raises(InputError) as info:
        find_base_interpreter("3.10.4", search_path=str(bindir), environ={"HOME": str(tmp_path)})
    assert info.value.message == (
        f"the lock file was made with Python 3.10.4 and no Python 3.10 was found "
        f"({python3} is 3.12.1)"
    )
    assert info.value.hint == "install Python 3.10, or choose an interpreter with python=PATH"
    assert info.value.exit_code == 2


def test_python_option_wins_and_is_checked(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    other = fake_python(bindir, "python3.9", "3.9.18")
    assert find_base_interpreter("3.11.7", python=other).version == "3.9.18"
    assert (
        find_base_interpreter("3.11.7", python="python3.9", search_path=str(bindir)).path == other
    )
    with pytest.raises(InputError) as info:
        find_base_interpreter(None, python=tmp_path / "nope")
    assert info.value.message == f"python={tmp_path / 'nope'}: no such interpreter"
    broken = bindir / "broken"
    broken.write_text("#!/bin/sh\nexit 7\n", encoding="utf-8")
    broken.chmod(0o755)
    with pytest.raises(InputError) as info:
        find_base_interpreter(None, python=broken)
    assert info.value.message == f"{broken}: not a usable Python 3 interpreter (exit code 7)"


def test_no_recorded_version_uses_the_running_interpreter() -> None:
    assert find_base_interpreter(None) == Interpreter(path=Path(sys.executable), version=PY)


def test_the_running_interpreter_wins_when_its_version_matches(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    fake_python(bindir, f"python{sys.version_info[0]}.{sys.version_info[1]}", PY)
    found = find_base_interpreter(PY, search_path=str(bindir))
    assert found == Interpreter(path=Path(sys.executable), version=PY)


def options(tmp_path: Path, **kwargs: object) -> RestoreOptions:
    return RestoreOptions(venv=tmp_path / "venv", python=sys.executable, **kwargs)  # type: ignore[arg-type]


def test_plan_for_an_envsnap_file(tmp_path: Path) -> None:
    plan = plan_restore(FIXTURES / "envsnap-hashes.txt", options(tmp_path))
    assert plan.exact
    assert plan.installer == "uv"
    (request,) = plan.installs
    assert (request.exact, request.require_hashes, request.file) == (True, True, None)
    assert request.requirements == (
        f"alpha==1.0 --hash=sha256:{'0' * 64} --hash=sha256:{'1' * 64}\n"
        f"Mixed.Case_Name==0.5 --hash=sha256:{'2' * 64}\n"
    )
    assert not plan.replaces
    assert plan.target == tmp_path / "venv"
    mismatch = f"the file was made with Python 3.12.4; building with {PY} as --python says"
    assert plan.notes == (() if PY.startswith("3.12.") else (mismatch,))


def test_plan_top_level_only_file_resolves_the_rest(tmp_path: Path) -> None:
    plan = plan_restore(FIXTURES / "envsnap-top-level-only.txt", options(tmp_path))
    (request,) = plan.installs
    assert (plan.exact, request.exact, plan.installer) == (False, False, "uv")
    assert plan.notes == ()  # pinned: what uv adds, if anything, is named after the install
    with_pip = plan_restore(
        FIXTURES / "envsnap-top-level-only.txt", options(tmp_path, installer="pip")
    )
    assert with_pip.installer == "pip"
    assert with_pip.notes == ()


@pytest.mark.parametrize("name", ["pip-compile-hashes.txt", "uv-compile.txt"])
def test_plan_for_a_pinned_file_of_another_tool(tmp_path: Path, name: str) -> None:
    plan = plan_restore(FIXTURES / name, options(tmp_path))
    (request,) = plan.installs
    assert (plan.exact, request.exact, request.require_hashes) == (False, False, "hashes" in name)
    uv = os.fspath(find_uv())
    venv = tmp_path / "venv"
    venv_line = f"  $ {uv} venv --no-config --no-python-downloads --no-project --python "
    assert plan.describe()[:2] == [
        f"base interpreter: {sys.executable} (Python {PY}, from --python)",
        f"create {venv}",
    ]
    assert plan.describe()[2] == f"{venv_line}{sys.executable} {venv}"
    pip_line = f"  $ {uv} pip install --no-config --no-python-downloads --python {venv}/bin/python "
    assert plan.describe()[3].startswith(f"{pip_line}--index-url ")
    assert plan.describe()[3].endswith(" pip")
    assert plan.describe()[4] == (
        f"install {request.count} packages rendered from {FIXTURES / name} as REQUIREMENTS"
    )
    made = "the file was made with Python 3.12; building with " + PY + " as --python says"
    assert plan.describe()[6:] == [
        "verify against the file, then mark the top-level packages as REQUESTED",
        *([f"note: {made}"] if name.startswith("pip-compile") else []),  # its header
    ]
    assert plan.describe()[5].startswith(pip_line)
    assert plan.describe()[5].endswith(
        (" --require-hashes" if "hashes" in name else "") + " -r REQUIREMENTS"
    )


def test_plan_strict_refuses_unpinned(tmp_path: Path) -> None:
    path = FIXTURES / "hand-main.txt"
    with pytest.raises(InputError) as info:
        plan_restore(path, options(tmp_path, strict=True))
    assert info.value.message == (
        f"{path}: 2 requirement(s) not pinned to one version "
        f"(first: {path}:9: delta>=2.0 is not pinned to one version)"
    )
    lenient = plan_restore(path, options(tmp_path, installer="uv"))
    (request,) = lenient.installs
    assert (lenient.exact, request.file) == (False, path)  # the installer reads it itself
    assert lenient.notes == (
        f"{path}:9: delta>=2.0 is not pinned to one version",
        f"{path}:11: epsilon==1.* is not pinned to one version",
        f"{path.parent / 'wheels'} is left out: no such file or directory (pip skips it too)",
        "uv resolves what the file does not pin",
    )


def test_plan_targets(tmp_path: Path) -> None:
    file = FIXTURES / "envsnap-basic.txt"
    target = tmp_path / "venv"
    target.mkdir()
    assert not plan_restore(file, options(tmp_path)).replaces  # empty dir: fine
    (target / "pyvenv.cfg").write_text("home = /x\n", encoding="utf-8")
    assert plan_restore(file, options(tmp_path)).replaces
    (target / "pyvenv.cfg").unlink()
    (target / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError) as info:
        plan_restore(file, options(tmp_path))
    assert info.value.message == (
        f"{target}: exists, is not a virtual environment (no pyvenv.cfg) and is not empty"
    )
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(InputError) as info:
        plan_restore(file, RestoreOptions(venv=tmp_path / "file", python=sys.executable))
    assert info.value.message == f"{tmp_path / 'file'}: exists and is not a directory"
    with pytest.raises(LockFileError):
        plan_restore(tmp_path / "missing.txt", options(tmp_path))


def test_find_leftovers(tmp_path: Path) -> None:
    assert find_leftovers(tmp_path / ".venv") == []
    (tmp_path / "..venv.envsnap-old-12").mkdir()
    (tmp_path / ".env.envsnap-old-13").mkdir()
    assert find_leftovers(tmp_path / ".venv") == [tmp_path / "..venv.envsnap-old-12"]
    assert find_leftovers(tmp_path / "env") == [tmp_path / ".env.envsnap-old-13"]


def test_a_second_restore_in_the_same_directory_is_refused(tmp_path: Path) -> None:
    plan = plan_restore(FIXTURES / "envsnap-basic.txt", options(tmp_path))
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(InputError) as info:
            restore(plan)
    finally:
        os.close(fd)
    assert info.value.message == f"another envsnap restore is running in {tmp_path}"
    assert sorted(tmp_path.iterdir()) == []


def test_a_note_about_a_line_of_an_included_file_names_that_file_and_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inc.txt").write_text("# included\n\nalpha>=1\n", encoding="utf-8")
    top = tmp_path / "requirements.txt"
    top.write_text("-r sub/inc.txt\nbeta\n", encoding="utf-8")
    plan = plan_restore(top, options(tmp_path))
    assert [n for n in plan.notes if "pinned" in n] == [
        f"{tmp_path / 'sub' / 'inc.txt'}:3: alpha>=1 is not pinned to one version",
        f"{top}:2: beta (no version) is not pinned to one version",
    ]
    described = [line for line in plan.describe() if line.startswith("note:")]
    assert len(described) == len(set(described)) == len(plan.notes)


def test_a_missing_path_in_an_included_file_is_named_with_its_file_and_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "local.txt").write_text(
        "# local packages\ngamma @ file:///nowhere/gamma-1.0.tar.gz\n", encoding="utf-8"
    )
    top = tmp_path / "requirements.txt"
    top.write_text("-r sub/local.txt\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        plan_restore(top, options(tmp_path))
    assert info.value.message == (
        f"{tmp_path / 'sub' / 'local.txt'}:2: gamma: /nowhere/gamma-1.0.tar.gz does not exist"
    )
    assert not (tmp_path / "venv").exists()


def test_a_python_outside_a_portable_file_s_range_is_refused_before_building(
    tmp_path: Path,
) -> None:
    """``freeze --portable`` left Python 3.9 out: a restore on 3.9 stops before building."""
    path = tmp_path / "requirements.txt"
    path.write_text(
        "# envsnap freeze --portable\n# requires-python: <3.14,>=3.10\n# python: 3.10, 3.13\n"
        "# platforms: linux-x86_64\n# top-level: solo\nsolo==1.0\n",
        encoding="utf-8",
    )
    old = fake_python(tmp_path / "bin", "python3.9", "3.9.18")
    with pytest.raises(InputError) as info:
        plan_restore(path, RestoreOptions(venv=tmp_path / "venv", python=os.fspath(old)))
    assert info.value.message == (
        f"{path}: requires-python <3.14,>=3.10, and {old} is Python 3.9.18; nothing was built"
    )
    assert not (tmp_path / "venv").exists()

"""Installer commands, REQUESTED markers, the pylock -> requirements rendering."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from packaging.markers import Marker
from packaging.version import Version

from envsnap.cli.restore import _ended, _Ticker
from envsnap.errors import InputError
from envsnap.install.external import install_command, run_logged, set_requested
from envsnap.lock import Lock, LockedPackage
from envsnap.lockfiles.requirements.write import requirements_text
from envsnap.origin import Origin

if TYPE_CHECKING:
    from support.fake_site import FakeSite


def test_pip_command_runs_the_new_venvs_pip(tmp_path: Path) -> None:
    command = install_command(
        "pip",
        venv_python=tmp_path / "v" / "bin" / "python",
        requirements=tmp_path / "requirements.txt",
        no_deps=True,
        require_hashes=True,
        index_args=("--no-index", "--find-links", "w"),
    )
    assert command.argv == (
        str(tmp_path / "v" / "bin" / "python"),  # never envsnap's own pip
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "-q",
        "--no-deps",
        "--require-hashes",
        "--no-index",
        "--find-links",
        "w",
        "-r",
        str(tmp_path / "requirements.txt"),
    )
    assert command.cwd == tmp_path
    assert command.env is None


def test_pip_command_for_a_venv_without_pip_puts_a_pip_wheel_on_pythonpath(
    tmp_path: Path,
) -> None:
    command = install_command(
        "pip",
        venv_python=tmp_path / "v" / "bin" / "python",
        requirements=tmp_path / "r.txt",
        no_deps=False,
        require_hashes=False,
        pip_path=tmp_path / "unpacked-pip",
    )
    assert command.argv[:4] == (str(tmp_path / "v" / "bin" / "python"), "-m", "pip", "install")
    assert command.env is not None
    assert command.env["PYTHONPATH"] == str(tmp_path / "unpacked-pip")


def test_uv_command_and_missing_uv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command = install_command(
        "uv",
        venv_python=tmp_path / "python",
        requirements=tmp_path / "r.txt",
        no_deps=False,
        require_hashes=False,
        verbose=True,
    )
    assert Path(command.argv[0]).name == "uv"
    assert command.argv[1:] == (
        "pip",
        "install",
        "--python",
        str(tmp_path / "python"),
        "-r",
        str(tmp_path / "r.txt"),
    )
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uv" else real(name, *a)
    )
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError) as info:
        install_command(
            "uv",
            venv_python=tmp_path,
            requirements=tmp_path / "r",
            no_deps=True,
            require_hashes=False,
        )
    assert info.value.message == "installer=uv: uv is not installed"
    assert info.value.hint == (
        "install envsnap with its uv extra (pip install 'envsnap[uv]'), "
        "or put uv on PATH, or use installer=pip"
    )


def test_run_logged_streams_and_keeps_the_tail() -> None:
    seen: list[str] = []
    code, tail = run_logged(
        [sys.executable, "-c", "import sys\nfor i in range(30): print(i)\nsys.exit(4)"],
        output=seen.append,
    )
    assert code == 4
    assert seen == [str(i) for i in range(30)]
    assert tail == [str(i) for i in range(15, 30)]


def test_set_requested_matches_the_top_level_list(site: FakeSite) -> None:
    site("alpha", "1.0", requested=True)
    site("beta", "1.0", requested=True)
    site("Mixed.Case_Name", "0.5")
    site("pip", "24.2", requested=True)
    beta_record = site.root / "beta-1.0.dist-info" / "RECORD"
    beta_record.write_text(
        "beta-1.0.dist-info/METADATA,,\nbeta-1.0.dist-info/REQUESTED,,\n", encoding="utf-8"
    )
    assert set_requested([site.root], ["ALPHA", "mixed-case-name"]) == (1, 1)
    marked = sorted(p.parent.name for p in site.root.glob("*.dist-info/REQUESTED"))
    assert marked == ["Mixed_Case_Name-0.5.dist-info", "alpha-1.0.dist-info", "pip-24.2.dist-info"]
    assert beta_record.read_text(encoding="utf-8") == "beta-1.0.dist-info/METADATA,,\n"
    assert set_requested([site.root], ["alpha", "mixed-case-name"]) == (0, 0)


def test_requirements_text_of_a_lock() -> None:
    lock = Lock(
        path=None,
        format="pylock",
        packages=(
            LockedPackage(
                name="alpha",  # type: ignore[arg-type]
                display_name="alpha",
                version=Version("1.0"),
                hashes=("sha256:aa", "sha256:bb"),
                marker=Marker('sys_platform == "linux"'),
            ),
            LockedPackage(
                name="proj",  # type: ignore[arg-type]
                display_name="proj",
                version=None,
                origin=Origin(kind="directory", url="file:///src/proj", editable=True),
            ),
            LockedPackage(
                name="tool",  # type: ignore[arg-type]
                display_name="tool",
                version=None,
                origin=Origin(kind="vcs", url="https://h/t.git", vcs="git", commit="c0ffee"),
            ),
            LockedPackage(
                name="w",  # type: ignore[arg-type]
                display_name="w",
                version=None,
                origin=Origin(kind="archive", url="https://h/w-1.0-py3-none-any.whl"),
            ),
        ),
    )
    assert requirements_text(lock) == (
        'alpha==1.0 ; sys_platform == "linux" --hash=sha256:aa --hash=sha256:bb\n'
        "-e /src/proj\n"
        "tool @ git+https://h/t.git@c0ffee\n"
        "w @ https://h/w-1.0-py3-none-any.whl\n"
    )


def test_the_terminal_progress_bar_shows_packages_and_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    ticker = _Ticker()
    lines: list[str] = []
    say = _ended(lambda stage, message: lines.append(f"{stage}: {message}"), ticker)
    ticker("download", 0, 2)
    ticker("bytes", 1_500_000, 3_000_000)
    ticker("download", 1, 2)
    ticker("download", 2, 2)
    ticker("install", 2, 2)
    say("verify", "x")
    ticker.end()
    shown = terminal.getvalue()
    assert "  download" in shown
    assert "1/2" in shown
    assert "1.5/3.0 MB" in shown
    assert "  install" in shown
    assert shown.endswith("\r\x1b[K\x1b[1A\x1b[K")
    assert lines == ["verify: x"]

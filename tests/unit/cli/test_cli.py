"""The envsnap command group: help, version, unknown commands, error mapping."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pytest
from click.testing import CliRunner

from envsnap import __version__
from envsnap.cli import COMMANDS, cli, handle_errors
from envsnap.environment import target as environment
from envsnap.errors import InputError, OperationError, TargetError

if TYPE_CHECKING:
    from envsnap.environment.target import PendingProbe


def test_help_lists_every_command_with_its_line() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name, (_, line) in COMMANDS.items():
        assert f"  {name}" in result.stdout
        assert line[:30] in result.stdout


VERSION_LINE = (
    f"envsnap {__version__} (Python {'.'.join(map(str, sys.version_info[:3]))}, "
    f"packaging {importlib.metadata.version('packaging')})\n"
)


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    result = CliRunner().invoke(cli, [flag])
    assert (result.exit_code, result.stdout, result.stderr) == (0, VERSION_LINE, "")


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("frieze", " Did you mean 'freeze'?"),
        ("frezee", " Did you mean 'freeze'?"),
        ("chek", " Did you mean 'check'?"),
        ("resotre", " Did you mean 'restore'?"),
        ("xyz", ""),
    ],
)
def test_unknown_command_is_a_usage_error_with_a_close_match(typed: str, suggestion: str) -> None:
    result = CliRunner().invoke(cli, [typed])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.endswith(f"Error: No such command '{typed}'.{suggestion}\n")


def test_freeze_help() -> None:
    result = CliRunner().invoke(cli, ["freeze", "--help"])
    assert result.exit_code == 0
    for option in (
        "--python",
        "--output",
        "--format",
        "--no-annotate",
        "--top-level-only",
        "--exclude",
        "--all",
    ):
        assert option in result.stdout


@pytest.mark.parametrize(
    ("error", "code", "stderr"),
    [
        (InputError("bad file", hint="fix it"), 2, "error: bad file\nhint: fix it\n"),
        (OperationError("install failed"), 3, "error: install failed\n"),
        (KeyboardInterrupt(), 130, "error: interrupted\n"),
    ],
)
def test_handle_errors(error: BaseException, code: int, stderr: str) -> None:
    @click.command()
    def boom() -> None:
        with handle_errors():
            raise error

    result = CliRunner().invoke(boom, [])
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", stderr)


def test_python_dash_m_envsnap() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "envsnap", "--version"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        VERSION_LINE,
        "",
    )


# ---- the probe started before the command's imports ----------------------------------------


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[PendingProbe]:
    """Record every probe the CLI starts."""
    started: list[PendingProbe] = []
    real = environment.start_probe

    def spy(interpreter: Path, **kwargs: float | None) -> PendingProbe:
        started.append(real(interpreter, **kwargs))
        return started[-1]

    monkeypatch.setattr(environment, "start_probe", spy)
    return started


def test_freeze_probes_the_target_once_started_early(
    probes: list[PendingProbe], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["freeze", "-p", sys.executable, "--top-level-only"], env={"PYTHONPATH": ""}
    )
    assert result.exit_code == 0, result.stderr
    assert [p.interpreter for p in probes] == [Path(sys.executable)]
    assert probes[0].result().prefix == Path(sys.prefix)
    assert result.stdout.splitlines()[0].startswith(f"# envsnap {__version__} freeze - CPython")


def test_an_error_before_the_snapshot_stops_the_started_probe(
    probes: list[PendingProbe], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "missing.txt", "-p", sys.executable])
    assert (result.exit_code, result.stderr) == (
        2,
        "error: missing.txt: no such file\nhint: give an existing lock file\n",
    )
    assert len(probes) == 1
    with pytest.raises(TargetError, match="the probe was cancelled"):
        probes[0].result()


def test_an_unresolvable_target_is_reported_in_its_turn(
    probes: list[PendingProbe], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    gone = tmp_path / "gone"
    missing_file = CliRunner().invoke(cli, ["check", "missing.txt", "-p", str(gone)])
    assert missing_file.stderr.startswith("error: missing.txt: no such file\n")
    header = "# envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - 0 top-level, 0 transitive"
    (tmp_path / "requirements.txt").write_text(f"{header}\n# top-level\n", encoding="utf-8")
    no_target = CliRunner().invoke(cli, ["freeze", "-p", str(gone)])
    assert (no_target.exit_code, no_target.stderr) == (
        2,
        f"error: {gone}: no such file or directory (--python)\n",
    )
    assert probes == []  # nothing to start for a target that does not exist
    no_env = CliRunner().invoke(cli, ["check", "requirements.txt", "--no-env"])
    assert no_env.exit_code == 2  # no pyproject.toml; and no probe for --no-env
    assert probes == []


def test_diff_probes_both_environments_at_once(
    probes: list[PendingProbe], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    header = "# envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - 0 top-level, 0 transitive"
    (tmp_path / "requirements.txt").write_text(f"{header}\n# top-level\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["diff", sys.prefix, sys.executable])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"OK env {sys.prefix} matches env {sys.prefix} (")
    assert [p.interpreter for p in probes] == [
        Path(sys.prefix) / "bin" / "python",
        Path(sys.executable),
    ]
    files = CliRunner().invoke(cli, ["diff", "requirements.txt", "requirements.txt"])
    assert files.exit_code == 0
    assert len(probes) == 2  # no probe for lock files


def test_main_leaves_the_objects_of_the_run_to_the_exit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the command, ``main`` moves every object out of the collector's reach."""
    import gc  # noqa: PLC0415

    from envsnap.cli import main  # noqa: PLC0415

    monkeypatch.setattr(sys, "argv", ["envsnap", "--version"])
    try:
        with pytest.raises(SystemExit) as info:
            main()
        assert info.value.code == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert capsys.readouterr().out == VERSION_LINE

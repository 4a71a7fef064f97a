"""The envsnap command group: help, version, unknown commands, error mapping."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from envsnap import __version__
from envsnap.cli import COMMANDS, cli, handle_errors
from envsnap.errors import InputError, OperationError


def test_help_lists_every_command_with_its_line() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name, (_, line) in COMMANDS.items():
        assert f"  {name}" in result.stdout
        assert line[:30] in result.stdout


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"envsnap, version {__version__}\n")


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["frieze"])
    assert result.exit_code == 2
    assert "No such command 'frieze'" in result.stderr


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
        f"envsnap, version {__version__}\n",
        "",
    )

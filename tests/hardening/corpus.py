"""Helpers shared by the hardening tests: the bad-input corpus and how to run it.

``fixtures/bad/`` holds the corpus (see its README.md). The CLI runs through
click's :class:`~click.testing.CliRunner` on a fake target: the probe is
replaced by a :class:`~envsnap.environment.target.TargetEnvironment` over a copy of
a corpus tree, so no interpreter is started.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner, Result

import envsnap.environment.snapshot as snapshot_module
from envsnap.cli import cli
from support.fake_site import make_environment

if TYPE_CHECKING:
    import pytest

    from envsnap.environment.target import TargetEnvironment

BAD = Path(__file__).resolve().parents[2] / "fixtures" / "bad"
"""The corpus directory."""

_BASE_ENV = {"VIRTUAL_ENV": "", "PYTHONPATH": "", "ENVSNAP_PYTHON": ""}


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run ``envsnap ARGS`` in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(cli, list(args), env={**_BASE_ENV, **(env or {})})


def fake_target(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, case: str | Path | None = None
) -> Path:
    """Make a fake venv under ``tmp_path`` whose site-packages is a copy of ``case``.

    Args:
        monkeypatch: replaces :func:`envsnap.environment.snapshot.probe` for the test.
        tmp_path: where the venv goes (``tmp_path / "venv"``); also the cwd.
        case: a directory of ``fixtures/bad/dist-info`` (name or path), or ``None``
            for an empty site-packages.

    Returns:
        The venv directory, to pass as ``-p``.
    """
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    if case is None:
        site.mkdir(parents=True)
    else:
        source = case if isinstance(case, Path) else BAD / "dist-info" / case
        shutil.copytree(source, site, symlinks=True)
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    (venv / "bin" / "python").write_text("", encoding="utf-8")
    (venv / "pyvenv.cfg").write_text("home = /opt/python/bin\n", encoding="utf-8")
    environment = make_environment(site, prefix=venv)

    def fake_probe(interpreter: Path, **_: object) -> TargetEnvironment:
        return environment

    monkeypatch.setattr(snapshot_module, "probe", fake_probe)
    monkeypatch.chdir(tmp_path)
    return venv


def site_packages(venv: Path) -> Path:
    """Return the site-packages of a venv made by :func:`fake_target`."""
    return venv / "lib" / "python3.11" / "site-packages"


def assert_no_traceback(result: Result) -> None:
    """The command ended through ``sys.exit`` (or normally), printing no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


def lines_of(stream: str, prefix: str) -> list[str]:
    """Return the lines of ``stream`` that start with ``prefix`` (``error:``, ``warning:``)."""
    return [line for line in stream.splitlines() if line.startswith(prefix)]


def assert_error(result: Result, code: int, *fragments: str, hint: str | None = None) -> str:
    """Assert exit ``code``, one ``error:`` line holding every fragment, and the hint.

    Returns:
        The ``error:`` line.
    """
    assert_no_traceback(result)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    errors = lines_of(result.stderr, "error: ")
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    if hint is not None:
        hints = lines_of(result.stderr, "hint: ")
        assert hints, result.stderr
        assert hint in hints[0], (hint, hints[0])
    return errors[0]

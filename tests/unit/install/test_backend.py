"""The program backends (pip, uv) behind one seam: the same questions, their own answers."""

from __future__ import annotations

import pytest

from envsnap.install.backend import PIP, PROGRAM_BACKENDS, UV, program_backend
from envsnap.install.external import INSTALLERS


def test_trust_arguments_follow_each_program() -> None:
    assert PIP.trust_args(["a.example", "b.example"]) == [
        "--trusted-host",
        "a.example",
        "--trusted-host",
        "b.example",
    ]
    assert UV.trust_args(["a.example"]) == ["--allow-insecure-host", "a.example"]
    assert PIP.trust_args([]) == UV.trust_args([]) == []


def test_only_pip_runs_from_the_venv() -> None:
    assert PIP.runs_from_venv_pip
    assert not UV.runs_from_venv_pip


@pytest.mark.parametrize(("name", "expected"), [("pip", "pip"), ("uv", "uv"), ("direct", "pip")])
def test_every_cli_backend_maps_to_a_program(name: str, expected: str) -> None:
    # the built-in backend hands sdists, VCS and directories to pip
    assert name in INSTALLERS
    assert program_backend(name).name == expected


def test_the_table_names_each_backend_by_its_own_name() -> None:
    assert {name: backend.name for name, backend in PROGRAM_BACKENDS.items()} == {
        "pip": "pip",
        "uv": "uv",
    }

"""build_venv: the backend prepares for the base interpreter while the venv is made.

A venv has its base interpreter's markers and tags, so the built-in backend
plans, fetches and re-hashes against the base's probe; should the venv's
probe ever differ, the plan is made again for the venv itself.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from envsnap.errors import OperationError
from envsnap.restore import build as build_module
from envsnap.restore.backends import BACKENDS
from envsnap.restore.build import build_venv
from envsnap.restore.plan import RestoreOptions, plan_restore
from support.index import serve_index
from support.venvs import clean_env
from support.wheels import build_wheel, file_sha256

if TYPE_CHECKING:
    from collections.abc import Iterator

    from envsnap.environment.target import TargetEnvironment
    from envsnap.restore.backends import Prepared
    from envsnap.restore.plan import RestorePlan

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("house")
    build_wheel(root, "alpha", "1.0", requires=["beta"])
    build_wheel(root, "beta", "1.0")
    return root


@pytest.fixture
def index(house: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(os, "environ", clean_env(ENVSNAP_CACHE_DIR=str(tmp_path / "cache")))
    with serve_index(house) as url:
        yield url


@pytest.fixture
def prepared_for(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The ``prefix`` of every environment the built-in backend prepared for, in order."""
    seen: list[Path] = []
    backend = type(BACKENDS["direct"])
    real = backend.prepare

    def spy(self: object, plan: object, base: TargetEnvironment, *args: object) -> Prepared:
        seen.append(base.prefix)
        return real(self, plan, base, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(backend, "prepare", spy)
    return seen


def restore(house: Path, index: str, tmp_path: Path) -> Path:
    file = tmp_path / "requirements.txt"
    file.write_text(
        "".join(
            f"{name}==1.0 --hash=sha256:{file_sha256(house / f'{name}-1.0-py3-none-any.whl')}\n"
            for name in ("alpha", "beta")
        ),
        encoding="utf-8",
    )
    options = RestoreOptions(
        venv=tmp_path / "venv",
        python=sys.executable,
        with_pip=False,
        index_args=("--index-url", index),
    )
    python, report, notes = build_venv(plan_restore(file, options), lambda *_: None, None)
    assert not report
    assert notes == ()
    return python


def installed(venv: Path) -> list[str]:
    return sorted(p.name for p in venv.glob("lib/python*/site-packages/*.dist-info"))


def test_the_backend_prepares_once_for_the_base_interpreter(
    house: Path, index: str, tmp_path: Path, prepared_for: list[Path]
) -> None:
    restore(house, index, tmp_path)
    assert prepared_for == [Path(sys.prefix)]
    assert installed(tmp_path / "venv") == ["alpha-1.0.dist-info", "beta-1.0.dist-info"]


def test_a_venv_whose_markers_differ_from_its_base_is_planned_again(
    house: Path,
    index: str,
    tmp_path: Path,
    prepared_for: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_probe = build_module._probe_base

    def probe_base(plan: RestorePlan) -> TargetEnvironment:
        """The base's probe, with a marker no venv of it has."""
        found = real_probe(plan)
        markers = {**found.markers, "platform_release": "not-this-kernel"}
        return dataclasses.replace(found, markers=markers)

    monkeypatch.setattr(build_module, "_probe_base", probe_base)
    restore(house, index, tmp_path)
    assert prepared_for == [Path(sys.prefix), tmp_path / "venv"]
    assert installed(tmp_path / "venv") == ["alpha-1.0.dist-info", "beta-1.0.dist-info"]


def test_a_failed_prepare_waits_for_the_venv_and_reports_the_index_error(
    house: Path, index: str, tmp_path: Path
) -> None:
    file = tmp_path / "requirements.txt"
    file.write_text("gamma==1.0\n", encoding="utf-8")  # not on the index
    options = RestoreOptions(
        venv=tmp_path / "venv",
        python=sys.executable,
        with_pip=False,
        index_args=("--index-url", index),
    )
    with pytest.raises(OperationError) as info:
        build_venv(plan_restore(file, options), lambda *_: None, None)
    assert info.value.exit_code == 3
    assert "gamma" in info.value.message
    # the venv thread finished before the error left build_venv: nothing is still writing
    assert (tmp_path / "venv" / "pyvenv.cfg").is_file()
    assert installed(tmp_path / "venv") == []

"""The backend contract: every backend restore can install with passes the same tests.

Each test runs once per entry of :data:`envsnap.restore.backends.BACKENDS`
(built-in, pip, uv) through the seam restore uses (``plan_restore`` then
``build_venv``), on wheels built here and served from the loopback index.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import pytest

from envsnap.errors import OperationError
from envsnap.install.backend import program_backend
from envsnap.restore.backends import BACKENDS
from envsnap.restore.build import build_venv
from envsnap.restore.plan import RestoreOptions, plan_restore
from support.index import serve_index
from support.venvs import clean_env
from support.wheels import build_wheel, file_sha256

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from envsnap.install.external import InstallerName

pytestmark = pytest.mark.integration

NAMES = sorted(BACKENDS)


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """alpha 1.0 (needs beta), beta 1.0, and gamma 1.0 that no lock names."""
    root = tmp_path_factory.mktemp("house")
    build_wheel(root, "alpha", "1.0", requires=["beta"])
    build_wheel(root, "beta", "1.0")
    build_wheel(root, "gamma", "1.0")
    return root


@pytest.fixture(autouse=True)
def _clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's pip settings never reach pip or uv; the cache stays in tmp_path."""
    monkeypatch.setattr(os, "environ", clean_env(ENVSNAP_CACHE_DIR=str(tmp_path / "cache")))


@pytest.fixture
def index(house: Path) -> Iterator[str]:
    with serve_index(house) as url:
        yield url


def lock_file(tmp_path: Path, house: Path, *, beta_sha: str | None = None) -> Path:
    """A pinned, hashed requirements file: alpha top-level, beta via alpha."""
    alpha = house / "alpha-1.0-py3-none-any.whl"
    beta = beta_sha or file_sha256(house / "beta-1.0-py3-none-any.whl")
    path = tmp_path / "requirements.txt"
    path.write_text(
        f"alpha==1.0 --hash=sha256:{file_sha256(alpha)}\n"
        f"beta==1.0 --hash=sha256:{beta}\n"
        "    # via alpha\n",
        encoding="utf-8",
    )
    return path


def restore_with(installer: InstallerName, file: Path, index: str, tmp_path: Path) -> Path:
    options = RestoreOptions(
        venv=tmp_path / "venv",
        installer=installer,
        with_pip=False,
        index_args=("--index-url", index),
        trusted_hosts=("127.0.0.1",),
    )
    plan = plan_restore(file, options)
    build_venv(plan, say=lambda stage, text: None, output=None)
    return tmp_path / "venv"


def installed(venv: Path) -> dict[str, bool]:
    """``{name==version: REQUESTED present}`` for every dist-info in the venv."""
    found: dict[str, bool] = {}
    for info in venv.glob("lib/python*/site-packages/*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").split("-")
        found[f"{name}=={version}"] = (info / "REQUESTED").exists()
    return found


@pytest.mark.parametrize("installer", NAMES)
def test_installs_exactly_the_lock_and_marks_its_top_level(
    installer: InstallerName, house: Path, index: str, tmp_path: Path
) -> None:
    venv = restore_with(installer, lock_file(tmp_path, house), index, tmp_path)
    assert installed(venv) == {"alpha==1.0": True, "beta==1.0": False}


@pytest.mark.parametrize("installer", NAMES)
def test_a_wrong_hash_fails_with_exit_3_and_installs_nothing(
    installer: InstallerName, house: Path, index: str, tmp_path: Path
) -> None:
    file = lock_file(tmp_path, house, beta_sha="0" * 64)
    with pytest.raises(OperationError) as info:
        restore_with(installer, file, index, tmp_path)
    assert info.value.exit_code == 3
    assert re.search(r"hash|HASH", info.value.message), info.value.message
    assert (tmp_path / "venv" / "pyvenv.cfg").is_file()  # built, then nothing installed
    assert installed(tmp_path / "venv") == {}


@pytest.mark.parametrize("installer", NAMES)
def test_trust_arguments_name_each_host_in_the_backends_form(installer: InstallerName) -> None:
    option = {"uv": "--allow-insecure-host"}.get(installer, "--trusted-host")
    assert program_backend(installer).trust_args(["a.test", "b.test:8080"]) == [
        option,
        "a.test",
        option,
        "b.test:8080",
    ]


def test_every_installer_name_has_a_backend() -> None:
    from envsnap.install.external import INSTALLERS  # noqa: PLC0415

    assert sorted(INSTALLERS) == NAMES == ["direct", "pip", "uv"]

"""Shared fixtures live in tests/support/; this file registers them.

The suite runs on pytest-xdist workers (``-n auto`` in pyproject's addopts):
session fixtures are per worker, and nothing a test writes is shared with
another test, so any test runs alone (``-n0``), first or last.
"""

import itertools
import os
import sys

import pytest

pytest_plugins = ["support.fake_site", "support.venv_fixtures"]

# pytest caches a test module's rewritten asserts as bytecode, unless the shell
# says PYTHONDONTWRITEBYTECODE: then every worker rewrote all of them again
# (about 5 s of each run's collection)
sys.dont_write_bytecode = False

_uv_caches = itertools.count()


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep envsnap's download cache out of the user's home during tests (one per worker)."""
    os.environ["ENVSNAP_CACHE_DIR"] = str(tmp_path_factory.mktemp("envsnap-cache"))


@pytest.fixture(autouse=True, scope="session")
def _no_machine_pip_configuration() -> None:
    """Hide the machine's pip and uv settings from in-process code (extra indexes, a cert).

    envsnap asks pip for its configuration and reads ``PIP_*`` variables, as
    pip would: in tests only what a test names may count. Subprocesses get
    :func:`support.venvs.clean_env` as well.

    ``COLUMNS`` and ``LINES`` go too: xdist's workers get ``COLUMNS=80``, and
    uv wraps its messages at that width when the variable is set.
    """
    for key in [k for k in os.environ if k.startswith(("PIP_", "UV_"))]:
        del os.environ[key]
    for key in ("COLUMNS", "LINES"):
        os.environ.pop(key, None)
    os.environ["PIP_CONFIG_FILE"] = os.devnull


@pytest.fixture(autouse=True)
def _own_uv_cache(
    _no_machine_pip_configuration: None,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Give each test an empty uv cache of its own (``UV_CACHE_DIR``, made when uv first writes).

    A shared cache lets a test hit a file another test downloaded: a loopback
    index may get a port an earlier one had, so even its URLs repeat.
    :func:`support.venvs.clean_env` passes this variable on; a test may set
    its own instead.
    """
    root = tmp_path_factory.getbasetemp() / "uv-caches" / str(next(_uv_caches))
    monkeypatch.setenv("UV_CACHE_DIR", str(root))

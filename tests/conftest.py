"""Shared fixtures live in tests/support/; this file registers them."""

import os

import pytest

pytest_plugins = ["support.fake_site", "support.venv_fixtures"]


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep envsnap's download cache out of the user's home during tests."""
    os.environ["ENVSNAP_CACHE_DIR"] = str(tmp_path_factory.mktemp("envsnap-cache"))


@pytest.fixture(autouse=True, scope="session")
def _no_machine_pip_configuration() -> None:
    """Hide the machine's pip and uv settings from in-process code (extra indexes, a cert).

    envsnap asks pip for its configuration and reads ``PIP_*`` variables, as
    pip would: in tests only what a test names may count. Subprocesses get
    :func:`support.venvs.clean_env` as well.
    """
    for key in [k for k in os.environ if k.startswith(("PIP_", "UV_"))]:
        del os.environ[key]
    os.environ["PIP_CONFIG_FILE"] = os.devnull

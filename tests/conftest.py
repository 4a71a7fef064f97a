"""Shared fixtures live in tests/support/; this file registers them."""

import os

import pytest

pytest_plugins = ["support.fake_site", "support.venv_fixtures"]


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep envsnap's download cache out of the user's home during tests."""
    os.environ["ENVSNAP_CACHE_DIR"] = str(tmp_path_factory.mktemp("envsnap-cache"))

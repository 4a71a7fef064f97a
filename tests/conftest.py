"""Shared fixtures live in tests/support/; this file only registers them."""

pytest_plugins = ["support.fake_site", "support.venv_fixtures"]

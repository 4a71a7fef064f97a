"""Fixtures for real venvs, locally built wheels and a loopback index."""

"""Fixtures that write fake ``*.dist-info`` trees (no venv needed)."""

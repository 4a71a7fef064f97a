"""Run envsnap as ``python -m envsnap``."""

from envsnap.cli import main

main()

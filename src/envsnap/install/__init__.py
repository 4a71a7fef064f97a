"""Installing into a venv: the built-in wheel installer, pip and uv, wheels, venv creation.

``builtin`` fetches, verifies and installs wheels itself (through ``installer``);
``external`` runs pip or uv as a program; ``wheels`` unpacks and installs one
wheel; ``venvs`` finds base interpreters and creates venvs; ``pip_seed`` puts
pip into a venv made ``--without-pip``. See docs/architecture.md.
"""

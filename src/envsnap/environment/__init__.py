"""The target environment: find and probe it, read its distributions, snapshot it.

The modules and their order: docs/architecture.md.
"""

TOOLING: frozenset[str] = frozenset({"pip", "setuptools", "wheel", "distribute"})
"""Left out of output unless asked for (as ``pip freeze`` without ``--all``); never requested."""

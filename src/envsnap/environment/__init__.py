"""The target environment: find and probe it, read its distributions, snapshot it.

``target`` finds the interpreter and probes it once (paths, markers, tags);
``distributions`` reads ``*.dist-info`` / ``*.egg-info`` (the files inside
one: ``metadata``; ``Requires-Dist`` lines: ``requirements``); ``graph``
builds the dependency graph; ``classify`` says why each package is there;
``snapshot`` puts them together; ``project`` reads what ``pyproject.toml``
declares; ``checkouts`` reads pip's VCS checkouts; ``base_packages`` covers a
venv that sees the base installation's site-packages. See docs/architecture.md.
"""

TOOLING: frozenset[str] = frozenset({"pip", "setuptools", "wheel", "distribute"})
"""The installer tooling: left out of output unless asked for, as ``pip freeze`` does without
``--all``; never marked requested by a restore."""

"""Comparisons: drift between an environment, lock files and ``pyproject.toml``.

Pure functions over the models (``Snapshot``, ``Lock``, ``ProjectDeclaration``)
returning a :class:`~envsnap.compare.drift.Report`; rendering is ``render/``'s job.
"""

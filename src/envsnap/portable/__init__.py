"""Portable freeze: lock an installed environment for other platforms and Python versions.

targets (CPython minors x platforms) -> resolver (resolvelib over a source, the
installed pins fixed) -> paths and markers (each pin's condition) -> freeze
(:func:`~envsnap.portable.freeze.portable_lock`). Not imported at envsnap's start-up.
"""

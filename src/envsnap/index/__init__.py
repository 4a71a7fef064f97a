"""The package index side: pip's settings, one HTTP client, Simple API pages, repositories.

Every module speaks of :mod:`~envsnap.index.distfile`'s ``DistFile`` and ``ProjectFiles``.
Nothing here is imported at envsnap's start-up; each module loads on use.
"""

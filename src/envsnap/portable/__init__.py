"""Portable freeze: lock an installed environment for other platforms and Python versions.

- :mod:`~envsnap.portable.targets`: the targets (CPython minors x platforms),
  as PEP 508 marker environments and PEP 425 tags, and those an environment
  can be locked for;
- :mod:`~envsnap.portable.markers`: conditions over markers, combined along
  dependency paths and simplified over the targets;
- :mod:`~envsnap.portable.paths`: each pin's condition from the dependency paths;
- :mod:`~envsnap.portable.resolver`: resolvelib over a candidate source, the
  installed pins fixed;
- :mod:`~envsnap.portable.source`: what the resolver asks of a candidate
  source, and the source over the package index (pages and files through
  :mod:`envsnap.index`);
- :mod:`~envsnap.portable.freeze`: :func:`~envsnap.portable.freeze.portable_lock`
  and the requirements writer.

Nothing here is imported at envsnap's start-up.
"""

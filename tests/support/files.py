"""Build :class:`~envsnap.index.distfile.DistFile` values for tests, named as messages show them."""

from __future__ import annotations

from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.index.distfile import DistFile


def dist_file(*, package: str, filename: str, sha256: str, **fields: Any) -> DistFile:
    """Return the file ``filename`` of ``package`` (``name==version``) with its sha256."""
    name, _, version = package.partition("==")
    return DistFile(
        name=canonicalize_name(name),
        version=Version(version) if version else None,
        filename=filename,
        hashes={"sha256": sha256},
        **fields,
    )

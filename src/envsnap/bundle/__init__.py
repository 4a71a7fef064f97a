"""Bundles: a lock and the files it needs, for a restore that needs no network.

A bundle is a directory or a ``.zip`` file holding a PEP 751 ``pylock.toml``
whose every file has a relative ``path`` and its hash, next to those files
(:mod:`~envsnap.bundle.members`: the format and the rule that tells a bundle
from a lock file). One module per concern:

1. :mod:`~envsnap.bundle.select`: the targets a bundle covers (this machine,
   a portable lock's own, or ``--python-version``/``--platform``) and the file
   each package needs on each;
2. :mod:`~envsnap.bundle.make`: fetch those files (each checked against its
   hash) and stream them, with the new lock, into a directory or zip file;
3. :mod:`~envsnap.bundle.unpack`: check every file before a restore builds
   anything (unpacking a zip file) and restore offline;
4. :mod:`~envsnap.bundle.complete`: is a bundle complete for a Python and a
   platform, and what does it lack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envsnap.bundle.complete import BundleCheck, TargetCheck, check_bundle
    from envsnap.bundle.make import BundleOptions, BundleResult, make_bundle
    from envsnap.bundle.members import is_bundle
    from envsnap.bundle.unpack import OpenedBundle, open_bundle

__all__ = [
    "BundleCheck",
    "BundleOptions",
    "BundleResult",
    "OpenedBundle",
    "TargetCheck",
    "check_bundle",
    "is_bundle",
    "make_bundle",
    "open_bundle",
]

_HOMES = {
    "BundleCheck": "complete",
    "TargetCheck": "complete",
    "check_bundle": "complete",
    "BundleOptions": "make",
    "BundleResult": "make",
    "make_bundle": "make",
    "is_bundle": "members",
    "OpenedBundle": "unpack",
    "open_bundle": "unpack",
}
"""Where each public name lives: imported when first asked for (PEP 562), so that
``restore`` and ``check`` can ask :func:`is_bundle` without loading the index client."""


def __getattr__(name: str) -> Any:  # noqa: ANN401 - any public name of the package
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)

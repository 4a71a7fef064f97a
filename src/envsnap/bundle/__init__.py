"""Bundles: a lock and the files it needs, for a restore that needs no network.

A bundle is a directory or a ``.zip`` file holding a PEP 751 ``pylock.toml``
whose every file has a relative ``path`` and its hash, next to those files
(:mod:`~envsnap.bundle.members`). Made in stages: ``targets`` -> ``select`` ->
``make`` (fetch) -> ``write``; used by ``unpack`` (restore) and ``complete`` (check).
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

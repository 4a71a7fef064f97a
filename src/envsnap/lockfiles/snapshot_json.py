"""The whole snapshot as JSON (schema ``envsnap.snapshot/1``, docs/json-schema.md).

JSON escapes C0 control characters; DEL, C1 and U+2028/2029 are escaped too
(:func:`envsnap._text.printable`), so nothing reaches a terminal raw.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from envsnap._text import printable
from envsnap._version import __version__

if TYPE_CHECKING:
    from envsnap.environment.snapshot import Snapshot
    from envsnap.lock import Origin
    from envsnap.lockfiles import DumpOptions

__all__ = ["SCHEMA", "dump", "to_dict"]

SCHEMA = "envsnap.snapshot/1"
"""The schema identifier written as ``schema``; bumped on incompatible changes."""


def dump(snapshot: Snapshot, options: DumpOptions) -> str:
    """Render a snapshot as indented JSON text (keys in a fixed order, newline at the end)."""
    text = json.dumps(to_dict(snapshot, options), indent=2, ensure_ascii=False)
    return printable(text, lines=True) + "\n"


def to_dict(snapshot: Snapshot, options: DumpOptions) -> dict[str, Any]:
    """Return the snapshot as plain JSON-ready data (see docs/json-schema.md)."""
    listed = snapshot.listed(include_tools=options.include_tools, exclude=options.exclude)
    if options.top_level_only:
        listed = [d for d in listed if snapshot.reasons[d.name].top_level]
    names = {d.name for d in listed}
    from envsnap.environment.base_packages import relied_on  # noqa: PLC0415

    env = snapshot.environment
    packages = []
    for dist in listed:
        reason = snapshot.reasons[dist.name]
        packages.append(
            {
                "name": dist.name,
                "display_name": dist.display_name,
                "version": str(dist.version),
                "top_level": reason.top_level,
                "reason": reason.kind,
                "via": list(reason.via),
                "requires": [str(r) for r in dist.requires],
                "extras": sorted(snapshot.extras.get(dist.name, ())),
                "inferred_extras": sorted(snapshot.inferred_extras.get(dist.name, ())),
                "top_level_extras": sorted(snapshot.top_level_extras.get(dist.name, ())),
                "explained_by": list(reason.explained_by),
                "requires_python": str(dist.requires_python) if dist.requires_python else None,
                "origin": _origin(dist.origin),
                "installer": dist.installer,
                "requested": dist.requested,
                "location": os.fspath(dist.location),
            }
        )
    return {
        "schema": SCHEMA,
        "envsnap": __version__,
        "environment": {
            "interpreter": os.fspath(env.interpreter.absolute()),
            "prefix": os.fspath(env.prefix),
            "base_prefix": os.fspath(env.base_prefix),
            "is_venv": env.is_venv,
            "implementation": env.implementation,
            "python_version": env.python_version_text,
            "platform": env.platform,
            "site_packages": [os.fspath(p) for p in env.site_packages],
            "include_system_site_packages": env.include_system_site_packages,
            "system_site_packages_used": relied_on(snapshot, listed),
            "markers": dict(sorted(env.markers.items())),
        },
        "packages": packages,
        "edges": [
            {"from": e.parent, "to": e.child, "requirement": str(e.requirement), "extra": e.extra}
            for e in snapshot.edges
            if e.parent in names and e.child in names
        ],
        "unsatisfied": [
            {
                "dependent": u.dependent,
                "requirement": str(u.requirement),
                "extra": u.extra,
                "installed": str(u.installed) if u.installed else None,
            }
            for u in snapshot.unsatisfied
            if u.dependent in names
        ],
        "warnings": [{"path": os.fspath(w.path), "message": w.message} for w in snapshot.warnings],
    }


def _origin(origin: Origin) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": origin.kind}
    for key in ("url", "vcs", "commit", "requested_revision", "archive_hash", "subdirectory"):
        value = getattr(origin, key)
        if value is not None:
            data[key] = value
    if origin.kind == "directory":
        data["editable"] = origin.editable
    return data

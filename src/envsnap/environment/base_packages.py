"""The base Python's packages a ``--system-site-packages`` venv relies on (PEP 405).

``freeze`` lists the venv's own packages (``pip freeze --local``) and records the
base ones it relies on: every base distribution joined to a listed one by a
requirement, in either direction, and what those require in turn. ``restore``
sees them again from its base interpreter, or installs what it lacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from packaging.utils import NormalizedName

    from envsnap.environment.distributions import InstalledDistribution
    from envsnap.environment.snapshot import Snapshot

__all__ = ["HEADER_LINE", "base_versions", "missing_from", "relied_on"]

HEADER_LINE = "# system-site-packages:"
"""The requirements-file header line that records them (after envsnap's first line)."""


def relied_on(
    snapshot: Snapshot, listed: Iterable[InstalledDistribution] | None = None
) -> list[str] | None:
    """Return the base packages that ``listed`` (default ``snapshot.listed()``) rely on.

    Returns:
        ``name==version`` pins (possibly none) sorted by normalized name; ``None`` when the target
        sees no base site-packages or the snapshot lists them itself (``--include-system``).
    """
    env = snapshot.environment
    if not env.include_system_site_packages or snapshot.include_system:
        return None
    by_name = {d.name: d for d in snapshot.distributions}
    chosen = snapshot.listed() if listed is None else listed
    local = {d.name for d in chosen if not d.in_base}
    base = {name for name, d in by_name.items() if d.in_base}
    found: set[NormalizedName] = set()
    for edge in snapshot.edges:
        for one, other in ((edge.parent, edge.child), (edge.child, edge.parent)):
            if one in local and other in base:
                found.add(other)
    queue = list(found)
    while queue:
        for edge in snapshot.children(queue.pop()):
            if edge.child in base and edge.child not in found:
                found.add(edge.child)
                queue.append(edge.child)
    return [f"{by_name[n].display_name}=={by_name[n].version}" for n in sorted(found)]


def base_versions(site_dirs: Sequence[Path]) -> dict[NormalizedName, str]:
    """Return ``{name: version}`` of the distributions in a base installation's site-packages."""
    from envsnap.environment.distributions import read_distributions  # noqa: PLC0415

    dists, _warnings = read_distributions(site_dirs, (), parse_requires=False)  # names only
    return {d.name: str(d.version) for d in dists}


def missing_from(pins: Iterable[str], provided: Mapping[NormalizedName, str]) -> list[str]:
    """Return the ``name==version`` pins ``provided`` lacks (PEP 440: ``1.0`` is ``1.0.0``)."""
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415

    missing = []
    for pin in pins:
        name, _, version = pin.partition("==")
        have = provided.get(canonicalize_name(name.strip()))
        try:
            same = have is not None and Version(have) == Version(version)
        except InvalidVersion:
            same = have == version
        if not same:
            missing.append(pin)
    return missing

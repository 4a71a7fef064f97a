"""The base Python's packages a ``--system-site-packages`` venv relies on.

A venv made with ``include-system-site-packages = true`` (PEP 405) imports
from the base installation's site-packages too. ``envsnap freeze`` lists the
venv's own packages only (like ``pip freeze --local``), so the file records,
besides, that the venv saw the base packages and which of them it used: the
header line ``# system-site-packages: certifi==2024.8.30, idna==3.7`` of a
requirements file, ``system-site-packages = [...]`` in a pylock file's
``[tool.envsnap]``. ``envsnap restore`` then makes the new venv see the base
packages again when its base interpreter provides those versions, and
installs them into the venv otherwise (:func:`missing_from`).

"Relied on" is every base distribution joined to a listed package by a
requirement, in either direction (one a listed package requires, one that
requires a listed package and so appears in its ``# via`` line), with what
those base distributions require in turn.
"""

from __future__ import annotations

from collections import deque
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
    """Return the base packages the snapshot's venv relies on, as sorted ``name==version`` pins.

    Args:
        snapshot: a snapshot of the target.
        listed: the distributions the output lists (default:
            ``snapshot.listed()``, without pip, setuptools, wheel): a base
            package counts when one of these is joined to it.

    Returns:
        ``None`` when the target does not see a base site-packages (not a
        venv, ``include-system-site-packages`` off) or the snapshot lists
        the base packages itself (``freeze --include-system``); else the
        pins (possibly empty), sorted by normalized name.
    """
    env = snapshot.environment
    if not env.include_system_site_packages or snapshot.include_system:
        return None
    by_name = {d.name: d for d in snapshot.distributions}
    chosen = snapshot.listed() if listed is None else listed
    local = {d.name for d in chosen if not d.in_base}
    base = {name for name, d in by_name.items() if d.in_base}
    found: set[NormalizedName] = set()
    queue: deque[NormalizedName] = deque()
    for edge in snapshot.edges:
        for one, other in ((edge.parent, edge.child), (edge.child, edge.parent)):
            if one in local and other in base and other not in found:
                found.add(other)
                queue.append(other)
    while queue:
        name = queue.popleft()
        for edge in snapshot.children(name):
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
    """Return the pins a base installation does not provide at that version (``name==version``).

    Versions compare as PEP 440 versions (``1.0`` is ``1.0.0``).
    """
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

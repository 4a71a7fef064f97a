"""A portable lock from an installed environment: pins with markers, for many targets.

:func:`portable_lock` resolves the top-level requirements once per target (the
installed pins fixed), then gives every pin the condition under which it is
needed (:mod:`envsnap.portable.paths`).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from envsnap._markers import marker_holds
from envsnap.environment import TOOLING
from envsnap.errors import OperationError
from envsnap.index.distfile import ProjectFiles
from envsnap.portable.markers import FALSE, Evaluator, parse_condition, restrict_extra, to_marker
from envsnap.portable.paths import narrowed, node_conditions
from envsnap.portable.resolver import NoResolution, Pinned, Resolution, Wanted, resolve_target
from envsnap.portable.source import DistMetadata
from envsnap.portable.targets import (
    Narrowed,
    Target,
    choose_targets,
    narrowed_pythons,
    top_level_dists,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from packaging.markers import Marker
    from packaging.version import Version

    from envsnap.environment.snapshot import Snapshot
    from envsnap.index.distfile import DistFile
    from envsnap.index.settings import IndexSettings
    from envsnap.portable.source import CandidateSource

__all__ = [
    "PortablePin",
    "PortableResult",
    "freeze_portable",
    "own_extras",
    "portable_lock",
    "report_lines",
    "requirements_lines",
]

_Pin = tuple[NormalizedName, "Version"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PortablePin:
    """One pinned version in a portable lock."""

    name: NormalizedName
    """The normalized name."""
    version: Version
    """The pinned version."""
    marker: Marker | None
    """Where it is needed (PEP 508); ``None`` means on every target."""
    installed: bool
    """Whether it is the installed distribution (else added from the index)."""
    targets: tuple[str, ...]
    """The names of the targets it applies to."""
    files: tuple[DistFile, ...] = ()
    """Its files on the index (empty when the index has not got it, e.g. an editable)."""

    def line(self) -> str:
        """Return ``name==version`` with `` ; marker`` when it has one."""
        pin = f"{self.name}=={self.version}"
        return f"{pin} ; {self.marker}" if self.marker is not None else pin


@dataclass(frozen=True, slots=True, kw_only=True)
class PortableResult:
    """A portable lock: the pins with markers, and what each target lacks."""

    targets: tuple[Target, ...]
    """The supported targets (resolved), in order."""
    requires_python: SpecifierSet
    """The Python range of the supported targets (``>=3.10,<3.14``)."""
    pins: tuple[PortablePin, ...]
    """Every pin, by name then version."""
    dropped: Mapping[str, str] = field(default_factory=dict)
    """Targets left out (with ``drop_unresolvable``): target name -> why."""
    missing_files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Target name -> ``name==version`` of pins it needs with no wheel or sdist it can use."""
    not_on_index: tuple[str, ...] = ()
    """Installed ``name==version`` the source does not have (local builds, direct URLs)."""
    left_out: tuple[str, ...] = ()
    """Installed ``name==version`` no target needs (they are not in :attr:`pins`)."""
    top_level: tuple[NormalizedName, ...] = ()
    """The top-level names (the resolution's roots), sorted."""
    narrowed: tuple[Narrowed, ...] = ()
    """Pins that left Python minors out (see :func:`narrowed_pythons`)."""


def own_extras(snapshot: Snapshot) -> dict[NormalizedName, frozenset[NormalizedName]]:
    """Return the extras each distribution is installed with on its own account.

    pip records no extras: these are the snapshot's active extras no dependent asks
    for, kept where the extra's requirements are installed (following extras of the
    same project: ``pandas[parquet]`` needs ``pandas[pyarrow]``, which needs ``pyarrow``).
    """
    asked: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
    for edge in snapshot.edges:
        asked[edge.child].update(canonicalize_name(e) for e in edge.requirement.extras)
    markers = dict(snapshot.environment.markers)
    found = {}
    for dist in snapshot.distributions:
        active = set(snapshot.extras.get(dist.name, ())) - asked[dist.name]
        kept = frozenset(
            e for e in active if _extra_installed(snapshot, dist.name, e, markers, set())
        )
        if kept:
            found[dist.name] = kept
    return found


def _extra_installed(
    snapshot: Snapshot,
    name: NormalizedName,
    extra: NormalizedName,
    markers: dict[str, str],
    seen: set[NormalizedName],
) -> bool:
    dist = snapshot.get(name)
    if dist is None or extra in seen:
        return dist is not None
    seen.add(extra)
    for requirement in dist.requires:
        marker = requirement.marker
        if marker is None or not marker_holds(marker, markers, extra=extra, otherwise=False):
            continue
        if marker_holds(marker, markers, otherwise=False):
            continue  # a base requirement, not the extra's
        child = canonicalize_name(requirement.name)
        if child == name:
            if not all(
                _extra_installed(snapshot, name, canonicalize_name(e), markers, seen)
                for e in requirement.extras
            ):
                return False
            continue
        installed = snapshot.get(child)
        if installed is None or not requirement.specifier.contains(
            installed.version, prereleases=True
        ):
            return False
    return True


def portable_lock(
    snapshot: Snapshot,
    targets: Sequence[Target],
    source: CandidateSource,
    *,
    drop_unresolvable: bool = False,
) -> PortableResult:
    """Lock an installed environment for many targets (see the module docstring).

    Args:
        snapshot: the environment (its pins do not move).
        targets: where the lock must install (:func:`choose_targets`).
        source: releases and files of names not installed, and the installed pins' files.
        drop_unresolvable: list a target without a resolution in ``dropped``, not fail.

    Raises:
        OperationError: a target has no resolution, every target was dropped, or the source failed.
    """
    extras = own_extras(snapshot)
    pinned = {
        d.name: Pinned(
            name=d.name,
            version=d.version,
            metadata=DistMetadata(requires=d.requires, requires_python=d.requires_python),
            extras=extras.get(d.name, frozenset()),
        )
        for d in snapshot.distributions
    }
    # the top-level pins: their own extras come with them (own_extras)
    roots = [
        Wanted(name=d.name, specifier=SpecifierSet(f"=={d.version}"))
        for d in top_level_dists(snapshot)
    ]
    source.prefetch(sorted(set(pinned) | _likely_added(snapshot, targets)))
    resolutions: list[Resolution] = []
    dropped: dict[str, str] = {}
    for target in targets:
        try:
            resolutions.append(resolve_target(roots, target, source, pinned))
        except NoResolution as exc:
            if not drop_unresolvable:
                raise
            dropped[target.name] = exc.message
    if not resolutions:
        raise OperationError(
            "no target has a resolution: " + "; ".join(dropped.values()),
            hint="choose other targets with --platform / --python-version",
        )
    kept = tuple(r.target for r in resolutions)
    evaluator = Evaluator([t.environment for t in kept])
    chosen, releases = _chosen(resolutions)
    conditions = node_conditions(roots, resolutions, evaluator)
    pins = []
    for (name, version), mask in sorted(chosen.items()):
        condition = narrowed(conditions.get((name, version, None), FALSE), mask, kept, evaluator)
        installed = name in pinned and pinned[name].version == version
        dist = snapshot.get(name)
        release = releases.get((name, version))
        if release is None and installed and dist is not None and not dist.origin.is_direct:
            release = next((r for r in source.releases(name) if r.version == version), None)
        pins.append(
            PortablePin(
                name=name,
                version=version,
                marker=to_marker(condition),
                installed=installed,
                targets=tuple(t.name for i, t in enumerate(kept) if mask >> i & 1),
                files=release.files if release is not None else (),
            )
        )
    left_out = sorted(
        f"{d.name}=={d.version}"
        for d in snapshot.distributions
        if (d.name, d.version) not in chosen and d.name not in TOOLING
    )
    return PortableResult(
        targets=kept,
        requires_python=_python_range(kept),
        pins=tuple(pins),
        dropped=dropped,
        missing_files=_missing_files(pins, kept),
        not_on_index=tuple(f"{p.name}=={p.version}" for p in pins if p.installed and not p.files),
        left_out=tuple(left_out),
        top_level=tuple(sorted(r.name for r in roots)),
    )


def _likely_added(snapshot: Snapshot, targets: Sequence[Target]) -> set[NormalizedName]:
    """Return names not installed that an installed requirement may need on some target."""
    evaluator = Evaluator([t.environment for t in targets])
    installed = {d.name for d in snapshot.distributions}
    found: set[NormalizedName] = set()
    for dist in snapshot.distributions:
        extras = (None, *snapshot.extras.get(dist.name, ()))
        for requirement in dist.requires:
            name = canonicalize_name(requirement.name)
            if name in installed or name in found:
                continue
            condition = parse_condition(requirement.marker)
            if any(evaluator.mask(restrict_extra(condition, e)) for e in extras):
                found.add(name)
    return found


def _chosen(resolutions: Sequence[Resolution]) -> tuple[dict[_Pin, int], dict[_Pin, ProjectFiles]]:
    """``(name, version) -> mask of targets choosing it``, and the releases of added pins."""
    chosen: dict[_Pin, int] = defaultdict(int)
    releases: dict[_Pin, ProjectFiles] = {}
    for index, resolution in enumerate(resolutions):
        for candidate in resolution.candidates.values():
            key = (candidate.name, candidate.version)
            if candidate.extra is None:
                chosen[key] |= 1 << index
            if candidate.release is not None:
                releases[key] = candidate.release
    return dict(chosen), releases


def _python_range(targets: Sequence[Target]) -> SpecifierSet:
    low, high = min(t.python for t in targets), max(t.python for t in targets)
    return SpecifierSet(f">={low[0]}.{low[1]},<{high[0]}.{high[1] + 1}")


def _missing_files(
    pins: Sequence[PortablePin], targets: Sequence[Target]
) -> dict[str, tuple[str, ...]]:
    """Return target name -> pins it needs whose files (when known) offer it nothing."""
    missing: dict[str, list[str]] = defaultdict(list)
    for pin in pins:
        if not pin.files:
            continue
        release = ProjectFiles(name=pin.name, version=pin.version, files=pin.files)
        for target in targets:
            if target.name in pin.targets and release.file_for(target.tags) is None:
                missing[target.name].append(f"{pin.name}=={pin.version}")
    return {name: tuple(found) for name, found in missing.items()}


def requirements_lines(result: PortableResult, *, hashes: bool = False) -> list[str]:
    """Write a portable lock as pip requirements lines (PEP 508 markers), without newlines.

    A header naming the targets, then one line per pin; ``hashes`` adds ``--hash=sha256:``
    lines for every file of each pin (pip's hash-checking mode needs them on every line).

    Raises:
        OperationError: ``hashes`` and a pin has no files on the index, or one without a sha256.
    """
    pythons = sorted({t.python for t in result.targets})
    platforms = list(dict.fromkeys(t.platform.name for t in result.targets))
    from envsnap.lockfiles.requirements.lines import (  # noqa: PLC0415
        PORTABLE_HEADER,
        REQUIRES_PYTHON_LINE,
        TOP_LEVEL_LINE,
    )

    lines = [
        PORTABLE_HEADER,
        f"{REQUIRES_PYTHON_LINE}{result.requires_python}",
        "# python: " + ", ".join(f"{v[0]}.{v[1]}" for v in pythons),
        "# platforms: " + ", ".join(platforms),
    ]
    lines += [f"# narrowed: {n.describe()}" for n in result.narrowed]
    lines += [f"# dropped {name}: {why}" for name, why in sorted(result.dropped.items())]
    lines.append(TOP_LEVEL_LINE + ", ".join(result.top_level))
    for pin in result.pins:
        if not hashes:
            lines.append(pin.line())
            continue
        digests = sorted({f.hashes["sha256"] for f in pin.files if "sha256" in f.hashes})
        if not digests or len(digests) < len(pin.files):
            raise OperationError(
                f"{pin.name}=={pin.version}: "
                + ("the index gives no sha256" if pin.files else "not on the index")
                + ", so no hashes",
                hint="write the file without hashes",
            )
        lines.append(pin.line() + " \\")
        lines += [
            f"    --hash=sha256:{d}" + (" \\" if i < len(digests) - 1 else "")
            for i, d in enumerate(digests)
        ]
    return lines


def report_lines(result: PortableResult) -> list[str]:
    """Return what a user should hear about a portable lock (``warning: ...`` / ``note: ...``)."""
    lines = [f"warning: {n.describe()}" for n in result.narrowed if n.top_level]
    lines += [
        f"note: {n.describe()} (ask for them with --python-version: older versions of it "
        "are taken there)"
        for n in result.narrowed
        if not n.top_level
    ]
    lines += [f"warning: target {name} left out: {why}" for name, why in result.dropped.items()]
    for name, pins in sorted(result.missing_files.items()):
        lines.append(f"warning: {name}: no wheel or sdist for {', '.join(pins)}")
    if result.not_on_index:
        lines.append(
            "warning: not on the index, so installable only here: " + ", ".join(result.not_on_index)
        )
    if result.left_out:
        lines.append("note: needed on no target, left out: " + ", ".join(result.left_out))
    installed = {p.name: p.version for p in result.pins if p.installed}
    instead = [
        f"{p.name}=={p.version} on {_pythons(p, result)} (installed: {installed[p.name]})"
        for p in result.pins
        if not p.installed and p.name in installed
    ]
    if instead:
        lines.append(
            "note: an installed version's Requires-Python leaves these targets out, so they "
            "get another version: " + ", ".join(instead)
        )
    added = [
        f"{p.name}=={p.version}" for p in result.pins if not p.installed and p.name not in installed
    ]
    if added:
        lines.append("note: added for other targets: " + ", ".join(added))
    return lines


def _pythons(pin: PortablePin, result: PortableResult) -> str:
    """Return ``Python 3.8, 3.9``: the minors of the targets a pin applies to."""
    minors = sorted({t.python for t in result.targets if t.name in pin.targets})
    return "Python " + ", ".join(f"{a}.{b}" for a, b in minors)


def freeze_portable(
    snapshot: Snapshot,
    settings: IndexSettings,
    *,
    python_versions: str | None = None,
    platforms: Sequence[str] = (),
    drop_unresolvable: bool = False,
) -> PortableResult:
    """Lock ``snapshot`` for other targets from the index pip's ``settings`` name (the CLI's entry).

    Args:
        snapshot: the environment.
        settings: the indexes (see :func:`envsnap.index.settings.index_settings`).
        python_versions: ``3.12``, ``3.10-3.13`` or ``3.10,3.12`` (default: every minor
            every distribution allows); what left minors out is in ``narrowed``.
        platforms: platform names (default: :data:`~envsnap.portable.targets.DEFAULT_PLATFORMS`).
        drop_unresolvable: leave out targets without a resolution.

    Raises:
        InputError: a bad Python range or platform, or no Python fits.
        OperationError: a target has no resolution, or the index failed.
    """
    from envsnap.portable.source import IndexCandidates  # noqa: PLC0415
    from envsnap.portable.targets import parse_python_versions  # noqa: PLC0415

    pythons = parse_python_versions(python_versions) if python_versions else None
    targets = choose_targets(snapshot, pythons, platforms or None)
    source = IndexCandidates.from_settings(settings)
    result = portable_lock(snapshot, targets, source, drop_unresolvable=drop_unresolvable)
    return dataclasses.replace(result, narrowed=narrowed_pythons(snapshot, pythons))

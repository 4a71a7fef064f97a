"""The snapshot engine: distributions -> dependency graph -> classification (docs/freeze.md)."""

from __future__ import annotations

import contextlib
import gc
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from envsnap._text import counted
from envsnap.environment import TOOLING
from envsnap.environment.classify import Reason, classify, declared_extras
from envsnap.environment.distributions import (
    REQUESTED_WITHOUT_SIGNAL,
    InstalledDistribution,
    read_distributions,
)
from envsnap.environment.find import find_interpreter, guard_read
from envsnap.environment.graph import DependencyGraph, Edge, Unsatisfied
from envsnap.environment.target import TargetEnvironment, probe

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Mapping, Sequence

    from envsnap.environment.metadata import MetadataWarning
    from envsnap.environment.project import ProjectDeclaration
    from envsnap.environment.target import PendingProbe

__all__ = [
    "TOOLING",
    "Edge",
    "Reason",
    "Snapshot",
    "Unsatisfied",
    "build_snapshot",
    "take_snapshot",
    "unmet_extra",
]


# Debian/Ubuntu's patched pip reports this for every venv; it is not real.
_BOGUS = ("pkg-resources", "0.0.0")


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """An environment's distributions, their graph and their classification."""

    environment: TargetEnvironment
    """The probed target."""
    distributions: tuple[InstalledDistribution, ...]
    """Every distribution read, sorted by normalized name (base ones included)."""
    edges: tuple[Edge, ...] = ()
    """The dependency edges, sorted by (parent, child, extra)."""
    unsatisfied: tuple[Unsatisfied, ...] = ()
    """Requirements not met: name missing or version outside the specifier."""
    reasons: Mapping[NormalizedName, Reason] = field(default_factory=dict)
    """The classification of each distribution."""
    extras: Mapping[NormalizedName, frozenset[NormalizedName]] = field(default_factory=dict)
    """The extras in effect for each distribution (asked for by a dependent, or inferred)."""
    inferred_extras: Mapping[NormalizedName, frozenset[NormalizedName]] = field(
        default_factory=dict
    )
    """Extras of top-level packages inferred to explain would-be roots (:func:`build_snapshot`)."""
    top_level_extras: Mapping[NormalizedName, frozenset[NormalizedName]] = field(
        default_factory=dict
    )
    """The extras written on each top-level line (``uvicorn[standard]``): inferred and declared."""
    explains: Mapping[str, tuple[NormalizedName, ...]] = field(default_factory=dict)
    """For each inferred extra (``uvicorn[standard]``, display name), the roots it explains."""
    warnings: tuple[MetadataWarning, ...] = ()
    """Problems met while reading metadata."""
    include_system: bool = False
    """Whether distributions of the base installation are part of the output."""
    project: ProjectDeclaration | None = None
    """The ``pyproject.toml`` declaration used for ``declared``, if any."""

    def get(self, name: str) -> InstalledDistribution | None:
        """Return the distribution called ``name`` (any spelling), or ``None``."""
        return self._by_name.get(canonicalize_name(name))

    @property
    def _by_name(self) -> dict[NormalizedName, InstalledDistribution]:
        return {d.name: d for d in self.distributions}

    def listed(
        self, *, include_tools: bool = False, exclude: Iterable[str] = ()
    ) -> list[InstalledDistribution]:
        """Return the distributions an output lists, sorted by normalized name.

        The environment's own (and the base ones with ``include_system``), without
        :data:`TOOLING` unless ``include_tools`` (``pip freeze --all``) and ``exclude``
        (names, any spelling).
        """
        skip = {canonicalize_name(n) for n in exclude}
        if not include_tools:
            skip |= {canonicalize_name(n) for n in TOOLING}
        return [
            d
            for d in self.distributions
            if d.name not in skip and (self.include_system or not d.in_base)
        ]

    def summary(self, *, include_tools: bool = False, exclude: Iterable[str] = ()) -> str:
        """Return ``top-level: 11 (7 requested, 2 declared, 2 roots); extras inferred: a[x]``.

        Counted over what :meth:`listed` gives with the same arguments; for stderr.
        """
        listed = self.listed(include_tools=include_tools, exclude=exclude)
        counts = Counter(self.reasons[dist.name].kind for dist in listed)
        parts = [f"{counts[kind]} {kind}" for kind in ("requested", "declared") if counts[kind]]
        if counts["root"]:
            parts.append(counted(counts["root"], "root"))
        top = sum(counts[k] for k in ("requested", "declared", "root"))
        names = {d.name: d.display_name for d in listed}
        inferred = [
            f"{names[n]}[{','.join(sorted(x))}]"
            for n, x in sorted(self.inferred_extras.items())
            if n in names
        ]
        text = f"top-level: {top}" + (f" ({', '.join(parts)})" if parts else "")
        return text + f"; extras inferred: {', '.join(inferred) or 'none'}"

    def explain(self, name: str) -> str:
        """Return why ``name`` is top-level or transitive, in lines, for ``freeze --explain``.

        Raises:
            KeyError: ``name`` is not installed.
        """
        dist = self.get(name)
        if dist is None:
            raise KeyError(name)
        reason = self.reasons[dist.name]
        kind = "top-level" if reason.top_level else "transitive"
        lines = [f"{dist.display_name} {dist.version}: {kind} ({reason.describe()})"]
        installer = dist.installer or "(no INSTALLER file)"
        if dist.marked:
            requested = "yes: a restore marked it top-level, as its lock file says"
        elif dist.requested and installer.lower() in REQUESTED_WITHOUT_SIGNAL:
            requested = f"yes, but {installer} writes REQUESTED into every distribution: no signal"
        elif dist.requested:
            requested = "yes: the user named it when installing"
        else:
            requested = "no"
        lines += [f"  REQUESTED: {requested}", f"  INSTALLER: {installer}"]
        if self.project is not None and dist.name in self.project.names:
            lines.append(f"  declared in {self.project.path}")
        parents = self.parents(dist.name)
        lines.append(f"  required by: {'nothing installed' if not parents else ''}".rstrip())
        by_name = self._by_name
        for edge in parents:
            who = by_name[edge.parent].display_name + (f"[{edge.extra}]" if edge.extra else "")
            lines.append(f"    {who} ({edge.requirement})")
        active = sorted(self.extras.get(dist.name, ()))
        lines.append(f"  extras in effect: {', '.join(active) or 'none'}")
        for extra in sorted(self.inferred_extras.get(dist.name, ())):
            label = f"{dist.display_name}[{extra}]"
            explains = sorted(by_name[n].display_name for n in self.explains.get(label, ()))
            lines.append(f"  inferred: {label}, which explains {', '.join(explains)}")
        if reason.explained_by:
            via = ", ".join(reason.explained_by)
            lines.append(
                f"  also explained by {via}: kept top-level because its REQUESTED file carries "
                "no signal and the user may have named it; the other reading, which "
                f"regenerates the environment too: transitive via {via}"
            )
        return "\n".join(lines)

    def children(self, name: NormalizedName) -> list[Edge]:
        """Return the edges from ``name`` to what it requires."""
        return [e for e in self.edges if e.parent == name]

    def parents(self, name: NormalizedName) -> list[Edge]:
        """Return the edges from what requires ``name`` to it."""
        return [e for e in self.edges if e.child == name]


def take_snapshot(
    python: str | os.PathLike[str] | None = None,
    *,
    project: ProjectDeclaration | str | os.PathLike[str] | None = None,
    include_system: bool = False,
    environment: TargetEnvironment | None = None,
    started_probe: PendingProbe | None = None,
) -> Snapshot:
    """Probe a target environment and snapshot it.

    Args:
        python: an interpreter or venv directory (defaults: :func:`.find.choose_target`).
        project: the declared dependencies (:func:`.project.as_project`).
        include_system: list the base installation's distributions too, when the venv sees them.
        environment: an already probed target; ``python`` and a restore beside it are then
            ignored (the caller verifies the venv it builds, or ran :func:`.find.guard_read`).
        started_probe: a probe started earlier (:func:`.target.start_probe`, as the CLI
            does before its imports), used if it probes the same interpreter.

    Raises:
        envsnap.errors.TargetError: the target is missing, broken or not a Python; an
            envsnap restore is running beside it, before or during the read.
        envsnap.errors.InputError: ``project`` is a path that cannot be read.
    """
    if project is not None:
        from envsnap.environment.project import as_project  # noqa: PLC0415

        project = as_project(project)  # a bad path is said before the target is probed
    env = environment or probe(find_interpreter(python), started=started_probe)
    # a restore's own verification passes the venv it builds under its lock
    with guard_read(env) if environment is None else contextlib.nullcontext():
        base = env.base_site_packages if env.include_system_site_packages else ()
        # many small objects, no cycles: the cyclic GC would run ~150 times for nothing
        # (10-25 % of the time on 2000 dists, bench/run.py)
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            # Requires-Dist lines are parsed (and a bad one warned about) as the graph needs them
            dists, warnings = read_distributions(env.site_packages, base, parse_requires=False)
            return build_snapshot(
                env, dists, warnings=warnings, project=project, include_system=include_system
            )
        finally:
            if was_enabled:
                gc.enable()


def build_snapshot(
    environment: TargetEnvironment,
    distributions: Sequence[InstalledDistribution],
    *,
    warnings: Sequence[MetadataWarning] = (),
    project: ProjectDeclaration | str | os.PathLike[str] | None = None,
    include_system: bool = False,
) -> Snapshot:
    """Build the graph and classification of already-read distributions (docs/freeze.md).

    Markers are evaluated in ``environment.markers`` (PEP 508). An extra is in effect
    when a dependent asks for it (nested ones followed), the project declares it, or
    it is inferred. Classification, first rule wins: ``declared``, ``requested`` (a PEP
    376 ``REQUESTED`` file from an installer that writes it only for what the user named:
    not uv), ``root`` (nothing requires it), else ``transitive``. A root is explained,
    when it can be, by an extra of a top-level package whose whole closure is installed
    (most roots first); it then becomes transitive (``via web[fast]``), or stays top-level
    with ``Reason.explained_by`` when its ``REQUESTED`` file carries no signal. A package
    owning an inferred extra is never explained away, so the top-level lines with their
    extras always regenerate the environment.

    Args:
        environment: the target the distributions come from.
        distributions: as :func:`read_distributions` returns them.
        warnings: reading problems to carry along.
        project: the declared dependencies (:func:`.project.as_project`).
        include_system: see :meth:`Snapshot.listed`.
    """
    if project is not None:
        from envsnap.environment.project import as_project  # noqa: PLC0415

        project = as_project(project)
    dists = {
        d.name: d
        for d in sorted(distributions, key=lambda d: d.name)
        if (d.name, str(d.version)) != _BOGUS
    }
    graph = DependencyGraph(environment.markers, dists)
    asked = declared_extras(project, environment.markers)
    graph.build(asked)
    marker_problems = list(graph.warnings)  # the ones met while inferring extras are not said
    explains: dict[str, list[NormalizedName]] = defaultdict(list)
    declared_lines: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
    for name, extra in asked:
        declared_lines[name].add(extra)
    reasons = classify(
        dists, graph, project.names if project else frozenset(), declared_lines, explains
    )
    line_extras = {name: set(extras) for name, extras in graph.inferred.items()}
    for name, extras in declared_lines.items():
        if name in dists:
            line_extras[name] = line_extras.get(name, set()) | extras
    # the lines the graph parsed, inference included; one read_distributions parsed and
    # warned about already (parse_requires=True) is not said twice
    said = set(warnings)
    parsing = [w for w in graph.parse_warnings if w not in said]
    return Snapshot(
        environment=environment,
        distributions=tuple(dists.values()),
        edges=tuple(sorted(graph.edges, key=lambda e: (e.parent, e.child, e.extra or ""))),
        unsatisfied=tuple(graph.unsatisfied),
        reasons=reasons,
        extras={n: frozenset(x) for n, x in graph.active.items() if x},
        inferred_extras={n: frozenset(x) for n, x in graph.inferred.items() if x},
        top_level_extras={
            n: frozenset(x) for n, x in sorted(line_extras.items()) if x and reasons[n].top_level
        },
        explains={label: tuple(sorted(names)) for label, names in sorted(explains.items())},
        warnings=(*warnings, *parsing, *marker_problems),
        include_system=include_system,
        project=project,
    )


def unmet_extra(snapshot: Snapshot, name: str, extra: str) -> Unsatisfied | None:
    """Return the first requirement ``name[extra]`` (any spelling) brings in that is unmet.

    Nested extras are followed, markers evaluated for the snapshot's environment (PEP 508).
    ``None`` when the extra is fully installed or ``name`` is not installed at all.
    """
    dists = {d.name: d for d in snapshot.distributions}
    key = canonicalize_name(name)
    if key not in dists:
        return None
    graph = DependencyGraph(snapshot.environment.markers, dists)
    return graph.walk(key, canonicalize_name(extra))[2]


def default_project(cwd: Path | None = None) -> Path | None:
    """Return ``./pyproject.toml`` if it exists (the default ``--project``)."""
    path = (cwd or Path.cwd()) / "pyproject.toml"
    return path if path.is_file() else None

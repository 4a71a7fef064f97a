"""Classification: why each distribution of a snapshot is there.

The rules: :func:`~envsnap.environment.snapshot.build_snapshot` and docs/freeze.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from packaging.utils import NormalizedName, canonicalize_name

from envsnap._markers import marker_holds
from envsnap.environment import TOOLING
from envsnap.environment.distributions import REQUESTED_WITHOUT_SIGNAL

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from envsnap.environment.distributions import InstalledDistribution
    from envsnap.environment.graph import DependencyGraph, Edge
    from envsnap.environment.project import ProjectDeclaration

__all__ = ["Kind", "Reason", "classify", "declared_extras"]

Kind = Literal["declared", "requested", "root", "transitive"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    """Why a distribution is in the environment."""

    kind: Kind
    """``declared``, ``requested``, ``root`` (top-level) or ``transitive``."""
    via: tuple[str, ...] = ()
    """For ``transitive``: the dependents, ``name`` or ``name[extra]``, sorted."""
    explained_by: tuple[str, ...] = ()
    """For a ``root`` an inferred extra reaches, kept top-level (``REQUESTED`` without
    signal): those extras, ``name[extra]``; the other reading is ``transitive`` via them."""

    @property
    def top_level(self) -> bool:
        """Whether this makes the distribution a top-level one."""
        return self.kind != "transitive"

    def describe(self) -> str:
        """Return ``requested`` or ``via a, b[x]`` for humans."""
        return f"via {', '.join(self.via)}" if self.kind == "transitive" else self.kind


def declared_extras(
    project: ProjectDeclaration | None, markers: Mapping[str, str]
) -> list[tuple[NormalizedName, NormalizedName]]:
    """Return the ``(name, extra)`` pairs the project's applicable requirements ask for."""
    if project is None:
        return []
    return [
        (dep.name, canonicalize_name(extra))
        for dep in project.dependencies
        if marker_holds(dep.requirement.marker, markers, otherwise=False)
        for extra in sorted(dep.requirement.extras)
    ]


def classify(
    dists: Mapping[NormalizedName, InstalledDistribution],
    graph: DependencyGraph,
    declared: frozenset[NormalizedName],
    declared_lines: Mapping[NormalizedName, set[NormalizedName]],
    explains: dict[str, list[NormalizedName]],
) -> dict[NormalizedName, Reason]:
    """Return each distribution's :class:`Reason`, by the rules of ``build_snapshot``.

    Args:
        dists: the installed distributions by name.
        graph: their dependency graph, built; inferred extras are put in effect on it.
        declared: the names the project declares.
        declared_lines: the extras the project asks for, by name.
        explains: filled with ``a[x]`` -> the packages that inferred extra explains.
    """
    declared = frozenset(name for name in declared if name in dists)  # installed ones
    # a venv a restore marked: an unmarked REQUESTED there is the installer's own (uv's)
    curated = any(dist.marked for dist in dists.values())
    maybe_typed = {
        name
        for name, dist in dists.items()
        if dist.requested
        and not (curated and (dist.installer or "").lower() in REQUESTED_WITHOUT_SIGNAL)
    }
    requested = {
        name
        for name, dist in dists.items()
        if name not in declared
        and dist.requested
        and (dist.marked or (dist.installer or "").lower() not in REQUESTED_WITHOUT_SIGNAL)
    }
    roots = {
        name
        for name in dists
        if name not in declared and name not in requested and not graph.parents.get(name)
    }
    explained = _infer_extras(
        dists, graph, top_level={*declared, *requested, *roots}, roots=roots, typed=maybe_typed
    )
    for name, labels in explained.items():
        for label in labels:
            explains[label].append(name)
    reasons: dict[NormalizedName, Reason] = {}
    for name in dists:
        if name in declared:
            reasons[name] = Reason(kind="declared")
        elif name in requested:
            reasons[name] = Reason(kind="requested")
        elif name in roots and (name not in explained or name in maybe_typed):
            reasons[name] = Reason(kind="root", explained_by=tuple(explained.get(name, ())))
    # packages no top-level line reaches (a cycle closed by an extra, sphinx <->
    # sphinxcontrib-*): first an extra of a top-level package, then a root
    for label, names in _explain_unreached(dists, graph, set(reasons), declared_lines).items():
        explains[label] += names
    for name in _unreached_cycle_roots(dists, graph, set(reasons), declared_lines):
        reasons[name] = Reason(kind="root")
    via = _via(dists, graph)
    for name in dists:
        if name not in reasons:
            reasons[name] = Reason(kind="transitive", via=tuple(sorted(via[name], key=str.lower)))
    return reasons


def _via(
    dists: Mapping[NormalizedName, InstalledDistribution], graph: DependencyGraph
) -> dict[NormalizedName, set[str]]:
    """Return each package's dependents as ``# via`` names them (``a``, ``b[x]``)."""
    via: dict[NormalizedName, set[str]] = defaultdict(set)
    plain = {(edge.parent, edge.child) for edge in graph.edges if edge.extra is None}
    for edge in graph.edges:
        parent = dists[edge.parent].display_name
        # a parent that needs the child anyway is named without its extra
        if edge.extra is not None and (edge.parent, edge.child) not in plain:
            parent += f"[{edge.extra}]"
        via[edge.child].add(parent)
    return via


def _infer_extras(
    dists: Mapping[NormalizedName, InstalledDistribution],
    graph: DependencyGraph,
    *,
    top_level: set[NormalizedName],
    roots: set[NormalizedName],
    typed: set[NormalizedName],
) -> dict[NormalizedName, list[str]]:
    """Infer extras of top-level packages that explain roots; return root -> ``a[x]`` labels.

    Greedy: take the installed extra reaching the most unexplained roots (an owner
    top-level for its own reason first, then the smallest, then by name), put it in
    effect, repeat. :data:`TOOLING` needs no explaining; a root owning an inferred extra
    is not explained away (its line carries the extra); an explained root in ``typed``
    (a ``REQUESTED`` file without signal) stays top-level.
    """
    needs = {name for name in roots if name not in TOOLING}
    if not needs:
        return {}
    top = set(top_level)
    # the extras not in effect reaching what needs explaining: (what they reach, edge count)
    candidates: dict[_ExtraKey, tuple[set[NormalizedName], int]] = {}
    for owner, extra, edges in _installed_extras(dists, graph, top, skip=graph.active):
        reached = {edge.child for edge in edges} - {owner}
        if reached & needs:
            candidates[owner, extra] = (reached, len(edges))
    owners: set[NormalizedName] = set()
    explained: dict[NormalizedName, list[str]] = defaultdict(list)
    while True:
        best: tuple[tuple[bool, int, int, str, str], _ExtraKey, set[NormalizedName]] | None = None
        for pair, (reached, size) in candidates.items():
            owner, extra = pair
            if owner not in top or extra in graph.active.get(owner, ()):
                continue
            gain = (reached & needs) - owners
            # an owner still to be explained comes last: its extra would keep it top-level
            key = (owner in needs, -len(gain), size, owner, extra)
            if gain and (best is None or key < best[0]):
                best = (key, pair, gain)
        if best is None:
            return explained
        _, (owner, extra), gain = best
        graph.infer(owner, extra)
        owners.add(owner)
        label = f"{dists[owner].display_name}[{extra}]"
        for name in gain:
            explained[name].append(label)
            needs.discard(name)
            if name not in typed:
                top.discard(name)


_ExtraKey = tuple[NormalizedName, NormalizedName]


def _installed_extras(
    dists: Mapping[NormalizedName, InstalledDistribution],
    graph: DependencyGraph,
    owners: Iterable[NormalizedName],
    *,
    skip: Mapping[NormalizedName, set[NormalizedName]],
) -> Iterator[tuple[NormalizedName, NormalizedName, list[Edge]]]:
    """Yield ``(owner, extra, edges of its closure)`` for each installed extra not in ``skip``."""
    for owner in sorted(owners):
        if dists[owner].origin.editable:
            continue  # an ``-e PATH`` line carries no extras in the files envsnap reads
        for extra in dists[owner].provides_extras:
            if extra not in skip.get(owner, ()):
                closure = graph.closure(owner, extra)
                if closure is not None:
                    yield owner, extra, closure[0]


def _lines(
    graph: DependencyGraph,
    top_level: Iterable[NormalizedName],
    declared_lines: Mapping[NormalizedName, set[NormalizedName]],
) -> dict[NormalizedName, set[NormalizedName]]:
    """Return the top-level lines as written: name -> inferred and declared extras."""
    return {
        name: graph.inferred.get(name, set()) | declared_lines.get(name, set())
        for name in top_level
    }


def _explain_unreached(
    dists: Mapping[NormalizedName, InstalledDistribution],
    graph: DependencyGraph,
    top_level: set[NormalizedName],
    declared_lines: Mapping[NormalizedName, set[NormalizedName]],
) -> dict[str, list[NormalizedName]]:
    """Infer extras of top-level packages reaching what no line reaches; return ``a[x]`` -> those.

    Such packages are in a cycle closed by an extra (``a`` requires ``b[x]``, which requires ``a``).
    """
    found: dict[str, list[NormalizedName]] = {}
    while True:
        unreached = set(dists) - graph.reach(_lines(graph, top_level, declared_lines))
        if not unreached:
            return found
        best: tuple[tuple[int, str, str], _ExtraKey, set[NormalizedName]] | None = None
        # an extra in effect counts too: a dependent inside the cycle asks for it
        for owner, extra, edges in _installed_extras(dists, graph, top_level, skip=graph.inferred):
            gain = graph.reach({owner: {extra}}, edges) & unreached
            key = (-len(gain), owner, extra)
            if gain and (best is None or key < best[0]):
                best = (key, (owner, extra), gain)
        if best is None:
            return found
        _, (owner, extra), gain = best
        graph.infer(owner, extra)
        found[f"{dists[owner].display_name}[{extra}]"] = sorted(gain)


def _unreached_cycle_roots(
    dists: Mapping[NormalizedName, InstalledDistribution],
    graph: DependencyGraph,
    top_level: set[NormalizedName],
    declared_lines: Mapping[NormalizedName, set[NormalizedName]],
) -> list[NormalizedName]:
    """Pick roots for the dependency cycles no top-level line reaches (sphinx <-> plug-ins).

    Until everything is reached: the member bringing in most of what is left, then the one
    with most dependencies inside the cycle (sphinx, not a plug-in), then by name.
    """
    children: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
    parents: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
    for edge in graph.edges:
        children[edge.parent].add(edge.child)
        parents[edge.child].add(edge.parent)
    lines = _lines(graph, top_level, declared_lines)
    reached = graph.reach(lines)
    roots: list[NormalizedName] = []
    while left := {n for n in dists if n not in reached}:
        # candidates: members of a cycle that nothing outside the cycle reaches
        candidates = [
            n
            for n in left
            if _reach({n}, parents, within=left) <= _reach({n}, children, within=left)
        ] or sorted(left)
        best = min(
            candidates,
            key=lambda n: (-len(graph.reach({n: ()}) & left), -len(children[n] & left), n),
        )
        roots.append(best)
        lines[best] = set()
        reached = graph.reach(lines)
    return roots


def _reach(
    start: set[NormalizedName],
    adjacency: Mapping[NormalizedName, set[NormalizedName]],
    within: set[NormalizedName] | None = None,
) -> set[NormalizedName]:
    """Return ``start`` and every node reachable from it (only through ``within``, if given)."""
    seen = set(start)
    stack = list(start)
    while stack:
        for nxt in adjacency.get(stack.pop(), ()):
            if nxt not in seen and (within is None or nxt in within):
                seen.add(nxt)
                stack.append(nxt)
    return seen

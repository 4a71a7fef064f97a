"""Classification: why each distribution of a snapshot is there.

Top-level (``declared``, ``requested``, ``root``) or ``transitive`` (with the
packages it comes ``via``); roots explained by extras of top-level packages
(``uvicorn[standard]``) where every requirement of the extra is installed;
dependency cycles no top-level line reaches given a root. The rules are
described in docs/freeze.md and at
:func:`~envsnap.environment.snapshot.build_snapshot`.
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
    from collections.abc import Iterable, Mapping

    from envsnap.environment.distributions import InstalledDistribution
    from envsnap.environment.graph import DependencyGraph
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
    """For a ``root`` kept top-level although an inferred extra reaches it
    (its ``REQUESTED`` file carries no signal): those extras, ``name[extra]``.
    The other reading of the same environment is ``transitive`` via them."""

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
    pairs: list[tuple[NormalizedName, NormalizedName]] = []
    for dep in project.dependencies:
        marker = dep.requirement.marker
        if marker_holds(marker, markers, otherwise=False):
            pairs += [
                (dep.name, canonicalize_name(extra)) for extra in sorted(dep.requirement.extras)
            ]
    return pairs


def classify(
    dists: Mapping[NormalizedName, InstalledDistribution],
    graph: DependencyGraph,
    declared: frozenset[NormalizedName],
    declared_lines: Mapping[NormalizedName, set[NormalizedName]],
    explains: dict[str, list[NormalizedName]],
) -> dict[NormalizedName, Reason]:
    """Classify every distribution and infer the extras that explain roots.

    The rules are :func:`~envsnap.environment.snapshot.build_snapshot`'s
    (docs/freeze.md): ``declared``, ``requested`` (PEP 376 ``REQUESTED``
    from an installer that writes it only for what the user named), ``root``
    (nothing requires it), else ``transitive``; roots explained by inferred
    extras where they can be.

    Args:
        dists: the installed distributions by name.
        graph: their dependency graph, built; inferred extras are put in effect on it.
        declared: the names the project declares.
        declared_lines: the extras the project asks for, by name.
        explains: filled with ``a[x]`` -> the packages that inferred extra explains.

    Returns:
        Each distribution's :class:`Reason`.
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
        if edge.extra is None or (edge.parent, edge.child) in plain:
            # a parent that needs the child anyway is named without its extra
            via[edge.child].add(parent)
        else:
            via[edge.child].add(f"{parent}[{edge.extra}]")
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

    ``typed``: the packages with a ``REQUESTED`` file that may say the user
    typed them; an explained root among them stays top-level.

    Greedy, deterministic: among the extras whose whole closure is installed,
    take the one reaching the most unexplained roots (an extra of a package
    top-level for its own reason before one of a root still unexplained, then
    the smallest, then by name), put it in effect, and repeat until no extra
    explains anything.
    pip, setuptools, wheel and distribute never need explaining (they are in
    most venvs by default). A root that owns an inferred extra is not
    explained away: its line must stay to carry the extra. An explained root
    with a ``REQUESTED`` file (no signal, e.g. uv) stays top-level.
    """
    needs = {name for name in roots if name not in TOOLING}
    top = set(top_level)
    candidates = _candidate_extras(dists, graph, top, needs) if needs else {}
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


def _candidate_extras(
    dists: Mapping[NormalizedName, InstalledDistribution],
    graph: DependencyGraph,
    top: set[NormalizedName],
    needs: set[NormalizedName],
) -> dict[_ExtraKey, tuple[set[NormalizedName], int]]:
    """Return the extras of ``top`` packages not in effect, installed, and reaching ``needs``.

    Each maps to ``(packages its closure reaches, number of edges it adds)``.
    """
    candidates: dict[_ExtraKey, tuple[set[NormalizedName], int]] = {}
    for owner in sorted(top):
        if dists[owner].origin.editable:
            continue  # an ``-e PATH`` line carries no extras in the files envsnap reads
        for extra in dists[owner].provides_extras:
            if extra in graph.active.get(owner, ()):
                continue
            found = graph.closure(owner, extra)
            if found is None:
                continue
            reached = {edge.child for edge in found[0]} - {owner}
            if reached & needs:
                candidates[owner, extra] = (reached, len(found[0]))
    return candidates


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
    """Infer extras of top-level packages that reach packages no top-level line reaches.

    Such packages have dependents, so they are no roots: a cycle closed by an
    extra (``a`` requires ``b[x]``, ``b[x]`` requires ``a``) that only an
    extra of a top-level package brings in. Greedy as :func:`_infer_extras`.
    Returns ``a[x]`` -> the packages it reaches.
    """
    found: dict[str, list[NormalizedName]] = {}
    while True:
        unreached = set(dists) - graph.reach(_lines(graph, top_level, declared_lines))
        if not unreached:
            return found
        best: tuple[tuple[int, str, str], _ExtraKey, set[NormalizedName]] | None = None
        for owner in sorted(top_level):
            if dists[owner].origin.editable:
                continue
            for extra in dists[owner].provides_extras:
                # an extra in effect counts too: a dependent inside the cycle asks for it
                if extra in graph.inferred.get(owner, ()):
                    continue
                closure = graph.closure(owner, extra)
                if closure is None:
                    continue
                gain = graph.reach({owner: {extra}}, closure[0]) & unreached
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
    """Pick roots for the dependency cycles that no top-level line reaches.

    Such a cycle (e.g. sphinx <-> sphinxcontrib-*) has no package without
    dependents, so it would have no top-level member at all. Reaching is
    what a resolver does from the top-level lines (:meth:`DependencyGraph.reach`:
    an extra's edges only when it is asked for). The member that brings in
    most of what is left is taken, then the one with the most dependencies
    inside the cycle (sphinx, rather than one of its plug-ins), ties broken
    by name; until everything is reached.
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
    """Return ``start`` and every node reachable from it (optionally inside ``within``)."""
    seen = set(start)
    stack = list(start)
    while stack:
        for nxt in adjacency.get(stack.pop(), ()):
            if nxt not in seen and (within is None or nxt in within):
                seen.add(nxt)
                stack.append(nxt)
    return seen

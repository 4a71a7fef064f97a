"""The dependency graph of one environment: edges with markers and extras evaluated for it.

:class:`DependencyGraph` adds an :class:`Edge` for every requirement of every
installed distribution whose marker holds in the environment (PEP 508, with
the ``extra`` variable set for each extra a parent asks for), follows extras
to a fixpoint, and records the requirements no installed distribution
satisfies (:class:`Unsatisfied`). Classification is ``snapshot``'s job.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from envsnap._markers import marker_holds
from envsnap.environment.distributions import InstalledDistribution, MetadataWarning

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.version import Version

__all__ = ["DependencyGraph", "Edge", "Unsatisfied"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Edge:
    """``parent`` requires ``child`` in this environment."""

    parent: NormalizedName
    """The dependent distribution."""
    child: NormalizedName
    """The distribution it requires (installed)."""
    requirement: Requirement
    """The ``Requires-Dist`` entry of ``parent`` that makes the edge."""
    extra: NormalizedName | None = None
    """The extra of ``parent`` the requirement belongs to, if any."""

    @property
    def label(self) -> str:
        """``parent`` or ``parent[extra]``, normalized (``# via`` lines use display names)."""
        return f"{self.parent}[{self.extra}]" if self.extra else self.parent


@dataclass(frozen=True, slots=True, kw_only=True)
class Unsatisfied:
    """A requirement of an installed distribution that the environment does not meet."""

    dependent: NormalizedName
    """The distribution whose requirement it is."""
    requirement: Requirement
    """The requirement (PEP 508)."""
    extra: NormalizedName | None = None
    """The extra of ``dependent`` it belongs to, if any."""
    installed: Version | None = None
    """The installed version of the required name, or ``None`` when missing."""

    def describe(self) -> str:
        """Return a ``pip check``-style line: ``a 1.0 requires b>=2, but b 1.0 is installed``."""
        who = f"{self.dependent}[{self.extra}]" if self.extra else self.dependent
        found = (
            f"{canonicalize_name(self.requirement.name)} {self.installed} is installed"
            if self.installed is not None
            else "it is not installed"
        )
        return f"{who} requires {self.requirement}, but {found}"


class DependencyGraph:
    """Edges between installed distributions, extras followed to a fixpoint."""

    def __init__(
        self, markers: Mapping[str, str], dists: Mapping[NormalizedName, InstalledDistribution]
    ) -> None:
        self.markers = dict(markers)
        self.dists = dists
        self.edges: list[Edge] = []
        self.unsatisfied: list[Unsatisfied] = []
        self.warnings: list[MetadataWarning] = []
        self.active: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
        self.inferred: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
        self.parents: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
        self.self_edges: list[Edge] = []
        """Requirements of a package on its own extras (``p[all]`` requires ``p[io]``)."""
        self._pending: deque[tuple[NormalizedName, NormalizedName]] = deque()
        self._marker_cache: dict[tuple[int, str], bool] = {}
        self._extra_groups: dict[
            NormalizedName, dict[NormalizedName | None, list[Requirement]]
        ] = {}

    def build(self, declared_extras: Iterable[tuple[NormalizedName, NormalizedName]] = ()) -> None:
        """Add every edge; ``declared_extras`` are ``(name, extra)`` the project asks for."""
        for dist in self.dists.values():
            self._add_edges(dist, None)
        for name, extra in declared_extras:
            if name in self.dists and extra not in self.active[name]:
                self.active[name].add(extra)
                self._pending.append((name, extra))
        self._drain()

    def closure(
        self, name: NormalizedName, extra: NormalizedName
    ) -> tuple[list[Edge], set[tuple[NormalizedName, NormalizedName]]] | None:
        """Return what activating ``name[extra]`` would add, without adding it.

        Nested extras (``a[x]`` requires ``b[x]``, or ``a[x]`` requires
        ``a[y]``) are followed to a fixpoint; extras already in effect are not
        walked again.

        Returns:
            ``(edges, activated)``: the new edges (a package's requirement on
            its own extras included) and the ``(name, extra)``
            pairs that would come into effect; ``None`` when a requirement on
            the way is not installed at an allowed version (the extra is then
            not in this environment).
        """
        edges, activated, unmet = self.walk(name, extra)
        return None if unmet is not None else (edges, activated)

    def walk(
        self, name: NormalizedName, extra: NormalizedName
    ) -> tuple[list[Edge], set[tuple[NormalizedName, NormalizedName]], Unsatisfied | None]:
        """Walk ``name[extra]`` as :meth:`closure` does; stop at the first unmet requirement."""
        activated = {(name, extra)}
        queue = [(name, extra)]
        edges: list[Edge] = []
        while queue:
            parent, parent_extra = queue.pop()
            for req in self._requirements(self.dists[parent], parent_extra):
                child_name = canonicalize_name(req.name)
                if not self._satisfied(req):
                    child = self.dists.get(child_name)
                    unmet = Unsatisfied(
                        dependent=parent,
                        requirement=req,
                        extra=parent_extra,
                        installed=child.version if child else None,
                    )
                    return edges, activated, unmet
                # self edges too (``p[all]`` -> ``p[io]``): infer() keeps them apart
                edges.append(
                    Edge(parent=parent, child=child_name, requirement=req, extra=parent_extra)
                )
                for wanted in req.extras:
                    pair = (child_name, canonicalize_name(wanted))
                    if pair[1] not in self.active.get(child_name, ()) and pair not in activated:
                        activated.add(pair)
                        queue.append(pair)
        return edges, activated, None

    def infer(self, name: NormalizedName, extra: NormalizedName) -> None:
        """Put ``name[extra]`` in effect as inferred (its closure must be satisfied).

        An extra already in effect (a dependent asks for it, in a cycle) is
        only marked: it is to be written on the line, its edges are there.
        """
        if extra in self.active.get(name, ()):
            self.inferred[name].add(extra)
            return
        found = self.closure(name, extra)
        if found is None:  # pragma: no cover - callers check the closure first
            return
        edges, activated = found
        for pkg, pkg_extra in activated:
            self.active[pkg].add(pkg_extra)
        for edge in edges:
            if edge.child == edge.parent:
                self.self_edges.append(edge)
                continue
            self.edges.append(edge)
            self.parents[edge.child].add(edge.parent)
        self.inferred[name].add(extra)

    def reach(
        self,
        lines: Mapping[NormalizedName, Iterable[NormalizedName]],
        more_edges: Iterable[Edge] = (),
    ) -> set[NormalizedName]:
        """Return what installing ``lines`` (name -> extras) brings in, as a resolver would.

        Base edges are followed, and an extra's edges only when that extra is
        asked for: on a line, or by a requirement on the way (``b[x]``,
        ``p[io]`` of ``p`` itself). ``more_edges`` are edges not added yet
        (an extra's :meth:`closure`).
        """
        index: dict[tuple[NormalizedName, NormalizedName | None], list[Edge]] = defaultdict(list)
        for edge in (*self.edges, *self.self_edges, *more_edges):
            index[edge.parent, edge.extra].append(edge)
        stack: list[tuple[NormalizedName, NormalizedName | None]] = []
        for name, extras in lines.items():
            stack += [(name, None), *((name, extra) for extra in extras)]
        seen: set[tuple[NormalizedName, NormalizedName | None]] = set()
        while stack:
            item = stack.pop()
            if item in seen:
                continue
            seen.add(item)
            for edge in index.get(item, ()):
                stack.append((edge.child, None))
                stack += [(edge.child, canonicalize_name(x)) for x in edge.requirement.extras]
        return {name for name, _ in seen}

    def _satisfied(self, req: Requirement) -> bool:
        """Whether ``req`` is installed at a version its specifier allows."""
        dist = self.dists.get(canonicalize_name(req.name))
        return dist is not None and req.specifier.contains(dist.version, prereleases=True)

    def _drain(self) -> None:
        while self._pending:
            name, extra = self._pending.popleft()
            self._add_edges(self.dists[name], extra)

    def _add_edges(self, dist: InstalledDistribution, extra: NormalizedName | None) -> None:
        for req in self._requirements(dist, extra):
            child_name = canonicalize_name(req.name)
            child = self.dists.get(child_name)
            if child is None or not req.specifier.contains(child.version, prereleases=True):
                self.unsatisfied.append(
                    Unsatisfied(
                        dependent=dist.name,
                        requirement=req,
                        extra=extra,
                        installed=child.version if child else None,
                    )
                )
            if child is None:
                continue
            edge = Edge(parent=dist.name, child=child_name, requirement=req, extra=extra)
            if child_name != dist.name:
                self.edges.append(edge)
                self.parents[child_name].add(dist.name)
            else:
                self.self_edges.append(edge)
            for wanted in req.extras:
                child_extra = canonicalize_name(wanted)
                if child_extra not in self.active[child_name]:
                    self.active[child_name].add(child_extra)
                    self._pending.append((child_name, child_extra))

    def _requirements(
        self, dist: InstalledDistribution, extra: NormalizedName | None
    ) -> Iterator[Requirement]:
        """Yield the requirements of ``dist`` that apply here for ``extra``.

        With ``extra=None``: the unconditional ones; with an extra: only the
        ones that apply because of that extra (not the unconditional ones again).
        """
        candidates: Sequence[Requirement] = dist.requires
        if extra is not None:
            # only the requirements whose marker names an extra can apply for one;
            # moto has 300 of them across 40 extras: look at this extra's only
            by_extra = self._by_extra(dist)
            if None not in by_extra:
                candidates = by_extra.get(extra, ())
        for req in candidates:
            marker = req.marker
            if marker is None:
                if extra is None:
                    yield req
                continue
            base = self._evaluate(dist, marker, "")
            if extra is None:
                if base:
                    yield req
            elif not base and self._evaluate(dist, marker, extra):
                yield req

    def _by_extra(
        self, dist: InstalledDistribution
    ) -> dict[NormalizedName | None, list[Requirement]]:
        """Group the requirements of ``dist`` whose marker names an extra by that extra.

        Key ``None`` holds the ones whose marker could not be read that way.
        """
        groups = self._extra_groups.get(dist.name)
        if groups is None:
            groups = self._extra_groups[dist.name] = {}
            for req in dist.requires:
                if req.marker is not None:
                    for extra in _marker_extras(req.marker):
                        groups.setdefault(extra, []).append(req)
        return groups

    def _evaluate(self, dist: InstalledDistribution, marker: Marker, extra: str) -> bool:
        key = (id(marker), extra)
        cached = self._marker_cache.get(key)
        if cached is not None:
            return cached
        problems: list[str] = []
        result = marker_holds(marker, self.markers, extra=extra, otherwise=False, problems=problems)
        self.warnings += [MetadataWarning(dist.location, problem) for problem in problems]
        # the marker object lives in the requirement cache, so its id stays unique
        self._marker_cache[key] = result
        return result


_MARKER_EXTRAS: dict[int, tuple[Marker, tuple[NormalizedName | None, ...]]] = {}
"""id(marker) -> (marker, the extras it names): markers are shared by all dists."""


_EXTRA_EQUALS = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")


def _marker_extras(marker: Marker) -> tuple[NormalizedName | None, ...]:
    """Return the extras a marker compares ``extra ==`` with (PEP 685 normalized).

    ``()`` when it does not mention ``extra`` (never an extra's own
    requirement); ``(None,)`` when it does in another form (``extra !=``,
    ``"x" == extra``): then it must be evaluated for every extra.
    """
    cached = _MARKER_EXTRAS.get(id(marker))
    if cached is not None and cached[0] is marker:
        return cached[1]
    text = str(marker)
    found = _EXTRA_EQUALS.findall(text)
    result: tuple[NormalizedName | None, ...]
    if "extra" not in text:
        result = ()
    elif found and text.count("extra") == len(found):
        result = tuple(canonicalize_name(name) for name in found)
    else:
        result = (None,)
    # the marker is kept in the entry, so its id cannot be reused meanwhile
    _MARKER_EXTRAS[id(marker)] = (marker, result)
    return result

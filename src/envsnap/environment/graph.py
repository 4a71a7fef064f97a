"""The dependency graph of one environment: edges with markers and extras evaluated for it.

Markers are evaluated as PEP 508 says, ``extra`` set for each extra a parent asks for;
extras are followed to a fixpoint. A line whose marker is just ``extra == "x"`` (three in
four) is parsed only when that extra is in effect or looked at, and warned about then.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from envsnap._markers import marker_holds
from envsnap.environment.metadata import MetadataWarning
from envsnap.environment.requirements import (
    canonical_name,
    extra_of,
    parse_requirement,
    requirement_problem,
    simple_requirement,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from typing import TypeAlias

    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.version import Version

    from envsnap.environment.distributions import InstalledDistribution

    _Step: TypeAlias = tuple[NormalizedName, NormalizedName, NormalizedName, int, Requirement | str]
    """A requirement a walk met: parent, its extra, child, line position, the line or parsed."""
    _Unmet: TypeAlias = tuple[
        NormalizedName, NormalizedName, int, Requirement | str, Version | None
    ]
    """The first unmet requirement of a walk: parent, extra, position, line, installed version."""

__all__ = ["DependencyGraph", "Edge", "Unsatisfied"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Edge:
    """``parent`` requires ``child`` in one environment (installed, or a resolution's target)."""

    parent: NormalizedName
    """The dependent distribution."""
    child: NormalizedName
    """The distribution it requires (installed, or chosen by the portable resolver)."""
    requirement: Requirement
    """The ``Requires-Dist`` entry of ``parent`` that makes the edge (marker included)."""
    extra: NormalizedName | None = None
    """The extra of ``parent`` the requirement belongs to, if any."""

    @property
    def label(self) -> str:
        """``parent`` or ``parent[extra]``, normalized (``# via`` lines use display names)."""
        return f"{self.parent}[{self.extra}]" if self.extra else self.parent


EdgeIndex = dict[tuple[NormalizedName, NormalizedName | None], list[Edge]]
"""Edges by ``(parent, extra)``: the base edges of ``p`` under ``(p, None)``."""


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
        """Markers that could not be evaluated."""
        self.parse_warnings: list[MetadataWarning] = []
        """``Requires-Dist`` lines the graph needed that do not parse (or lost credentials)."""
        self.active: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
        self.inferred: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
        self.parents: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
        self.self_edges: list[Edge] = []
        """Requirements of a package on its own extras (``p[all]`` requires ``p[io]``)."""
        self._pending: deque[tuple[NormalizedName, NormalizedName]] = deque()
        self._marker_cache: dict[tuple[int, str], bool] = {}
        self._lines: dict[NormalizedName, _Lines] = {}
        self._warned: set[tuple[NormalizedName, int]] = set()
        self._index: EdgeIndex = {}
        self._index_size = (-1, -1)

    def build(self, declared_extras: Iterable[tuple[NormalizedName, NormalizedName]] = ()) -> None:
        """Add every edge; ``declared_extras`` are ``(name, extra)`` the project asks for."""
        for dist in self.dists.values():
            self._add_edges(dist, None)
        for name, extra in declared_extras:
            if name in self.dists:
                self._activate(name, extra)
        while self._pending:
            name, extra = self._pending.popleft()
            self._add_edges(self.dists[name], extra)

    def closure(
        self, name: NormalizedName, extra: NormalizedName
    ) -> tuple[list[Edge], set[tuple[NormalizedName, NormalizedName]]] | None:
        """Return what activating ``name[extra]`` would add (nested extras too), without adding it.

        Returns:
            ``(edges, activated)``: the new edges (self edges included) and the ``(name,
            extra)`` pairs coming into effect; ``None`` when a requirement on the way is
            not installed at an allowed version.
        """
        steps, activated, unmet = self._walk(name, extra)
        return None if unmet is not None else (self._edges(steps), activated)

    def walk(
        self, name: NormalizedName, extra: NormalizedName
    ) -> tuple[list[Edge], set[tuple[NormalizedName, NormalizedName]], Unsatisfied | None]:
        """Walk ``name[extra]`` as :meth:`closure` does; stop at the first unmet requirement.

        Returns:
            ``(edges, activated, unmet)``; ``edges`` is empty when something is unmet.
        """
        steps, activated, unmet = self._walk(name, extra)
        if unmet is None:
            return self._edges(steps), activated, None
        parent, parent_extra, at, item, installed = unmet
        requirement = self._requirement(self.dists[parent], at, item)
        assert requirement is not None  # noqa: S101 - the walk met it parsed or simple
        return (
            [],
            activated,
            Unsatisfied(
                dependent=parent, requirement=requirement, extra=parent_extra, installed=installed
            ),
        )

    def _walk(
        self, name: NormalizedName, extra: NormalizedName
    ) -> tuple[list[_Step], set[tuple[NormalizedName, NormalizedName]], _Unmet | None]:
        """Follow ``name[extra]`` and nested extras; a line's marker is parsed only for an edge."""
        activated = {(name, extra)}
        queue = [(name, extra)]
        steps: list[_Step] = []
        while queue:
            parent, parent_extra = queue.pop()
            dist = self.dists[parent]
            for at, item in self._extra_items(dist, parent_extra):
                split = simple_requirement(item) if isinstance(item, str) else None
                if split is not None:
                    requested, extras, specifier = split
                else:
                    parsed = self._requirement(dist, at, item)
                    if parsed is None:
                        continue
                    item = parsed  # noqa: PLW2901 - the line, now parsed
                    requested, extras = parsed.name, tuple(parsed.extras)
                    specifier = parsed.specifier
                child_name = canonical_name(requested)
                child = self.dists.get(child_name)
                if child is None or not specifier.contains(child.version, prereleases=True):
                    installed = child.version if child else None
                    return steps, activated, (parent, parent_extra, at, item, installed)
                steps.append((parent, parent_extra, child_name, at, item))
                for wanted in extras:
                    pair = (child_name, canonical_name(wanted))
                    if pair[1] not in self.active.get(child_name, ()) and pair not in activated:
                        activated.add(pair)
                        queue.append(pair)
        return steps, activated, None

    def _edges(self, steps: list[_Step]) -> list[Edge]:
        """Build the edges of a walk (self edges too: :meth:`infer` keeps them apart)."""
        return [
            Edge(parent=parent, child=child, requirement=req, extra=parent_extra)
            for parent, parent_extra, child, at, item in steps
            if (req := self._requirement(self.dists[parent], at, item)) is not None
        ]

    def infer(self, name: NormalizedName, extra: NormalizedName) -> None:
        """Put ``name[extra]`` in effect as inferred (its closure must be satisfied).

        An extra already in effect (asked for in a cycle) is only marked, for its line.
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
            self._add_edge(edge)
        self.inferred[name].add(extra)

    def reach(
        self,
        lines: Mapping[NormalizedName, Iterable[NormalizedName]],
        more_edges: Iterable[Edge] = (),
    ) -> set[NormalizedName]:
        """Return :func:`reach` over the graph's edges and ``more_edges`` (not added yet)."""
        if more_edges:
            return reach(edges_by_parent((*self.edges, *self.self_edges, *more_edges)), lines)
        return reach(self._edge_index(), lines)

    def _edge_index(self) -> EdgeIndex:
        """Return the edges (self edges too) by ``(parent, extra)``, rebuilt after additions."""
        size = (len(self.edges), len(self.self_edges))
        if self._index_size != size:
            self._index = edges_by_parent((*self.edges, *self.self_edges))
            self._index_size = size
        return self._index

    def _add_edges(self, dist: InstalledDistribution, extra: NormalizedName | None) -> None:
        for req in self._requirements(dist, extra):
            child_name = canonical_name(req.name)
            child = self.dists.get(child_name)
            if child is None or not req.specifier.contains(child.version, prereleases=True):
                installed = child.version if child else None
                unmet = Unsatisfied(
                    dependent=dist.name, requirement=req, extra=extra, installed=installed
                )
                self.unsatisfied.append(unmet)
            if child is None:
                continue
            self._add_edge(Edge(parent=dist.name, child=child_name, requirement=req, extra=extra))
            for wanted in req.extras:
                self._activate(child_name, canonical_name(wanted))

    def _add_edge(self, edge: Edge) -> None:
        if edge.child == edge.parent:
            self.self_edges.append(edge)
        else:
            self.edges.append(edge)
            self.parents[edge.child].add(edge.parent)

    def _activate(self, name: NormalizedName, extra: NormalizedName) -> None:
        """Put ``name[extra]`` in effect, its requirements added when the queue drains."""
        if extra not in self.active[name]:
            self.active[name].add(extra)
            self._pending.append((name, extra))

    def _requirements(
        self, dist: InstalledDistribution, extra: NormalizedName | None
    ) -> Iterator[Requirement]:
        """Yield, in order, the requirements of ``dist`` for no extra or only due to ``extra``."""
        if extra is None:
            for _, req in self._lines_of(dist).other:
                if req.marker is None or self._evaluate(dist, req.marker, ""):
                    yield req
            return
        for at, item in self._extra_items(dist, extra):
            if (parsed := self._requirement(dist, at, item)) is not None:
                yield parsed

    def _extra_items(
        self, dist: InstalledDistribution, extra: NormalizedName
    ) -> Iterator[tuple[int, Requirement | str]]:
        """Yield ``(position, line)`` of what applies for ``extra`` of ``dist``, in order.

        A line whose marker is just ``extra == "x"`` comes as text; others are evaluated
        and come parsed. moto has 300 lines over 40 extras: only this extra's are read.
        """
        lines = self._lines_of(dist)
        own = lines.extra_only.get(extra, [])
        groups = lines.by_extra
        marked = lines.marked if None in groups else groups.get(extra, [])
        entries: list[tuple[int, Requirement | str, bool]] = [
            *((at, line, True) for at, line in own),
            *((at, req, False) for at, req in marked),
        ]
        if own and marked:
            entries.sort(key=lambda entry: entry[0])
        for at, item, applies in entries:
            # markers evaluated as they come, so that a walk that stops early evaluates no more
            if applies or (
                not isinstance(item, str)
                and item.marker is not None
                and not self._evaluate(dist, item.marker, "")
                and self._evaluate(dist, item.marker, extra)
            ):
                yield at, item

    def _requirement(
        self, dist: InstalledDistribution, at: int, item: Requirement | str
    ) -> Requirement | None:
        """Return ``item`` (line ``at`` of ``dist``) parsed, or ``None`` when it does not parse."""
        return self._parse(dist, at, item) if isinstance(item, str) else item

    def _lines_of(self, dist: InstalledDistribution) -> _Lines:
        """Sort the ``Requires-Dist`` lines of ``dist`` (once): by extra, or parsed now."""
        found = self._lines.get(dist.name)
        if found is None:
            found = self._lines[dist.name] = _Lines()
            for at, line in enumerate(dist.requires_dist):
                extra = extra_of(line)
                if extra is not None:
                    found.extra_only.setdefault(extra, []).append((at, line))
                elif req := self._parse(dist, at, line):
                    found.other.append((at, req))
                    if req.marker is not None:
                        found.marked.append((at, req))
                        for name in _marker_extras(req.marker):
                            found.by_extra.setdefault(name, []).append((at, req))
        return found

    def _parse(self, dist: InstalledDistribution, at: int, line: str) -> Requirement | None:
        """Parse line ``at`` of ``dist`` (cached by text); warn about a bad one the first time."""
        parsed, stripped = parse_requirement(line)
        if (isinstance(parsed, str) or stripped) and (dist.name, at) not in self._warned:
            self._warned.add((dist.name, at))
            problem = requirement_problem(line)
            if problem is not None:
                self.parse_warnings.append(MetadataWarning(dist.location, problem))
        return None if isinstance(parsed, str) else parsed

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


class _Lines:
    """The ``Requires-Dist`` lines of one distribution, each with its position."""

    __slots__ = ("by_extra", "extra_only", "marked", "other")

    def __init__(self) -> None:
        self.extra_only: dict[NormalizedName, list[tuple[int, str]]] = {}
        """Lines whose marker is just ``extra == "x"``, by extra, not parsed yet."""
        self.other: list[tuple[int, Requirement]] = []
        """Every other line that parses."""
        self.marked: list[tuple[int, Requirement]] = []
        """The ones of :attr:`other` with a marker."""
        self.by_extra: dict[NormalizedName | None, list[tuple[int, Requirement]]] = {}
        """The ones of :attr:`marked` by the extra their marker names (:func:`_marker_extras`);
        ``None``: a marker that names ``extra`` in another way (each extra evaluates it)."""


_MARKER_EXTRAS: dict[int, tuple[Marker, tuple[NormalizedName | None, ...]]] = {}
"""id(marker) -> (marker, the extras it names): markers are shared by all dists."""
_EXTRA_EQUALS = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")


def _marker_extras(marker: Marker) -> tuple[NormalizedName | None, ...]:
    """Return the extras a marker compares ``extra ==`` with (PEP 685 normalized).

    ``()`` when it names no ``extra``; ``(None,)`` when it does in another form
    (``extra !=``, ``"x" == extra``): then every extra evaluates it.
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
        result = tuple(canonical_name(name) for name in found)
    else:
        result = (None,)
    # the marker is kept in the entry, so its id cannot be reused meanwhile
    _MARKER_EXTRAS[id(marker)] = (marker, result)
    return result


def edges_by_parent(edges: Iterable[Edge]) -> EdgeIndex:
    """Return ``edges`` filed by ``(parent, extra)`` (see :data:`EdgeIndex`)."""
    index: EdgeIndex = {}
    for edge in edges:
        index.setdefault((edge.parent, edge.extra), []).append(edge)
    return index


def reach(
    index: EdgeIndex, lines: Mapping[NormalizedName, Iterable[NormalizedName]]
) -> set[NormalizedName]:
    """Return the names installing ``lines`` (name -> extras) brings in, as a resolver would.

    ``index`` is :func:`edges_by_parent`. Base edges are followed, an extra's only when it
    is asked for: on a line, or by a requirement on the way (``b[x]``, ``p[io]`` of ``p``).
    """
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
            stack += [(edge.child, canonical_name(x)) for x in edge.requirement.extras]
    return {name for name, _ in seen}

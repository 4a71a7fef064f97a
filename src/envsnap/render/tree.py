"""The dependency tree of a snapshot, forward or reversed (rendered by :mod:`.tree_formats`).

Like ``pipdeptree``, each root is expanded in full once; a package met again is marked
``repeated``, one that is its own ancestor ``cycle``. The walk keeps a stack of its own:
a recursive one stops with RecursionError near a thousand levels.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from envsnap.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Collection

    from packaging.requirements import Requirement
    from packaging.version import Version

    from envsnap.environment.distributions import InstalledDistribution
    from envsnap.environment.graph import Edge
    from envsnap.environment.snapshot import Snapshot

__all__ = ["Tree", "TreeNode", "build_tree"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeNode:
    """One package in the tree, under the package that leads to it."""

    name: NormalizedName
    """PEP 503 normalized name."""
    display_name: str
    """The name as the distribution spells it."""
    version: Version
    """The installed version."""
    requirement: Requirement | None = None
    """The requirement of the dependent on the dependency (``None`` for a root)."""
    extra: NormalizedName | None = None
    """The dependent's extra that brings the requirement, if any."""
    children: tuple[TreeNode, ...] = ()
    """Dependencies (forward) or dependents (reverse), sorted by name."""
    repeated: bool = False
    """Expanded elsewhere in the tree already; ``children`` left empty."""
    cycle: bool = False
    """An ancestor of itself on this path; ``children`` left empty."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Tree:
    """The roots of a dependency tree and which way it goes."""

    roots: tuple[TreeNode, ...]
    """Top-level packages (forward), leaves (reverse), or the ``--package`` ones."""
    reverse: bool = False
    """Children are dependents (what requires the parent) instead of dependencies."""


def build_tree(
    snapshot: Snapshot,
    *,
    reverse: bool = False,
    packages: Collection[str] = (),
    include_tools: bool = False,
) -> Tree:
    """Build the dependency tree of an environment.

    Args:
        snapshot: the environment.
        reverse: show under each package what depends on it (``pipdeptree --reverse``);
            roots are then the packages that require nothing.
        packages: names (any spelling) to start from instead of the default roots.
        include_tools: keep pip, setuptools, wheel and distribute as roots.

    Returns:
        The :class:`Tree`; forward roots are the top-level packages, sorted by name.

    Raises:
        InputError: a name in ``packages`` is not installed.
    """
    dists = {d.name: d for d in snapshot.distributions}
    adjacency: dict[NormalizedName, list[Edge]] = defaultdict(list)
    for edge in snapshot.edges:
        adjacency[edge.child if reverse else edge.parent].append(edge)
    if packages:
        roots = []
        for wanted in packages:
            name = canonicalize_name(wanted)
            if name not in dists:
                raise InputError(
                    f"{wanted} is not installed in {snapshot.environment.prefix}",
                    hint="envsnap tree without package= lists what is installed",
                )
            roots.append(name)
    else:
        listed = [d.name for d in snapshot.listed(include_tools=include_tools)]
        if reverse:
            dependents = {edge.parent for edge in snapshot.edges}
            roots = [n for n in listed if n not in dependents]
        else:
            reasons = snapshot.reasons
            roots = [n for n in listed if n not in reasons or reasons[n].top_level]
    walk = _Walk(dists=dists, adjacency=adjacency, reverse=reverse)
    return Tree(roots=tuple(walk.expand(name) for name in roots), reverse=reverse)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Walk:
    """What :func:`build_tree`'s walk reads, and the packages it expanded so far."""

    dists: dict[NormalizedName, InstalledDistribution]
    adjacency: dict[NormalizedName, list[Edge]]
    reverse: bool
    expanded: set[NormalizedName] = field(default_factory=set)
    """Packages shown with their children already (met again: ``repeated``)."""

    def _next(self, edge: Edge) -> NormalizedName:
        return edge.parent if self.reverse else edge.child

    def expand(self, root: NormalizedName) -> TreeNode:
        """Build the subtree of ``root`` depth first, with a stack of its own (no recursion)."""
        frames: list[_Frame] = []
        on_path: set[NormalizedName] = set()  # the ancestors of the node being entered
        done = self._enter(root, None, frames, on_path)
        if done is not None:
            return done
        while True:
            frame = frames[-1]
            if frame.next < len(frame.edges):
                edge = frame.edges[frame.next]
                frame.next += 1
                child = self._enter(self._next(edge), edge, frames, on_path)
                if child is not None:
                    frame.children.append(child)
                continue
            frames.pop()
            on_path.discard(frame.base.name)
            finished = replace(frame.base, children=tuple(frame.children))
            if not frames:
                return finished
            frames[-1].children.append(finished)

    def _enter(
        self,
        name: NormalizedName,
        via: Edge | None,
        frames: list[_Frame],
        on_path: set[NormalizedName],
    ) -> TreeNode | None:
        """Return the finished node of ``name`` (a cycle, a repeat), or ``None``: opened."""
        dist = self.dists[name]
        base = TreeNode(
            name=name,
            display_name=dist.display_name,
            version=dist.version,
            requirement=via.requirement if via else None,
            extra=via.extra if via else None,
        )
        if name in on_path:
            return replace(base, cycle=True)
        edges = self.adjacency.get(name, [])
        if name in self.expanded and edges:
            return replace(base, repeated=True)
        self.expanded.add(name)
        ordered = sorted(edges, key=lambda e: (self._next(e), e.extra or ""))
        frames.append(_Frame(base, ordered))
        on_path.add(name)
        return None


@dataclass(slots=True)
class _Frame:
    """A node of :func:`build_tree` whose children are being built (mutable: a walk's state)."""

    base: TreeNode
    edges: list[Edge]
    """Its edges, in the order its children are shown."""
    children: list[TreeNode] = field(default_factory=list)
    next: int = 0
    """The index of the next edge to follow."""

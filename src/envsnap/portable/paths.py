"""Where each pin is needed: an OR over dependency paths of the AND of edge markers.

Nodes are pins, and pins with one extra; top-level ones hold always. An edge holds
where its parent and its ``Requires-Dist`` marker (``extra`` answered for the
parent's extra) hold; a node where any edge into it does, to a fixpoint (extras
make cycles). The resolutions have the last word (:func:`narrowed`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from envsnap.portable.markers import (
    FALSE,
    TRUE,
    Condition,
    all_of,
    any_of,
    parse_condition,
    restrict_extra,
    simplify,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from packaging.version import Version

    from envsnap.portable.markers import Evaluator
    from envsnap.portable.resolver import Resolution, Wanted
    from envsnap.portable.targets import Platform, Target

__all__ = ["narrowed", "node_conditions"]

_Node = tuple[NormalizedName, "Version", "NormalizedName | None"]

_MAX_PASSES = 50
"""Fixpoint passes over the graph; conditions still changing after them are narrowed."""


def _incoming(resolutions: Sequence[Resolution]) -> dict[_Node, set[tuple[_Node, Condition]]]:
    """Return, for each node, the edges into it: ``(parent node, edge condition)``."""
    incoming: dict[_Node, set[tuple[_Node, Condition]]] = defaultdict(set)
    parsed: dict[tuple[str, NormalizedName | None], Condition] = {}
    for resolution in resolutions:
        version = {c.name: c.version for c in resolution.candidates.values()}
        for edge in resolution.edges:
            parent: _Node = (edge.parent, version[edge.parent], edge.extra)
            key = (str(edge.requirement.marker), edge.extra)
            if key not in parsed:
                parsed[key] = restrict_extra(parse_condition(edge.requirement.marker), edge.extra)
            extras = sorted(canonicalize_name(e) for e in edge.requirement.extras)
            itself = edge.child == edge.parent
            for extra in (*(() if itself else (None,)), *extras):
                incoming[(edge.child, version[edge.child], extra)].add((parent, parsed[key]))
    return incoming


def node_conditions(
    roots: Sequence[Wanted], resolutions: Sequence[Resolution], evaluator: Evaluator
) -> dict[_Node, Condition]:
    """Return the condition of every node (a pin, or a pin with an extra), to a fixpoint.

    Args:
        roots: the top-level requirements (their nodes hold always).
        resolutions: one per target, with the edges that apply there.
        evaluator: the targets, to simplify over.

    Returns:
        ``(name, version, extra or None) -> condition``; a node no edge reaches is absent.
    """
    incoming = _incoming(resolutions)
    conditions: dict[_Node, Condition] = defaultdict(lambda: FALSE)
    fixed = {
        (candidate.name, candidate.version, candidate.extra)
        for resolution in resolutions
        for root in roots
        if (candidate := resolution.candidates.get(root.identifier)) is not None
    }
    conditions.update(dict.fromkeys(fixed, TRUE))
    for _ in range(_MAX_PASSES):
        changed = False
        for node, edges in incoming.items():
            if node in fixed:
                continue
            new = simplify(
                any_of(*(all_of(conditions[parent], marker) for parent, marker in edges)),
                evaluator,
            )
            if new != conditions[node]:
                conditions[node] = new
                changed = True
        if not changed:
            break
    return dict(conditions)


def narrowed(
    condition: Condition, mask: int, targets: Sequence[Target], evaluator: Evaluator
) -> Condition:
    """Narrow a pin's condition from the paths to the targets that chose it.

    Args:
        condition: the condition from the paths.
        mask: the targets whose resolution chose the pin (bit ``i``: target ``i``).
        targets: the targets, in the evaluator's order.
        evaluator: the targets' environments.

    Returns:
        A condition holding on exactly the targets of ``mask``.
    """
    if evaluator.mask(condition) == mask:
        return condition
    chosen = _targets_condition(mask, targets)
    narrowed = simplify(all_of(condition, chosen), evaluator)
    return narrowed if evaluator.mask(narrowed) == mask else simplify(chosen, evaluator)


def _targets_condition(mask: int, targets: Sequence[Target]) -> Condition:
    """Return a condition holding on exactly ``mask``'s targets: minors as ranges per platform."""
    minors = sorted({t.python for t in targets})
    by_platform: dict[Platform, set[tuple[int, int]]] = defaultdict(set)
    for index, target in enumerate(targets):
        if mask >> index & 1:
            by_platform[target.platform].add(target.python)
    parts = []
    for platform, chosen in by_platform.items():
        where = parse_condition(
            f'sys_platform == "{platform.sys_platform}" '
            f'and platform_machine == "{platform.platform_machine}"'
        )
        parts.append(all_of(where, _python_condition(sorted(chosen), minors)))
    return any_of(*parts)


def _python_condition(
    chosen: Sequence[tuple[int, int]], minors: Sequence[tuple[int, int]]
) -> Condition:
    first, last = minors.index(chosen[0]), minors.index(chosen[-1])
    if minors[first : last + 1] != list(chosen):
        return any_of(*(parse_condition(f'python_version == "{a}.{b}"') for a, b in chosen))
    atoms = []
    if first > 0:
        atoms.append(f'python_version >= "{chosen[0][0]}.{chosen[0][1]}"')
    if last < len(minors) - 1:
        after = minors[last + 1]
        atoms.append(f'python_version < "{after[0]}.{after[1]}"')
    return parse_condition(" and ".join(atoms)) if atoms else TRUE

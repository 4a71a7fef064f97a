"""Which entries of two locks are compared with each other, markers considered.

A lock may pin one name several times, each under its own PEP 508 marker
(``uv pip compile --universal``, uv's pylock.toml, ``envsnap freeze
--portable``). With an environment at hand, both sides are narrowed to it
(:meth:`envsnap.lock.Lock.for_environment`) and meet by name. Without one
(``diff A.txt B.txt``), :func:`pair_entries` asks "would installing A or B give
something different somewhere?" over a grid: every CPython minor envsnap
targets on every platform of :mod:`envsnap.portable.targets`, each minor at its
``.0`` release. On each, the entry each side installs (the first whose marker
holds) is taken; each distinct ``(a entry, b entry)`` is one :class:`Pair`. So
markers spelled differently but holding on the same environments are the same,
and an entry only one side has is a difference only where its marker holds. An
entry whose marker holds on no grid environment (``implementation_name ==
"pypy"``) meets the other side's entry of the same marker text, else it is
missing or extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from envsnap._markers import entry_holds

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from packaging.utils import NormalizedName

    from envsnap.lock import Lock, LockedPackage

__all__ = ["Pair", "pair_entries"]


@dataclass(frozen=True, slots=True)
class Pair:
    """One entry of side a and the entry of side b it is compared with."""

    name: NormalizedName
    """The normalized name."""
    a: LockedPackage | None
    """Side a's entry, ``None`` where a installs nothing of that name."""
    b: LockedPackage | None
    """Side b's entry, ``None`` where b installs nothing of that name."""
    others: tuple[LockedPackage, ...] = ()
    """For a one-sided pair: the other side's entries of the name (under other markers)."""


def pair_entries(a: Lock, b: Lock, *, by_name: bool) -> Iterator[Pair]:
    """Yield the pairs of entries to compare, sorted by name (see the module docstring).

    Args:
        a: side a (expected).
        b: side b (found).
        by_name: both sides hold at most one entry per name (narrowed to an
            environment, or an environment itself): pair them by name alone.

    Yields:
        :class:`Pair` items; a name present on both sides with the same marker
        text (the usual case: no markers) gives one pair of its two entries.
    """
    names = sorted({p.name for p in a.packages} | {p.name for p in b.packages})
    for name in names:
        ea, eb = a.entries(name), b.entries(name)
        if by_name or _plain(ea, eb):
            yield Pair(name, ea[0] if ea else None, eb[0] if eb else None)
        else:
            yield from _by_environment(name, ea, eb, a, b)


def _plain(ea: tuple[LockedPackage, ...], eb: tuple[LockedPackage, ...]) -> bool:
    """Whether the name has at most one entry a side, under the same marker (or one side only)."""
    if len(ea) > 1 or len(eb) > 1:
        return False
    return not ea or not eb or str(ea[0].marker) == str(eb[0].marker)


def _by_environment(
    name: NormalizedName,
    ea: tuple[LockedPackage, ...],
    eb: tuple[LockedPackage, ...],
    a: Lock,
    b: Lock,
) -> Iterator[Pair]:
    """Pair the entries each side installs on each grid environment."""
    seen: dict[tuple[int | None, int | None], None] = {}
    for environment in _grid():
        pair = (_first(ea, environment, a), _first(eb, environment, b))
        if pair != (None, None):
            seen.setdefault(pair)
    # entries no grid environment selects: met by their marker's text
    hit_a, hit_b = {i for i, _ in seen}, {j for _, j in seen}
    off_b = [j for j in range(len(eb)) if j not in hit_b]
    for n in (n for n in range(len(ea)) if n not in hit_a):
        j = next((j for j in off_b if str(eb[j].marker) == str(ea[n].marker)), None)
        if j is not None:
            off_b.remove(j)
        seen.setdefault((n, j))
    for j in off_b:
        seen.setdefault((None, j))
    for i, j in seen:
        left = ea[i] if i is not None else None
        right = eb[j] if j is not None else None
        others = eb if right is None else ea if left is None else ()
        yield Pair(name, left, right, others)


def _first(
    entries: tuple[LockedPackage, ...], environment: Mapping[str, str], lock: Lock
) -> int | None:
    """Return the index of the first entry whose marker holds in ``environment``."""
    extras, groups = lock.selection()
    for index, entry in enumerate(entries):
        if entry_holds(entry.marker, environment, extras=extras, groups=groups):
            return index
    return None


@cache
def _grid() -> tuple[Mapping[str, str], ...]:
    """Every CPython minor envsnap targets on every platform it knows, as marker values."""
    from envsnap.portable.targets import (  # noqa: PLC0415
        KNOWN_PYTHONS,
        PLATFORMS,
        marker_environment,
    )

    return tuple(
        marker_environment(python, platform)
        for python in KNOWN_PYTHONS
        for platform in PLATFORMS.values()
    )

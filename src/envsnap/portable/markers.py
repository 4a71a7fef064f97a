"""Conditions on PEP 508 markers: combined along dependency paths, simplified over targets.

A :data:`Condition` is in disjunctive normal form: a set of conjunctions, each a
set of *atoms* (one comparison in packaging's normal spelling). Two conditions
are equal when they hold on the same targets (:class:`Evaluator`): exact for the
targets the lock lists, possibly broader (never narrower) outside them. Atoms are
read and evaluated with packaging's public ``Marker``; the ``and``/``or``
structure by the scanner below (packaging keeps its parse tree private).
"""

from __future__ import annotations

import re
from functools import cache, reduce
from itertools import product
from operator import and_, or_
from typing import TYPE_CHECKING

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_name

from envsnap._markers import marker_holds

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "FALSE",
    "TRUE",
    "Condition",
    "Conjunction",
    "Evaluator",
    "all_of",
    "any_of",
    "parse_condition",
    "restrict_extra",
    "simplify",
    "to_marker",
]

Conjunction = frozenset[str]
"""Atoms that must all hold (each the normal text of a one-comparison marker)."""
Condition = frozenset[Conjunction]
"""Conjunctions of which one must hold (disjunctive normal form)."""

TRUE: Condition = frozenset({frozenset()})
"""Always needed (no marker)."""
FALSE: Condition = frozenset()
"""Never needed."""

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<open>\() | (?P<close>\)) |
        (?P<string>'[^']*'|"[^"]*") |
        (?P<op>===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b) |
        (?P<keyword>and\b|or\b) |
        (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)

_VALUE = ("name", "string")


@cache
def _atom_text(left: str, op: str, right: str) -> str:
    """Return packaging's normal spelling of one comparison (validated)."""
    return str(Marker(f"{left} {' '.join(op.split())} {right}"))


class _Scanner:
    """Recursive descent over PEP 508's marker grammar, producing DNF."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while text[position:].strip():
            found = _TOKEN.match(text, position)
            if found is None:
                raise InvalidMarker(f"cannot read marker {text!r} at {text[position:]!r}")
            kind = found.lastgroup or ""
            self.tokens.append((kind, found.group(kind)))
            position = found.end()
        self.position = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, kinds: tuple[str, ...], expected: str) -> str:
        token = self._peek()
        if token is None or token[0] not in kinds:
            raise InvalidMarker(f"cannot read marker {self.text!r}: expected {expected}")
        self.position += 1
        return token[1]

    def parse(self) -> Condition:
        result = self._or()
        if self._peek() is not None:
            raise InvalidMarker(f"cannot read marker {self.text!r}: trailing text")
        return result

    def _or(self) -> Condition:
        result = self._and()
        while self._peek() == ("keyword", "or"):
            self.position += 1
            result = any_of(result, self._and())
        return result

    def _and(self) -> Condition:
        result = self._item()
        while self._peek() == ("keyword", "and"):
            self.position += 1
            result = all_of(result, self._item())
        return result

    def _item(self) -> Condition:
        token = self._peek()
        if token is not None and token[0] == "open":
            self.position += 1
            inner = self._or()
            self._take(("close",), "close")
            return inner
        left = self._take(_VALUE, "a value")
        op = self._take(("op",), "op")
        right = self._take(_VALUE, "a value")
        return frozenset({frozenset({_atom_text(left, op, right)})})


def parse_condition(marker: Marker | str | None) -> Condition:
    """Return a marker as a :data:`Condition` (``None``: :data:`TRUE`).

    Raises:
        InvalidMarker: the text is not a PEP 508 marker.
    """
    if marker is None:
        return TRUE
    return _absorb(_Scanner(str(marker)).parse())


def _absorb(conjunctions: Iterable[Conjunction]) -> Condition:
    """Drop duplicates and conjunctions containing another (``a or a and b`` is ``a``)."""
    ordered = sorted(set(conjunctions), key=len)
    kept: list[Conjunction] = []
    for conjunction in ordered:
        if not any(other <= conjunction for other in kept):
            kept.append(conjunction)
    return frozenset(kept)


def any_of(*conditions: Condition) -> Condition:
    """Return the OR of conditions."""
    return _absorb(c for condition in conditions for c in condition)


def all_of(*conditions: Condition) -> Condition:
    """Return the AND of conditions (the product of their conjunctions)."""
    result = TRUE
    for condition in conditions:
        result = _absorb(a | b for a, b in product(result, condition))
    return result


def _mentions_extra(atom: str) -> bool:
    return re.search(r"(?<![\w.])extra(?![\w.])", atom) is not None


def restrict_extra(condition: Condition, extra: str | None) -> Condition:
    """Answer every ``extra`` comparison for one extra, keeping the other atoms.

    Names are compared after PEP 685 normalization, as packaging does; ``None``
    means the base requirements (pip evaluates them with ``extra == ""``).

    Returns:
        The condition without any ``extra`` atom.
    """
    environment = {"extra": "" if extra is None else canonicalize_name(extra)}
    return _absorb(
        frozenset(a for a in conjunction if not _mentions_extra(a))
        for conjunction in condition
        if all(_evaluate(a, environment) for a in conjunction if _mentions_extra(a))
    )


def _evaluate(atom: str, environment: Mapping[str, str]) -> bool:
    try:
        marker = Marker(atom)
    except InvalidMarker:
        return False
    # a comparison the environment cannot answer does not hold there
    return marker_holds(marker, environment, extra=environment.get("extra", ""), otherwise=False)


class Evaluator:
    """Truth of conditions over a fixed list of target environments, as bit masks.

    Args:
        environments: one PEP 508 marker environment per target (bit ``i`` of a mask), every
            variable set: packaging fills a missing one from the running interpreter.
    """

    def __init__(self, environments: Sequence[Mapping[str, str]]) -> None:
        self.environments = [dict(env) for env in environments]
        self.full = (1 << len(self.environments)) - 1
        self._atoms: dict[str, int] = {}

    def atom(self, atom: str) -> int:
        """Return the mask of targets where one atom holds."""
        mask = self._atoms.get(atom)
        if mask is None:
            mask = sum(1 << i for i, env in enumerate(self.environments) if _evaluate(atom, env))
            self._atoms[atom] = mask
        return mask

    def conjunction(self, conjunction: Conjunction) -> int:
        """Return the mask of targets where every atom holds."""
        return reduce(and_, map(self.atom, conjunction), self.full)

    def mask(self, condition: Condition) -> int:
        """Return the mask of targets where the condition holds."""
        return reduce(or_, map(self.conjunction, condition), 0)


# atoms tried first for removal: the least telling ones
_REMOVE = ("platform_", "implementation", "os_name", "python_full", "sys_platform", "python_v")
_DISPLAY = ("sys_platform", "platform_system", "platform_machine", "os_name", "python_v")


def _rank(atom: str, order: tuple[str, ...]) -> tuple[int, str]:
    """Sort key: the first prefix in ``order`` the atom has, then the atom."""
    return next((i for i, prefix in enumerate(order) if atom.startswith(prefix)), len(order)), atom


def simplify(condition: Condition, evaluator: Evaluator) -> Condition:
    """Return the smallest-found condition that holds on exactly the same targets.

    Drops atoms true everywhere, conjunctions false everywhere or absorbed, then each atom
    and conjunction whose removal keeps the targets (``(a and b) or (a and not b)`` is ``a``).

    Returns:
        An equivalent condition over the targets (:data:`TRUE` / :data:`FALSE` where it
        holds on all / none); deterministic for equal input.
    """
    wanted = evaluator.mask(condition)
    if wanted == evaluator.full:
        return TRUE
    if wanted == 0:
        return FALSE
    conjunctions = [
        frozenset(a for a in c if evaluator.atom(a) != evaluator.full) for c in condition
    ]
    current = list(_absorb(c for c in conjunctions if evaluator.conjunction(c) != 0))
    current.sort(key=lambda c: (len(c), sorted(c)))
    # widen each conjunction as far as the whole stays within the wanted targets
    for index, conjunction in enumerate(current):
        for atom in sorted(conjunction, key=lambda a: _rank(a, _REMOVE)):
            smaller = current[index] - {atom}
            if evaluator.conjunction(smaller) & ~wanted == 0:
                current[index] = smaller
    current = list(_absorb(current))
    current.sort(key=lambda c: (-len(c), sorted(c)))
    # drop conjunctions the others already cover
    index = 0
    while index < len(current):
        rest = current[:index] + current[index + 1 :]
        if rest and evaluator.mask(frozenset(rest)) == wanted:
            current = rest
        else:
            index += 1
    return frozenset(current)


def to_marker(condition: Condition) -> Marker | None:
    """Write a condition as a PEP 508 marker (``None`` for :data:`TRUE`).

    Conjunctions are joined by ``or``, parenthesized when there are several;
    atoms and conjunctions are sorted, so equal conditions give the same text.

    Raises:
        ValueError: the condition is :data:`FALSE` (no marker says "never").
    """
    if not condition:
        raise ValueError("a condition that never holds has no marker")
    if frozenset() in condition:
        return None
    parts = sorted(" and ".join(sorted(c, key=lambda a: _rank(a, _DISPLAY))) for c in condition)
    if len(parts) == 1:
        return Marker(parts[0])
    return Marker(" or ".join(f"({p})" if " and " in p else p for p in parts))

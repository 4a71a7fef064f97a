"""The drift model: :class:`Change` items, the :class:`Report` they make, and message helpers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, TypedDict, get_args

if TYPE_CHECKING:
    from collections.abc import Iterable

    from envsnap.lock import Lock, LockedPackage

__all__ = [
    "INFORMATIONAL",
    "KINDS",
    "Change",
    "ChangeKind",
    "Place",
    "Report",
    "combine",
    "lock_label",
    "lock_path",
    "pin",
    "sorted_changes",
    "where",
]

ChangeKind = Literal[
    "missing",
    "extra",
    "changed",
    "source-changed",
    "extras-changed",
    "broken",
    "missing-declared",
    "outside-specifier",
    "stale",
    "file-modified",
    "file-missing",
    "reclassified",
]

KINDS: tuple[ChangeKind, ...] = get_args(ChangeKind)
"""Every kind, in the order reports show them."""

INFORMATIONAL: frozenset[ChangeKind] = frozenset({"reclassified"})
"""Kinds that never count as drift (see also :attr:`Change.informational`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One drift item: a package (or one of its files) that differs between two sides."""

    kind: ChangeKind
    """What differs (see :data:`KINDS`)."""
    name: str
    """The normalized name of the package concerned."""
    expected: str | None = None
    """What side a (the lock file, pyproject, RECORD) says, e.g. ``2.32.3``."""
    found: str | None = None
    """What side b (the environment, the other file) has, e.g. ``2.31.0``."""
    detail: str | None = None
    """A plain-language explanation, when the kind and values are not enough."""
    line: int | None = None
    """1-based line of :attr:`path` where the package is written, when known."""
    path: str | None = None
    """The lock file or its ``-r`` include, ``pyproject.toml``, or a ``file-*`` item's file."""
    informational: bool = False
    """Never drift: ``extras-changed`` where side a pins every package (``reclassified`` always)."""

    @property
    def is_drift(self) -> bool:
        """Whether this item counts as drift (not ``reclassified``, not :attr:`informational`)."""
        return not self.informational and self.kind not in INFORMATIONAL


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """The result of a comparison: drift items between side a and side b."""

    changes: tuple[Change, ...]
    """The items, sorted by kind (in :data:`KINDS` order) then name."""
    a_label: str
    """What side a is, for people: a file path or ``pyproject.toml``."""
    b_label: str
    """What side b is: an environment (``env /path/.venv``) or a file."""
    checked: int = 0
    """How many packages were compared (for the ``OK`` line)."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Non-fatal remarks (unreadable markers, files not verifiable...)."""

    def __bool__(self) -> bool:
        """Return whether there is drift (informational items do not count)."""
        return any(change.is_drift for change in self.changes)

    @property
    def drift(self) -> tuple[Change, ...]:
        """The items that count as drift."""
        return tuple(c for c in self.changes if c.is_drift)

    def by_kind(self) -> dict[ChangeKind, list[Change]]:
        """Group the items by kind, in :data:`KINDS` order, leaving out empty kinds."""
        groups = {kind: [c for c in self.changes if c.kind == kind] for kind in KINDS}
        return {kind: items for kind, items in groups.items() if items}

    def counts(self) -> dict[ChangeKind, int]:
        """Return the number of items of each kind present, in :data:`KINDS` order."""
        counter = Counter(c.kind for c in self.changes)
        return {kind: counter[kind] for kind in KINDS if counter[kind]}

    def without(self, *kinds: ChangeKind) -> Report:
        """Return a copy of the report without the items of ``kinds``."""
        return replace(self, changes=tuple(c for c in self.changes if c.kind not in kinds))

    def drift_only(self) -> Report:
        """Return a copy without the informational items (what ``check`` shows without ``-v``)."""
        return replace(self, changes=self.drift)


def sorted_changes(changes: Iterable[Change]) -> tuple[Change, ...]:
    """Return the items in report order: by kind (:data:`KINDS`), then name, file, expected."""
    order = {kind: i for i, kind in enumerate(KINDS)}
    return tuple(
        sorted(changes, key=lambda c: (order[c.kind], c.name, c.path or "", c.expected or ""))
    )


def combine(first: Report, *others: Report) -> Report:
    """Merge reports into one, sorted: the labels of ``first``, the items and notes of all."""
    changes = list(first.changes)
    notes = list(first.notes)
    for other in others:
        changes += other.changes
        notes += [n for n in other.notes if n not in notes]
    return replace(first, changes=sorted_changes(changes), notes=tuple(notes))


def pin(package: LockedPackage) -> str:
    """Return ``name==version``, ``name @ URL`` or ``name SPEC`` (``; marker``) for messages."""
    if package.origin.is_direct:
        text = f"{package.name} @ {package.origin.describe()}"
    elif package.version is not None:
        text = f"{package.name}=={package.version}"
    else:
        text = f"{package.name}{package.specifier or ''}"
    return text if package.marker is None else f"{text} ; {package.marker}"


def lock_path(lock: Lock) -> str | None:
    """Return the lock's file as a string, ``None`` for an environment."""
    return str(lock.path) if lock.path is not None else None


class Place(TypedDict):
    """Where a :class:`Change` lands: its ``path`` and ``line``."""

    path: str | None
    line: int | None


def where(lock: Lock, package: LockedPackage | None) -> Place:
    """Return where an item about ``package`` lands, to pass as ``Change(..., **place)``.

    The file the entry is written in (an ``-r`` include's own, with its line),
    else the lock file; for a package the lock does not list, the lock file
    without a line.
    """
    if package is None:
        return {"path": lock_path(lock), "line": None}
    path = str(package.file) if package.file is not None else lock_path(lock)
    return {"path": path, "line": package.line}


def lock_label(lock: Lock) -> str:
    """Return how a report names a lock: its path, else its format."""
    return str(lock.path) if lock.path is not None else lock.format

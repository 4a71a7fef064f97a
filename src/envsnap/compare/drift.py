"""Drift: pure comparisons between an environment, lock files and ``pyproject.toml``.

Both sides become a :class:`~envsnap.lock.Lock` (an environment through
:func:`lock_from_snapshot`) compared by :mod:`envsnap.compare.entries`, like
pip-tools' ``sync.diff()``: side ``a`` is what is expected (the lock file, the
older file), side ``b`` what is found. This module adds what only an
environment shows: broken requirements and unmet extras of locked packages.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from envsnap.compare.changes import (
    Change,
    Report,
    lock_label,
    lock_path,
    sorted_changes,
    where,
)
from envsnap.compare.entries import compare_entries
from envsnap.compare.project import compare_lock_to_project
from envsnap.lock import Lock, LockedPackage

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from packaging.requirements import Requirement

    from envsnap.environment.graph import Unsatisfied
    from envsnap.environment.snapshot import Snapshot

__all__ = [
    "compare_env_to_lock",
    "compare_lock_to_project",
    "compare_locks",
    "lock_from_snapshot",
]

_Node = tuple[NormalizedName, NormalizedName | None]  # a package, or one of its extras


def lock_from_snapshot(snapshot: Snapshot, *, include_tools: bool = True) -> Lock:
    """Describe an environment as a :class:`Lock` of format ``environment`` (what freeze writes).

    Every distribution :meth:`Snapshot.listed` shows, pinned to its installed version
    and origin, with ``top_level``/``reason`` and its top-level extras.

    Args:
        snapshot: the environment.
        include_tools: keep pip, setuptools, wheel, distribute (freeze's ``--all``); by
            default, so a lock that pins them is compared.
    """
    packages = []
    for dist in snapshot.listed(include_tools=include_tools):
        reason = snapshot.reasons.get(dist.name)
        packages.append(
            LockedPackage(
                name=dist.name,
                display_name=dist.display_name,
                version=dist.version,
                origin=dist.origin,
                extras=tuple(sorted(snapshot.top_level_extras.get(dist.name, ()))),
                top_level=bool(reason and reason.top_level),
                reason=reason.describe() if reason else None,
            )
        )
    return Lock(
        path=None,
        format="environment",
        packages=tuple(packages),
        python_version=snapshot.environment.python_version_text,
        complete=True,
    )


def compare_env_to_lock(
    snapshot: Snapshot,
    lock: Lock,
    *,
    ignore: Collection[str] = (),
    allow_extra: bool = False,
    include_tools: bool = False,
    extras: Collection[str] = (),
    groups: Collection[str] | None = None,
) -> Report:
    """Compare an environment with the lock it should match, as ``pip freeze`` and ``pip check`` do.

    The lock is first narrowed to the entries whose marker holds there (PEP 508,
    :meth:`Lock.for_environment`). Kinds: ``missing``, ``extra`` (among what
    :meth:`Snapshot.listed` shows), ``changed``, ``source-changed``, ``broken``
    (an unmet requirement, or an extra the lock asks for, ``a[x]``, not met),
    ``reclassified`` and ``extras-changed`` (when both sides record them; not
    drift when the lock pins every package, as ``pip install -r`` marks every
    package requested). A lock that does not pin what its entries require
    (``Lock.complete`` false) names only what the user wants: those requirements
    are then not ``extra``, and a note says so.

    Args:
        snapshot: the environment (side b).
        lock: what it should hold (side a).
        ignore: names (any spelling) to leave out entirely.
        allow_extra: do not report installed packages the lock lacks.
        include_tools: also report pip/setuptools/wheel as missing/extra.
        extras: extras of a pylock file to count as installed (PEP 751 markers).
        groups: its dependency groups (``None``: its ``default-groups``).

    Returns:
        The :class:`Report` (``a_label`` the lock file, ``b_label`` the env).
    """
    notes: list[str] = []
    lock = lock.for_environment(
        snapshot.environment.markers, extras=extras, groups=groups, problems=notes
    )
    env_lock = lock_from_snapshot(snapshot, include_tools=True)
    locked = {p.name for p in lock.packages}
    if not lock.complete:
        # a hand-written file (requirements.in style) names only what the user
        # wants; what those packages require is expected, not extra
        unlisted = _closure(snapshot, lock) - locked
        if unlisted:
            ignore = {*ignore, *unlisted}
            notes.append(
                f"{lock_label(lock)} does not pin the whole dependency tree: "
                "packages its entries require are not reported as extra"
            )
    report = compare_entries(
        lock,
        env_lock,
        a_label=lock_label(lock),
        b_label=f"env {snapshot.environment.prefix}",
        by_name=True,
        ignore=ignore,
        allow_extra=allow_extra,
        skip_tools=False,
        include_tools=include_tools,
        extra_path=lock_path(lock),
    )
    skip = {canonicalize_name(n) for n in ignore}
    installed = {d.name: d for d in snapshot.distributions}
    broken: list[Change] = []
    for item in snapshot.unsatisfied:
        if item.dependent in skip:
            continue
        requirement = str(item.requirement)
        child = canonicalize_name(item.requirement.name)
        state = "not installed" if item.installed is None else f"{item.installed} is installed"
        broken.append(
            Change(
                kind="broken",
                name=item.dependent,
                expected=requirement,
                found=None if item.installed is None else f"{child}=={item.installed}",
                detail=f"{installed[item.dependent].display_name} requires {requirement}; {state}",
                **where(lock, lock.get(item.dependent)),
            )
        )
    broken += _unmet_locked_extras(snapshot, lock, skip)
    return replace(
        report,
        changes=sorted_changes([*report.changes, *broken]),
        notes=tuple(dict.fromkeys([*notes, *report.notes])),
    )


def _unmet_locked_extras(snapshot: Snapshot, lock: Lock, skip: set[NormalizedName]) -> list[Change]:
    """``broken`` items for extras the lock asks for (``a[x]``) that the env does not hold.

    The message names each link to the unmet requirement: ``celery[redis]`` ->
    ``kombu[redis]`` -> ``redis>=4``.
    """
    from envsnap.environment.snapshot import unmet_extra  # noqa: PLC0415 - drift stays import-light

    changes = []
    for package in lock.packages:
        if package.name in skip or snapshot.get(package.name) is None:
            continue
        for extra in package.extras:
            unmet = unmet_extra(snapshot, package.name, extra)
            if unmet is None:
                continue
            have = (
                f"{unmet.installed} is installed"
                if unmet.installed is not None
                else "it is not installed"
            )
            asked = f"{package.display_name}[{extra}]"
            chain = "".join(
                f", which requires {link}" for link in _chain(snapshot, package.name, extra, unmet)
            )
            changes.append(
                Change(
                    kind="broken",
                    name=package.name,
                    expected=asked,
                    found=None if unmet.installed is None else str(unmet.installed),
                    detail=f"{lock_label(lock)} asks for {asked}{chain}, "
                    f"which requires {_without_marker(unmet.requirement)}; {have}",
                    **where(lock, package),
                )
            )
    return changes


def _without_marker(requirement: Requirement) -> str:
    """Return ``name[extras] specifier``: the ``extra == ...`` marker says nothing here."""
    from packaging.requirements import Requirement  # noqa: PLC0415

    copy = Requirement(str(requirement))
    copy.marker = None
    return str(copy)


def _chain(snapshot: Snapshot, name: NormalizedName, extra: str, unmet: Unsatisfied) -> list[str]:
    """Return the extras between ``name[extra]`` and the one whose requirement is unmet.

    Returns:
        ``["kombu[redis]"]`` for ``celery[redis]`` -> ``kombu[redis]`` -> ``redis>=4``;
        ``[]`` when the unmet requirement is ``name[extra]``'s own.
    """
    from envsnap.environment.graph import DependencyGraph  # noqa: PLC0415

    start = (name, canonicalize_name(extra))
    if (unmet.dependent, unmet.extra) == start:
        return []
    dists = {d.name: d for d in snapshot.distributions}
    edges = DependencyGraph(snapshot.environment.markers, dists).walk(*start)[0]
    came: dict[_Node, _Node] = {}
    for edge in edges:
        for wanted in edge.requirement.extras:
            came.setdefault((edge.child, canonicalize_name(wanted)), (edge.parent, edge.extra))
    links: list[_Node] = []
    node: _Node = (unmet.dependent, unmet.extra)
    while node != start and len(links) <= len(came):
        links.append(node)
        if node not in came:
            break
        node = came[node]
    return [f"{dists[n].display_name}[{x}]" for n, x in reversed(links)]


def compare_locks(
    a: Lock,
    b: Lock,
    *,
    ignore: Collection[str] = (),
    allow_extra: bool = False,
    include_tools: bool = False,
    a_label: str | None = None,
    b_label: str | None = None,
    markers: Mapping[str, str] | None = None,
) -> Report:
    """Compare two locks (files, or environments through :func:`lock_from_snapshot`).

    Same kinds as :func:`compare_env_to_lock` except ``broken``
    (``extras-changed`` is drift when either side does not pin every package).
    With ``markers`` (``diff LOCK ENV``), both locks are first narrowed to the
    entries that apply there; without (``diff A B``), entries meet over a grid
    of environments (:mod:`envsnap.compare.pairs`). pip, setuptools, wheel and
    distribute are left out unless ``include_tools``, as freeze leaves them out.

    Args:
        a: the expected / older side.
        b: the found / newer side.
        ignore: names to leave out.
        allow_extra: do not report entries only ``b`` has.
        include_tools: compare pip/setuptools/wheel/distribute too.
        a_label: how to name side a (default: its path or format).
        b_label: how to name side b.
        markers: the PEP 508 marker values of the environment at hand, if any.
    """
    notes: list[str] = []
    if markers is not None:
        a = a.for_environment(markers, problems=notes)
        b = b.for_environment(markers, problems=notes)
    report = compare_entries(
        a,
        b,
        a_label=a_label or lock_label(a),
        b_label=b_label or lock_label(b),
        by_name=markers is not None,
        ignore=ignore,
        allow_extra=allow_extra,
        skip_tools=not include_tools,
        include_tools=include_tools,
        extra_path=lock_path(a),
    )
    return replace(report, notes=tuple(dict.fromkeys([*notes, *report.notes])))


def _closure(snapshot: Snapshot, lock: Lock) -> set[NormalizedName]:
    """Return the lock's names and what they require in the environment, transitively.

    An extra's requirements are followed only when it is asked for (``a[x]`` on
    the lock's entry, ``b[y]`` on the way), as a resolver installing the lock would.
    """
    from envsnap.environment.graph import edges_by_parent, reach  # noqa: PLC0415

    lines: dict[NormalizedName, set[NormalizedName]] = {}
    for package in lock.packages:  # a name may have one entry per marker
        lines.setdefault(package.name, set()).update(package.extras)
    return reach(edges_by_parent(snapshot.edges), lines)

"""Drift: pure comparisons between an environment, lock files and ``pyproject.toml``.

One comparison core serves ``check``, ``diff`` and restore's verify step:
both sides are turned into a :class:`~envsnap.lock.Lock` (an environment
through :func:`lock_from_snapshot`) and compared entry by entry, like
pip-tools' ``sync.diff()``. Nothing here reads files or prints; the result is a
:class:`Report` of :class:`Change` items that the renderers in
:mod:`envsnap.render.report` turn into text, JSON or GitHub annotations.

Side ``a`` is what is *expected* (the lock file, the older file), side ``b``
what is *found* (the environment, the newer file). ``missing`` means "in a,
not in b"; ``extra`` means "in b, not in a".

Why one module of this size: every drift kind (missing, extra, changed, source changed,
broken requirement, undeclared, stale) is one small pure function over the same models,
and the Report they build; they are read together.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, get_args

from packaging.utils import NormalizedName, canonicalize_name

from envsnap._markers import marker_holds
from envsnap.environment import TOOLING
from envsnap.lock import Lock, LockedPackage

if TYPE_CHECKING:
    import os
    from collections.abc import Collection, Iterable, Mapping

    from packaging.markers import Marker

    from envsnap.environment.project import ProjectDeclaration
    from envsnap.environment.snapshot import Snapshot
    from envsnap.origin import Origin

__all__ = [
    "KINDS",
    "Change",
    "ChangeKind",
    "Report",
    "combine",
    "compare_env_to_lock",
    "compare_lock_to_project",
    "compare_locks",
    "lock_from_snapshot",
]

ChangeKind = Literal[
    "missing",
    "extra",
    "changed",
    "source-changed",
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
"""Kinds shown for information only: they never count as drift."""


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
    """1-based line of the lock file where the package is, when known."""
    path: str | None = None
    """The file the item is about: the lock file (with ``line``), or for
    ``file-*`` kinds the installed file."""

    @property
    def is_drift(self) -> bool:
        """Whether this item counts as drift (everything but ``reclassified``)."""
        return self.kind not in INFORMATIONAL


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
        groups: dict[ChangeKind, list[Change]] = {}
        for kind in KINDS:
            items = [c for c in self.changes if c.kind == kind]
            if items:
                groups[kind] = items
        return groups

    def counts(self) -> dict[ChangeKind, int]:
        """Return the number of items of each kind present, in :data:`KINDS` order."""
        counter = Counter(c.kind for c in self.changes)
        return {kind: counter[kind] for kind in KINDS if counter[kind]}

    def without(self, *kinds: ChangeKind) -> Report:
        """Return a copy of the report without the items of ``kinds``."""
        return replace(self, changes=tuple(c for c in self.changes if c.kind not in kinds))


def _sorted(changes: Iterable[Change]) -> tuple[Change, ...]:
    order = {kind: i for i, kind in enumerate(KINDS)}
    return tuple(
        sorted(changes, key=lambda c: (order[c.kind], c.name, c.path or "", c.expected or ""))
    )


def combine(first: Report, *others: Report) -> Report:
    """Merge reports into one (labels of the first; items, counts and notes of all).

    Args:
        first: the main report (its labels are kept).
        others: further reports, e.g. lock-vs-project and file verification.

    Returns:
        One :class:`Report` with every item, sorted.
    """
    changes = list(first.changes)
    notes = list(first.notes)
    for other in others:
        changes += other.changes
        notes += [n for n in other.notes if n not in notes]
    return replace(first, changes=_sorted(changes), notes=tuple(notes))


def lock_from_snapshot(snapshot: Snapshot, *, include_tools: bool = True) -> Lock:
    """Describe an environment as a :class:`Lock` (what freeze would write).

    Args:
        snapshot: the environment.
        include_tools: keep pip, setuptools, wheel, distribute (freeze's
            ``--all``); kept by default so a lock that pins them can be compared.

    Returns:
        A ``Lock`` of format ``environment``: every distribution
        :meth:`Snapshot.listed` shows, pinned to its installed version and
        origin, with its classification as ``top_level``/``reason`` and the
        extras its top-level line asks for (what freeze writes).
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
) -> Report:
    """Compare an environment against the lock it should match.

    Follows what ``pip freeze`` and ``pip check`` would show: a locked
    package whose marker (PEP 508) applies to the environment's marker values
    and that is not installed is ``missing``; an installed package that
    :meth:`Snapshot.listed` shows (pip, setuptools, wheel left out unless
    ``include_tools``, as freeze does) and that the lock lacks is ``extra``;
    other versions are ``changed``; another origin (index, editable, direct
    URL, VCS commit, archive hash) is ``source-changed``; every unmet
    requirement of an installed package is ``broken``. A package that became
    top-level or transitive is ``reclassified`` (not drift), and only when the
    lock records the classification.

    A lock that does not pin the whole tree (``Lock.complete`` false: a
    hand-written requirements file) names only what the user wants: what its
    entries require in the environment is then not ``extra``, and the
    report carries a note saying so.

    Args:
        snapshot: the environment (side b).
        lock: what it should hold (side a).
        ignore: names (any spelling) to leave out entirely.
        allow_extra: do not report installed packages the lock lacks.
        include_tools: also report pip/setuptools/wheel as missing/extra.

    Returns:
        The :class:`Report` (``a_label`` the lock file, ``b_label`` the env).
    """
    env_lock = lock_from_snapshot(snapshot, include_tools=True)
    notes: tuple[str, ...] = ()
    if not lock.complete:
        # a hand-written file (requirements.in style) names only what the user
        # wants; what those packages require is expected, not extra
        wanted = _closure(snapshot, {p.name for p in lock.packages})
        ignore = {*ignore, *(n for n in wanted if lock.get(n) is None)}
        notes = (
            f"{_lock_label(lock)} does not pin the whole dependency tree: "
            "packages its entries require are not reported as extra",
        )
    report = _compare(
        lock,
        env_lock,
        a_label=_lock_label(lock),
        b_label=f"env {snapshot.environment.prefix}",
        markers=snapshot.environment.markers,
        ignore=ignore,
        allow_extra=allow_extra,
        include_tools=include_tools,
    )
    report = replace(report, notes=report.notes + notes)
    skip = {canonicalize_name(n) for n in ignore}
    installed = {d.name: d for d in snapshot.distributions}
    broken = []
    for item in snapshot.unsatisfied:
        if item.dependent in skip:
            continue
        requirement = str(item.requirement)
        child = canonicalize_name(item.requirement.name)
        if item.installed is None:
            found = None
            detail = (
                f"{installed[item.dependent].display_name} requires {requirement}; not installed"
            )
        else:
            found = f"{child}=={item.installed}"
            detail = (
                f"{installed[item.dependent].display_name} requires {requirement}; "
                f"{item.installed} is installed"
            )
        locked = lock.get(item.dependent)
        broken.append(
            Change(
                kind="broken",
                name=item.dependent,
                expected=requirement,
                found=found,
                detail=detail,
                line=locked.line if locked else None,
                path=_path(lock) if locked and locked.line else None,
            )
        )
    broken += _unmet_locked_extras(snapshot, lock, skip)
    return replace(report, changes=_sorted([*report.changes, *broken]))


def _unmet_locked_extras(snapshot: Snapshot, lock: Lock, skip: set[NormalizedName]) -> list[Change]:
    """``broken`` items for extras the lock asks for (``a[x]``) that the env does not hold."""
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
            changes.append(
                Change(
                    kind="broken",
                    name=package.name,
                    expected=f"{package.display_name}[{extra}]",
                    found=None if unmet.installed is None else str(unmet.installed),
                    detail=f"{_lock_label(lock)} asks for {package.display_name}[{extra}], "
                    f"which requires {unmet.requirement}; {have}",
                    line=package.line,
                    path=_path(lock) if package.line else None,
                )
            )
    return changes


def compare_locks(
    a: Lock,
    b: Lock,
    *,
    ignore: Collection[str] = (),
    allow_extra: bool = False,
    include_tools: bool = False,
    a_label: str | None = None,
    b_label: str | None = None,
) -> Report:
    """Compare two locks (files, or environments through :func:`lock_from_snapshot`).

    Same kinds as :func:`compare_env_to_lock` except ``broken``: ``missing``
    is in ``a`` only, ``extra`` in ``b`` only, ``changed``/``source-changed``
    differ, ``reclassified`` when both record a classification. Markers are
    not evaluated: a difference in the files is a difference.

    Args:
        a: the expected / older side.
        b: the found / newer side.
        ignore: names to leave out.
        allow_extra: do not report entries only ``b`` has.
        include_tools: report pip/setuptools/wheel/distribute present on one
            side only (a difference in their versions is always reported).
        a_label: how to name side a (default: its path or format).
        b_label: how to name side b.

    Returns:
        The :class:`Report`.
    """
    return _compare(
        a,
        b,
        a_label=a_label or _lock_label(a),
        b_label=b_label or _lock_label(b),
        markers=None,
        ignore=ignore,
        allow_extra=allow_extra,
        include_tools=include_tools,
    )


def compare_lock_to_project(
    lock: Lock,
    project: ProjectDeclaration | str | os.PathLike[str],
    *,
    markers: Mapping[str, str] | None = None,
    ignore: Collection[str] = (),
    requested: Collection[str] = (),
) -> Report:
    """Compare a lock with the dependencies ``pyproject.toml`` declares.

    - ``missing-declared``: a declared requirement (``[project]
      dependencies``, selected optional dependencies and PEP 735 groups)
      that the lock has no entry for. A requirement with a marker is
      reported only when ``markers`` are given and the marker applies (a lock
      taken on Linux need not pin a Windows-only dependency).
    - ``outside-specifier``: the lock pins a version the declared specifier
      does not allow (pre-releases allowed, as a pin is explicit).
    - ``stale``: a top-level entry of the lock that the project does not
      declare, unless the lock or the environment records it as
      ``requested`` (the user installed it by name; it was never declared).
      Only for locks that record top-level entries (envsnap's own files).

    The project itself (``[project] name``, e.g. an editable install or a
    self-reference in a group) is never reported.

    Args:
        lock: the lock (side a of the wording: what the file says).
        project: the declaration (side b), or a ``pyproject.toml`` path or its
            directory (:func:`envsnap.environment.project.as_project`).
        markers: the PEP 508 marker values of the target, when known.
        ignore: names to leave out.
        requested: names the environment marks as requested (PEP 376
            ``REQUESTED``), for a lock that does not record why a package is
            top-level (requirements files).

    Returns:
        The :class:`Report`, ``a_label`` the project file, ``b_label`` the lock.
    """
    from envsnap.environment.project import as_project  # noqa: PLC0415

    project = as_project(project)
    skip = {canonicalize_name(n) for n in ignore}
    if project.name:
        skip.add(project.name)
    changes: list[Change] = []
    seen: set[NormalizedName] = set()
    for dep in project.dependencies:
        name = dep.name
        if name in skip:
            continue
        seen.add(name)
        req = dep.requirement
        locked = lock.get(name)
        if locked is None:
            applies = True
            if req.marker is not None:
                applies = markers is not None and _applies(req.marker, markers)
            if applies:
                changes.append(
                    Change(
                        kind="missing-declared",
                        name=name,
                        expected=str(req),
                        detail=f"declared in [{dep.source}]",
                        path=str(project.path),
                    )
                )
            continue
        if locked.version is not None and not req.specifier.contains(
            locked.version, prereleases=True
        ):
            changes.append(
                Change(
                    kind="outside-specifier",
                    name=name,
                    expected=str(req),
                    found=str(locked.version),
                    detail=f"declared in [{dep.source}]",
                    line=locked.line,
                    path=_path(lock),
                )
            )
    declared = project.names
    by_hand = {canonicalize_name(n) for n in requested}
    for locked in lock.top_level:
        if locked.name in declared or locked.name in skip:
            continue
        if locked.reason == "requested" or locked.name in by_hand:
            continue
        changes.append(
            Change(
                kind="stale",
                name=locked.name,
                expected=None,
                found=_pin(locked),
                detail="top-level in the lock but not declared in " + project.path.name,
                line=locked.line,
                path=_path(lock),
            )
        )
    return Report(
        changes=_sorted(changes),
        a_label=str(project.path),
        b_label=_lock_label(lock),
        checked=len(seen),
    )


def _closure(snapshot: Snapshot, names: set[NormalizedName]) -> set[NormalizedName]:
    """Return ``names`` and everything they require in the environment, transitively."""
    children: dict[NormalizedName, list[NormalizedName]] = {}
    for edge in snapshot.edges:
        children.setdefault(edge.parent, []).append(edge.child)
    seen = set(names)
    stack = list(names)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _compare(
    a: Lock,
    b: Lock,
    *,
    a_label: str,
    b_label: str,
    markers: Mapping[str, str] | None,
    ignore: Collection[str],
    allow_extra: bool,
    include_tools: bool,
) -> Report:
    """Compare side a (expected) with side b (found): the one comparison core."""
    skip = {canonicalize_name(n) for n in ignore}
    quiet = set() if include_tools else set(TOOLING)
    b_by_name = {p.name: p for p in b.packages}
    a_names = {p.name for p in a.packages}
    record_top = bool(a.top_level) and bool(b.top_level)
    record_extras = record_top and _records_extras(a) and _records_extras(b)
    changes: list[Change] = []
    notes: list[str] = []
    checked = 0
    for want in a.packages:
        if want.name in skip:
            continue
        have = b_by_name.get(want.name)
        line, path = want.line, _path(a)
        if have is None:
            if want.name in quiet:
                continue
            if markers is not None and want.marker is not None:
                applies = _applies(want.marker, markers, notes=notes, name=want.name)
                if not applies:
                    continue
            changes.append(
                Change(kind="missing", name=want.name, expected=_pin(want), line=line, path=path)
            )
            continue
        checked += 1
        changes += _differences(want, have, line=line, path=path)
        if record_extras and want.top_level and have.top_level and want.extras != have.extras:
            changes.append(
                Change(
                    kind="changed",
                    name=want.name,
                    expected=_with_extras(want),
                    found=_with_extras(have),
                    detail="other extras on the top-level line",
                    line=line,
                    path=path,
                )
            )
        if record_top and want.top_level != have.top_level:
            changes.append(
                Change(
                    kind="reclassified",
                    name=want.name,
                    expected=_classification(want),
                    found=_classification(have),
                    line=line,
                    path=path,
                )
            )
    if not allow_extra:
        for have in b.packages:
            if have.name in a_names or have.name in skip or have.name in quiet:
                continue
            changes.append(
                Change(
                    kind="extra", name=have.name, found=_pin(have), line=have.line, path=_path(b)
                )
            )
    return Report(
        changes=_sorted(changes),
        a_label=a_label,
        b_label=b_label,
        checked=checked,
        notes=tuple(notes),
    )


def _differences(
    want: LockedPackage, have: LockedPackage, *, line: int | None, path: str | None
) -> list[Change]:
    """Version and origin differences of one package present on both sides."""
    changes = []
    if want.version is not None and have.version is not None:
        if want.version != have.version:
            changes.append(
                Change(
                    kind="changed",
                    name=want.name,
                    expected=str(want.version),
                    found=str(have.version),
                    line=line,
                    path=path,
                )
            )
    elif (
        want.specifier is not None
        and have.version is not None
        and not want.specifier.contains(have.version, prereleases=True)
    ):
        changes.append(
            Change(
                kind="changed",
                name=want.name,
                expected=str(want.specifier),
                found=str(have.version),
                detail="outside the range the file allows",
                line=line,
                path=path,
            )
        )
    why = _origin_difference(want.origin, have.origin)
    if why is not None:
        changes.append(
            Change(
                kind="source-changed",
                name=want.name,
                expected=want.origin.describe(),
                found=have.origin.describe(),
                detail=why,
                line=line,
                path=path,
            )
        )
    return changes


def _origin_difference(want: Origin, have: Origin) -> str | None:  # noqa: PLR0911 - one reason per field
    """Return why two origins differ (PEP 610 terms), or ``None`` when they match.

    Index vs direct URL, editable vs not, another URL, another VCS commit,
    another archive hash. A value one side does not record (a commit, a hash)
    is not compared.
    """
    if want.kind != have.kind:
        return f"{_origin_kind(want)} in one, {_origin_kind(have)} in the other"
    if want.kind == "index":
        return None
    if want.editable != have.editable:
        return "editable in one, not in the other"
    if _url_key(want.url) != _url_key(have.url):
        return "another URL"
    if want.kind == "vcs" and want.commit and have.commit and want.commit != have.commit:
        return "another commit"
    if (
        want.kind == "archive"
        and want.archive_hash
        and have.archive_hash
        and want.archive_hash.replace(":", "=") != have.archive_hash.replace(":", "=")
    ):
        return "another archive hash"
    if (want.subdirectory or None) != (have.subdirectory or None):
        return "another subdirectory"
    return None


def _origin_kind(origin: Origin) -> str:
    if origin.kind == "directory":
        return "editable directory" if origin.editable else "local directory"
    if origin.kind == "vcs":
        return f"{origin.vcs or 'vcs'} checkout"
    return {"index": "from an index", "archive": "a direct URL"}[origin.kind]


def _url_key(url: str | None) -> str | None:
    """Compare URLs without a trailing slash or ``file://localhost``."""
    if url is None:
        return None
    return url.rstrip("/").replace("file://localhost/", "file:///")


def _applies(
    marker: Marker,
    markers: Mapping[str, str],
    *,
    notes: list[str] | None = None,
    name: str = "",
) -> bool:
    """Evaluate a PEP 508 marker for an environment; one that cannot be evaluated applies."""
    problems: list[str] = []
    holds = marker_holds(marker, markers, problems=problems)
    if notes is not None:
        notes += [f"{name}: {problem}; checked" for problem in problems]
    return holds


def _pin(package: LockedPackage) -> str:
    """``name==version``, ``name @ URL`` or ``name SPEC`` for messages."""
    if package.origin.is_direct:
        return f"{package.name} @ {package.origin.describe()}"
    if package.version is not None:
        return f"{package.name}=={package.version}"
    if package.specifier:
        return f"{package.name}{package.specifier}"
    return package.name


def _records_extras(lock: Lock) -> bool:
    """Whether the lock says which extras its top-level entries ask for.

    An environment does, and so do the files envsnap writes with them: a
    top-level-only requirements file, JSON, pylock's ``[tool.envsnap]``. A
    full requirements file that envsnap writes has none on purpose (it must
    stay usable as a pip constraints file), and files of other tools
    (pip-compile, uv, ``pip lock``) drop the extras their inputs named.
    """
    if lock.format == "environment":
        return True
    return lock.written_by_envsnap and not (lock.format == "requirements" and lock.complete)


def _with_extras(package: LockedPackage) -> str:
    """``name[a,b]``, or ``name`` without extras."""
    return f"{package.name}[{','.join(package.extras)}]" if package.extras else package.name


def _classification(package: LockedPackage) -> str:
    if package.top_level:
        return f"top-level ({package.reason})" if package.reason else "top-level"
    return f"transitive ({package.reason})" if package.reason else "transitive"


def _path(lock: Lock) -> str | None:
    return str(lock.path) if lock.path is not None else None


def _lock_label(lock: Lock) -> str:
    return str(lock.path) if lock.path is not None else lock.format

"""Resolve an installed environment's requirements for one other target, with resolvelib.

The installed pins do not move: for an installed name the installed
distribution is the only candidate (its metadata is the installed one), on
every target its ``Requires-Python`` allows. A *transitive* pin whose
``Requires-Python`` leaves a target out (``annotated-types`` 0.8.0 needs
3.10, the lock is for 3.8 too) is chosen from the source on that target, as
uv writes a second entry for ``python_version < "3.10"``; a *top-level* pin
never moves, so such a target has no resolution (the caller leaves it out
before, see :func:`envsnap.portable.freeze.choose_targets`). Every
other name (``colorama`` that ``click`` wants on Windows, ``tomli`` that
``pytest`` wants on 3.10) is chosen from a :class:`CandidateSource`, newest
version first, among the releases that have a file the target can install
(a wheel whose PEP 425 tags it accepts, or an sdist) and whose
``Requires-Python`` holds there.

Extras follow resolvelib's documented pattern (as pip does): ``foo[cli]`` is
its own identifier whose candidate depends on the base candidate ``foo`` at
the same version, plus the requirements its extra adds.

:class:`CandidateSource` is small so tests can feed in-memory releases;
:class:`~envsnap.portable.source.IndexCandidates` is the one over the package
index.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Protocol

import resolvelib
from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from envsnap.errors import OperationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from packaging.tags import Tag
    from resolvelib.structs import RequirementInformation

    from envsnap.index.distfile import DistFile
    from envsnap.portable.targets import Target

__all__ = [
    "Candidate",
    "CandidateSource",
    "DistMetadata",
    "Edge",
    "NoResolution",
    "Pinned",
    "Provider",
    "Release",
    "Resolution",
    "Wanted",
    "resolve_target",
]

MAX_ROUNDS = 20_000
"""resolvelib rounds before giving up (each round pins or backtracks one name)."""


class NoResolution(OperationError):
    """No set of candidates meets the requirements on a target (exit 3)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """One version of a project on an index, with its files."""

    name: NormalizedName
    """The PEP 503 normalized name."""
    version: Version
    """The version."""
    files: tuple[DistFile, ...]
    """Its wheels and sdists (yanked ones included, marked)."""

    def file_for(self, tags: tuple[Tag, ...]) -> DistFile | None:
        """Return the file pip would pick on a target accepting ``tags``.

        The wheel whose best tag comes first in ``tags`` (most preferred
        first), else an sdist; yanked files are never picked (PEP 592: a
        resolver ignores them unless pinned with ``==``).
        """
        rank = _ranks(tags)
        best: tuple[int, DistFile] | None = None
        sdist = None
        for file in self.files:
            if file.yanked:
                continue
            if file.kind == "sdist":
                sdist = sdist or file
                continue
            found = min((rank[t] for t in _wheel_tags(file.filename) if t in rank), default=None)
            if found is not None and (best is None or found < best[0]):
                best = (found, file)
        return best[1] if best is not None else sdist


@functools.lru_cache(maxsize=65536)
def _wheel_tags(filename: str) -> frozenset[Tag]:
    """Return a wheel file name's tags (empty for a name that is not a valid wheel's)."""
    try:
        return parse_wheel_filename(filename)[3]
    except (InvalidWheelFilename, InvalidVersion):
        return frozenset()


@functools.lru_cache(maxsize=64)
def _ranks(tags: tuple[Tag, ...]) -> dict[Tag, int]:
    return {tag: index for index, tag in enumerate(tags)}


@dataclass(frozen=True, slots=True, kw_only=True)
class DistMetadata:
    """What resolution needs of a distribution's core metadata."""

    requires: tuple[Requirement, ...] = ()
    """``Requires-Dist`` (PEP 508)."""
    requires_python: SpecifierSet | None = None
    """``Requires-Python``, when stated."""


class CandidateSource(Protocol):
    """Where releases and their metadata come from (an index, or memory in tests)."""

    def describe(self) -> str:
        """Return a short description for messages (``the index at URL``)."""
        ...

    def releases(self, name: NormalizedName) -> Sequence[Release]:
        """Return every release of ``name`` (empty when the source has none).

        Raises:
            OperationError: the source cannot be read.
        """
        ...

    def prefetch(self, names: Sequence[NormalizedName]) -> None:
        """Start reading the releases of names likely needed (a source may do nothing)."""
        ...

    def metadata(self, release: Release, file: DistFile) -> DistMetadata:
        """Return the core metadata of one file of a release.

        Raises:
            OperationError: it cannot be fetched or read (an sdist whose
                metadata needs a build, say).
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Pinned:
    """An installed distribution: the one candidate for its name."""

    name: NormalizedName
    """The normalized name."""
    version: Version
    """The installed version."""
    metadata: DistMetadata
    """Its installed metadata."""
    extras: frozenset[NormalizedName] = frozenset()
    """Extras it is installed with on its own account (requested, not asked by a
    dependent): wherever it is needed, these extras' requirements are too."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A version of a project, with one extra or none (resolvelib's candidate)."""

    name: NormalizedName
    """The normalized name."""
    version: Version
    """The version."""
    extra: NormalizedName | None = None
    """The extra this candidate stands for; ``None`` for the base."""
    release: Release | None = field(default=None, compare=False)
    """Its release on the source; ``None`` for an installed pin."""

    @property
    def identifier(self) -> str:
        """``name`` or ``name[extra]``."""
        return self.name if self.extra is None else f"{self.name}[{self.extra}]"

    def __str__(self) -> str:
        return f"{self.identifier}=={self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Wanted:
    """A requirement on one identifier (resolvelib's requirement)."""

    name: NormalizedName
    """The normalized name."""
    extra: NormalizedName | None = None
    """One extra asked for, or ``None``."""
    specifier: SpecifierSet = field(default_factory=SpecifierSet)
    """The versions allowed."""
    requirement: Requirement | None = field(default=None, compare=False)
    """The ``Requires-Dist`` it comes from (``None`` for a root)."""
    parent: Candidate | None = field(default=None, compare=False)
    """The candidate that requires it (``None`` for a root), for messages."""

    @property
    def identifier(self) -> str:
        """``name`` or ``name[extra]``."""
        return self.name if self.extra is None else f"{self.name}[{self.extra}]"

    def __str__(self) -> str:
        return f"{self.identifier}{self.specifier}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Edge:
    """``parent`` needs ``child`` on the target through ``requirement``."""

    parent: Candidate
    """The dependent (its ``extra`` says through which extra, if any)."""
    requirement: Requirement
    """The ``Requires-Dist`` as written (marker included)."""
    child: Candidate
    """The base candidate chosen for the requirement's name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """What one target needs."""

    target: Target
    """The target."""
    candidates: Mapping[str, Candidate]
    """Chosen candidates by identifier (``name`` and ``name[extra]``)."""
    edges: tuple[Edge, ...]
    """Every requirement that applies there, with the candidate meeting it."""


def _applies(requirement: Requirement, environment: Mapping[str, str], extra: str) -> bool:
    if requirement.marker is None:
        return not extra
    try:
        return requirement.marker.evaluate({**environment, "extra": extra})
    except (InvalidMarker, InvalidVersion, UndefinedComparison, UndefinedEnvironmentName):
        return False


class Provider(resolvelib.AbstractProvider[Wanted, Candidate, str]):
    """resolvelib's provider for one target (see the module docstring).

    Args:
        target: the environment to resolve for.
        source: releases and metadata of names not installed.
        pinned: the installed distributions, by name; they are the only
            candidates for their names.
    """

    def __init__(
        self, target: Target, source: CandidateSource, pinned: Mapping[NormalizedName, Pinned]
    ) -> None:
        self.target = target
        self.source = source
        self.pinned = pinned
        self.python = Version(target.environment["python_full_version"])
        self.applied: dict[Candidate, list[Requirement]] = {}

    def identify(self, requirement_or_candidate: Wanted | Candidate) -> str:
        """Return ``name`` or ``name[extra]``."""
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInformation[Wanted, Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[Wanted, Candidate]],
    ) -> tuple[bool, bool, str]:
        """Installed pins first (one candidate each), then ``==`` requirements, then by name."""
        name = identifier.partition("[")[0]
        exact = any(
            s.operator in ("==", "===")
            for info in information[identifier]
            for s in info.requirement.specifier
        )
        return (name not in self.pinned, not exact, identifier)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Wanted]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]] | list[Candidate]:
        """Return the candidates allowed by every requirement, preferred first.

        For an installed name, the installed version alone (or nothing, when a
        requirement excludes it); otherwise the source's releases, newest
        first, that the target can install; ``Requires-Python`` is checked
        lazily, as resolvelib walks them, so metadata is fetched only for the
        versions it looks at.
        """
        wanted = list(requirements[identifier])
        base, _, rest = identifier.partition("[")
        name = canonicalize_name(base)
        extra = canonicalize_name(rest.rstrip("]")) if rest else None
        excluded = {c.version for c in incompatibilities[identifier]}
        specifier = reduce(lambda a, b: a & b, (w.specifier for w in wanted), SpecifierSet())
        pin = self.pinned.get(name)
        if pin is not None:
            if pin.version in excluded or not specifier.contains(pin.version, prereleases=True):
                return []
            return [Candidate(name=name, version=pin.version, extra=extra)]
        by_version = {r.version: r for r in self.source.releases(name)}
        versions = sorted(
            (v for v in specifier.filter(by_version) if v not in excluded), reverse=True
        )

        def generate() -> Iterator[Candidate]:
            for version in versions:
                release = by_version[version]
                if self._fits(release):
                    yield Candidate(name=name, version=version, extra=extra, release=release)

        return generate

    def _fits(self, release: Release) -> bool:
        file = release.file_for(self.target.tags)
        if file is None:
            return False
        requires_python = self.source.metadata(release, file).requires_python
        return requires_python is None or requires_python.contains(self.python, prereleases=True)

    def is_satisfied_by(self, requirement: Wanted, candidate: Candidate) -> bool:
        """Whether the candidate has the requirement's name, extra and an allowed version."""
        return (
            requirement.name == candidate.name
            and requirement.extra == candidate.extra
            and requirement.specifier.contains(candidate.version, prereleases=True)
        )

    def metadata(self, candidate: Candidate) -> DistMetadata:
        """Return the metadata of a candidate (installed, or from the source).

        Raises:
            OperationError: the source cannot give it.
        """
        pin = self.pinned.get(candidate.name)
        if pin is not None and pin.version == candidate.version:
            return pin.metadata
        release = candidate.release
        file = release.file_for(self.target.tags) if release is not None else None
        if release is None or file is None:  # pragma: no cover - find_matches filters these
            raise OperationError(f"{candidate}: no file for {self.target.name}")
        return self.source.metadata(release, file)

    def get_dependencies(self, candidate: Candidate) -> list[Wanted]:
        """Return what the candidate requires on the target.

        The base candidate: its ``Requires-Dist`` whose markers hold with
        ``extra == ""``; an extra's candidate: the base at the same version
        plus the requirements that hold only with that extra.
        """
        environment = self.target.environment
        applied = []
        for requirement in self.metadata(candidate).requires:
            if candidate.extra is None:
                if _applies(requirement, environment, ""):
                    applied.append(requirement)
            elif _applies(requirement, environment, candidate.extra) and not _applies(
                requirement, environment, ""
            ):
                applied.append(requirement)
        self.applied[candidate] = applied
        wanted: list[Wanted] = []
        exact = SpecifierSet(f"=={candidate.version}")
        if candidate.extra is not None:
            wanted.append(Wanted(name=candidate.name, specifier=exact, parent=candidate))
        else:
            wanted += [
                Wanted(name=candidate.name, extra=e, specifier=exact, parent=candidate)
                for e in sorted(self.own_extras(candidate))
            ]
        for requirement in applied:
            name = canonicalize_name(requirement.name)
            extras = sorted(canonicalize_name(e) for e in requirement.extras)
            if name == candidate.name:
                # an extra that asks for other extras of its own project
                wanted += [
                    Wanted(name=name, extra=e, specifier=exact, parent=candidate) for e in extras
                ]
                continue
            wanted += [
                Wanted(
                    name=name,
                    extra=e,
                    specifier=requirement.specifier,
                    requirement=requirement,
                    parent=candidate,
                )
                for e in (None, *extras)
            ]
        return wanted

    def own_extras(self, candidate: Candidate) -> frozenset[NormalizedName]:
        """Return the extras an installed pin carries wherever it goes (see :class:`Pinned`)."""
        pin = self.pinned.get(candidate.name)
        if pin is None or pin.version != candidate.version:
            return frozenset()
        return pin.extras


def resolve_target(
    roots: Iterable[Wanted],
    target: Target,
    source: CandidateSource,
    pinned: Mapping[NormalizedName, Pinned],
) -> Resolution:
    """Resolve ``roots`` for one target, the installed pins fixed where they can be.

    An installed pin is fixed on the target when it is top-level or its
    ``Requires-Python`` allows the target's Python; a transitive pin whose
    ``Requires-Python`` does not is chosen from ``source`` there, like any
    name not installed. The installed part is walked directly (an installed pin has one
    candidate: nothing to search); resolvelib searches only from the
    requirements on names not installed (``colorama`` on Windows), with the
    installed pins as their only candidates where those requirements reach
    them.

    Args:
        roots: the top-level requirements (an installed pin is ``==`` its version).
        target: the environment to resolve for.
        source: where names not installed come from.
        pinned: the installed distributions by name.

    Returns:
        The chosen candidates and the edges between them.

    Raises:
        NoResolution: no resolution exists on the target (the message names
            the target and each conflicting requirement, and says when an
            installed pin is what excludes every candidate), a top-level
            pin's ``Requires-Python`` leaves the target out, or resolution
            took too long.
        OperationError: the source failed.
    """
    roots = list(roots)
    python = Version(target.environment["python_full_version"])
    top_level = {r.name for r in roots}
    for name in sorted(top_level):
        pin = pinned.get(name)
        if pin is not None and not _admits(pin, python):
            raise NoResolution(
                f"no resolution for {target.name}: the installed top-level "
                f"{pin.name}=={pin.version} requires Python {pin.metadata.requires_python}",
                hint="leave the target out (--python-version)",
            )
    # a transitive pin whose Requires-Python leaves the target out is chosen from the source there
    fixed = {n: p for n, p in pinned.items() if n in top_level or _admits(p, python)}
    unfixed = {n: p for n, p in pinned.items() if n not in fixed}
    provider = Provider(target, source, fixed)
    chosen: dict[str, Candidate] = {}
    outside: list[Wanted] = []
    todo = deque(roots)
    while todo:
        wanted = todo.popleft()
        pin = fixed.get(wanted.name)
        if pin is None:
            outside.append(wanted)
            continue
        if not wanted.specifier.contains(pin.version, prereleases=True):
            raise _no_resolution(target, [_cause(wanted, wanted.parent, fixed, source)])
        candidate = Candidate(name=pin.name, version=pin.version, extra=wanted.extra)
        if candidate.identifier not in chosen:
            chosen[candidate.identifier] = candidate
            todo.extend(provider.get_dependencies(candidate))
    if outside:
        chosen.update(_search(provider, outside, target, source, unfixed))
    edges = []
    for candidate in chosen.values():
        own = sorted(provider.own_extras(candidate)) if candidate.extra is None else ()
        if own:
            # the pin's own extras hold wherever the pin does: an edge to itself
            itself = Requirement(f"{candidate.name}[{','.join(own)}]")
            edges.append(Edge(parent=candidate, requirement=itself, child=candidate))
        for requirement in provider.applied.get(candidate, ()):
            child = chosen.get(canonicalize_name(requirement.name))
            if child is not None and child.name != candidate.name:
                edges.append(Edge(parent=candidate, requirement=requirement, child=child))
    return Resolution(target=target, candidates=chosen, edges=tuple(edges))


def _search(
    provider: Provider,
    wanted: list[Wanted],
    target: Target,
    source: CandidateSource,
    unfixed: Mapping[NormalizedName, Pinned],
) -> dict[str, Candidate]:
    """Run resolvelib from the requirements on names not installed (or not fixed here).

    ``unfixed``: the installed pins whose ``Requires-Python`` leaves the target
    out (they are chosen from the source there), for the messages.
    """
    pinned = provider.pinned
    resolver: resolvelib.Resolver[Wanted, Candidate, str] = resolvelib.Resolver(
        provider, resolvelib.BaseReporter()
    )
    try:
        return dict(resolver.resolve(wanted, max_rounds=MAX_ROUNDS).mapping)
    except resolvelib.ResolutionImpossible as exc:
        causes: list[RequirementInformation[Wanted, Candidate]] = list(exc.causes)
        # a requirement the installed pin meets is not what blocks
        blocking = [c for c in causes if not _met_by_pin(c.requirement, pinned)] or causes
        raise _no_resolution(
            target,
            [
                _cause(c.requirement, c.parent or c.requirement.parent, pinned, source, unfixed)
                for c in blocking
            ],
        ) from None
    except resolvelib.ResolutionTooDeep:
        raise NoResolution(
            f"no resolution for {target.name} after {MAX_ROUNDS} rounds",
            hint="leave the target out (--platform / --python-version)",
        ) from None


def _no_resolution(target: Target, causes: Iterable[str]) -> NoResolution:
    return NoResolution(
        f"no resolution for {target.name}: " + "; ".join(sorted(set(causes))),
        hint="the installed versions stay as they are: upgrade or downgrade the package in "
        "the environment, or leave the target out (--platform / --python-version)",
    )


def _met_by_pin(wanted: Wanted, pinned: Mapping[NormalizedName, Pinned]) -> bool:
    pin = pinned.get(wanted.name)
    return pin is not None and wanted.specifier.contains(pin.version, prereleases=True)


def _cause(
    wanted: Wanted,
    parent: Candidate | None,
    pinned: Mapping[NormalizedName, Pinned],
    source: CandidateSource,
    unfixed: Mapping[NormalizedName, Pinned] | None = None,
) -> str:
    by = f"required by {parent}" if parent is not None else "top-level"
    pin = pinned.get(wanted.name)
    if pin is not None:
        return (
            f"{wanted} ({by}) excludes the installed {wanted.name}=={pin.version}"
            if not wanted.specifier.contains(pin.version, prereleases=True)
            else f"{wanted} ({by}) conflicts with the installed {wanted.name}=={pin.version}"
        )
    found = f"{wanted} ({by}): no version for this target in {source.describe()}"
    held = (unfixed or {}).get(wanted.name)
    if held is not None:
        found += (
            f" (the installed {held.name}=={held.version} requires Python "
            f"{held.metadata.requires_python})"
        )
    return found


def _admits(pin: Pinned, python: Version) -> bool:
    """Whether an installed pin's ``Requires-Python`` (if any) allows ``python``."""
    requires_python = pin.metadata.requires_python
    return requires_python is None or requires_python.contains(python, prereleases=True)

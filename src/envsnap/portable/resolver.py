"""Resolve an installed environment's requirements for one other target, with resolvelib.

An installed pin is the only candidate for its name on every target its ``Requires-Python``
allows; elsewhere a transitive pin is chosen from the source (uv writes a second entry too),
a top-level one leaves no resolution. Other names: newest first, among releases with a file
the target can install (PEP 425 tags, or an sdist) and whose ``Requires-Python`` holds.
Extras as in resolvelib's pattern (and pip): ``foo[cli]`` depends on ``foo`` at the same
version plus what the extra adds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING

import resolvelib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from envsnap._markers import marker_holds
from envsnap.environment.graph import Edge
from envsnap.errors import OperationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from resolvelib.structs import RequirementInformation

    from envsnap.index.distfile import ProjectFiles
    from envsnap.portable.source import CandidateSource, DistMetadata
    from envsnap.portable.targets import Target

__all__ = [
    "Candidate",
    "NoResolution",
    "Pinned",
    "Provider",
    "Resolution",
    "Wanted",
    "resolve_target",
]

MAX_ROUNDS = 20_000
"""resolvelib rounds before giving up (each round pins or backtracks one name)."""


class NoResolution(OperationError):
    """No set of candidates meets the requirements on a target (exit 3)."""


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
    """Extras installed on its own account: needed wherever it is."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A version of a project, with one extra or none (resolvelib's candidate)."""

    name: NormalizedName
    """The normalized name."""
    version: Version
    """The version."""
    extra: NormalizedName | None = None
    """The extra this candidate stands for; ``None`` for the base."""
    release: ProjectFiles | None = field(default=None, compare=False)
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
class Resolution:
    """What one target needs."""

    target: Target
    """The target."""
    candidates: Mapping[str, Candidate]
    """Chosen candidates by identifier (``name`` and ``name[extra]``)."""
    edges: tuple[Edge, ...]
    """Every requirement that applies there, between the names chosen."""


def _applies(requirement: Requirement, environment: Mapping[str, str], extra: str) -> bool:
    """Whether a requirement applies for ``extra`` (``""``: the base); unmarked: the base only."""
    if requirement.marker is None:
        return not extra
    return marker_holds(requirement.marker, environment, extra=extra, otherwise=False)


class Provider(resolvelib.AbstractProvider[Wanted, Candidate, str]):
    """resolvelib's provider for one target (see the module docstring).

    Args:
        source: releases and metadata of names not installed.
        pinned: the installed distributions by name, the only candidates for their names.
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

        An installed name: its installed version or nothing; else the source's
        releases the target can install, newest first, ``Requires-Python``
        checked lazily (metadata is fetched only for the versions resolvelib tries).
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

    def _fits(self, release: ProjectFiles) -> bool:
        file = release.file_for(self.target.tags)
        return file is not None and _allows(self.source.metadata(release, file), self.python)

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

        The base: its ``Requires-Dist`` whose markers hold with ``extra == ""``;
        an extra: the base at the same version plus what holds only with that extra.
        """
        env = self.target.environment
        requires = self.metadata(candidate).requires
        if candidate.extra is None:
            applied = [r for r in requires if _applies(r, env, "")]
        else:
            applied = [
                r
                for r in requires
                if _applies(r, env, candidate.extra) and not _applies(r, env, "")
            ]
        self.applied[candidate] = applied
        exact = SpecifierSet(f"=={candidate.version}")
        # an extra needs its base; a base, the extras the pin carries
        itself = (
            (None,) if candidate.extra is not None else tuple(sorted(self.own_extras(candidate)))
        )
        wanted = [
            Wanted(name=candidate.name, extra=e, specifier=exact, parent=candidate) for e in itself
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
        return pin.extras if pin is not None and pin.version == candidate.version else frozenset()


def resolve_target(
    roots: Iterable[Wanted],
    target: Target,
    source: CandidateSource,
    pinned: Mapping[NormalizedName, Pinned],
) -> Resolution:
    """Resolve ``roots`` for one target, the installed pins fixed where they can be.

    A pin is fixed when it is top-level or its ``Requires-Python`` allows the
    target; the fixed part is walked directly (one candidate each), and
    resolvelib searches only from requirements on the other names.

    Args:
        roots: the top-level requirements (an installed pin is ``==`` its version).
        target: the environment to resolve for.
        source: where names not installed (or not fixed) come from.
        pinned: the installed distributions by name.

    Returns:
        The chosen candidates and the edges between them.

    Raises:
        NoResolution: none exists on the target (the message names each conflict), a
            top-level pin's ``Requires-Python`` leaves it out, or it took too long.
        OperationError: the source failed.
    """
    roots = list(roots)
    python = Version(target.environment["python_full_version"])
    top_level = {r.name for r in roots}
    for name in sorted(top_level):
        pin = pinned.get(name)
        if pin is not None and not _allows(pin.metadata, python):
            raise NoResolution(
                f"no resolution for {target.name}: the installed top-level "
                f"{pin.name}=={pin.version} requires Python {pin.metadata.requires_python}",
                hint="leave the target out (--python-version)",
            )
    # a transitive pin whose Requires-Python leaves the target out is chosen from the source there
    fixed = {n: p for n, p in pinned.items() if n in top_level or _allows(p.metadata, python)}
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
            edges.append(Edge(parent=candidate.name, child=candidate.name, requirement=itself))
        for requirement in provider.applied.get(candidate, ()):
            child = chosen.get(canonicalize_name(requirement.name))
            if child is not None and child.name != candidate.name:
                edges.append(
                    Edge(
                        parent=candidate.name,
                        child=child.name,
                        requirement=requirement,
                        extra=candidate.extra,
                    )
                )
    return Resolution(target=target, candidates=chosen, edges=tuple(edges))


def _search(
    provider: Provider,
    wanted: list[Wanted],
    target: Target,
    source: CandidateSource,
    unfixed: Mapping[NormalizedName, Pinned],
) -> dict[str, Candidate]:
    """Run resolvelib from requirements on names not fixed (``unfixed``: for messages)."""
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
        met = wanted.specifier.contains(pin.version, prereleases=True)
        how = "conflicts with" if met else "excludes"
        return f"{wanted} ({by}) {how} the installed {wanted.name}=={pin.version}"
    found = f"{wanted} ({by}): no version for this target in {source.describe()}"
    held = (unfixed or {}).get(wanted.name)
    if held is not None:
        found += (
            f" (the installed {held.name}=={held.version} requires Python "
            f"{held.metadata.requires_python})"
        )
    return found


def _allows(metadata: DistMetadata, python: Version) -> bool:
    """Whether ``Requires-Python`` (if any) allows ``python``."""
    requires_python = metadata.requires_python
    return requires_python is None or requires_python.contains(python, prereleases=True)

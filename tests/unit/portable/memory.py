"""An in-memory candidate source for the portable resolver's tests, and small helpers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from envsnap.environment.distributions import read_distributions
from envsnap.environment.snapshot import Snapshot, build_snapshot
from envsnap.index.distfile import DistFile
from envsnap.portable.resolver import DistMetadata, Release
from support.fake_site import LINUX_311, FakeSite


@dataclass
class MemorySource:
    """Releases and metadata held in dicts; records what was asked."""

    releases_by_name: dict[NormalizedName, list[Release]] = field(
        default_factory=lambda: defaultdict(list)
    )
    metadata_by_file: dict[str, DistMetadata] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    prefetched: list[str] = field(default_factory=list)

    def add(
        self,
        name: str,
        version: str,
        *requires: str,
        requires_python: str | None = None,
        wheels: tuple[str, ...] = ("py3-none-any",),
        sdist: bool = False,
        yanked: bool = False,
    ) -> Release:
        """Add a release with one wheel per tag triple (and an sdist if asked)."""
        dist = canonicalize_name(name).replace("-", "_")
        names = [f"{dist}-{version}-{tag}.whl" for tag in wheels]
        if sdist:
            names.append(f"{dist}-{version}.tar.gz")
        files = tuple(
            DistFile(
                filename=n,
                hashes={"sha256": f"{abs(hash(n)):064x}"[-64:]},
                url=f"https://files.test/{n}",
                yanked=yanked,
            )
            for n in names
        )
        release = Release(name=canonicalize_name(name), version=Version(version), files=files)
        self.releases_by_name[release.name].append(release)
        meta = DistMetadata(
            requires=tuple(Requirement(r) for r in requires),
            requires_python=SpecifierSet(requires_python) if requires_python else None,
        )
        for n in names:
            self.metadata_by_file[n] = meta
        return release

    def describe(self) -> str:
        return "the test source"

    def prefetch(self, names: object) -> None:
        self.prefetched += list(names)  # type: ignore[call-overload]

    def releases(self, name: NormalizedName) -> list[Release]:
        self.asked.append(name)
        return list(self.releases_by_name.get(name, []))

    def metadata(self, release: Release, file: DistFile) -> DistMetadata:
        return self.metadata_by_file[file.filename]


def snap(site: FakeSite, markers: dict[str, str] | None = None) -> Snapshot:
    dists, warnings = read_distributions([site.root])
    return build_snapshot(site.environment(markers=markers or LINUX_311), dists, warnings=warnings)


def pins_of(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith("#")]


def indexed(source: MemorySource, snapshot: Snapshot) -> MemorySource:
    """Put every installed version on the source (py3 wheels)."""
    for dist in snapshot.distributions:
        source.add(dist.name, str(dist.version))
    return source

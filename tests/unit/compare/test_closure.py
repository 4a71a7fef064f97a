"""The closure check of a pinned file (envsnap.compare.closure)."""

from __future__ import annotations

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from envsnap.compare.closure import Gap, find_gaps, unreadable
from envsnap.lock import Lock, LockedPackage
from envsnap.origin import Origin

LINUX = {
    "python_version": "3.12",
    "python_full_version": "3.12.1",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_machine": "x86_64",
}


def pin(spec: str, *, marker: str | None = None, origin: Origin | None = None) -> LockedPackage:
    requirement = Requirement(spec)
    version = next(iter(requirement.specifier)).version if requirement.specifier else None
    return LockedPackage(
        name=canonicalize_name(requirement.name),
        display_name=requirement.name,
        version=Version(version) if version else None,
        extras=tuple(sorted(canonicalize_name(e) for e in requirement.extras)),
        marker=Marker(marker) if marker else None,
        origin=origin or Origin(),
    )


def lock(*packages: LockedPackage) -> Lock:
    return Lock(path=None, format="requirements", packages=packages)


def requires(**found: list[str] | None) -> dict[NormalizedName, list[Requirement] | None]:
    return {
        canonicalize_name(name): None if reqs is None else [Requirement(r) for r in reqs]
        for name, reqs in found.items()
    }


def lines(gaps: tuple[Gap, ...]) -> list[str]:
    return [g.describe() for g in gaps]


def test_a_closed_file_has_no_gap() -> None:
    file = lock(pin("flask==3.1.3"), pin("blinker==1.9.0"), pin("click==8.2.1"))
    meta = requires(flask=["blinker>=1.9", "click>=8.1.3"], blinker=[], click=[])
    assert find_gaps(file, meta, LINUX) == ()


def test_an_unpinned_requirement_is_named() -> None:
    file = lock(pin("flask==3.1.3"), pin("click==8.2.1"))
    meta = requires(flask=["blinker>=1.9", "click>=8.1.3"], click=[])
    assert lines(find_gaps(file, meta, LINUX)) == [
        "flask==3.1.3 requires blinker>=1.9, which the file does not pin"
    ]


def test_a_pin_outside_the_specifier_is_a_conflict() -> None:
    file = lock(pin("flask==3.1.3"), pin("blinker==1.8.2"))
    meta = requires(flask=["blinker>=1.9"], blinker=[])
    assert lines(find_gaps(file, meta, LINUX)) == [
        "flask==3.1.3 requires blinker>=1.9, but the file pins blinker==1.8.2"
    ]


def test_a_prerelease_pin_meets_its_specifier() -> None:
    file = lock(pin("a==1.0"), pin("b==2.0rc1"))
    assert find_gaps(file, requires(a=["b>=1.5"], b=[]), LINUX) == ()


def test_markers_are_evaluated_for_the_target() -> None:
    file = lock(pin("a==1.0"))
    meta = requires(a=['winonly; sys_platform == "win32"', 'old; python_version < "3.11"'])
    assert find_gaps(file, meta, LINUX) == ()
    windows = {**LINUX, "sys_platform": "win32"}
    assert lines(find_gaps(file, meta, windows)) == [
        "a==1.0 requires winonly, which the file does not pin"
    ]


def test_a_package_whose_marker_is_false_is_neither_checked_nor_a_pin() -> None:
    file = lock(pin("a==1.0"), pin("b==1.0", marker='sys_platform == "win32"'))
    meta = requires(a=["b"], b=["never-pinned"])
    assert lines(find_gaps(file, meta, LINUX)) == ["a==1.0 requires b, which the file does not pin"]


def test_extras_on_the_line_and_from_other_packages_are_followed() -> None:
    meta = requires(
        app=["requests[socks]>=2"],
        requests=["idna", 'pysocks>=1.5; extra == "socks"'],
        idna=[],
        delta=['epsilon; extra == "fast"'],
    )
    file = lock(pin("app==1"), pin("requests==2.32"), pin("idna==3"), pin("delta[fast]==2.0"))
    assert lines(find_gaps(file, meta, LINUX)) == [
        "delta==2.0 requires epsilon, which the file does not pin",
        "requests==2.32 requires pysocks>=1.5, which the file does not pin",
    ]
    # without the extras nothing more is needed
    plain = lock(pin("requests==2.32"), pin("idna==3"), pin("delta==2.0"))
    assert find_gaps(plain, meta, LINUX) == ()


def test_an_extra_that_asks_for_another_extra_is_followed() -> None:
    meta = requires(a=["b[x]"], b=['b[y]; extra == "x"', 'c; extra == "y"'], c=[])
    assert lines(find_gaps(lock(pin("a==1"), pin("b==1")), meta, LINUX)) == [
        "b==1 requires c, which the file does not pin"
    ]
    assert find_gaps(lock(pin("a==1"), pin("b==1"), pin("c==1")), meta, LINUX) == ()


def test_unreadable_requirements_are_unknown_gaps() -> None:
    file = lock(pin("a==1.0"), pin("kappa==1.0"))
    gaps = find_gaps(file, requires(a=["kappa"], kappa=None), LINUX)
    assert gaps == (Gap(package="kappa==1.0", kind="unknown"),)
    assert lines(gaps) == ["kappa==1.0: no wheel to read its requirements from"]
    # missing from the mapping: the same
    assert find_gaps(file, requires(a=["kappa"]), LINUX) == gaps


def test_a_direct_origin_meets_a_requirement_by_name() -> None:
    url = Origin(kind="archive", url="https://example.invalid/b-9.whl")
    file = lock(pin("a==1"), pin("b", origin=url))
    assert find_gaps(file, requires(a=["b<2"], b=[]), LINUX) == ()


def test_a_cycle_ends() -> None:
    file = lock(pin("cyca==1"), pin("cycb==1"))
    assert find_gaps(file, requires(cyca=["cycb"], cycb=["cyca[x]"]), LINUX) == ()


def test_an_unreadable_gap_says_why() -> None:
    gap = unreadable(pin("kappa==1.0"), "only an sdist for this environment")
    assert gap.describe() == "kappa==1.0: only an sdist for this environment"

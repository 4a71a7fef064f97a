"""The resolvelib provider over in-memory candidates: fixed pins, tags, Requires-Python, extras."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.errors import OperationError
from envsnap.portable.resolver import Pinned, Wanted, resolve_target
from envsnap.portable.source import DistMetadata
from envsnap.portable.targets import PLATFORMS, make_target
from unit.portable.memory import MemorySource

LINUX_312 = make_target((3, 12), PLATFORMS["linux-x86_64"])
WINDOWS_312 = make_target((3, 12), PLATFORMS["windows-amd64"])
WINDOWS_310 = make_target((3, 10), PLATFORMS["windows-amd64"])
MACOS_310 = make_target((3, 10), PLATFORMS["macos-arm64"])


def pin(name: str, version: str, *requires: str, requires_python: str | None = None) -> Pinned:
    return Pinned(
        name=canonicalize_name(name),
        version=Version(version),
        metadata=DistMetadata(
            requires=tuple(Requirement(r) for r in requires),
            requires_python=SpecifierSet(requires_python) if requires_python else None,
        ),
    )


def pins(*items: Pinned) -> dict[str, Pinned]:
    return {p.name: p for p in items}  # type: ignore[misc]


def root(name: str, version: str, extra: str | None = None) -> Wanted:
    return Wanted(
        name=canonicalize_name(name),
        extra=canonicalize_name(extra) if extra else None,
        specifier=SpecifierSet(f"=={version}"),
    )


def chosen(resolution: object) -> dict[str, str]:
    return {k: str(c.version) for k, c in resolution.candidates.items()}  # type: ignore[attr-defined]


def test_marker_false_here_true_there_is_resolved_from_the_source() -> None:
    source = MemorySource()
    source.add("colorama", "0.4.5")
    source.add("colorama", "0.4.6")
    installed = pins(pin("click", "8.1.7", 'colorama; platform_system == "Windows"'))
    windows = resolve_target([root("click", "8.1.7")], WINDOWS_312, source, installed)
    assert chosen(windows) == {"click": "8.1.7", "colorama": "0.4.6"}
    assert [(e.label, str(e.requirement), e.child) for e in windows.edges] == [
        ("click", 'colorama; platform_system == "Windows"', "colorama")
    ]
    source.asked.clear()
    linux = resolve_target([root("click", "8.1.7")], LINUX_312, source, installed)
    assert chosen(linux) == {"click": "8.1.7"}
    assert linux.edges == ()
    assert source.asked == []  # nothing to look up where the marker is false


def test_installed_pin_is_the_only_candidate_even_when_the_source_has_newer() -> None:
    source = MemorySource()
    source.add("idna", "3.10")
    source.add("tomli", "2.2.1")
    installed = pins(
        pin("app", "1.0", "idna>=3", 'tomli; python_version < "3.11"'), pin("idna", "3.4")
    )
    result = resolve_target([root("app", "1.0")], WINDOWS_310, source, installed)
    assert chosen(result) == {"app": "1.0", "idna": "3.4", "tomli": "2.2.1"}
    assert result.candidates["idna"].release is None
    assert result.candidates["tomli"].release is not None


def test_requires_python_and_tags_choose_an_older_release() -> None:
    source = MemorySource()
    source.add("exceptiongroup", "1.2.2")
    source.add("exceptiongroup", "1.3.0", requires_python=">=3.11")
    source.add("speedups", "1.0")
    source.add("speedups", "2.0", wheels=("cp310-cp310-manylinux_2_17_x86_64",))
    installed = pins(
        pin("app", "1.0", 'exceptiongroup; python_version < "3.13"', "speedups"),
        pin("speedups", "2.0"),
    )
    # speedups is installed: fixed whatever the files say (the files are checked later)
    result = resolve_target([root("app", "1.0")], MACOS_310, source, installed)
    assert chosen(result) == {"app": "1.0", "exceptiongroup": "1.2.2", "speedups": "2.0"}
    assert (
        chosen(resolve_target([root("app", "1.0")], WINDOWS_312, source, installed))[
            "exceptiongroup"
        ]
        == "1.3.0"
    )


def test_only_wheels_the_target_accepts_or_an_sdist() -> None:
    source = MemorySource()
    source.add("fast", "1.0", sdist=True, wheels=())
    source.add("fast", "2.0", wheels=("cp310-cp310-manylinux_2_17_x86_64",))
    source.add("fast", "3.0", wheels=("cp312-cp312-win_amd64",), yanked=True)
    installed = pins(pin("app", "1.0", 'fast; sys_platform != "linux"'))
    result = resolve_target([root("app", "1.0")], MACOS_310, source, installed)
    assert chosen(result)["fast"] == "1.0"


def test_prereleases_only_when_nothing_final_fits() -> None:
    source = MemorySource()
    source.add("lib", "1.0")
    source.add("lib", "2.0b1")
    installed = pins(pin("app", "1.0", 'lib; os_name == "nt"', 'beta>=0.9; os_name == "nt"'))
    source.add("beta", "1.0rc1")
    result = resolve_target([root("app", "1.0")], WINDOWS_312, source, installed)
    assert chosen(result) == {"app": "1.0", "lib": "1.0", "beta": "1.0rc1"}


def test_extras_are_their_own_candidates_on_the_same_version() -> None:
    source = MemorySource()
    source.add("httpx", "0.27.0", 'socksio; extra == "socks"', "anyio")
    source.add("httpx", "0.28.0", 'socksio; extra == "socks"', "anyio")
    source.add("socksio", "1.0.0")
    source.add("anyio", "4.0")
    installed = pins(
        pin("app", "1.0", 'httpx[socks]<0.28; sys_platform == "win32"', "rich"),
        pin("rich", "13.0", 'pygments; extra == "fancy"'),
        pin("pygments", "2.18"),
    )
    result = resolve_target(
        [root("app", "1.0"), root("rich", "13.0", "fancy")], WINDOWS_312, source, installed
    )
    assert chosen(result) == {
        "app": "1.0",
        "httpx": "0.27.0",
        "httpx[socks]": "0.27.0",
        "socksio": "1.0.0",
        "anyio": "4.0",
        "rich": "13.0",
        "rich[fancy]": "13.0",
        "pygments": "2.18",
    }
    by_parent = {(e.label, e.child) for e in result.edges}
    assert ("httpx[socks]", "socksio") in by_parent
    assert ("httpx", "socksio") not in by_parent
    assert ("rich[fancy]", "pygments") in by_parent


def test_an_installed_pin_that_excludes_every_candidate_names_package_and_target() -> None:
    installed = pins(
        pin("app", "1.0", 'urllib3>=2; sys_platform == "win32"'), pin("urllib3", "1.26")
    )
    with pytest.raises(OperationError) as caught:
        resolve_target([root("app", "1.0")], WINDOWS_312, MemorySource(), installed)
    assert caught.value.message == (
        "no resolution for cp312-windows-amd64: urllib3>=2 (required by app==1.0) "
        "excludes the installed urllib3==1.26"
    )
    assert caught.value.exit_code == 3
    # the same environment resolves where the marker is false
    linux = resolve_target([root("app", "1.0")], LINUX_312, MemorySource(), installed)
    assert chosen(linux) == {"app": "1.0"}


def test_a_name_the_source_lacks_on_that_target_is_named() -> None:
    source = MemorySource()
    source.add("pywin32", "306", wheels=("cp312-cp312-win_amd64",))
    installed = pins(pin("app", "1.0", 'pywin32>=300; os_name == "nt"'))
    with pytest.raises(OperationError) as caught:
        resolve_target([root("app", "1.0")], WINDOWS_310, source, installed)
    assert caught.value.message == (
        "no resolution for cp310-windows-amd64: pywin32>=300 (required by app==1.0): "
        "no version for this target in the test source"
    )
    assert (
        chosen(resolve_target([root("app", "1.0")], WINDOWS_312, source, installed))["pywin32"]
        == "306"
    )


def test_backtracks_among_added_packages() -> None:
    source = MemorySource()
    source.add("a", "2.0", "b<2")
    source.add("a", "1.0")
    source.add("b", "2.0")
    installed = pins(pin("app", "1.0", 'a; os_name == "nt"', 'b>=2; os_name == "nt"'))
    result = resolve_target([root("app", "1.0")], WINDOWS_312, source, installed)
    assert chosen(result) == {"app": "1.0", "a": "1.0", "b": "2.0"}

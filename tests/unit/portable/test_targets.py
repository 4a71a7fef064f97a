"""Targets: platforms as markers and PEP 425 tags, Python versions asked and allowed."""

from __future__ import annotations

import re

import pytest
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag

from envsnap.errors import InputError
from envsnap.portable.targets import (
    DEFAULT_PLATFORMS,
    PLATFORMS,
    make_target,
    make_targets,
    parse_python_versions,
    python_versions_for,
)


def test_default_targets_are_python_by_platform() -> None:
    targets = make_targets([(3, 12), (3, 10)])
    assert [t.name for t in targets] == [
        "cp310-linux-x86_64",
        "cp310-linux-aarch64",
        "cp310-macos-x86_64",
        "cp310-macos-arm64",
        "cp310-windows-amd64",
        "cp312-linux-x86_64",
        "cp312-linux-aarch64",
        "cp312-macos-x86_64",
        "cp312-macos-arm64",
        "cp312-windows-amd64",
    ]
    assert tuple(t.platform.name for t in targets[:5]) == DEFAULT_PLATFORMS


def test_windows_environment_is_complete_and_tags_explicit() -> None:
    target = make_target((3, 11), PLATFORMS["windows-amd64"])
    assert dict(target.environment) == {
        "implementation_name": "cpython",
        "implementation_version": "3.11.0",
        "os_name": "nt",
        "platform_machine": "AMD64",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Windows",
        "platform_version": "",
        "python_full_version": "3.11.0",
        "python_version": "3.11",
        "sys_platform": "win32",
        "extra": "",
    }
    assert target.tags[:3] == (
        Tag("cp311", "cp311", "win_amd64"),
        Tag("cp311", "abi3", "win_amd64"),
        Tag("cp311", "none", "win_amd64"),
    )
    assert Tag("py3", "none", "any") in target.tags
    assert not any("linux" in t.platform for t in target.tags)
    assert target.marker == (
        'python_version == "3.11" and sys_platform == "win32" and platform_machine == "AMD64"'
    )


def test_linux_accepts_manylinux_up_to_2_28_and_the_legacy_aliases() -> None:
    target = make_target((3, 12), PLATFORMS["linux-x86_64"])
    platforms = {t.platform for t in target.tags}
    assert {"manylinux_2_28_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64"} <= platforms
    assert "manylinux_2_34_x86_64" not in platforms
    assert not any(p.startswith("musllinux") for p in platforms)
    aarch64 = {t.platform for t in make_target((3, 12), PLATFORMS["linux-aarch64"]).tags}
    assert "manylinux2014_aarch64" in aarch64
    assert "manylinux1_aarch64" not in aarch64  # manylinux1 was x86/i686 only
    musl = {t.platform for t in make_target((3, 12), PLATFORMS["linux-musl-x86_64"]).tags}
    assert "musllinux_1_2_x86_64" in musl
    assert not any(p.startswith("manylinux") for p in musl)


def test_macos_arm64_accepts_universal2_but_not_x86_64() -> None:
    target = make_target((3, 12), PLATFORMS["macos-arm64"])
    assert target.tags[0] == Tag("cp312", "cp312", "macosx_13_0_arm64")
    platforms = {t.platform for t in target.tags}
    assert "macosx_11_0_arm64" in platforms
    assert "macosx_10_9_universal2" in platforms
    assert "macosx_10_9_x86_64" not in platforms
    assert target.environment["platform_machine"] == "arm64"


def test_unknown_platform_is_input_error_listing_the_known_ones() -> None:
    with pytest.raises(InputError, match="unknown platform 'solaris'") as caught:
        make_targets([(3, 12)], ["solaris"])
    assert caught.value.hint is not None
    assert "windows-amd64" in caught.value.hint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.12", ((3, 12),)),
        ("3.10-3.13", ((3, 10), (3, 11), (3, 12), (3, 13))),
        ("3.13, 3.10", ((3, 10), (3, 13))),
        ("3.9-3.10,3.12", ((3, 9), (3, 10), (3, 12))),
    ],
)
def test_parse_python_versions(text: str, expected: tuple[tuple[int, int], ...]) -> None:
    assert parse_python_versions(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3", "3 is not a version like 3.12"),
        ("3.12.1", "3.12.1 is not a version like 3.12"),
        ("3.13-3.10", "3.13-3.10 is an empty range"),
        ("2.7", "envsnap targets CPython 3.8-3.14 only"),
        ("3.10-3.20", "envsnap targets CPython 3.8-3.14 only"),
        ("", "(empty) is not a version"),
    ],
)
def test_parse_python_versions_rejects(text: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        parse_python_versions(text)


def test_python_versions_for_intersects_requires_python() -> None:
    wanted = ((3, 9), (3, 10), (3, 11), (3, 12), (3, 13))
    kept, combined = python_versions_for(
        [SpecifierSet(">=3.10"), None, SpecifierSet("<3.13,!=3.11.*")], wanted
    )
    assert kept == ((3, 10), (3, 12))
    assert combined == SpecifierSet(">=3.10,<3.13,!=3.11.*")
    assert python_versions_for([], wanted) == (wanted, SpecifierSet())
    # a patch-level lower bound leaves the minor out (targets are the .0 release)
    assert python_versions_for([SpecifierSet(">=3.10.2")], wanted)[0] == wanted[2:]

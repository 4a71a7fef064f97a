"""The Lock model: one entry per marker, and the entries that apply to an environment."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.pylock import Pylock
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.lock import Lock, LockedPackage
from support.fake_site import LINUX_311

PY39 = {**LINUX_311, "python_version": "3.9", "python_full_version": "3.9.18"}
WINDOWS = {**LINUX_311, "sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"}


def entry(name: str, version: str, marker: str | None = None) -> LockedPackage:
    return LockedPackage(
        name=canonicalize_name(name),
        display_name=name,
        version=Version(version),
        marker=Marker(marker) if marker else None,
    )


UNIVERSAL = Lock(
    path=Path("requirements.txt"),
    format="requirements",
    packages=(
        entry("click", "8.1.8", "python_full_version < '3.10'"),
        entry("click", "8.5.1", "python_full_version >= '3.10'"),
        entry("colorama", "0.4.6", "sys_platform == 'win32'"),
        entry("rich", "13.9.4"),
    ),
)


def versions(lock: Lock) -> list[tuple[str, str]]:
    return [(p.name, str(p.version)) for p in lock.packages]


def test_for_environment_keeps_the_entries_whose_marker_holds() -> None:
    assert versions(UNIVERSAL.for_environment(LINUX_311)) == [
        ("click", "8.5.1"),
        ("rich", "13.9.4"),
    ]
    assert versions(UNIVERSAL.for_environment(PY39)) == [("click", "8.1.8"), ("rich", "13.9.4")]
    assert versions(UNIVERSAL.for_environment(WINDOWS)) == [
        ("click", "8.5.1"),
        ("colorama", "0.4.6"),
        ("rich", "13.9.4"),
    ]
    assert UNIVERSAL.for_environment(None) is UNIVERSAL


def test_get_of_a_name_with_one_entry_per_marker_needs_the_environment() -> None:
    with pytest.raises(ValueError, match=r"click: 2 entries in requirements.txt, one per marker"):
        UNIVERSAL.get("click")
    found = UNIVERSAL.get("Click", PY39)
    assert found is not None
    assert found.version == Version("8.1.8")
    assert UNIVERSAL.get("colorama", LINUX_311) is None
    assert [str(p.version) for p in UNIVERSAL.entries("CLICK")] == ["8.1.8", "8.5.1"]


def test_entries_are_grouped_once_and_a_copy_groups_its_own() -> None:
    """Issue 20 item 13: a comparison asks for every name; each lookup is a dict's."""
    assert UNIVERSAL.entries("rich") == (entry("rich", "13.9.4"),)
    assert UNIVERSAL.entries("absent") == ()
    narrowed = replace(UNIVERSAL, packages=(entry("rich", "14.0"),))
    assert narrowed.entries("rich") == (entry("rich", "14.0"),)
    assert narrowed.entries("click") == ()
    assert narrowed == replace(UNIVERSAL, packages=(entry("rich", "14.0"),))  # the cache aside


def test_overlapping_and_unreadable_markers_are_named() -> None:
    lock = Lock(
        path=None,
        format="requirements",
        packages=(
            entry("a", "1", "python_version >= '3'"),
            entry("a", "2", "sys_platform == 'linux'"),
            entry("b", "1", "python_version ~= 'foo'"),  # no version: cannot be evaluated
        ),
    )
    problems: list[str] = []
    narrowed = lock.for_environment(LINUX_311, problems=problems)
    # the unreadable one applies (compared, not silently dropped); the overlap keeps the first
    assert versions(narrowed) == [("a", "1"), ("b", "1")]
    assert problems == [
        'a: several entries apply to this environment (python_version >= "3"; '
        'sys_platform == "linux"): the first is compared',
        "marker 'python_version ~= \"foo\"' cannot be evaluated: "
        "Undefined <Op('~=')> on '3.11' and 'foo'.",
    ]


def test_pylock_extras_and_groups_select_entries() -> None:
    document = Pylock.from_dict(
        {
            "lock-version": "1.0",
            "created-by": "a tool",
            "extras": ["http2"],
            "dependency-groups": ["dev", "docs"],
            "default-groups": ["dev"],
            "packages": [
                {"name": name, "version": "1.0", "marker": marker, "directory": {"path": name}}
                for name, marker in (
                    ("h2", "'http2' in extras"),
                    ("pytest", "'dev' in dependency_groups"),
                    ("sphinx", "'docs' in dependency_groups"),
                )
            ],
        }
    )
    packages = tuple(
        LockedPackage(
            name=canonicalize_name(p.name), display_name=p.name, version=p.version, marker=p.marker
        )
        for p in document.packages
    )
    lock = Lock(path=None, format="pylock", pylock=document, packages=packages)
    # no extra, the lock's default groups (PEP 751), as an installer chooses by default
    assert [p.name for p in lock.for_environment(LINUX_311).packages] == ["pytest"]
    assert [p.name for p in lock.for_environment(LINUX_311, groups=()).packages] == []
    every = lock.for_environment(LINUX_311, extras=["*"], groups=["*"])
    assert [p.name for p in every.packages] == ["h2", "pytest", "sphinx"]

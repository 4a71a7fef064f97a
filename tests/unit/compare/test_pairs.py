"""``diff`` of two lock files whose entries carry markers: what differs, and where."""

from __future__ import annotations

from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.compare.changes import Change
from envsnap.compare.drift import compare_locks
from envsnap.lock import Lock, LockedPackage
from support.fake_site import LINUX_311


def entry(name: str, version: str, marker: str | None = None, line: int = 1) -> LockedPackage:
    return LockedPackage(
        name=canonicalize_name(name),
        display_name=name,
        version=Version(version),
        marker=Marker(marker) if marker else None,
        line=line,
    )


def lock(name: str, *packages: LockedPackage) -> Lock:
    return Lock(path=Path(name), format="requirements", packages=packages, complete=True)


UNIVERSAL = lock(
    "uv.txt",
    entry("click", "8.1.8", "python_full_version < '3.10'", 2),
    entry("click", "8.5.1", "python_full_version >= '3.10'", 4),
    entry("colorama", "0.4.6", "sys_platform == 'win32'", 6),
)


def test_same_pins_under_markers_spelled_otherwise_are_the_same() -> None:
    # pip-compile's spelling against uv's: they hold on the same environments
    other = lock(
        "pip-compile.txt",
        entry("click", "8.1.8", 'python_version < "3.10"'),
        entry("click", "8.5.1", 'python_version >= "3.10"'),
        entry("colorama", "0.4.6", 'platform_system == "Windows"'),
    )
    report = compare_locks(UNIVERSAL, other)
    assert (report.changes, report.checked) == ((), 3)


def test_a_one_python_lock_against_a_universal_one_differs_where_it_would_install_else() -> None:
    linux = lock("linux.txt", entry("click", "8.5.1", line=3))
    report = compare_locks(linux, UNIVERSAL)
    assert report.changes == (
        Change(
            kind="extra",
            name="colorama",
            found='colorama==0.4.6 ; sys_platform == "win32"',
            line=6,
            path="uv.txt",
        ),
        Change(
            kind="changed",
            name="click",
            expected="8.5.1",
            found="8.1.8",
            detail='where python_full_version < "3.10"',
            line=3,
            path="linux.txt",
        ),
    )


def test_an_entry_under_a_narrower_marker_is_missing_where_only_one_side_installs_it() -> None:
    everywhere = lock("a.txt", entry("tomli", "2.2.1", line=5))
    older = lock("b.txt", entry("tomli", "2.2.1", "python_full_version < '3.11'"))
    (change,) = compare_locks(everywhere, older).changes
    assert change == Change(
        kind="missing",
        name="tomli",
        expected="tomli==2.2.1",
        detail='b.txt has tomli==2.2.1 ; python_full_version < "3.11"',
        line=5,
        path="a.txt",
    )


def test_markers_no_grid_environment_meets_are_compared_by_their_text() -> None:
    a = lock("a.txt", entry("cffi", "1.17", "implementation_name == 'pypy'"))
    b = lock("b.txt", entry("cffi", "1.16", "implementation_name == 'pypy'"))
    c = lock("c.txt", entry("cffi", "1.17", "implementation_name == 'cpython'"))
    assert [(x.kind, x.expected, x.found) for x in compare_locks(a, b).changes] == [
        ("changed", "1.17", "1.16")
    ]
    assert [(x.kind, x.name) for x in compare_locks(a, c).changes] == [
        ("missing", "cffi"),
        ("extra", "cffi"),
    ]


def test_with_an_environment_at_hand_both_sides_are_narrowed_to_it() -> None:
    linux = lock("linux.txt", entry("click", "8.5.1", line=3))
    assert compare_locks(linux, UNIVERSAL, markers=LINUX_311).changes == ()
    py39 = {**LINUX_311, "python_version": "3.9", "python_full_version": "3.9.18"}
    assert [
        (c.kind, c.expected, c.found) for c in compare_locks(linux, UNIVERSAL, markers=py39).changes
    ] == [("changed", "8.5.1", "8.1.8")]


def test_diff_leaves_out_pip_setuptools_and_wheel_unless_all() -> None:
    original = lock("a.txt", entry("pip", "23.2.1"), entry("rich", "13.9.4"))
    restored = lock("b.txt", entry("pip", "26.0"), entry("wheel", "0.45"), entry("rich", "13.9.4"))
    assert compare_locks(original, restored).changes == ()
    assert [
        (c.kind, c.name) for c in compare_locks(original, restored, include_tools=True).changes
    ] == [
        ("extra", "wheel"),
        ("changed", "pip"),
    ]

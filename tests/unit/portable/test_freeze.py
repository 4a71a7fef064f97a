"""portable_lock over a fake environment and in-memory candidates: pins, markers, reports."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from envsnap.errors import InputError, OperationError
from envsnap.portable.freeze import own_extras, portable_lock, report_lines, requirements_lines
from envsnap.portable.targets import choose_targets, make_targets, narrowed_pythons
from support.fake_site import LINUX_311, FakeSite
from unit.portable.memory import MemorySource, indexed, pins_of, snap

if TYPE_CHECKING:
    from envsnap.environment.snapshot import Snapshot

PY310_313 = [(3, 10), (3, 11), (3, 12), (3, 13)]


@pytest.fixture
def cli_env(site: FakeSite) -> Snapshot:
    """click + a pytest-like tool + an IPython-like shell, installed on Linux 3.11."""
    site("click", "8.1.7", 'colorama; platform_system == "Windows"')
    site(
        "tester",
        "8.3.0",
        'colorama>=0.4; sys_platform == "win32"',
        'exceptiongroup>=1; python_version < "3.11"',
        'tomli>=1; python_version < "3.11"',
        "iniconfig",
        requested=True,
    )
    site(
        "shell",
        "8.0",
        'pexpect>4.3; sys_platform != "win32" and sys_platform != "emscripten"',
        requested=True,
    )
    site("pexpect", "4.9.0", "ptyprocess>=0.5")
    site("ptyprocess", "0.7.0")
    site("iniconfig", "2.0.0")
    site("app", "1.0", "click", "shell", requested=True)
    return snap(site)


def test_markers_kept_and_packages_added_for_other_targets(cli_env: Snapshot) -> None:
    source = indexed(MemorySource(), cli_env)
    source.add("colorama", "0.4.6")
    source.add("exceptiongroup", "1.2.2")
    source.add("tomli", "2.2.1")
    result = portable_lock(cli_env, make_targets(PY310_313), source)
    assert pins_of(requirements_lines(result)) == [
        "app==1.0",
        "click==8.1.7",
        'colorama==0.4.6 ; sys_platform == "win32"',
        'exceptiongroup==1.2.2 ; python_version < "3.11"',
        "iniconfig==2.0.0",
        'pexpect==4.9.0 ; sys_platform != "win32"',
        'ptyprocess==0.7.0 ; sys_platform != "win32"',
        "shell==8.0",
        "tester==8.3.0",
        'tomli==2.2.1 ; python_version < "3.11"',
    ]
    assert requirements_lines(result)[:4] == [
        "# envsnap freeze --portable",
        "# requires-python: <3.14,>=3.10",
        "# python: 3.10, 3.11, 3.12, 3.13",
        "# platforms: linux-x86_64, linux-aarch64, macos-x86_64, macos-arm64, windows-amd64",
    ]
    colorama = next(p for p in result.pins if p.name == "colorama")
    assert not colorama.installed
    assert colorama.targets == tuple(f"cp3{m}-windows-amd64" for m in (10, 11, 12, 13))
    assert result.missing_files == {}
    assert result.not_on_index == ()
    assert result.dropped == {}


def test_a_pin_needed_unconditionally_by_anyone_has_no_marker(site: FakeSite) -> None:
    site("shell", "8.0", 'pexpect; sys_platform != "win32"', requested=True)
    site("runner", "1.0", "pexpect", requested=True)
    site("pexpect", "4.9.0")
    snapshot = snap(site)
    result = portable_lock(snapshot, make_targets(PY310_313), indexed(MemorySource(), snapshot))
    assert pins_of(requirements_lines(result)) == ["pexpect==4.9.0", "runner==1.0", "shell==8.0"]


def test_and_along_a_path_or_over_paths(site: FakeSite) -> None:
    site(
        "top",
        "1.0",
        'mid; sys_platform == "linux"',
        'other; python_version < "3.12"',
        requested=True,
    )
    site("mid", "1.0", 'leaf; platform_machine == "aarch64"')
    site("leaf", "1.0")
    snapshot = snap(site, {**LINUX_311, "platform_machine": "aarch64"})
    source = indexed(MemorySource(), snapshot)
    source.add("other", "1.0", 'leaf; sys_platform == "win32"')
    result = portable_lock(snapshot, make_targets(PY310_313), source)
    assert pins_of(requirements_lines(result)) == [
        # over the targets, aarch64 is Linux only: the sys_platform test drops out
        'leaf==1.0 ; platform_machine == "aarch64" or '
        '(sys_platform == "win32" and python_version < "3.12")',
        'mid==1.0 ; sys_platform == "linux"',
        'other==1.0 ; python_version < "3.12"',
        "top==1.0",
    ]


def test_extras_conditions_are_resolved_for_the_active_extras(site: FakeSite) -> None:
    # web[async] is asked for by app on Windows only; its extra brings anyio there
    site("app", "1.0", 'web[async]; os_name == "nt"', "web", requested=True)
    site(
        "web",
        "2.0",
        'anyio; extra == "async"',
        'h11; extra == "http" or os_name == "nt"',
        extras=("async", "http"),
    )
    snapshot = snap(site)
    source = indexed(MemorySource(), snapshot)
    source.add("anyio", "4.4.0")
    source.add("h11", "0.14.0")
    result = portable_lock(snapshot, make_targets(PY310_313), source)
    assert pins_of(requirements_lines(result)) == [
        'anyio==4.4.0 ; os_name == "nt"',
        "app==1.0",
        'h11==0.14.0 ; os_name == "nt"',
        "web==2.0",
    ]


def test_one_name_two_versions_gets_disjoint_markers(site: FakeSite) -> None:
    site("tester", "8.3.0", 'tomli>=1; python_version < "3.12"', requested=True)
    snapshot = snap(site, {**LINUX_311, "python_version": "3.13", "python_full_version": "3.13.0"})
    source = indexed(MemorySource(), snapshot)
    source.add("tomli", "2.0.1")
    source.add("tomli", "2.2.1", requires_python=">=3.11")
    result = portable_lock(snapshot, make_targets(PY310_313), source)
    assert pins_of(requirements_lines(result)) == [
        "tester==8.3.0",
        # the path says python_version < "3.12"; 3.10 and 3.11 chose different versions
        'tomli==2.0.1 ; python_version < "3.11"',
        'tomli==2.2.1 ; python_version < "3.12" and python_version >= "3.11"',
    ]


def test_impossible_target_is_exit_3_or_dropped_with_the_flag(site: FakeSite) -> None:
    site("app", "1.0", 'urllib3>=2; sys_platform == "win32"', "urllib3", requested=True)
    site("urllib3", "1.26.20")
    snapshot = snap(site)
    source = indexed(MemorySource(), snapshot)
    targets = make_targets([(3, 12)], ["linux-x86_64", "windows-amd64"])
    with pytest.raises(OperationError) as caught:
        portable_lock(snapshot, targets, source)
    assert caught.value.message == (
        "no resolution for cp312-windows-amd64: urllib3>=2 (required by app==1.0) "
        "excludes the installed urllib3==1.26.20"
    )
    result = portable_lock(snapshot, targets, source, drop_unresolvable=True)
    assert [t.name for t in result.targets] == ["cp312-linux-x86_64"]
    assert list(result.dropped) == ["cp312-windows-amd64"]
    lines = requirements_lines(result)
    assert lines[2:5] == [
        "# python: 3.12",
        "# platforms: linux-x86_64",
        "# dropped cp312-windows-amd64: " + caught.value.message,
    ]
    assert pins_of(lines) == ["app==1.0", "urllib3==1.26.20"]


def test_every_target_dropped_is_an_error(site: FakeSite) -> None:
    site("app", "1.0", "missing-everywhere", requested=True)
    snapshot = snap(site)
    with pytest.raises(OperationError, match="no target has a resolution: no resolution for"):
        portable_lock(
            snapshot,
            make_targets([(3, 12)], ["linux-x86_64"]),
            indexed(MemorySource(), snapshot),
            drop_unresolvable=True,
        )


def test_targets_without_a_file_for_a_pin_and_pins_not_on_the_index(site: FakeSite) -> None:
    site("app", "1.0", "native", "local-tool", requested=True)
    site("native", "1.0")
    site("local-tool", "0.1")
    snapshot = snap(site)
    source = MemorySource()
    source.add("app", "1.0")
    source.add("native", "1.0", wheels=("cp312-cp312-manylinux_2_17_x86_64",))
    targets = make_targets([(3, 12)], ["linux-x86_64", "macos-arm64", "windows-amd64"])
    result = portable_lock(snapshot, targets, source)
    assert result.missing_files == {
        "cp312-macos-arm64": ("native==1.0",),
        "cp312-windows-amd64": ("native==1.0",),
    }
    assert result.not_on_index == ("local-tool==0.1",)


def test_installed_packages_no_target_needs_are_left_out(site: FakeSite) -> None:
    site("app", "1.0", 'backport; python_version < "3.10"', requested=True)
    site("backport", "1.0")
    snapshot = snap(site, {**LINUX_311, "python_version": "3.9", "python_full_version": "3.9.2"})
    result = portable_lock(snapshot, make_targets(PY310_313), indexed(MemorySource(), snapshot))
    assert pins_of(requirements_lines(result)) == ["app==1.0"]
    assert result.left_out == ("backport==1.0",)


def test_hashes_for_every_file(site: FakeSite) -> None:
    site("app", "1.0", requested=True)
    snapshot = snap(site)
    source = MemorySource()
    release = source.add("app", "1.0", wheels=("py3-none-any", "cp312-cp312-win_amd64"))
    result = portable_lock(snapshot, make_targets([(3, 12)]), source)
    digests = sorted(f.sha256 for f in release.files)
    assert pins_of(requirements_lines(result, hashes=True)) == [
        "app==1.0 \\",
        f"    --hash=sha256:{digests[0]} \\",
        f"    --hash=sha256:{digests[1]}",
    ]
    empty = portable_lock(snapshot, make_targets([(3, 12)]), MemorySource())
    with pytest.raises(OperationError, match=r"app==1\.0: not on the index, so no hashes"):
        requirements_lines(empty, hashes=True)


def test_choose_targets_intersects_requires_python(site: FakeSite) -> None:
    site("app", "1.0", requires_python=">=3.11", requested=True)
    site("lib", "1.0", requires_python="<3.13")
    snapshot = snap(site)
    targets = choose_targets(snapshot, PY310_313, ["windows-amd64"])
    assert [t.name for t in targets] == ["cp311-windows-amd64", "cp312-windows-amd64"]
    assert len(choose_targets(snapshot)) == 2 * 5
    with pytest.raises(InputError) as caught:
        choose_targets(snapshot, [(3, 10)])
    assert caught.value.message == (
        "no Python version among 3.10 fits every top-level package: app 1.0 requires Python >=3.11"
    )
    # each allows some minor, together none
    with pytest.raises(InputError, match=r"together they require Python <3\.13,>=3\.11"):
        choose_targets(snapshot, [(3, 10), (3, 13)])


def test_prefetch_asks_for_installed_names_and_those_a_target_may_need(site: FakeSite) -> None:
    site(
        "app",
        "1.0",
        "lib",
        'winonly; sys_platform == "win32"',
        'pypyonly; implementation_name == "pypy"',
        'docs; extra == "docs"',
        'speed; extra == "speed"',
        extras=("docs", "speed"),
        requested=True,
    )
    site("lib", "1.0")
    site("speed", "1.0")  # app[speed] inferred: the extra is met
    snapshot = snap(site)
    source = indexed(MemorySource(), snapshot)
    source.add("winonly", "1.0")
    portable_lock(snapshot, make_targets([(3, 12)], ["linux-x86_64"]), source)
    assert source.prefetched == ["app", "lib", "speed"]
    source.prefetched.clear()
    portable_lock(snapshot, make_targets([(3, 12)]), source)
    assert source.prefetched == ["app", "lib", "speed", "winonly"]


def test_report_lines(site: FakeSite) -> None:
    site("app", "1.0", "native", "local-tool", 'colorama; os_name == "nt"', requested=True)
    site("native", "1.0")
    site("local-tool", "0.1")
    snapshot = snap(site)
    source = MemorySource()
    source.add("app", "1.0")
    source.add("colorama", "0.4.6")
    source.add("native", "1.0", wheels=("cp312-cp312-manylinux_2_17_x86_64",))
    targets = make_targets([(3, 12)], ["linux-x86_64", "windows-amd64"])
    assert report_lines(portable_lock(snapshot, targets, source)) == [
        "warning: cp312-windows-amd64: no wheel or sdist for native==1.0",
        "warning: not on the index, so installable only here: local-tool==0.1",
        "note: added for other targets: colorama==0.4.6",
    ]


def test_an_extra_installed_with_a_package_goes_wherever_it_goes(site: FakeSite) -> None:
    # tool[fast] is met here (speedy installed): on Windows the extra also wants winspeed
    site(
        "tool", "1.0",
        'speedy; extra == "fast"', 'winspeed; extra == "fast" and sys_platform == "win32"',
        extras=("fast",), requested=True,
    )  # fmt: skip
    site("speedy", "1.0")
    snapshot = snap(site)
    assert own_extras(snapshot) == {"tool": frozenset({"fast"})}
    source = indexed(MemorySource(), snapshot)
    source.add("winspeed", "2.0")
    result = portable_lock(snapshot, make_targets([(3, 12)]), source)
    assert pins_of(requirements_lines(result)) == [
        "speedy==1.0",
        "tool==1.0",
        'winspeed==2.0 ; sys_platform == "win32"',
    ]


def test_an_extra_whose_own_extra_is_not_installed_is_not_carried(site: FakeSite) -> None:
    # the pandas shape: data[parquet] asks for data[arrow], which needs arrow (not installed)
    site(
        "data", "2.0",
        'data[arrow]; extra == "parquet"', 'arrow>=16; extra == "arrow"',
        extras=("parquet", "arrow"), requested=True,
    )  # fmt: skip
    snapshot = snap(site)
    # the snapshot infers no data[parquet]: it would explain nothing installed
    assert snapshot.inferred_extras == {}
    assert own_extras(snapshot) == {}
    source = indexed(MemorySource(), snapshot)
    source.add("arrow", "16.0")
    result = portable_lock(snapshot, make_targets([(3, 12)]), source)
    assert pins_of(requirements_lines(result)) == ["data==2.0"]


@pytest.fixture
def newer_helper(site: FakeSite) -> Snapshot:
    """app (Python >=3.8) -> helper>=1, installed at 2.0, which needs Python 3.11."""
    site("app", "1.0", "helper>=1", requires_python=">=3.8", requested=True)
    site("helper", "2.0", requires_python=">=3.11")
    return snap(site)


def test_a_transitive_pin_that_needs_a_newer_python_gets_an_older_entry(
    newer_helper: Snapshot,
) -> None:
    source = MemorySource()
    source.add("app", "1.0", "helper>=1", requires_python=">=3.8")
    source.add("helper", "2.0", requires_python=">=3.11")
    source.add("helper", "1.0", "compat", requires_python=">=3.8")
    source.add("compat", "1.0")
    targets = make_targets([(3, 9), *PY310_313], ["linux-x86_64"])
    assert choose_targets(newer_helper, [(3, 9), *PY310_313], ["linux-x86_64"]) == targets
    result = portable_lock(newer_helper, targets, source)
    assert requirements_lines(result)[1] == "# requires-python: <3.14,>=3.9"
    assert pins_of(requirements_lines(result)) == [
        "app==1.0",
        'compat==1.0 ; python_version < "3.11"',
        'helper==1.0 ; python_version < "3.11"',
        'helper==2.0 ; python_version >= "3.11"',
    ]
    assert [(p.name, str(p.version), p.installed) for p in result.pins] == [
        ("app", "1.0", True),
        ("compat", "1.0", False),
        ("helper", "1.0", False),
        ("helper", "2.0", True),
    ]
    assert report_lines(result) == [
        "note: an installed version's Requires-Python leaves these targets out, so they get "
        "another version: helper==1.0 on Python 3.9, 3.10 (installed: 2.0)",
        "note: added for other targets: compat==1.0",
    ]


def test_no_older_version_of_such_a_pin_names_its_requires_python(
    newer_helper: Snapshot,
) -> None:
    source = MemorySource()
    source.add("app", "1.0", "helper>=1", requires_python=">=3.8")
    source.add("helper", "2.0", requires_python=">=3.11")
    with pytest.raises(OperationError) as caught:
        portable_lock(newer_helper, make_targets([(3, 10)], ["linux-x86_64"]), source)
    assert caught.value.message == (
        "no resolution for cp310-linux-x86_64: helper>=1 (required by app==1.0): no version "
        "for this target in the test source (the installed helper==2.0 requires Python >=3.11)"
    )


def test_only_a_top_level_pin_narrows_the_range_and_it_is_named(site: FakeSite) -> None:
    site("app", "1.0", "helper", requires_python=">=3.10", requested=True)
    site("tool", "2.0", requires_python=">=3.9", requested=True)
    site("helper", "2.0", requires_python=">=3.12")
    snapshot = snap(site)
    asked = [(3, 8), (3, 9), *PY310_313]
    targets = choose_targets(snapshot, asked, ["linux-x86_64"])
    assert [t.python for t in targets] == PY310_313
    narrowed = narrowed_pythons(snapshot, asked)
    assert [n.describe() for n in narrowed] == [
        "app==1.0 requires Python >=3.10: Python 3.8, 3.9 left out",
        "tool==2.0 requires Python >=3.9: Python 3.8 left out",
    ]
    assert narrowed_pythons(snapshot, PY310_313) == ()
    source = indexed(MemorySource(), snapshot)
    source.add("helper", "1.0")
    result = dataclasses.replace(portable_lock(snapshot, targets, source), narrowed=narrowed)
    assert requirements_lines(result)[1:6] == [
        "# requires-python: <3.14,>=3.10",
        "# python: 3.10, 3.11, 3.12, 3.13",
        "# platforms: linux-x86_64",
        "# narrowed: app==1.0 requires Python >=3.10: Python 3.8, 3.9 left out",
        "# narrowed: tool==2.0 requires Python >=3.9: Python 3.8 left out",
    ]
    assert report_lines(result)[:2] == [
        "warning: app==1.0 requires Python >=3.10: Python 3.8, 3.9 left out",
        "warning: tool==2.0 requires Python >=3.9: Python 3.8 left out",
    ]


def test_a_target_a_top_level_pin_excludes_has_no_resolution(site: FakeSite) -> None:
    site("app", "1.0", requires_python=">=3.10", requested=True)
    snapshot = snap(site)
    targets = make_targets([(3, 9), (3, 10)], ["linux-x86_64"])
    with pytest.raises(OperationError) as caught:
        portable_lock(snapshot, targets, indexed(MemorySource(), snapshot))
    assert caught.value.message == (
        "no resolution for cp39-linux-x86_64: the installed top-level app==1.0 requires "
        "Python >=3.10"
    )
    result = portable_lock(
        snapshot, targets, indexed(MemorySource(), snapshot), drop_unresolvable=True
    )
    assert [t.name for t in result.targets] == ["cp310-linux-x86_64"]


def test_by_default_the_range_is_what_every_installed_pin_allows_and_is_explained(
    newer_helper: Snapshot,
) -> None:
    targets = choose_targets(newer_helper, None, ["linux-x86_64"])
    assert [t.python for t in targets] == [(3, m) for m in range(11, 15)]
    [narrowed] = narrowed_pythons(newer_helper)
    assert not narrowed.top_level
    assert (
        narrowed.describe() == "helper==2.0 requires Python >=3.11: Python 3.8, 3.9, 3.10 left out"
    )
    source = indexed(MemorySource(), newer_helper)
    result = dataclasses.replace(portable_lock(newer_helper, targets, source), narrowed=(narrowed,))
    assert report_lines(result) == [
        "note: helper==2.0 requires Python >=3.11: Python 3.8, 3.9, 3.10 left out (ask for "
        "them with --python-version: older versions of it are taken there)"
    ]
    assert f"# narrowed: {narrowed.describe()}" in requirements_lines(result)
    assert narrowed_pythons(newer_helper, [(3, 11), (3, 12)]) == ()


def test_pip_is_not_locked_so_it_narrows_nothing(site: FakeSite) -> None:
    site("app", "1.0", requested=True)
    site("pip", "99.0", requires_python=">=3.12", requested=True)
    snapshot = snap(site)
    assert [t.python for t in choose_targets(snapshot, None, ["linux-x86_64"])][:2] == [
        (3, 8),
        (3, 9),
    ]
    assert narrowed_pythons(snapshot) == ()
    assert narrowed_pythons(snapshot, [(3, 8)]) == ()

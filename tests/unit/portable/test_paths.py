"""Pin conditions from dependency paths: cycles, extras, narrowing to the targets chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envsnap.portable.freeze import portable_lock, requirements_lines
from envsnap.portable.markers import TRUE, Evaluator, parse_condition, to_marker
from envsnap.portable.paths import narrowed
from envsnap.portable.targets import make_targets
from unit.portable.memory import MemorySource, indexed, pins_of, snap

if TYPE_CHECKING:
    from support.fake_site import FakeSite

TARGETS = make_targets([(3, 10), (3, 11), (3, 12), (3, 13)], ["linux-x86_64", "windows-amd64"])
EVALUATOR = Evaluator([t.environment for t in TARGETS])


def mask_of(*names: str) -> int:
    return sum(1 << i for i, t in enumerate(TARGETS) if t.name in names)


def test_a_cycle_reaches_a_fixpoint(site: FakeSite) -> None:
    site("top", "1.0", 'a; os_name == "nt"', requested=True)
    snapshot = snap(site)
    source = indexed(MemorySource(), snapshot)
    source.add("a", "1.0", "b")
    source.add("b", "1.0", 'a; python_version < "3.12"', "c")
    source.add("c", "1.0", 'b; sys_platform == "linux"')
    result = portable_lock(snapshot, TARGETS, source)
    assert pins_of(requirements_lines(result)) == [
        'a==1.0 ; os_name == "nt"',
        'b==1.0 ; os_name == "nt"',
        'c==1.0 ; os_name == "nt"',
        "top==1.0",
    ]


def test_extras_asking_for_other_extras_of_the_same_project(site: FakeSite) -> None:
    site("top", "1.0", 'lib[all]; sys_platform == "win32"', requested=True)
    snapshot = snap(site)
    source = indexed(MemorySource(), snapshot)
    source.add(
        "lib", "1.0",
        'lib[fast]; extra == "all"', 'lib[nice]; extra == "all"',
        'speed; extra == "fast"', 'pretty; extra == "nice" and python_version >= "3.12"',
    )  # fmt: skip
    source.add("speed", "1.0")
    source.add("pretty", "1.0")
    result = portable_lock(snapshot, TARGETS, source)
    assert pins_of(requirements_lines(result)) == [
        'lib==1.0 ; sys_platform == "win32"',
        'pretty==1.0 ; sys_platform == "win32" and python_version >= "3.12"',
        'speed==1.0 ; sys_platform == "win32"',
        "top==1.0",
    ]


def test_narrowed_keeps_a_condition_that_already_fits() -> None:
    condition = parse_condition('sys_platform == "win32"')
    wanted = mask_of(*(f"cp3{m}-windows-amd64" for m in (10, 11, 12, 13)))
    assert narrowed(condition, wanted, TARGETS, EVALUATOR) == condition


def test_narrowed_writes_python_ranges_per_platform() -> None:
    wanted = mask_of("cp312-windows-amd64", "cp313-windows-amd64", "cp310-linux-x86_64")
    assert str(to_marker(narrowed(TRUE, wanted, TARGETS, EVALUATOR))) == (
        '(sys_platform == "linux" and python_version < "3.11") or '
        '(sys_platform == "win32" and python_version >= "3.12")'
    )


def test_narrowed_python_versions_that_are_not_contiguous() -> None:
    wanted = mask_of("cp310-linux-x86_64", "cp312-linux-x86_64")
    condition = narrowed(parse_condition('sys_platform == "linux"'), wanted, TARGETS, EVALUATOR)
    assert str(to_marker(condition)) == (
        '(sys_platform == "linux" and python_version == "3.10") or '
        '(sys_platform == "linux" and python_version == "3.12")'
    )

"""Conditions over markers: parsing to DNF, extras, and simplification over targets."""

from __future__ import annotations

import pytest
from packaging.markers import InvalidMarker, Marker

from envsnap.portable.markers import (
    FALSE,
    TRUE,
    Evaluator,
    all_of,
    any_of,
    parse_condition,
    restrict_extra,
    simplify,
    to_marker,
)
from envsnap.portable.targets import make_targets

# CPython 3.10-3.13 on the five default platforms
EVALUATOR = Evaluator([t.environment for t in make_targets([(3, 10), (3, 11), (3, 12), (3, 13)])])


def simplified(text: str) -> str | None:
    condition = simplify(parse_condition(text), EVALUATOR)
    if condition == FALSE:
        return "FALSE"
    marker = to_marker(condition)
    return None if marker is None else str(marker)


def test_parse_distributes_and_over_or() -> None:
    assert parse_condition('os_name == "nt" and (python_version < "3.11" or extra == "x")') == {
        frozenset({'os_name == "nt"', 'python_version < "3.11"'}),
        frozenset({'os_name == "nt"', 'extra == "x"'}),
    }


def test_parse_normalizes_quotes_and_spacing_as_packaging_does() -> None:
    assert parse_condition("sys_platform!='win32'") == {frozenset({'sys_platform != "win32"'})}
    assert parse_condition("'linux' in sys_platform") == {frozenset({'"linux" in sys_platform'})}
    assert parse_condition('platform_machine not  in "x86_64 AMD64"') == {
        frozenset({'platform_machine not in "x86_64 AMD64"'})
    }


def test_parse_reads_a_marker_object_and_none() -> None:
    assert parse_condition(Marker('python_version < "3.11"')) == {
        frozenset({'python_version < "3.11"'})
    }
    assert parse_condition(None) == TRUE


@pytest.mark.parametrize(
    "text",
    ['python_version < "3.11" and', '(os_name == "nt"', 'os_name = "nt"', 'nonsense == "x"', ""],
)
def test_parse_rejects_what_is_not_a_marker(text: str) -> None:
    with pytest.raises(InvalidMarker):
        parse_condition(text)


def test_and_or_absorb_and_dedupe() -> None:
    a = parse_condition('os_name == "nt"')
    b = parse_condition('python_version < "3.11"')
    assert any_of(a, a) == a
    assert any_of(a, all_of(a, b)) == a
    assert all_of(a, TRUE) == a
    assert all_of(a, FALSE) == FALSE
    assert any_of(a, TRUE) == TRUE


@pytest.mark.parametrize(
    ("text", "extra", "expected"),
    [
        ('extra == "cli"', None, FALSE),
        ('extra == "cli"', "cli", TRUE),
        ('extra == "Foo_Bar"', "foo-bar", TRUE),  # PEP 685 names compare normalized
        ('extra == "cli" and os_name == "nt"', "cli", {frozenset({'os_name == "nt"'})}),
        ('extra == "cli" and os_name == "nt"', "test", FALSE),
        ('os_name == "nt" or extra == "cli"', None, {frozenset({'os_name == "nt"'})}),
        ('extra != "cli"', None, TRUE),
        ('extra == "a" or extra == "b"', "b", TRUE),
        ('python_version < "3.11"', "cli", {frozenset({'python_version < "3.11"'})}),
    ],
)
def test_restrict_extra(text: str, extra: str | None, expected: frozenset[frozenset[str]]) -> None:
    assert restrict_extra(parse_condition(text), extra) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # true on every target: no marker
        ('python_version >= "3.8"', None),
        ('sys_platform == "win32" or sys_platform != "win32"', None),
        ('platform_python_implementation == "CPython"', None),
        ('python_version >= "3.10" and python_version < "3.14"', None),
        # false on every target
        ('python_version < "3.8"', "FALSE"),
        ('implementation_name == "pypy"', "FALSE"),
        ('sys_platform == "win32" and platform_system == "Linux"', "FALSE"),
        ('extra == "test"', "FALSE"),
        # an atom true everywhere drops out of its conjunction
        (
            'sys_platform != "win32" and platform_python_implementation == "CPython"',
            'sys_platform != "win32"',
        ),
        ('python_version >= "3.6" and sys_platform == "darwin"', 'sys_platform == "darwin"'),
        # duplicates and absorption
        ('os_name == "nt" or os_name == "nt"', 'os_name == "nt"'),
        (
            'sys_platform == "win32" or (sys_platform == "win32" and python_version < "3.11")',
            'sys_platform == "win32"',
        ),
        # one atom implied by another over the targets
        ('python_version < "3.11" and python_version < "3.12"', 'python_version < "3.11"'),
        ('platform_system == "Windows" and sys_platform == "win32"', 'sys_platform == "win32"'),
        ('os_name == "nt" and sys_platform == "win32"', 'sys_platform == "win32"'),
        # complementary conjunctions merge
        (
            '(python_version < "3.11" and sys_platform == "win32") or '
            '(python_version >= "3.11" and sys_platform == "win32")',
            'sys_platform == "win32"',
        ),
        (
            '(sys_platform == "darwin" and platform_machine == "arm64") or '
            '(sys_platform == "darwin" and platform_machine == "x86_64")',
            'sys_platform == "darwin"',
        ),
        (
            'python_version < "3.11" or (python_version >= "3.11" and sys_platform == "win32")',
            'python_version < "3.11" or sys_platform == "win32"',
        ),
        # what the targets cannot tell apart stays as written
        (
            'platform_machine == "x86_64" or platform_machine == "AMD64"',
            'platform_machine == "AMD64" or platform_machine == "x86_64"',
        ),
        ('python_full_version >= "3.11.1"', 'python_full_version >= "3.11.1"'),
        ('sys_platform != "win32"', 'sys_platform != "win32"'),
        (
            'python_version < "3.11" and sys_platform == "linux"',
            'sys_platform == "linux" and python_version < "3.11"',
        ),
        # a conjunction the others cover goes
        (
            'sys_platform == "linux" or sys_platform == "darwin" or '
            '(os_name == "posix" and python_version < "3.12")',
            'sys_platform == "darwin" or sys_platform == "linux"',
        ),
    ],
)
def test_simplify(text: str, expected: str | None) -> None:
    assert simplified(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        'python_version < "3.11" or (platform_machine == "arm64" and sys_platform == "darwin")',
        '(os_name == "nt" or python_version >= "3.12") and platform_machine != "aarch64"',
        'sys_platform == "linux" and (platform_machine == "aarch64" or python_version == "3.10")',
        '"arm" in platform_machine or extra == "x"',
    ],
)
def test_simplify_keeps_the_targets_where_it_holds(text: str) -> None:
    condition = parse_condition(text)
    assert EVALUATOR.mask(simplify(condition, EVALUATOR)) == EVALUATOR.mask(condition)


def test_simplify_is_independent_of_the_order_written() -> None:
    one = 'sys_platform == "win32" or (python_version < "3.11" and os_name == "posix")'
    two = '(os_name == "posix" and python_version < "3.11") or sys_platform == "win32"'
    assert simplified(one) == simplified(two)


def test_to_marker_sorts_and_parenthesizes() -> None:
    condition = any_of(
        parse_condition('python_version < "3.11" and sys_platform == "linux"'),
        parse_condition('os_name == "nt"'),
    )
    assert str(to_marker(condition)) == (
        'os_name == "nt" or (sys_platform == "linux" and python_version < "3.11")'
    )
    assert to_marker(TRUE) is None
    with pytest.raises(ValueError, match="never holds"):
        to_marker(FALSE)


def test_evaluator_masks_by_target_order() -> None:
    evaluator = Evaluator(
        [{"sys_platform": "linux", "extra": ""}, {"sys_platform": "win32", "extra": ""}]
    )
    assert evaluator.atom('sys_platform == "win32"') == 0b10
    assert (
        evaluator.mask(parse_condition('sys_platform == "win32" or sys_platform == "linux"'))
        == 0b11
    )

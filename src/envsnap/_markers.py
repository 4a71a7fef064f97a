"""PEP 508 markers evaluated for one environment, with one rule for a marker that cannot be.

packaging raises one of :data:`UNEVALUABLE` for a marker that cannot be
evaluated (``python_version ~= "foo"``, an unknown variable); the caller says
what that means for it (``otherwise``) and may collect why (``problems``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Set as AbstractSet

    from packaging.markers import Marker

__all__ = ["UNEVALUABLE", "entry_holds", "marker_holds"]

UNEVALUABLE = (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName)
"""The errors packaging raises for a marker that cannot be evaluated."""


def marker_holds(
    marker: Marker | None,
    environment: Mapping[str, str] | None,
    *,
    extra: str = "",
    otherwise: bool = True,
    problems: list[str] | None = None,
) -> bool:
    """Whether ``marker`` holds in ``environment`` (PEP 508), for ``extra`` (``""``: none).

    ``None`` (no marker) always holds. ``environment`` is a probe's ``markers``;
    ``None``: the running interpreter's, as pip reads a requirements file. A
    marker that cannot be evaluated gives ``otherwise``, and a ``marker '...'
    cannot be evaluated: why`` line in ``problems`` if given.
    """
    if marker is None:
        return True
    try:
        if environment is None:
            return bool(marker.evaluate())
        return bool(marker.evaluate({**environment, "extra": extra}))
    except UNEVALUABLE as exc:
        if problems is not None:
            problems.append(f"marker {str(marker)!r} cannot be evaluated: {exc}")
        return otherwise


def entry_holds(
    marker: Marker | None,
    environment: Mapping[str, str],
    *,
    extras: AbstractSet[str] = frozenset(),
    groups: AbstractSet[str] = frozenset(),
    problems: list[str] | None = None,
) -> bool:
    """Whether the marker of a lock entry holds in ``environment`` (PEP 508, PEP 751).

    Besides the PEP 508 variables (``extra`` is ``""``, as pip evaluates a
    requirements line) it may test the sets PEP 751 ``extras`` and
    ``dependency_groups`` (``groups``) being installed. A marker that cannot
    be evaluated holds (the entry is compared, not silently left out) and is
    named in ``problems``, if given. ``None`` always holds.
    """
    if marker is None:
        return True
    values: dict[str, str | AbstractSet[str]] = {
        **environment,
        "extra": "",
        "extras": frozenset(extras),
        "dependency_groups": frozenset(groups),
    }
    try:
        return bool(marker.evaluate(values, context="lock_file"))
    except UNEVALUABLE as exc:
        if problems is not None:
            problems.append(f"marker {str(marker)!r} cannot be evaluated: {exc}")
        return True

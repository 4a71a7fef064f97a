"""Whether a pinned file pins its whole dependency closure.

A requirements file whose every requirement is ``name==version`` may be a
lock (``pip-compile``, ``uv pip compile``, ``pip freeze`` write such files),
or it may leave out what its packages need. The wheels' ``METADATA`` says
which: :func:`find_gaps` walks every ``Requires-Dist`` of every package the
file installs in an environment (with the extras asked for, on the line or
by another package), and lists each requirement that no pin of the file
satisfies. No gap: the file installs as is, with ``--no-deps`` (what pip's
resolver would conclude, without running it). A gap: pip must resolve.

Pure: no file, network or interpreter access; the caller reads the METADATA.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from packaging.utils import canonicalize_name

from envsnap._markers import marker_holds

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from packaging.requirements import Requirement
    from packaging.utils import NormalizedName

    from envsnap.lock import Lock, LockedPackage

__all__ = ["Gap", "find_gaps", "unreadable"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Gap:
    """One reason a pinned file cannot be installed as it is."""

    package: str
    """The package whose requirement is not met, as ``name==version``."""
    kind: Literal["unpinned", "conflict", "unknown"]
    """``unpinned``: no pin of the required name; ``conflict``: its pin is
    outside the required specifier; ``unknown``: the package's requirements
    cannot be read before pip installs it (no wheel: an sdist, a VCS checkout,
    a directory, a file envsnap leaves to pip)."""
    requirement: Requirement | None = None
    """The requirement (``unpinned`` and ``conflict``)."""
    pinned: str | None = None
    """The file's pin of the required name, as ``name==version`` (``conflict``)."""
    detail: str | None = None
    """Why the requirements cannot be read (``unknown``), when the caller knows."""

    def describe(self) -> str:
        """Return one line for the user.

        ``flask==3.1.3 requires blinker>=1.9, which the file does not pin``;
        ``... requires blinker>=1.9, but the file pins blinker==1.8.2``;
        ``kappa==1.0: no wheel to read its requirements from``.
        """
        if self.kind == "unknown":
            why = self.detail or "no wheel to read its requirements from"
            return f"{self.package}: {why}"
        wanted = _without_marker(self.requirement)
        if self.kind == "conflict":
            return f"{self.package} requires {wanted}, but the file pins {self.pinned}"
        return f"{self.package} requires {wanted}, which the file does not pin"


def find_gaps(
    lock: Lock,
    requires: Mapping[NormalizedName, Sequence[Requirement] | None],
    markers: Mapping[str, str],
) -> tuple[Gap, ...]:
    """List what a fully pinned file leaves unmet in an environment.

    The packages checked are those of ``lock`` whose own marker holds for
    ``markers``. Each one's requirements are evaluated for ``markers`` with
    ``extra`` set to ``""`` and to each extra asked of it: on its line
    (``name[extra]==V``) or by a requirement of another package
    (``requests[socks]>=2``), transitively, as pip's resolver does. A
    requirement is met by a pin of its name whose version is in its
    specifier (pre-releases allowed: the pin chose one), or by a package of
    a direct origin (a URL or a directory: matched by name, as pip
    ``--no-deps`` would). A marker that cannot be evaluated counts as true.

    Args:
        lock: the file; every package pinned (``LockedPackage.pinned``).
        requires: normalized name -> the package's ``Requires-Dist``
            (its wheel's ``METADATA``), or ``None`` when it cannot be read
            without a build. A package missing here counts as ``None``.
        markers: PEP 508 marker values of the target environment.

    Returns:
        The gaps, sorted by package, then requirement; ``()`` when the file
        pins the whole closure.
    """
    installed = {p.name: p for p in lock.packages if _holds(p, markers)}
    asked: dict[NormalizedName, set[str]] = {
        name: {str(e) for e in p.extras} for name, p in installed.items()
    }
    done: dict[NormalizedName, set[str]] = {}
    gaps: dict[tuple[NormalizedName, str], Gap] = {}
    todo = list(installed)
    while todo:
        name = todo.pop(0)
        extras = asked[name] - done.get(name, set())
        if name in done and not extras:
            continue
        first = name not in done
        done.setdefault(name, set()).update(extras)
        package = installed[name]
        label = _label(package)
        found = requires.get(name)
        if found is None:
            if first:
                gaps[(name, "")] = Gap(package=label, kind="unknown")
            continue
        contexts = ([""] if first else []) + sorted(extras)
        for requirement in found:
            if not any(_applies(requirement, markers, extra) for extra in contexts):
                continue
            target = canonicalize_name(requirement.name)
            pin = installed.get(target)
            gap = _unmet(label, requirement, pin)
            if gap is not None:
                gaps.setdefault((name, str(requirement)), gap)
                continue
            more = {str(canonicalize_name(e)) for e in requirement.extras}
            if pin is not None and not more <= asked[target]:
                asked[target] |= more
                todo.append(target)
    return tuple(gaps[key] for key in sorted(gaps))


def unreadable(package: LockedPackage, detail: str) -> Gap:
    """Return the ``unknown`` gap of a package whose requirements cannot be read.

    Args:
        package: the package.
        detail: why, for the user (``only an sdist for this environment``).
    """
    return Gap(package=_label(package), kind="unknown", detail=detail)


def _unmet(label: str, requirement: Requirement, pin: LockedPackage | None) -> Gap | None:
    """Return the gap a requirement leaves, or ``None`` when the pin meets it."""
    if pin is None:
        return Gap(package=label, kind="unpinned", requirement=requirement)
    if pin.version is None or pin.origin.is_direct:
        return None
    if requirement.specifier.contains(pin.version, prereleases=True):
        return None
    return Gap(package=label, kind="conflict", requirement=requirement, pinned=_label(pin))


def _holds(package: LockedPackage, markers: Mapping[str, str]) -> bool:
    """Whether the package's own marker holds (an unevaluable one counts as true)."""
    return marker_holds(package.marker, markers)


def _applies(requirement: Requirement, markers: Mapping[str, str], extra: str) -> bool:
    """Whether a requirement applies for ``extra`` (``""``: the package without extras)."""
    if requirement.marker is None:
        return extra == ""
    return marker_holds(requirement.marker, markers, extra=extra)


def _label(package: LockedPackage) -> str:
    if package.version is None:
        return package.display_name
    return f"{package.display_name}=={package.version}"


def _without_marker(requirement: Requirement | None) -> str:
    """``blinker>=1.9`` of ``blinker>=1.9; extra == "x"`` (the marker was evaluated)."""
    if requirement is None:
        return "?"
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    if requirement.url:
        return f"{requirement.name}{extras} @ {requirement.url}"
    return f"{requirement.name}{extras}{requirement.specifier}"

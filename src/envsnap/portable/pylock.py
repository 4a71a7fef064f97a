"""Write a portable lock as a pylock.toml (PEP 751) for every target at once.

``environments`` has one marker per target, so an installer refuses the file only
elsewhere; each ``[[packages]]`` entry has its ``marker`` and every file of the pinned
version on the index (one name may appear with several versions under disjoint
markers); ``[tool.envsnap]`` adds the ``targets`` and what was ``dropped`` or
``narrowed`` to the non-portable writer's keys. Validated by :mod:`packaging.pylock`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.markers import Marker
from packaging.version import Version

from envsnap.errors import OperationError
from envsnap.lockfiles.pylock import CREATED_BY, TOOL

if TYPE_CHECKING:
    from packaging.pylock import Package, Pylock

    from envsnap.environment.snapshot import Snapshot
    from envsnap.portable.freeze import PortablePin, PortableResult

__all__ = ["ADDED_REASON", "build_pylock", "pylock_text"]

ADDED_REASON = "added from the index for other targets"
"""The ``[tool.envsnap]`` reason of a pin this environment has not got installed."""


def build_pylock(
    result: PortableResult, snapshot: Snapshot, *, output_dir: Path | None = None
) -> Pylock:
    """Build and validate the :class:`packaging.pylock.Pylock` of a portable lock.

    ``snapshot`` gives top-level names and reasons; local file paths are written
    relative to ``output_dir``.

    Raises:
        OperationError: a pin has no file on the index (a local build, a direct URL,
            an editable), or the lock does not validate.
    """
    from packaging.pylock import Pylock  # noqa: PLC0415

    from envsnap.lockfiles.pylock.write import validated  # noqa: PLC0415

    lacking = [f"{p.name}=={p.version}" for p in result.pins if not p.files]
    if lacking:
        raise OperationError(
            "a portable pylock.toml needs every pin's files on the index; not there: "
            + ", ".join(lacking),
            hint="write requirements.txt instead (--output requirements.txt), "
            "or install those packages from the index",
        )
    names = sorted({p.name for p in result.pins})
    reasons = {}
    for name in names:
        reason = snapshot.reasons.get(name)
        installed = any(p.installed for p in result.pins if p.name == name)
        reasons[name] = reason.describe() if reason is not None and installed else ADDED_REASON
    tool: dict[str, Any] = {
        "top-level": list(result.top_level),
        "reasons": reasons,
        "targets": [t.name for t in result.targets],
    }
    extras = {
        n: sorted(snapshot.top_level_extras[n]) for n in names if n in snapshot.top_level_extras
    }
    if extras:
        tool["extras"] = extras
    if result.dropped:
        tool["dropped"] = dict(sorted(result.dropped.items()))
    if result.narrowed:
        tool["narrowed"] = {
            n.pin: {
                "requires-python": str(n.requires_python),
                "left-out": [f"{a}.{b}" for a, b in n.pythons],
            }
            for n in result.narrowed
        }
    lock = Pylock(
        lock_version=Version("1.0"),
        environments=[Marker(t.marker) for t in result.targets],
        requires_python=result.requires_python,
        created_by=CREATED_BY,
        packages=[_package(pin, output_dir) for pin in result.pins],
        tool={TOOL: tool},
    )
    return validated(lock)


def _package(pin: PortablePin, output_dir: Path | None) -> Package:
    from packaging.pylock import Package  # noqa: PLC0415

    from envsnap.index.distfile import ProjectFiles  # noqa: PLC0415
    from envsnap.lockfiles.pylock.write import file_tables  # noqa: PLC0415

    found = ProjectFiles(name=pin.name, version=pin.version, files=pin.files)
    sdist, wheels = file_tables(found, output_dir)
    return Package(
        name=pin.name, version=pin.version, marker=pin.marker, sdist=sdist, wheels=wheels
    )


def pylock_text(result: PortableResult, snapshot: Snapshot, *, output: Path | None) -> str:
    """Render a portable lock as pylock.toml text for ``output`` (``None``: stdout).

    Local file paths are relative to ``output``'s directory, or the cwd for stdout.

    Raises:
        OperationError: as :func:`build_pylock`.
    """
    from envsnap.lockfiles.pylock.write import render  # noqa: PLC0415

    output_dir = output.parent if output is not None else Path.cwd()
    return render(build_pylock(result, snapshot, output_dir=output_dir))

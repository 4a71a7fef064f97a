"""Check whether a bundle is complete for a Python and a platform, and what it lacks.

After every file is checked against its hash (exit 2, as for a restore), each
target is asked what PEP 751 installs there (``Pylock.select``, every extra and
dependency group counted) and whether the bundle holds that file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envsnap.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from envsnap.bundle.targets import BundleTarget
    from envsnap.lock import Lock

__all__ = ["BundleCheck", "TargetCheck", "check_bundle"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetCheck:
    """What a bundle holds for one target."""

    target: str
    """``cp311-linux-x86_64``."""
    packages: int
    """How many packages the lock installs there."""
    lacking: tuple[str, ...] = ()
    """One line per package whose file for the target is not in the bundle."""
    refused: str | None = None
    """Why an installer refuses the lock there (``environments``, ``requires-python``)."""
    sdists: tuple[str, ...] = ()
    """Packages installed from an sdist there (a restore builds them)."""

    @property
    def complete(self) -> bool:
        """Whether a restore there finds every file in the bundle."""
        return not self.lacking and self.refused is None


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleCheck:
    """The answer of :func:`check_bundle`."""

    bundle: Path
    """The bundle checked."""
    files: int
    """How many files its lock names (every one matched its hash)."""
    size: int
    """Their total size, in bytes."""
    targets: tuple[TargetCheck, ...]
    """One check per target asked for."""

    @property
    def complete(self) -> bool:
        """Whether the bundle is complete for every target."""
        return all(t.complete for t in self.targets)


def check_bundle(
    path: Path,
    *,
    python: str | None = None,
    python_versions: str | None = None,
    platforms: Sequence[str] = (),
) -> BundleCheck:
    """Check a bundle's files against its lock, and whether it is complete for targets.

    Args:
        path: a directory or ``.zip`` file made by ``envsnap bundle``.
        python: the interpreter to check for (default: the one ``restore`` picks).
        python_versions: ``--python-version`` (``3.12``, ``3.10-3.13``): check
            for these CPython versions instead.
        platforms: ``--platform`` names (default with ``python_versions``:
            this machine's platform).

    Raises:
        InputError: not a bundle, a file that does not match the lock (each
            named), an unknown target, or no interpreter for the lock (exit 2).
    """
    from envsnap.bundle.members import checked  # noqa: PLC0415
    from envsnap.bundle.targets import machine_target, named_targets  # noqa: PLC0415

    with checked(path) as (lock, members, size):
        pass
    if python_versions or platforms:
        targets = named_targets(lock, python_versions, platforms)
    else:
        targets = (machine_target(lock, python=python),)
    return BundleCheck(
        bundle=path,
        files=len(members),
        size=size,
        targets=tuple(_check_target(lock, t) for t in targets),
    )


def _check_target(lock: Lock, target: BundleTarget) -> TargetCheck:
    """Return what the bundle's lock installs on ``target``, and which of it the bundle lacks."""
    from packaging.pylock import PylockSelectError  # noqa: PLC0415

    from envsnap.bundle.select import select_one  # noqa: PLC0415
    from envsnap.bundle.targets import check_covers  # noqa: PLC0415

    refused = None
    try:
        check_covers(lock, target)
    except InputError as exc:
        refused = exc.message.partition(": ")[2]
    pylock = lock.pylock
    lacking: list[str] = []
    sdists: list[str] = []
    installed = 0
    for package in pylock.packages:
        label = f"{package.name} {package.version}" if package.version else str(package.name)
        try:
            entry = select_one(pylock, package, target)
        except PylockSelectError as exc:
            lacking.append(f"{label}: {_why(str(exc), package)}")
        else:
            if entry is None:
                continue
            if entry is package.sdist:
                sdists.append(f"{label} ({entry.filename})")
        installed += 1
    return TargetCheck(
        target=target.name,
        packages=installed,
        lacking=tuple(lacking),
        refused=refused,
        sdists=tuple(sdists),
    )


def _why(message: str, package: object) -> str:
    """Say why a package has no file for the target, naming the wheels it has."""
    wheels = [w.filename for w in getattr(package, "wheels", None) or ()]
    if message.startswith("No wheel found"):
        held = f" (it holds {', '.join(wheels)})" if wheels else ""
        return f"no wheel for this target and no sdist{held}"
    return message.replace(" in provided environment", "").replace(" at packages[0]", "")

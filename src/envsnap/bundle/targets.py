"""The targets a bundle covers: each a Python on a platform, with its markers and tags.

By default this machine (the interpreter ``restore`` would use, probed for its
PEP 508 markers and PEP 425 tags); a portable lock names its own;
``--python-version`` and ``--platform`` name others (:mod:`envsnap.portable.targets`).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envsnap.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from packaging.tags import Tag

    from envsnap.lock import Lock

__all__ = [
    "BundleTarget",
    "bundle_targets",
    "check_covers",
    "lock_targets",
    "machine_target",
    "named_targets",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleTarget:
    """One Python on one platform that a bundle covers."""

    name: str
    """``cp311-linux-x86_64``: how messages and the bundle's lock name it."""
    environment: Mapping[str, str]
    """The full PEP 508 marker environment."""
    tags: tuple[Tag, ...]
    """The PEP 425 tags it accepts, most preferred first."""

    @property
    def marker(self) -> str:
        """A PEP 508 marker that holds on this target (for the lock's ``environments``)."""
        env = self.environment
        return (
            f"python_version == '{env['python_version']}' "
            f"and sys_platform == '{env['sys_platform']}' "
            f"and platform_machine == '{env['platform_machine']}'"
        )


def machine_target(lock: Lock, *, python: str | None = None) -> BundleTarget:
    """Return this machine as a target: the interpreter a restore of ``lock`` would use.

    ``python`` (``--python``) names an interpreter to use instead.

    Raises:
        InputError: no matching interpreter.
    """
    from pathlib import Path  # noqa: PLC0415

    from envsnap.environment.target import environment_tags, probe  # noqa: PLC0415
    from envsnap.restore.python import choose_python  # noqa: PLC0415

    file = lock.path if lock.path is not None else Path("pylock.toml")
    interpreter = choose_python(file, lock, python=python).interpreter
    environment = probe(interpreter.path)
    tags = tuple(environment_tags(environment))
    markers = dict(environment.markers)
    return BundleTarget(name=_machine_name(markers, tags), environment=markers, tags=tags)


def _machine_name(markers: Mapping[str, str], tags: Sequence[Tag]) -> str:
    """``cp311-linux-x86_64`` for a probed interpreter (names as ``--platform`` spells them)."""
    implementation = {"cpython": "cp", "pypy": "pp"}.get(
        markers.get("implementation_name", ""), markers.get("implementation_name", "py")
    )
    python = markers.get("python_version", "").replace(".", "")
    system = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(
        markers.get("sys_platform", ""), markers.get("sys_platform", "")
    )
    machine = markers.get("platform_machine", "").lower()
    if system == "linux" and any(t.platform.startswith("musllinux") for t in tags):
        system = "linux-musl"
    return f"{implementation}{python}-{system}-{machine}"


def named_targets(
    lock: Lock, python_versions: str | None, platforms: Sequence[str]
) -> tuple[BundleTarget, ...]:
    """Return the targets ``--python-version`` and ``--platform`` name.

    Args:
        lock: the lock (its Python version or range when no version is named).
        python_versions: ``3.12``, ``3.10-3.13`` or ``3.10,3.12``; ``None``: the lock's Python.
        platforms: names from :data:`envsnap.portable.targets.PLATFORMS`; empty: this machine's.

    Raises:
        InputError: an unknown platform or version, or none to be found.
    """
    from envsnap.portable.targets import parse_python_versions  # noqa: PLC0415

    pythons = parse_python_versions(python_versions) if python_versions else _lock_pythons(lock)
    return _targets(pythons, platforms or (_host_platform(),))


def lock_targets(lock: Lock) -> tuple[BundleTarget, ...] | None:
    """Return the targets a portable lock names, or ``None`` for a lock that names none.

    From a pylock file's ``[tool.envsnap] targets`` (``cp312-linux-x86_64``), or
    a requirements file's ``# python:`` and ``# platforms:`` header lines.

    Raises:
        InputError: a target name envsnap does not know.
    """
    tool = (getattr(lock.pylock, "tool", None) or {}).get("envsnap", {})
    names = tool.get("targets") if isinstance(tool, dict) else None
    if isinstance(names, list) and names:
        pairs = [_parse_target(str(n), lock) for n in names]
        return tuple(t for python, platform in pairs for t in _targets([python], [platform]))
    if lock.format == "requirements" and lock.requires_python is not None and lock.path:
        header = _portable_header(lock.path)
        if header is not None:
            return _targets(*header)
    return None


def _parse_target(name: str, lock: Lock) -> tuple[tuple[int, int], str]:
    found = re.fullmatch(r"cp(\d)(\d+)-(.+)", name)
    if found is None:
        raise InputError(
            f"{lock.path}: target {name!r} is not one envsnap names (cp312-linux-x86_64)",
            hint="name the targets with --python-version and --platform",
        )
    return (int(found[1]), int(found[2])), found[3]


def _portable_header(path: Path) -> tuple[list[tuple[int, int]], list[str]] | None:
    """Read ``# python: 3.11, 3.12`` and ``# platforms: linux-x86_64`` of a portable file."""
    from envsnap.lockfiles.requirements import lines as rl  # noqa: PLC0415

    pythons: list[tuple[int, int]] = []
    platforms: list[str] = []
    for line in rl.read_text(path).splitlines()[:50]:
        if line.startswith("# python: "):
            for part in line.removeprefix("# python: ").split(","):
                major, _, minor = part.strip().partition(".")
                if major.isdigit() and minor.isdigit():
                    pythons.append((int(major), int(minor)))
        elif line.startswith("# platforms: "):
            platforms += [p.strip() for p in line.removeprefix("# platforms: ").split(",")]
    return (pythons, platforms) if pythons and platforms else None


def _targets(
    pythons: Iterable[tuple[int, int]], platforms: Iterable[str]
) -> tuple[BundleTarget, ...]:
    from envsnap.portable.targets import make_targets  # noqa: PLC0415

    return tuple(
        BundleTarget(name=t.name, environment=t.environment, tags=t.tags)
        for t in make_targets(pythons, platforms)
    )


def _lock_pythons(lock: Lock) -> tuple[tuple[int, int], ...]:
    """Return the lock's Python minor (recorded), else the known minors its range admits."""
    from packaging.version import Version  # noqa: PLC0415

    from envsnap.portable.targets import KNOWN_PYTHONS  # noqa: PLC0415

    if lock.python_version:
        major, minor = lock.python_version.split(".")[:2]
        return ((int(major), int(minor)),)
    spec = lock.requires_python or getattr(lock.pylock, "requires_python", None)
    if spec is not None:
        kept = tuple(v for v in KNOWN_PYTHONS if spec.contains(Version(f"{v[0]}.{v[1]}.0")))
        if kept:
            return kept
    raise InputError(
        f"{lock.path}: the lock records no Python version to bundle for",
        hint="name it with --python-version 3.12",
    )


def _host_platform() -> str:
    """Return this machine's platform as ``--platform`` names it (``linux-x86_64``)."""
    import platform  # noqa: PLC0415

    from packaging import tags  # noqa: PLC0415

    from envsnap.portable.targets import PLATFORMS  # noqa: PLC0415

    machine = platform.machine().lower()
    musl = sys.platform == "linux" and any(t.startswith("musllinux") for t in tags.platform_tags())
    for name, known in PLATFORMS.items():
        if (
            known.sys_platform == sys.platform
            and known.platform_machine.lower() == machine
            and ("musl" in name) == musl
        ):
            return name
    raise InputError(
        f"this machine ({sys.platform} {machine}) is not a platform envsnap names",
        hint="name the platform with --platform (one of: " + ", ".join(PLATFORMS) + ")",
    )


def check_covers(lock: Lock, target: BundleTarget) -> None:
    """Refuse a target a pylock file's ``environments`` or ``requires-python`` leaves out.

    Raises:
        InputError: naming the lock, the target and what excludes it.
    """
    from packaging.version import Version  # noqa: PLC0415

    pylock = lock.pylock
    if pylock is None:
        return
    python = Version(target.environment["python_full_version"])
    if pylock.requires_python and not pylock.requires_python.contains(python, prereleases=True):
        raise InputError(
            f"{lock.path}: requires-python {pylock.requires_python} leaves out {target.name}",
            hint="bundle for a Python the lock covers (--python-version)",
        )
    if pylock.environments and not any(
        m.evaluate(dict(target.environment)) for m in pylock.environments
    ):
        markers = [str(m) for m in pylock.environments]
        shown = markers[0] if len(markers) == 1 else " or ".join(f"({m})" for m in markers)
        raise InputError(
            f"{lock.path}: its environments ({shown}) leave out {target.name}",
            hint="bundle for a target the lock was made for (--python-version, --platform)",
        )


def bundle_targets(
    lock: Lock, *, python: str | None, python_versions: str | None, platforms: Sequence[str]
) -> tuple[BundleTarget, ...]:
    """Return the targets asked for, else the lock's own, else this machine; each covered.

    Raises:
        InputError: ``python`` with ``python_versions`` or ``platforms``; a
            target unknown, or one the lock leaves out (:func:`check_covers`).
    """
    if python_versions or platforms:
        if python is not None:
            raise InputError(
                "python= names the interpreter to bundle for; --python-version and --platform "
                "name targets instead: give one or the other"
            )
        targets = named_targets(lock, python_versions, platforms)
    else:
        targets = (lock_targets(lock) if python is None else None) or (
            machine_target(lock, python=python),
        )
    for target in targets:
        check_covers(lock, target)
    return targets

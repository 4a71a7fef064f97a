"""Targets of a portable lock: a CPython version on a platform, as markers and wheel tags.

A :class:`Target` is what pip on another machine would see: a full PEP 508 marker
environment and the PEP 425 tags it accepts, most preferred first. Baselines, as uv
assumes them for its universal resolution: glibc 2.28 (PEP 600), musl 1.2, macOS 13.
Each CPython minor is its ``.0`` release: ``Requires-Python >=3.10.2`` leaves 3.10 out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.version import Version

from envsnap.environment import TOOLING
from envsnap.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from envsnap.environment.distributions import InstalledDistribution
    from envsnap.environment.snapshot import Snapshot

__all__ = [
    "DEFAULT_PLATFORMS",
    "KNOWN_PYTHONS",
    "PLATFORMS",
    "Narrowed",
    "Platform",
    "Target",
    "choose_targets",
    "make_target",
    "make_targets",
    "marker_environment",
    "narrowed_pythons",
    "parse_python_versions",
    "python_versions_for",
    "top_level_dists",
]

KNOWN_PYTHONS: tuple[tuple[int, int], ...] = tuple((3, minor) for minor in range(8, 15))
"""The CPython minors a portable lock may target (3.8 to 3.14)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Platform:
    """An operating system and machine, as markers and wheel platform tags."""

    name: str
    """Its name on the command line (``linux-x86_64``)."""
    sys_platform: str
    """``sys.platform`` (``linux``, ``darwin``, ``win32``)."""
    platform_system: str
    """``platform.system()`` (``Linux``, ``Darwin``, ``Windows``)."""
    platform_machine: str
    """``platform.machine()`` as that system spells it (``x86_64``, ``arm64``, ``AMD64``)."""
    os_name: str
    """``os.name`` (``posix``, ``nt``)."""
    platform_tags: tuple[str, ...]
    """Wheel platform tags it accepts, most preferred first."""


def _manylinux(arch: str, glibc_minor: int) -> tuple[str, ...]:
    """PEP 600 tags from glibc 2.``glibc_minor`` down, with the legacy aliases (PEP 513/571/599)."""
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    found: list[str] = []
    for minor in range(glibc_minor, 4, -1):
        found.append(f"manylinux_2_{minor}_{arch}")
        alias = legacy.get(minor)
        # manylinux2010 and manylinux1 were defined for x86_64 and i686 only
        if alias and (minor == 17 or arch in ("x86_64", "i686")):
            found.append(f"{alias}_{arch}")
    return (*found, f"linux_{arch}")


def _musllinux(arch: str, musl_minor: int) -> tuple[str, ...]:
    """PEP 656 tags from musl 1.``musl_minor`` down."""
    return (*(f"musllinux_1_{m}_{arch}" for m in range(musl_minor, -1, -1)), f"linux_{arch}")


_SYSTEMS = {"linux": ("Linux", "posix"), "darwin": ("Darwin", "posix"), "win32": ("Windows", "nt")}
"""``sys.platform`` -> (``platform.system()``, ``os.name``)."""


def _platform(name: str, sys_platform: str, machine: str, tags: Iterable[str]) -> Platform:
    system, os_name = _SYSTEMS[sys_platform]
    return Platform(
        name=name,
        sys_platform=sys_platform,
        platform_system=system,
        platform_machine=machine,
        os_name=os_name,
        platform_tags=tuple(tags),
    )


PLATFORMS: Mapping[str, Platform] = {
    p.name: p
    for p in (
        _platform("linux-x86_64", "linux", "x86_64", _manylinux("x86_64", 28)),
        _platform("linux-aarch64", "linux", "aarch64", _manylinux("aarch64", 28)),
        _platform("linux-musl-x86_64", "linux", "x86_64", _musllinux("x86_64", 2)),
        _platform("linux-musl-aarch64", "linux", "aarch64", _musllinux("aarch64", 2)),
        _platform("macos-x86_64", "darwin", "x86_64", mac_platforms((13, 0), "x86_64")),
        _platform("macos-arm64", "darwin", "arm64", mac_platforms((13, 0), "arm64")),
        _platform("windows-amd64", "win32", "AMD64", ["win_amd64"]),
        _platform("windows-arm64", "win32", "ARM64", ["win_arm64"]),
    )
}
"""Every platform ``--platform`` accepts, by name."""

DEFAULT_PLATFORMS: tuple[str, ...] = (
    "linux-x86_64",
    "linux-aarch64",
    "macos-x86_64",
    "macos-arm64",
    "windows-amd64",
)
"""The platforms of a portable lock when none is named."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One environment a portable lock must install on."""

    python: tuple[int, int]
    """The CPython minor, ``(3, 12)``."""
    platform: Platform
    """The operating system and machine."""
    environment: Mapping[str, str]
    """The full PEP 508 marker environment (``extra`` set to ``""``)."""
    tags: tuple[Tag, ...]
    """PEP 425 tags it accepts, most preferred first."""

    @property
    def name(self) -> str:
        """``cp312-linux-x86_64``: how messages and reports name it."""
        return f"cp{self.python[0]}{self.python[1]}-{self.platform.name}"

    @property
    def marker(self) -> str:
        """A PEP 508 marker that holds on this target (for pylock's ``environments``)."""
        env = self.environment
        return (
            f'python_version == "{env["python_version"]}" '
            f'and sys_platform == "{env["sys_platform"]}" '
            f'and platform_machine == "{env["platform_machine"]}"'
        )


def make_target(python: tuple[int, int], platform: Platform) -> Target:
    """Return the target for a CPython minor on a platform (see the module docstring)."""
    found = [
        *cpython_tags(python, platforms=platform.platform_tags),
        *compatible_tags(python, f"cp{python[0]}{python[1]}", platform.platform_tags),
    ]
    environment = marker_environment(python, platform)
    return Target(
        python=python, platform=platform, environment=environment, tags=tuple(dict.fromkeys(found))
    )


def marker_environment(python: tuple[int, int], platform: Platform) -> dict[str, str]:
    """Return the PEP 508 marker values of a CPython minor (its ``.0``) on a platform."""
    version = f"{python[0]}.{python[1]}"
    full = f"{version}.0"
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": platform.os_name,
        "platform_machine": platform.platform_machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": platform.platform_system,
        "platform_version": "",
        "python_full_version": full,
        "python_version": version,
        "sys_platform": platform.sys_platform,
        "extra": "",
    }


def make_targets(
    pythons: Iterable[tuple[int, int]], platforms: Iterable[str] = DEFAULT_PLATFORMS
) -> tuple[Target, ...]:
    """Return every (CPython minor, platform name from :data:`PLATFORMS`) target, by Python.

    Raises:
        InputError: an unknown platform name, or no Python or no platform.
    """
    chosen = []
    for name in dict.fromkeys(platforms):
        platform = PLATFORMS.get(name.lower())
        if platform is None:
            raise InputError(
                f"unknown platform {name!r}",
                hint="choose among " + ", ".join(PLATFORMS),
            )
        chosen.append(platform)
    versions = sorted(set(pythons))
    if not chosen or not versions:
        raise InputError("a portable lock needs at least one Python version and one platform")
    return tuple(make_target(python, platform) for python in versions for platform in chosen)


def parse_python_versions(text: str) -> tuple[tuple[int, int], ...]:
    """Read a ``--python-version`` value: ``3.12``, ``3.10-3.13`` or ``3.10,3.12``.

    Returns:
        The CPython minors it names, ascending, each among :data:`KNOWN_PYTHONS`.

    Raises:
        InputError: the text is none of these forms, or names an unknown minor.
    """
    found: set[tuple[int, int]] = set()
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        start, end = _minor(low, text), _minor(high or low, text)
        if end < start:
            raise InputError(f"--python-version {text}: {part.strip()} is an empty range")
        found.update(v for v in KNOWN_PYTHONS if start <= v <= end)
        if start not in KNOWN_PYTHONS or end not in KNOWN_PYTHONS:
            (a, b), (c, d) = KNOWN_PYTHONS[0], KNOWN_PYTHONS[-1]
            raise InputError(
                f"--python-version {text}: envsnap targets CPython {a}.{b}-{c}.{d} only",
                hint="give versions such as 3.12 or a range such as 3.10-3.13",
            )
    return tuple(sorted(found))


def _minor(text: str, whole: str) -> tuple[int, int]:
    pieces = text.strip().split(".")
    if len(pieces) != 2 or not all(p.isdigit() for p in pieces):
        raise InputError(
            f"--python-version {whole}: {text.strip() or '(empty)'} is not a version like 3.12",
            hint="give versions such as 3.12 or a range such as 3.10-3.13",
        )
    return (int(pieces[0]), int(pieces[1]))


def python_versions_for(
    requires_python: Iterable[SpecifierSet | None],
    wanted: Sequence[tuple[int, int]] = KNOWN_PYTHONS,
) -> tuple[tuple[tuple[int, int], ...], SpecifierSet]:
    """Keep the wanted minors that every ``Requires-Python`` (``None``: none stated) allows.

    Returns:
        ``(minors whose .0 release every specifier contains, the specifiers' intersection)``.
    """
    combined = SpecifierSet()
    for spec in requires_python:
        if spec is not None:
            combined &= spec
    kept = tuple(
        v for v in wanted if combined.contains(Version(f"{v[0]}.{v[1]}.0"), prereleases=True)
    )
    return kept, combined


@dataclass(frozen=True, slots=True, kw_only=True)
class Narrowed:
    """Python minors asked for that a top-level pin's ``Requires-Python`` leaves out."""

    pin: str
    """The top-level pin, ``name==version``."""
    requires_python: SpecifierSet
    """Its ``Requires-Python``."""
    pythons: tuple[tuple[int, int], ...]
    """The minors asked for that it excludes, ascending."""
    top_level: bool = True
    """Whether the pin is top-level (a transitive one narrows only the default range)."""

    def describe(self) -> str:
        """Return ``app==1.0 requires Python >=3.10: Python 3.8, 3.9 left out``."""
        minors = ", ".join(f"{a}.{b}" for a, b in self.pythons)
        return f"{self.pin} requires Python {self.requires_python}: Python {minors} left out"


def choose_targets(
    snapshot: Snapshot,
    pythons: Sequence[tuple[int, int]] | None = None,
    platforms: Iterable[str] | None = None,
) -> tuple[Target, ...]:
    """Return the targets: the wanted minors the installed ``Requires-Python`` allow.

    Minors asked for (``pythons``) are narrowed by the top-level pins only (a transitive
    pin gets an older version there, see :func:`~envsnap.portable.resolver.resolve_target`);
    none asked: every minor every locked distribution (tools left out) allows.
    ``platforms`` defaults to :data:`DEFAULT_PLATFORMS`.

    Raises:
        InputError: an unknown platform, or no minor fits every top-level distribution (every
            one, when none is asked for; the message names the narrowest ``Requires-Python``).
    """
    wanted = tuple(pythons) if pythons else KNOWN_PYTHONS
    dists = top_level_dists(snapshot) if pythons else _locked_dists(snapshot)
    kept, combined = python_versions_for((d.requires_python for d in dists), wanted)
    if not kept:
        scope = "top-level" if pythons else "installed"
        asked = ", ".join(f"{v[0]}.{v[1]}" for v in wanted)
        blockers = sorted(
            f"{d.name} {d.version} requires Python {d.requires_python}"
            for d in dists
            if d.requires_python is not None
            and not any(python_versions_for([d.requires_python], wanted)[0])
        )
        why = "; ".join(blockers[:3]) or f"together they require Python {combined}"
        raise InputError(
            f"no Python version among {asked} fits every {scope} package: {why}",
            hint=f"ask for versions the {scope} packages support with --python-version",
        )
    return make_targets(kept, platforms if platforms is not None else DEFAULT_PLATFORMS)


def narrowed_pythons(
    snapshot: Snapshot, pythons: Sequence[tuple[int, int]] | None = None
) -> tuple[Narrowed, ...]:
    """Return the pins that left minors out of the range of :func:`choose_targets`, by name.

    Minors asked for (``pythons``): one :class:`Narrowed` per top-level pin excluding some.
    None asked: one per transitive pin excluding minors every top-level pin allows.
    """
    tops = top_level_dists(snapshot)
    if pythons is None:
        top_names = {d.name for d in tops}
        wanted = python_versions_for((d.requires_python for d in tops), KNOWN_PYTHONS)[0]
        dists = [d for d in _locked_dists(snapshot) if d.name not in top_names]
    else:
        wanted, dists = tuple(pythons), tops
    found = []
    for dist in sorted(dists, key=lambda d: d.name):
        if dist.requires_python is None:
            continue
        kept = set(python_versions_for([dist.requires_python], wanted)[0])
        left_out = tuple(v for v in sorted(wanted) if v not in kept)
        if left_out:
            found.append(
                Narrowed(
                    pin=f"{dist.name}=={dist.version}",
                    requires_python=dist.requires_python,
                    pythons=left_out,
                    top_level=pythons is not None,
                )
            )
    return tuple(found)


def _locked_dists(snapshot: Snapshot) -> list[InstalledDistribution]:
    """Return the distributions a lock may pin (pip and the other tools left out)."""
    return [d for d in snapshot.distributions if d.name not in TOOLING]


def top_level_dists(snapshot: Snapshot) -> list[InstalledDistribution]:
    """Return the top-level distributions, the tools left out (the portable resolution's roots)."""
    return [
        d
        for d in snapshot.distributions
        if (reason := snapshot.reasons.get(d.name)) is not None
        and reason.top_level
        and d.name not in TOOLING
    ]

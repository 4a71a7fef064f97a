"""The Lock model: what a lock or requirements file promises.

Readers of every format produce this one model, so restore, check and diff
never look at a file format. A locked package and an installed distribution
say where they came from with the same :class:`Origin` (PEP 610).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from packaging.utils import NormalizedName, canonicalize_name

from envsnap._markers import entry_holds

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from pathlib import Path

    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

__all__ = ["Lock", "LockedFile", "LockedPackage", "Origin", "OriginKind"]


OriginKind = Literal["index", "archive", "vcs", "directory"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin:
    """The source of a distribution (PEP 610 ``direct_url.json`` semantics)."""

    kind: OriginKind = "index"
    """``index`` (by name, no ``direct_url.json``), ``archive``, ``vcs`` or ``directory``."""
    url: str | None = None
    """The direct URL (credentials stripped), for every kind but ``index``."""
    editable: bool = False
    """A ``directory`` installed in editable/develop mode."""
    vcs: str | None = None
    """The VCS (``git``, ``hg``, ...) of a ``vcs`` origin."""
    commit: str | None = None
    """The exact commit id of a ``vcs`` origin."""
    requested_revision: str | None = None
    """The branch/tag the user asked for, when recorded."""
    archive_hash: str | None = None
    """``algorithm=hexdigest`` of an ``archive`` origin, when recorded."""
    subdirectory: str | None = None
    """The project's subdirectory inside the URL's tree, when any."""

    @property
    def is_direct(self) -> bool:
        """Whether the distribution came from a direct URL rather than an index."""
        return self.kind != "index"

    def describe(self) -> str:
        """Return a short human description, e.g. ``git ...@abc123`` or ``index``."""
        match self.kind:
            case "index":
                return "index"
            case "vcs":
                return f"{self.vcs}+{self.url}@{self.commit}"
            case "directory":
                return f"{'editable ' if self.editable else ''}{self.url}"
            case "archive":
                return f"{self.url}" + (f" ({self.archive_hash})" if self.archive_hash else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedFile:
    """A file or directory a lock names for a package, as written, with where it is written."""

    key: Literal["url", "path"]
    """Whether the file gives a URL (``http(s):``, ``file:``) or a path (relative to the file)."""
    value: str
    """The URL or path as written."""
    where: str | None = None
    """``FILE:LINE`` where it is written, for messages; ``None`` when unknown."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedPackage:
    """One package a lock file promises."""

    name: NormalizedName
    """PEP 503 normalized name."""
    display_name: str
    """The name as the file spells it."""
    version: Version | None
    """The pinned version; ``None`` when the file does not pin one exactly."""
    specifier: SpecifierSet | None = None
    """The version specifier as written, for an unpinned requirement."""
    origin: Origin = Origin()
    """Index, or the direct URL / VCS / directory it comes from."""
    hashes: tuple[str, ...] = ()
    """Allowed file hashes as ``algorithm:hexdigest``, sorted."""
    marker: Marker | None = None
    """The environment marker under which the package applies (PEP 508)."""
    extras: tuple[NormalizedName, ...] = ()
    """Extras named on the requirement (``name[extra]``)."""
    top_level: bool = False
    """Whether the file lists it as top-level (envsnap files, ``[tool.envsnap]``)."""
    reason: str | None = None
    """The recorded classification (``requested``, ``via a, b``...), when any."""
    line: int | None = None
    """1-based line where the package is written (for annotations), in :attr:`file` if set."""
    file: Path | None = field(default=None, compare=False)
    """The file (included with ``-r``) the package is written in; ``None``: the lock file."""
    location: str | None = field(default=None, compare=False)
    """``FILE:LINE`` where the package is written (``-r`` files too), for messages, if known."""
    files: tuple[LockedFile, ...] = field(default=(), compare=False)
    """Every wheel, sdist, archive, directory, direct URL or ``-e`` path named for the package."""

    @property
    def pinned(self) -> bool:
        """Whether the package is pinned to one exact version or a direct origin."""
        return self.version is not None or self.origin.is_direct


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock:
    """Everything a lock or requirements file promises."""

    path: Path | None
    """The file read, when read from a file."""
    format: str
    """``requirements`` or ``pylock``."""
    packages: tuple[LockedPackage, ...]
    """The packages, sorted by normalized name."""
    python_version: str | None = None
    """The ``major.minor[.micro]`` the file was made for, when recorded."""
    requires_python: SpecifierSet | None = None
    """The Python range a portable file was made for (``>=3.10,<3.14``), when it records one."""
    written_by_envsnap: bool = False
    """Whether envsnap wrote the file (its header or ``created-by``)."""
    index_options: tuple[str, ...] = ()
    """pip options found in the file (``--index-url URL``, ``--find-links DIR``...)."""
    trusted_hosts: tuple[str, ...] = ()
    """Hosts the file's ``--trusted-host`` lines allow over plain http (pip's rule)."""
    included_options: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """``(FILE:LINE, "--index-url URL")`` for each of :attr:`index_options` an ``-r`` file sets."""
    pylock: Any = field(default=None, compare=False, repr=False)
    """A pylock file's validated :class:`packaging.pylock.Pylock`, so it is not read again."""
    expansions: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """``(FILE:LINE or FILE (at KEY), "${NAME}")`` for each :data:`~envsnap._text.EXPANSION`."""
    problems: tuple[str, ...] = field(default_factory=tuple)
    """Non-fatal findings of the reader (unpinned lines, ...), one line each."""
    complete: bool = False
    """Whether the file pins the whole dependency closure, so it installs with ``--no-deps``."""
    system_site_packages: tuple[str, ...] | None = None
    """The base packages (``name==version``) a venv with system site-packages relied on."""
    _by_name: dict[NormalizedName, tuple[LockedPackage, ...]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def entries(self, name: str) -> tuple[LockedPackage, ...]:
        """Return every entry called ``name`` (any spelling), in the Lock's order.

        A file may pin one name once per marker (``uv pip compile --universal``,
        uv's pylock.toml, ``envsnap freeze --portable``).
        """
        by_name = self._by_name
        if by_name is None:  # grouped once: a comparison asks for every name
            grouped: dict[NormalizedName, list[LockedPackage]] = {}
            for package in self.packages:
                grouped.setdefault(package.name, []).append(package)
            by_name = {key: tuple(value) for key, value in grouped.items()}
            object.__setattr__(self, "_by_name", by_name)  # a cache: the packages are fixed
        return by_name.get(canonicalize_name(name), ())

    def get(self, name: str, markers: Mapping[str, str] | None = None) -> LockedPackage | None:
        """Return the entry called ``name`` (any spelling) that applies, or ``None``.

        ``markers`` (an environment's PEP 508 values) keeps only an entry whose
        marker holds there; ``None``: any entry, right only for a Lock with one
        entry per name (or one narrowed with :meth:`for_environment`).

        Raises:
            ValueError: several entries apply (one per marker, asked without ``markers``).
        """
        found = self.entries(name)
        if markers is not None:
            extras, groups = self.selection()
            found = tuple(
                p for p in found if entry_holds(p.marker, markers, extras=extras, groups=groups)
            )
        if len(found) > 1:
            raise ValueError(
                f"{name}: {len(found)} entries in {self.path or self.format}, one per marker; "
                "narrow the Lock with for_environment(markers) first"
            )
        return found[0] if found else None

    def for_environment(
        self,
        markers: Mapping[str, str] | None,
        *,
        extras: Collection[str] = (),
        groups: Collection[str] | None = None,
        problems: list[str] | None = None,
    ) -> Lock:
        """Return a copy with at most one entry per name: those that apply to one environment.

        An entry applies when its marker holds (PEP 508; PEP 751 ``extras`` and
        ``dependency_groups`` too), as pip and uv choose the lines to install;
        one that cannot be evaluated applies. Of overlapping entries the first
        is kept (pip would refuse the file: "Double requirement given").

        Args:
            markers: the environment's marker variables; ``None``: ``self``, as it is.
            extras: the lock's extras being installed (pylock ``extras``).
            groups: the dependency groups installed; ``None``: ``default-groups`` (PEP 751).
            problems: if given, gets one line per unevaluable marker or overlap.
        """
        if markers is None:
            return self
        extras, groups = self.selection(extras, groups)
        kept: dict[NormalizedName, LockedPackage] = {}
        for package in self.packages:
            marker = package.marker
            if not entry_holds(marker, markers, extras=extras, groups=groups, problems=problems):
                continue
            first = kept.setdefault(package.name, package)
            if first is not package and problems is not None:
                problems.append(
                    f"{package.name}: several entries apply to this environment "
                    f"({first.marker or 'no marker'}; {marker or 'no marker'}): "
                    "the first is compared"
                )
        return replace(self, packages=tuple(p for p in self.packages if kept.get(p.name) is p))

    def selection(
        self, extras: Collection[str] = (), groups: Collection[str] | None = None
    ) -> tuple[frozenset[str], frozenset[str]]:
        """Return PEP 751 ``(extras, dependency_groups)`` to evaluate entry markers with.

        ``*`` in ``extras`` or ``groups`` means every one the lock lists;
        ``groups=None``: a pylock file's ``default-groups`` (none for requirements).
        """
        listed_extras = getattr(self.pylock, "extras", None) or ()
        listed_groups = getattr(self.pylock, "dependency_groups", None) or ()
        if groups is None:
            groups = getattr(self.pylock, "default_groups", None) or ()
        chosen_extras = {str(x) for x in (listed_extras if "*" in extras else extras)}
        chosen_groups = {str(x) for x in (listed_groups if "*" in groups else groups)}
        return frozenset(chosen_extras), frozenset(chosen_groups)

    @property
    def top_level(self) -> tuple[LockedPackage, ...]:
        """The packages recorded as top-level."""
        return tuple(p for p in self.packages if p.top_level)

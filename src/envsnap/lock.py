"""The Lock model: what a lock or requirements file promises.

Readers of every format (``requirements.txt`` through pip-api or envsnap's
strict reader, ``pylock.toml`` through ``packaging.pylock``) produce this one
model, so restore, check and diff never look at a file format.

A locked package and an installed distribution say where they came from with
the same :class:`Origin` (an index, or a direct URL: PEP 610), so drift
between the two is a plain comparison.
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
    """The source of a distribution (PEP 610 ``direct_url.json`` semantics).

    ``index`` means "installed by name from an index" (no ``direct_url.json``);
    the other kinds carry the URL (credentials already stripped).
    """

    kind: OriginKind = "index"
    """``index``, ``archive`` (a wheel/sdist URL or path), ``vcs`` or ``directory``."""
    url: str | None = None
    """The direct URL, for every kind but ``index``."""
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
    """1-based line where the package is written (for annotations): in :attr:`file`
    when set, else in the lock file itself."""
    file: Path | None = field(default=None, compare=False)
    """The file the package is written in when it is not the lock file itself
    (a requirements file included with ``-r``), so that a report lands on it;
    ``None``: the lock file."""
    location: str | None = field(default=None, compare=False)
    """``FILE:LINE`` where the package is written, an included (``-r``) file's
    too, for messages (not part of equality: the readers differ); ``None`` when unknown."""
    files: tuple[LockedFile, ...] = field(default=(), compare=False)
    """Every file, archive or directory the lock names for the package (a PEP 751
    package's wheels, sdist, archive or directory; a requirements line's direct
    URL or ``-e`` path), so restore checks trust and local paths from the model."""

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
    """The Python range a portable file was made for (``>=3.10,<3.14``), when it
    records a range rather than one version: restore picks the newest Python in it."""
    written_by_envsnap: bool = False
    """Whether envsnap wrote the file (its header or ``created-by``)."""
    index_options: tuple[str, ...] = ()
    """pip options found in the file (``--index-url URL``, ``--find-links DIR``...)."""
    trusted_hosts: tuple[str, ...] = ()
    """Hosts the file's ``--trusted-host`` lines allow over plain http (pip's rule)."""
    included_options: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """``(FILE:LINE, "--index-url URL")`` for each of :attr:`index_options` that a file
    this one includes (``-r``) sets: pip and uv use it as if the file said it, and
    restore says so (a plan's notes)."""
    pylock: Any = field(default=None, compare=False, repr=False)
    """The validated PEP 751 document (:class:`packaging.pylock.Pylock`) of a pylock
    file, kept so the built-in backend selects its files (PEP 751's installation
    steps, extras, dependency groups) without reading the file again; else ``None``."""
    expansions: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """``(where, "${NAME}")`` for each ``${NAME}`` the file (or one it includes)
    writes, which pip and uv would replace with an environment variable's value;
    ``where`` is ``FILE:LINE``, or ``FILE (at KEY)`` in a pylock file. Restore
    refuses such a file: the value would go to the host the URL names
    (:data:`envsnap._text.EXPANSION`)."""
    problems: tuple[str, ...] = field(default_factory=tuple)
    """Non-fatal findings of the reader (unpinned lines, ...), one line each."""
    complete: bool = False
    """Whether the file pins the whole dependency closure (an envsnap file with a
    ``# transitive`` section, a pylock file), so it installs with ``--no-deps``."""
    system_site_packages: tuple[str, ...] | None = None
    """For a venv frozen with ``include-system-site-packages``: the base packages
    it relied on (``name==version``, see ``base_packages``); ``None``: not such a venv."""
    _by_name: dict[NormalizedName, tuple[LockedPackage, ...]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def entries(self, name: str) -> tuple[LockedPackage, ...]:
        """Return every entry called ``name`` (any spelling), in the Lock's order.

        A file may pin one name several times, each under its own marker
        (``uv pip compile --universal``, ``uv export``, uv's pylock.toml,
        ``envsnap freeze --portable``): ``click==8.1.8 ; python_full_version <
        '3.10'`` and ``click==8.5.1 ; python_full_version >= '3.10'``.

        The entries are grouped by name once, on the first call: a comparison
        asks for every name (50,000 pins took minutes with a scan each).
        """
        if self._by_name is None:
            grouped: dict[NormalizedName, list[LockedPackage]] = {}
            for package in self.packages:
                grouped.setdefault(package.name, []).append(package)
            found = {key: tuple(value) for key, value in grouped.items()}
            object.__setattr__(self, "_by_name", found)  # a cache: the packages are fixed
            return found.get(canonicalize_name(name), ())
        return self._by_name.get(canonicalize_name(name), ())

    def get(self, name: str, markers: Mapping[str, str] | None = None) -> LockedPackage | None:
        """Return the entry called ``name`` (any spelling) that applies, or ``None``.

        Args:
            name: the package.
            markers: the PEP 508 marker values of an environment: only an entry
                whose marker holds there is returned (:meth:`for_environment`).
                ``None``: any entry, which is right only for a Lock that holds one
                entry per name (or one already narrowed with :meth:`for_environment`).

        Raises:
            ValueError: several entries apply (a file with one entry per marker,
                read without ``markers``): choosing the first would compare
                against a version that another Python or platform installs.
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
        """Return the Lock narrowed to the entries that apply to one environment.

        Every comparison (restore's verification, ``check``, ``diff`` against an
        environment) goes through this before it compares: an entry applies
        when its marker holds for the environment's marker values (PEP 508;
        for a pylock file also its ``extras`` and ``dependency_groups``, PEP
        751), as pip and uv decide which lines of a file to install. A marker
        that cannot be evaluated applies (and is named in ``problems``). A
        name whose entries overlap (two apply) keeps the first, and
        ``problems`` says so: pip would refuse such a file ("Double
        requirement given").

        Args:
            markers: the environment's marker variables (a probe's ``markers``);
                ``None``: no environment at hand, the Lock is returned as it is.
            extras: the lock's extras being installed (pylock ``extras``).
            groups: the dependency groups being installed; ``None``: the
                lock's ``default-groups`` (PEP 751).
            problems: if given, gets one line per unevaluable marker or overlap.

        Returns:
            A copy holding at most one entry per name.
        """
        if markers is None:
            return self
        chosen_extras, chosen_groups = self.selection(extras, groups)
        kept: dict[NormalizedName, LockedPackage] = {}
        for package in self.packages:
            if not entry_holds(
                package.marker,
                markers,
                extras=chosen_extras,
                groups=chosen_groups,
                problems=problems,
            ):
                continue
            first = kept.setdefault(package.name, package)
            if first is not package and problems is not None:
                problems.append(
                    f"{package.name}: several entries apply to this environment "
                    f"({first.marker or 'no marker'}; {package.marker or 'no marker'}): "
                    "the first is compared"
                )
        return replace(self, packages=tuple(p for p in self.packages if kept.get(p.name) is p))

    def selection(
        self, extras: Collection[str] = (), groups: Collection[str] | None = None
    ) -> tuple[frozenset[str], frozenset[str]]:
        """Return the PEP 751 ``extras`` and ``dependency_groups`` to evaluate entry markers with.

        Args:
            extras: the lock extras being installed; ``*``: every extra the lock
                lists (PEP 751 ``extras``).
            groups: the dependency groups being installed (``*``: every group
                the lock lists); ``None``: the lock's ``default-groups``
                (a pylock file's; none for requirements).

        Returns:
            ``(extras, groups)``, for :func:`envsnap._markers.entry_holds`.
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

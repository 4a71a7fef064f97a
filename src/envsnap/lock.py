"""The Lock model: what a lock or requirements file promises.

Readers of every format (``requirements.txt`` through pip-api or envsnap's
strict reader, ``pylock.toml`` through ``packaging.pylock``) produce this one
model, so restore, check and diff never look at a file format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from packaging.utils import NormalizedName, canonicalize_name

from envsnap.origin import Origin

if TYPE_CHECKING:
    import os
    from pathlib import Path

    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

__all__ = ["Lock", "LockedFile", "LockedPackage"]


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
    """1-based line of the file where the package is (for annotations)."""
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
    pip_reads_it: bool = False
    """Whether pip and uv read the file itself (``-r FILE``, a requirements file); else
    an installer run gets requirements rendered from this Lock."""
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

    def get(self, name: str) -> LockedPackage | None:
        """Return the package called ``name`` (any spelling), or ``None``."""
        wanted = canonicalize_name(name)
        for package in self.packages:
            if package.name == wanted:
                return package
        return None

    @property
    def top_level(self) -> tuple[LockedPackage, ...]:
        """The packages recorded as top-level."""
        return tuple(p for p in self.packages if p.top_level)

    def to_requirements(self) -> str:
        """Return the Lock as a pip requirements file, whatever format it was read from.

        The file's pip options (:attr:`index_options`) first, then one line per
        package with its hashes and marker
        (:func:`envsnap.lockfiles.requirements.write.requirements_text`, the text pip and
        uv get for a pylock file).
        """
        from envsnap.lockfiles.requirements.write import (  # noqa: PLC0415
            pip_line,
            requirements_text,
        )

        source = str(self.path or "the lock")
        options = "".join(f"{pip_line(line, source=source)}\n" for line in self.index_options)
        return options + requirements_text(self)

    def dump(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_requirements` to ``path`` atomically and return the path.

        Raises:
            InputError: ``path`` names a pylock or JSON file (a Lock is written
                as requirements; freeze the environment for those formats).
        """
        from pathlib import Path  # noqa: PLC0415

        from envsnap._io import atomic_write  # noqa: PLC0415
        from envsnap.errors import InputError  # noqa: PLC0415
        from envsnap.lockfiles import format_for_path  # noqa: PLC0415

        target = Path(path)
        if format_for_path(target) != "requirements":
            raise InputError(
                f"{target}: Lock.dump writes requirements files, not {format_for_path(target)}",
                hint="pass a path like requirements.txt, or use Snapshot.dump(path) "
                "on a snapshot of the environment",
            )
        atomic_write(target, self.to_requirements())
        return target

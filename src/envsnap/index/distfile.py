"""One file of a distribution: a wheel or sdist with its sha256 and where it lies.

Also :class:`ProjectFiles`, the files of one pinned version as a repository
lists them, so the sources in :mod:`envsnap.index` (simple index, wheelhouse)
and :mod:`envsnap.index.repository`, which chooses among them, import this
module and not each other.

The one type for "a file with a hash and a location", shared by the index
side (:mod:`envsnap.index`: what a repository offers, what is downloaded and
verified) and the install side (:mod:`envsnap.install`: what a backend
installs) without either importing the other. See docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime
    from pathlib import Path

    from packaging.utils import NormalizedName
    from packaging.version import Version

__all__ = ["DistFile", "ProjectFiles", "ordered"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DistFile:
    """One wheel or sdist of a pinned version.

    A repository's listing leaves ``name``/``version`` to the
    :class:`ProjectFiles` that holds it; a planned
    or downloaded file carries them for its messages.
    """

    filename: str
    """The file's name, e.g. ``idna-3.10-py3-none-any.whl``."""
    hashes: Mapping[str, str]
    """``{algorithm: hexdigest}``; holds ``sha256`` for every file envsnap
    fetches or installs (a lock file may record others beside it)."""
    name: NormalizedName | None = None
    """The distribution's normalized name, when known."""
    version: Version | None = None
    """Its version, when known (``None`` for a direct URL without one)."""
    url: str | None = None
    """Where it is served (``http(s):`` or ``file:``; credentials allowed, never shown)."""
    path: Path | None = None
    """Where it lies on disk (wins over ``url``)."""
    size: int | None = None
    """Size in bytes, when known (a longer download is refused)."""
    upload_time: datetime | None = None
    """Upload time (PEP 700), when the index gives it."""
    yanked: bool = False
    """Whether the index marks it yanked (PEP 592)."""

    @property
    def kind(self) -> Literal["wheel", "sdist"]:
        """``wheel`` or ``sdist``, from the file name."""
        return "wheel" if self.is_wheel else "sdist"

    @property
    def is_wheel(self) -> bool:
        """Whether the file is a wheel (else pip builds it)."""
        return self.filename.endswith(".whl")

    @property
    def sha256(self) -> str:
        """The sha256 hex digest, lower case (``KeyError`` when there is none)."""
        return self.hashes["sha256"].lower()

    @property
    def label(self) -> str:
        """``name==version`` for messages (the file name when the name is unknown)."""
        if self.name is None:
            return self.filename
        return f"{self.name}=={self.version}" if self.version else str(self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectFiles:
    """The files of one pinned version, as one source offers them."""

    name: NormalizedName
    """The PEP 503 normalized name."""
    version: Version
    """The pinned version."""
    files: tuple[DistFile, ...]
    """Wheels sorted by file name, then sdists."""
    index: str | None = None
    """The index URL they came from (credentials stripped); ``None`` for a wheelhouse."""

    @property
    def wheels(self) -> tuple[DistFile, ...]:
        """The wheels, sorted by file name."""
        return tuple(f for f in self.files if f.kind == "wheel")

    @property
    def sdist(self) -> DistFile | None:
        """The sdist (``.tar.gz`` preferred over ``.zip``), when any."""
        sdists = sorted(
            (f for f in self.files if f.kind == "sdist"),
            key=lambda f: (not f.filename.endswith(".tar.gz"), f.filename),
        )
        return sdists[0] if sdists else None


def ordered(files: Iterable[DistFile]) -> tuple[DistFile, ...]:
    """Return files with wheels first (by file name), then sdists: :attr:`ProjectFiles.files`."""
    return tuple(sorted(files, key=lambda f: (f.kind != "wheel", f.filename)))

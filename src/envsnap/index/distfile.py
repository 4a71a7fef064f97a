"""One file of a distribution (:class:`DistFile`) and one release (:class:`ProjectFiles`).

The one type for "a file with a hash and a location", shared by the index side (what a
repository offers, what is downloaded and verified), the portable resolver and the install
side (what a backend installs), none importing another. See docs/architecture.md.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime
    from pathlib import Path

    from packaging.tags import Tag
    from packaging.utils import NormalizedName
    from packaging.version import Version

__all__ = ["DistFile", "ProjectFiles", "ordered"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DistFile:
    """One wheel or sdist of a version: a link of an index page, a wheelhouse file, a lock's file.

    A repository's listing leaves ``name``/``version`` to its :class:`ProjectFiles`; a
    planned or downloaded file carries them for its messages.
    """

    filename: str
    """The file's name, e.g. ``idna-3.10-py3-none-any.whl``."""
    hashes: Mapping[str, str]
    """``{algorithm: hexdigest}``; holds ``sha256`` for every file envsnap fetches or installs."""
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
    core_metadata: Mapping[str, str] | None = None
    """PEP 658/714: ``None`` when no ``.metadata`` file is served beside it; else the
    ``{algorithm: hexdigest}`` given for it (empty when none can be read)."""

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
    """One release: the files of one version, as one source offers them."""

    name: NormalizedName
    """The PEP 503 normalized name."""
    version: Version
    """The pinned version."""
    files: tuple[DistFile, ...]
    """Wheels sorted by file name, then sdists (yanked ones included, marked)."""
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

    def file_for(self, tags: tuple[Tag, ...]) -> DistFile | None:
        """Return the file pip would pick on a target accepting ``tags`` (most preferred first).

        The wheel whose best tag comes first, else an sdist; never a yanked file (PEP 592: a
        resolver ignores them unless pinned with ``==``).
        """
        rank = _ranks(tags)
        best: tuple[int, DistFile] | None = None
        sdist = None
        for file in self.files:
            if file.yanked:
                continue
            if not file.is_wheel:
                sdist = sdist or file
                continue
            found = min((rank[t] for t in _wheel_tags(file.filename) if t in rank), default=None)
            if found is not None and (best is None or found < best[0]):
                best = (found, file)
        return best[1] if best is not None else sdist


@functools.lru_cache(maxsize=65536)
def _wheel_tags(filename: str) -> frozenset[Tag]:
    """Return a wheel file name's tags (empty for a name that is not a valid wheel's)."""
    try:
        return parse_wheel_filename(filename)[3]
    except (InvalidWheelFilename, InvalidVersion):
        return frozenset()


@functools.lru_cache(maxsize=64)
def _ranks(tags: tuple[Tag, ...]) -> dict[Tag, int]:
    return {tag: index for index, tag in enumerate(tags)}


def ordered(files: Iterable[DistFile]) -> tuple[DistFile, ...]:
    """Return files with wheels first (by file name), then sdists: :attr:`ProjectFiles.files`."""
    return tuple(sorted(files, key=lambda f: (f.kind != "wheel", f.filename)))

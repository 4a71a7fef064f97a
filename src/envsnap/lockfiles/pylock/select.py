"""Choose, from a read pylock.toml, the one file of each package to install in a venv.

PEP 751: the first wheel whose tags the venv supports (in the venv's tag
order), else the sdist; a package whose marker does not hold is left out.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from envsnap.distfile import DistFile
from envsnap.errors import InputError, LockFileError
from envsnap.lockfiles.pylock.read import location_url

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from packaging.tags import Tag
    from packaging.utils import NormalizedName

    from envsnap.lock import Lock


__all__ = ["Selection", "select_files"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """What to install for one package of a lock, for one environment."""

    name: NormalizedName
    """The package's normalized name."""
    kind: Literal["wheel", "sdist", "archive", "vcs", "directory"]
    """The PEP 751 entry chosen."""
    file: DistFile | None = None
    """For ``wheel``, ``sdist`` and ``archive``: the file, its hashes (to verify
    before installing) and its ``url`` (lock-relative paths resolved to ``file:``)."""
    subdirectory: str | None = None
    """The project's subdirectory inside an archive, repository or directory."""


def select_files(
    lock: Lock,
    markers: Mapping[str, str],
    tags: Sequence[Tag],
    *,
    extras: Sequence[str] = (),
    groups: Sequence[str] | None = None,
) -> list[Selection]:
    """Select what to install from a pylock file for one environment (PEP 751).

    Follows the PEP's installation steps through ``Pylock.select``: the
    file's ``requires-python`` and ``environments`` must match, package
    markers are evaluated with ``extras`` and ``dependency_groups``, and for
    each package the best wheel for ``tags`` is taken, else the sdist.

    Args:
        lock: a pylock file read by :func:`envsnap.lockfiles.pylock.read.load`
            (its ``pylock`` document; the file is not read again).
        markers: the PEP 508 marker environment of the interpreter that will
            install (e.g. :attr:`envsnap.environment.target.TargetEnvironment.markers`).
        tags: its supported tags, most preferred first.
        extras: extras of the lock to install.
        groups: dependency groups to install (``None``: the lock's defaults).

    Returns:
        One :class:`Selection` per package, sorted by name.

    Raises:
        LockFileError: the Lock was not read from a pylock file.
        InputError: the lock does not apply to this environment (Python
            version, environments, no wheel for these tags and no sdist).
    """
    from packaging.pylock import (  # noqa: PLC0415
        PackageArchive,
        PackageDirectory,
        PackageSdist,
        PackageVcs,
        PackageWheel,
        PylockSelectError,
    )

    pylock = lock.pylock
    if pylock is None or lock.path is None:
        raise LockFileError(
            f"{lock.path or 'the lock'}: not read from a pylock file: no files to select from",
            hint="restore it with installer=pip or uv",
        )
    lock_path = lock.path
    base = lock_path.parent.resolve()
    environment: Any = dict(markers)
    selected: list[Selection] = []
    try:
        for package, entry in pylock.select(
            environment=environment, tags=tags, extras=extras, dependency_groups=groups
        ):
            file: dict[str, Any] = {"name": package.name, "version": package.version}
            match entry:
                case PackageWheel() | PackageSdist():
                    url = location_url(entry.path, base) if entry.path else entry.url or ""
                    kind: Literal["wheel", "sdist"] = (
                        "wheel" if isinstance(entry, PackageWheel) else "sdist"
                    )
                    dist = DistFile(
                        **file,
                        filename=entry.filename,
                        hashes=dict(entry.hashes),
                        url=url,
                        size=entry.size,
                    )
                    selected.append(Selection(name=package.name, kind=kind, file=dist))
                case PackageArchive():
                    url = location_url(entry.path, base) if entry.path else entry.url or ""
                    dist = DistFile(
                        **file,
                        filename=urllib.parse.unquote(url.rsplit("/", 1)[-1]),
                        hashes=dict(entry.hashes),
                        url=url,
                        size=entry.size,
                    )
                    selected.append(
                        Selection(
                            name=package.name,
                            kind="archive",
                            file=dist,
                            subdirectory=entry.subdirectory,
                        )
                    )
                case PackageVcs():
                    selected.append(
                        Selection(name=package.name, kind="vcs", subdirectory=entry.subdirectory)
                    )
                case PackageDirectory():
                    selected.append(
                        Selection(
                            name=package.name, kind="directory", subdirectory=entry.subdirectory
                        )
                    )
    except PylockSelectError as exc:
        raise InputError(
            f"{lock_path}: does not apply to this environment: {exc}",
            hint="freeze the lock on a matching platform and Python, or use another lock file",
        ) from None
    return sorted(selected, key=lambda s: s.name)

"""Choose, from a read pylock.toml, the one file of each package to install in a venv.

PEP 751: the first wheel whose tags the venv supports (in the venv's tag
order), else the sdist; a package whose marker does not hold is left out.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envsnap.errors import InputError, LockFileError
from envsnap.lockfiles.pylock.read import location_url

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from packaging.tags import Tag
    from packaging.utils import NormalizedName
    from packaging.version import Version

    from envsnap.lock import Lock


__all__ = ["SelectedFile", "select_files"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectedFile:
    """What to install for one package of a lock, for one environment."""

    name: NormalizedName
    """The package's normalized name."""
    version: Version | None
    """The locked version (``None`` for a directory)."""
    kind: str
    """``wheel``, ``sdist``, ``archive``, ``vcs`` or ``directory``."""
    url: str
    """Where to get it: an ``http(s):`` or ``file:`` URL (lock-relative paths
    resolved), or for ``vcs`` the repository URL."""
    hashes: Mapping[str, str]
    """``{algorithm: hexdigest}`` to verify before installing (empty for vcs/directory)."""
    filename: str | None = None
    """The file name of a wheel/sdist/archive, when known."""
    size: int | None = None
    """Bytes, when recorded."""
    editable: bool = False
    """A ``directory`` to install in editable mode."""
    commit: str | None = None
    """The commit of a ``vcs`` entry."""
    subdirectory: str | None = None
    """The project's subdirectory inside an archive, repository or directory."""


def select_files(
    lock: Lock,
    markers: Mapping[str, str],
    tags: Sequence[Tag],
    *,
    extras: Sequence[str] = (),
    groups: Sequence[str] | None = None,
) -> list[SelectedFile]:
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
        One :class:`SelectedFile` per package, sorted by name.

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
            hint="restore it with --installer pip or uv",
        )
    lock_path = lock.path
    base = lock_path.parent.resolve()
    environment: Any = dict(markers)
    selected: list[SelectedFile] = []
    try:
        for package, entry in pylock.select(
            environment=environment, tags=tags, extras=extras, dependency_groups=groups
        ):
            common: dict[str, Any] = {"name": package.name, "version": package.version}
            match entry:
                case PackageWheel() | PackageSdist():
                    url = location_url(entry.path, base) if entry.path else entry.url or ""
                    selected.append(
                        SelectedFile(
                            **common,
                            kind="wheel" if isinstance(entry, PackageWheel) else "sdist",
                            url=url,
                            hashes=dict(entry.hashes),
                            filename=entry.filename,
                            size=entry.size,
                        )
                    )
                case PackageArchive():
                    url = location_url(entry.path, base) if entry.path else entry.url or ""
                    selected.append(
                        SelectedFile(
                            **common,
                            kind="archive",
                            url=url,
                            hashes=dict(entry.hashes),
                            filename=urllib.parse.unquote(url.rsplit("/", 1)[-1]) or None,
                            size=entry.size,
                            subdirectory=entry.subdirectory,
                        )
                    )
                case PackageVcs():
                    selected.append(
                        SelectedFile(
                            **common,
                            kind="vcs",
                            url=entry.url or location_url(entry.path or "", base),
                            hashes={},
                            commit=entry.commit_id,
                            subdirectory=entry.subdirectory,
                        )
                    )
                case PackageDirectory():
                    selected.append(
                        SelectedFile(
                            **common,
                            kind="directory",
                            url=location_url(entry.path, base),
                            hashes={},
                            editable=bool(entry.editable),
                            subdirectory=entry.subdirectory,
                        )
                    )
    except PylockSelectError as exc:
        raise InputError(
            f"{lock_path}: does not apply to this environment: {exc}",
            hint="freeze the lock on a matching platform and Python, or use another lock file",
        ) from None
    return sorted(selected, key=lambda s: s.name)

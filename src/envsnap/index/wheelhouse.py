"""A local directory of wheels and sdists as a repository (pip's ``--find-links DIR``).

Also the one way the index side reads a local distribution file (:func:`open_local`): a
regular file only, checked on the descriptor opened without blocking, so a FIFO or device
named like a wheel is refused at once (exit 2) instead of hanging freeze or filling memory.
"""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, BinaryIO

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from envsnap._io import NotRegularFileError, open_regular
from envsnap.errors import InputError, OperationError
from envsnap.index.distfile import DistFile, ProjectFiles, ordered
from envsnap.index.file_cache import hash_stream

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["Wheelhouse", "hash_local", "open_local", "parse_filename", "pin_filter"]

_SDIST_SUFFIXES = (".tar.gz", ".zip")


class Wheelhouse:
    """A local directory of wheels and sdists (pip's ``--find-links DIR``).

    Listed once (not recursively, as pip does); only the files of a version asked for are
    hashed. An entry named like a wheel or sdist that is not a regular file is refused when
    its version is asked for (exit 2).

    Raises:
        OperationError: the directory does not exist or cannot be listed.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            # not is_file(): a FIFO named like a wheel is refused by lookup, not skipped
            entries = sorted(p for p in directory.iterdir() if p.exists() and not p.is_dir())
        except OSError as exc:
            raise OperationError(
                f"{directory}: cannot read the wheelhouse: {exc.strerror or exc}",
                hint="--find-links takes a directory of wheels/sdists (pip download -d DIR ...)",
            ) from None
        self._files: dict[tuple[NormalizedName, Version], list[Path]] = {}
        for path in entries:
            key = parse_filename(path.name)
            if key is not None:
                self._files.setdefault(key, []).append(path)

    def describe(self) -> str:
        """Return ``the wheelhouse DIR``."""
        return f"the wheelhouse {self.directory}"

    def lookup(self, name: NormalizedName, version: Version) -> ProjectFiles | None:
        """Hash the files of ``name==version`` found in the directory.

        Raises:
            InputError: one is not a regular file.
            OperationError: one cannot be read.
        """
        paths = self._files.get((name, version))
        if not paths:
            return None
        files = []
        for path in paths:
            try:
                digest, size = hash_local(path, what=f"{name}=={version}")
            except OSError as exc:
                raise OperationError(
                    f"{name}=={version}: cannot read {path}: {exc.strerror or exc}"
                ) from None
            files.append(
                DistFile(
                    filename=path.name, hashes={"sha256": digest}, path=path.resolve(), size=size
                )
            )
        return ProjectFiles(name=name, version=version, files=ordered(files))


def open_local(path: Path, *, what: str) -> BinaryIO:
    """Open a local distribution file (wheelhouse, local index) for reading: regular files only.

    ``what`` names it in messages (``name==version``).

    Raises:
        InputError: ``path`` is a FIFO, a device, a socket or a directory
            (checked on the open descriptor, opened without blocking).
        OSError: it cannot be opened (missing, no permission).
    """
    try:
        return open_regular(path)
    except (NotRegularFileError, IsADirectoryError) as exc:
        why = exc.strerror if isinstance(exc, NotRegularFileError) else "a directory, not a file"
        raise InputError(
            f"{what}: {path}: {why}, so not read",
            hint="a wheelhouse or a local index holds regular files: remove or replace it",
        ) from None


def hash_local(path: Path, *, what: str) -> tuple[str, int]:
    """Return ``(sha256 hex digest, size in bytes)`` of a local distribution file.

    Raises:
        InputError: not a regular file (see :func:`open_local`).
        OSError: it cannot be read.
    """
    with open_local(path, what=what) as handle:
        return hash_stream(handle)


def pin_filter(name: NormalizedName, version: Version) -> Callable[[str], bool]:
    """Return a test of a file name: is it a wheel or an sdist of ``name==version``.

    The same answer as ``parse_filename(f) == (name, version)``, quicker on a page of thousands
    of files: the version part (a wheel's second ``-`` field, PEP 427; an sdist's text after
    its last ``-``, as ``packaging`` reads it) is compared first, each distinct text parsed once.
    """

    @functools.cache
    def same_version(text: str) -> bool:
        try:
            return Version(text) == version
        except InvalidVersion:
            return False

    def keep(filename: str) -> bool:
        if filename.endswith(".whl"):
            text = filename.split("-")[1] if filename.count("-") in {4, 5} else ""
        else:
            suffix = next((s for s in _SDIST_SUFFIXES if filename.endswith(s)), None)
            text = filename[: -len(suffix)].rpartition("-")[2] if suffix else ""
        return bool(text) and same_version(text) and parse_filename(filename) == (name, version)

    return keep


def parse_filename(filename: str) -> tuple[NormalizedName, Version] | None:
    """Return ``(name, version)`` of a wheel or sdist file name, else ``None``."""
    with contextlib.suppress(InvalidWheelFilename, InvalidSdistFilename):
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[:2]
        if filename.endswith(_SDIST_SUFFIXES):
            return parse_sdist_filename(filename)
    return None

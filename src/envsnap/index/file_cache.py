"""A content-addressed cache of verified distribution files, for what freeze downloads.

A file (one an index gives no hash for, or a wheel ``--portable`` reads metadata from) is
stored as ``files/sha256/<hh>/<hash>`` only after its hash was checked, by atomic rename of
a finished temporary file in the cache: a crash or a concurrent run never leaves half an
entry. The root is ``$ENVSNAP_CACHE_DIR``, else ``platformdirs.user_cache_dir("envsnap")``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from collections.abc import Iterator


__all__ = ["CACHE_ENV", "FileCache", "default_cache_dir", "hash_file", "hash_stream"]

CACHE_ENV = "ENVSNAP_CACHE_DIR"
"""The environment variable that overrides the cache root."""
_CHUNK = 1 << 20


def default_cache_dir() -> Path:
    """Return the cache root: ``$ENVSNAP_CACHE_DIR``, else the platform's user cache dir."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given).expanduser()
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_cache_dir("envsnap", appauthor=False))


def hash_file(path: Path) -> tuple[str, int]:
    """Return ``(sha256 hex digest, size in bytes)`` of a file."""
    with path.open("rb") as handle:
        return hash_stream(handle)


def hash_stream(stream: BinaryIO) -> tuple[str, int]:
    """Return ``(sha256 hex digest, size in bytes)`` of what ``stream`` holds from here."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class FileCache:
    """The cache at ``root`` (see :func:`default_cache_dir`; created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    @contextlib.contextmanager
    def temporary(cls) -> Iterator[FileCache]:
        """Yield a cache in a new temporary directory, removed afterwards (``--no-cache``)."""
        with tempfile.TemporaryDirectory(prefix="envsnap-cache-") as scratch:
            yield cls(Path(scratch))

    def file_path(self, sha256: str) -> Path:
        """Return where the file with this sha256 is (or would be) stored."""
        digest = sha256.lower()
        return self.root / "files" / "sha256" / digest[:2] / digest

    def get_file(self, sha256: str) -> Path | None:
        """Return the stored file with this sha256, or ``None``."""
        path = self.file_path(sha256)
        return path if path.is_file() else None

    def scratch_file(self) -> tuple[BinaryIO, Path]:
        """Return ``(open binary file, its path)`` in the cache, for :meth:`add_file` or deletion.

        The file lies on the same file system as the entries (so the move is a rename).
        """
        scratch = self.root / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=scratch, prefix="download-")
        return os.fdopen(fd, "wb"), Path(name)

    def add_file(self, temporary: Path, sha256: str) -> Path:
        """Move a file from :meth:`scratch_file` whose ``sha256`` was checked; return its entry."""
        final = self.file_path(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary.chmod(0o644)
        os.replace(temporary, final)
        return final

"""A content-addressed cache of verified distribution files, for what freeze downloads.

``freeze`` downloads a file when an index gives no hash for it, and
``--portable`` reads the metadata of wheels of other versions. Each file is
kept as ``files/sha256/<hh>/<hash>`` under the cache root, stored under the
sha256 of its bytes, so a file is only ever stored after its hash was
checked, and a hash finds it again without the network. Every entry appears
by an atomic ``rename`` of a finished temporary file inside the cache, so a
crash or a concurrent run never leaves a half-written entry under a final
name.

The root is ``$ENVSNAP_CACHE_DIR``, else the user cache directory of the
platform (``platformdirs.user_cache_dir("envsnap")``: ``$XDG_CACHE_HOME/envsnap``
or ``~/.cache/envsnap`` on Linux).
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
    try:
        import platformdirs  # noqa: PLC0415
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "envsnap"
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
    """The cache at ``root`` (created on first write).

    Args:
        root: the cache root (see :func:`default_cache_dir`).
    """

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
        """Open a new temporary file inside the cache (same file system as the entries).

        Returns:
            ``(open binary file, its path)``; pass the path to :meth:`add_file`
            or delete it.
        """
        scratch = self.root / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=scratch, prefix="download-")
        return os.fdopen(fd, "wb"), Path(name)

    def add_file(self, temporary: Path, sha256: str) -> Path:
        """Move a verified temporary file (from :meth:`scratch_file`) to its entry.

        Args:
            temporary: the file; its sha256 must already have been checked.
            sha256: its hash.

        Returns:
            The entry's path.
        """
        final = self.file_path(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary.chmod(0o644)
        os.replace(temporary, final)
        return final

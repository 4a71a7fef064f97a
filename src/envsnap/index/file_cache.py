"""A content-addressed cache of verified distribution files and unpacked wheels.

Layout under the cache root (uv keeps its wheels the same way):

- ``files/sha256/<hh>/<hash>``: a downloaded wheel or sdist, stored under the
  sha256 of its bytes, so a file is only ever stored after its hash was
  checked, and a lock file's hash finds it again without the network;
- ``unpacked/sha256/<hh>/<hash>/``: the same wheel unpacked (its members
  verified against its ``RECORD``), from which :mod:`envsnap.install.wheels` links the
  files into a venv instead of writing each file anew.

Every entry appears by an atomic ``rename`` of a finished temporary file or
directory inside the cache, so a crash or a concurrent run never leaves a
half-written entry under a final name.

The root is ``$ENVSNAP_CACHE_DIR``, else the user cache directory of the
platform (``platformdirs.user_cache_dir("envsnap")``: ``$XDG_CACHE_HOME/envsnap``
or ``~/.cache/envsnap`` on Linux).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

from envsnap.errors import OperationError

__all__ = ["CACHE_ENV", "FileCache", "cache_error", "default_cache_dir", "hash_file", "write_error"]

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


def write_error(what: str, error: OSError, *, hint: str | None = None) -> OperationError:
    """Describe a failed write: ``WHAT: no space left on device`` for ENOSPC/EDQUOT, else its cause.

    Args:
        what: what was being written (``"alpha-1.0-py3-none-any.whl: cannot unpack it into DIR"``).
        error: the ``OSError``.
        hint: what to do about a full disk (default: about the cache's disk).
    """
    if error.errno in {errno.ENOSPC, errno.EDQUOT}:
        return OperationError(
            f"{what}: no space left on device",
            hint=hint
            or f"free some space, or set {CACHE_ENV} to a larger disk (or use use_cache=False), "
            "then run again",
        )
    where = f" ({error.filename})" if error.filename else ""
    return OperationError(f"{what}: {error.strerror or error}{where}")


def cache_error(exc: OSError) -> OperationError:
    """Return the error for an ``OSError`` of the cache or the new venv during an install."""
    return OperationError(
        f"cannot use the cache or the venv: {exc}",
        hint=f"check the permissions of the cache directory ({CACHE_ENV}) or use use_cache=False",
    )


def hash_file(path: Path) -> tuple[str, int]:
    """Return ``(sha256 hex digest, size in bytes)`` of a file."""
    with path.open("rb") as handle:
        return hash_stream(handle)


def hash_stream(stream: BinaryIO) -> tuple[str, int]:
    """Return ``(sha256 hex digest, size in bytes)`` of what ``stream`` holds."""
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

    def unpacked_path(self, sha256: str) -> Path:
        """Return where the wheel with this sha256 is (or would be) unpacked."""
        digest = sha256.lower()
        return self.root / "unpacked" / "sha256" / digest[:2] / digest

    def get_file(self, sha256: str) -> Path | None:
        """Return the stored file with this sha256, or ``None``."""
        path = self.file_path(sha256)
        return path if path.is_file() else None

    def get_unpacked(self, sha256: str) -> Path | None:
        """Return the unpacked wheel with this sha256, or ``None``."""
        path = self.unpacked_path(sha256)
        return path if path.is_dir() else None

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

    def add_unpacked(self, sha256: str, fill: Callable[[Path], None]) -> Path:
        """Create the unpacked entry for a wheel, unless it exists.

        Args:
            sha256: the wheel's hash.
            fill: called with an empty temporary directory to unpack into; an
                exception leaves no entry behind.

        Returns:
            The entry's path.

        Raises:
            OperationError: the cache cannot be written (a full disk says so).
        """
        final = self.unpacked_path(sha256)
        if final.is_dir():
            return final
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{sha256[:12]}-"))
        except OSError as exc:
            raise write_error(f"cannot write to the cache at {self.root}", exc) from None
        try:
            fill(scratch)
            try:
                scratch.rename(final)
            except OSError as exc:
                if not final.is_dir():  # not a concurrent run that won the race
                    raise write_error(f"cannot write to the cache at {self.root}", exc) from None
        finally:
            if scratch.exists():
                shutil.rmtree(scratch, ignore_errors=True)
        return final

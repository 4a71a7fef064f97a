"""Atomic file writes: a reader sees the old file or the new one, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: str | bytes, *, encoding: str = "utf-8") -> None:
    r"""Write ``data`` to ``path`` atomically.

    The data goes to a temporary file in the same directory, is flushed and
    fsync'ed, then renamed over ``path`` with :func:`os.replace` (atomic on
    POSIX and Windows within one file system). Text is written with ``\\n``
    line endings.

    Args:
        path: the destination file; its directory must exist.
        data: text (encoded with ``encoding``) or bytes.
        encoding: the text encoding, UTF-8 by default.

    Raises:
        OSError: the directory is missing or not writable; the destination is
            left as it was and the temporary file removed.
    """
    raw = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            # keep the permission bits of the file we replace
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""Writing files: atomic replacement, and the rules for a user's output file.

:func:`atomic_write` replaces a file envsnap owns: a reader sees the old file
or the new one, never half. :func:`write_output` writes ``-o FILE``: atomically
when it is a regular file (a link is followed to one), directly into a device
or FIFO, never renaming a regular file over either.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from envsnap.errors import EnvsnapError, InputError, OperationError

__all__ = ["atomic_write", "write_output"]

_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})
"""Write errors that are about the file system, not about the name given (exit 3)."""


def atomic_write(path: Path, data: str | bytes, *, encoding: str = "utf-8") -> None:
    r"""Replace the file at ``path`` with ``data`` atomically.

    The data goes to a temporary file in the same directory, is flushed and
    fsync'ed, then renamed over ``path`` with :func:`os.replace` (atomic on
    POSIX and Windows within one file system): a reader sees the old file or
    the new one. Whatever ``path`` was is replaced, a link included (the
    link is never followed), so this is for files envsnap owns, such as a
    ``RECORD`` in a venv it builds; a user's output file goes through
    :func:`write_output`. The permission bits of a replaced file are kept, a
    new file gets ``0o666 & ~umask``. Text is written with ``\n`` line endings.

    Args:
        path: the destination file; its directory must exist.
        data: text (encoded with ``encoding``) or bytes.
        encoding: the text encoding, UTF-8 by default.

    Raises:
        OSError: the directory is missing or not writable, the path is a
            directory, or the disk is full; the destination is left as it was
            and the temporary file removed.
    """
    raw = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # keep the permission bits of the file we replace
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_output(path: Path, data: str) -> None:
    """Write a command's output file (``-o FILE``), as a user expects of it.

    - a new or regular file is replaced atomically (:func:`atomic_write`);
    - a symbolic link is followed to the file it names, and that file is
      replaced atomically; the link stays (a dangling link's target is made);
    - anything else that exists there (a character device such as
      ``/dev/null`` or ``/dev/full``, a FIFO) is opened and written directly,
      as a shell's ``>`` does: renaming over it would put a regular file in
      its place. A FIFO waits for its reader, as it does for the shell.

    Args:
        path: the ``-o/--output`` file (``-`` is the caller's to treat as stdout).
        data: the text to write (UTF-8).

    Raises:
        OperationError: the file system is full or failing (``ENOSPC``,
            ``EDQUOT``, ``EFBIG``, ``EIO``; exit 3); an existing regular file
            is left as it was.
        InputError: anything else about the path given: a missing directory,
            no permission, a directory (exit 2).
    """
    try:
        target = Path(os.path.realpath(path)) if path.is_symlink() else path
        try:
            mode: int | None = target.stat().st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            with target.open("wb") as handle:
                handle.write(data.encode("utf-8"))
        else:
            atomic_write(target, data)
    except OSError as exc:
        raise _write_error(path, exc) from None


def _write_error(path: Path, exc: OSError) -> EnvsnapError:
    message = f"{path}: cannot write: {exc.strerror or exc}"
    if exc.errno in _NO_ROOM:
        return OperationError(
            message, hint="make room on that file system and run again; a file there is unchanged"
        )
    return InputError(message)

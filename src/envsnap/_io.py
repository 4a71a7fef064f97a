"""Reading files we do not control with a bound; writing files atomically.

Files of a target environment or a user are read as regular files only,
checked without blocking (a FIFO named ``METADATA`` must not hang a freeze, a
link to ``/dev/zero`` must not fill memory), up to a ``*_LIMIT``. The TOML and
JSON loaders turn every way a hostile file breaks a parser (syntax, deep
nesting, ``MemoryError``) into one error; TOML is tomllib, or tomlkit on 3.10.
"""

from __future__ import annotations

import errno
import os
import queue
import stat
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

from envsnap.errors import InputError, OperationError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "LOCK_FILE_LIMIT",
    "METADATA_LIMIT",
    "RECORD_LIMIT",
    "RECORD_ROWS_LIMIT",
    "SMALL_FILE_LIMIT",
    "FileTooLargeError",
    "NotRegularFileError",
    "atomic_write",
    "load_json",
    "load_toml",
    "open_regular",
    "parse_toml",
    "read_limited",
    "read_toml",
    "run_parallel",
    "write_output",
]

METADATA_LIMIT = 64 << 20
"""Bytes of a ``METADATA``/``PKG-INFO`` header block or ``requires.txt`` (real: a few MB)."""
RECORD_LIMIT = 32 << 20
"""Bytes of a ``RECORD`` (the largest real ones are a few MB)."""
RECORD_ROWS_LIMIT = 200_000
"""Verifiable rows of a ``RECORD``: several times the largest real ones; under 200 MB."""
LOCK_FILE_LIMIT = 64 << 20
"""Bytes of a lock file, requirements file or ``pyproject.toml``."""
SMALL_FILE_LIMIT = 4 << 20
"""Bytes of a dist's ``direct_url.json``, ``INSTALLER``, ``*.pth``..., or a ``pyvenv.cfg``."""

_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


class NotRegularFileError(OSError):
    """A file to read is a device, FIFO or socket (``strerror`` says which)."""

    def __init__(self, path: Path, mode: int) -> None:
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        super().__init__(errno.EINVAL, f"not a regular file ({kind})", os.fspath(path))


class FileTooLargeError(OSError):
    """A file to read is over its limit (``strerror`` names the limit)."""

    def __init__(self, path: str | os.PathLike[str], limit: int) -> None:
        size = f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"
        super().__init__(errno.EFBIG, f"larger than the {size} limit", os.fspath(path))
        self.limit = limit
        """The limit, in bytes."""


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading in binary mode, refusing anything else at once.

    Raises:
        IsADirectoryError: ``path`` is a directory.
        NotRegularFileError: ``path`` is a device, FIFO or socket.
        OSError: it cannot be opened (missing, no permission, a link loop).
    """
    fd, _ = open_regular_fd(path)
    try:
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def open_regular_fd(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Open as :func:`open_regular` does (same errors); return ``(descriptor, st_size)``.

    For readers that call :func:`os.read` themselves (a buffered file object
    costs more than a small file's read). The caller closes the descriptor.
    """
    fd = os.open(path, _READ_FLAGS)
    try:
        info = os.fstat(fd)  # of the file opened, not of what the name means by now
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFileError(Path(path), info.st_mode)
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


# O_NONBLOCK: a FIFO does not wait for a writer (regular files ignore it)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def read_limited(path: str | os.PathLike[str], limit: int) -> bytes:
    """Return the bytes of a regular file of at most ``limit`` bytes (a ``*_LIMIT``).

    Raises:
        FileTooLargeError: it holds more (only ``limit + 1`` bytes are read).
        NotRegularFileError, IsADirectoryError, OSError: as :func:`open_regular`.
    """
    fd, size = open_regular_fd(path)
    parts: list[bytes] = []
    got = 0
    # The first read is sized by the file, not the limit (a 4-byte INSTALLER must
    # not allocate 4 MiB), plus one to see the end at once; a file that grows is
    # read on in doubling steps up to limit + 1: os.read allocates what it asks.
    ask = min(size, limit) + 1
    try:
        while ask > 0 and (more := os.read(fd, ask)):
            parts.append(more)
            got += len(more)
            ask = min(max(got, 8192), limit + 1 - got)
    finally:
        os.close(fd)
    if got > limit:
        raise FileTooLargeError(path, limit)
    return parts[0] if len(parts) == 1 else b"".join(parts)


# write errors about the file system, not the name given (exit 3)
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def atomic_write(
    path: Path, data: str | bytes, *, encoding: str = "utf-8", durable: bool = True
) -> None:
    r"""Replace the file at ``path`` (its directory must exist) with ``data`` atomically.

    A temporary file in the same directory, flushed and fsync'ed, is renamed
    over ``path`` (:func:`os.replace`): a reader sees the old file or the new
    one. A link at ``path`` is replaced, never followed, so this is for files
    envsnap owns; a user's output file goes through :func:`write_output`. A
    replaced file's permission bits are kept, a new file gets ``0o666 & ~umask``.
    Text is encoded with ``encoding`` and keeps its ``\n`` line endings.
    ``durable=False`` skips the fsync, for a venv a restore is still building:
    a crash throws it away, and sixty fsyncs cost more than its verification.

    Raises:
        OSError: the directory is missing or not writable, the path is a
            directory, or the disk is full; the destination is left as it was
            and the temporary file removed.
    """
    import tempfile  # noqa: PLC0415 - 5 ms (random, shutil); reading commands never write

    raw = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            if durable:
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
    """Write UTF-8 ``data`` to a command's ``-o FILE`` (``-`` is the caller's: stdout).

    A new or regular file is replaced atomically; a symbolic link is followed
    and its target (made if dangling) replaced, the link stays; anything else
    (``/dev/null``, ``/dev/full``, a FIFO, which waits for its reader) is
    written directly, as a shell's ``>`` does, never renamed over.

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
            target.write_bytes(data.encode("utf-8"))
        else:
            atomic_write(target, data)
    except OSError as exc:
        message = f"{path}: cannot write: {exc.strerror or exc}"
        if exc.errno in _NO_ROOM:
            raise OperationError(
                message,
                hint="make room on that file system and run again; a file there is unchanged",
            ) from None
        raise InputError(message) from None


_TOO_DEEP = "nested too deeply"
_TOO_LARGE = "too large to parse"


def parse_toml(text: str, path: Path, *, error: type[InputError] = InputError) -> dict[str, Any]:
    """Parse TOML text read from ``path`` into plain ``dict``/``list``/scalar values.

    Raises:
        InputError: ``error`` (e.g. :class:`~envsnap.errors.LockFileError`):
            ``PATH: invalid TOML: DETAIL``, as :func:`load_toml` fails (exit 2).
    """
    try:
        return load_toml(text)
    except ValueError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from None


def load_toml(text: str) -> dict[str, Any]:
    """Parse TOML text into plain values.

    Raises:
        ValueError: the parser's message, ``nested too deeply`` or ``too large to parse``.
    """
    try:
        if sys.version_info >= (3, 11):
            import tomllib  # noqa: PLC0415

            return tomllib.loads(text)
        import tomlkit  # noqa: PLC0415
        from tomlkit.exceptions import TOMLKitError  # noqa: PLC0415

        try:
            return tomlkit.parse(text).unwrap()
        except TOMLKitError as exc:
            raise ValueError(str(exc)) from None
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    except MemoryError:
        raise ValueError(_TOO_LARGE) from None


def read_toml(
    path: Path, *, error: type[InputError] = InputError, limit: int = LOCK_FILE_LIMIT
) -> tuple[str, dict[str, Any]]:
    """Read a regular TOML file of at most ``limit`` bytes; return ``(text, document)``.

    Raises:
        InputError: ``error``: ``PATH: cannot read: DETAIL`` (missing, not a
            regular file, over the limit, not UTF-8) or as :func:`parse_toml`.
    """
    try:
        text = read_limited(path, limit).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise error(f"{path}: cannot read: {detail or exc}") from None
    return text, parse_toml(text, path, error=error)


def load_json(data: str | bytes) -> Any:  # noqa: ANN401 - any JSON value
    """Parse JSON text with :func:`json.loads`.

    Raises:
        ValueError: :class:`json.JSONDecodeError`, ``nested too deeply``, ``too large to parse``.
    """
    import json  # noqa: PLC0415 - 3-5 ms, only when a JSON file is met

    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    except MemoryError:
        raise ValueError(_TOO_LARGE) from None


T = TypeVar("T")
R = TypeVar("R")
_POLL = 0.2


def run_parallel(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int,
) -> list[R | BaseException]:
    """Call ``function`` on every item on ``jobs`` daemon threads (at most one per item).

    Not a ``ThreadPoolExecutor``: it waits for its work when the caller is
    interrupted, so Ctrl-C during a slow download would hang; with daemon
    threads a restore rolls back at once, and work still running is dropped at exit.

    Returns:
        For each item, in order, its result or the :class:`Exception` it raised.

    Raises:
        BaseException: whatever interrupts the calling thread (``KeyboardInterrupt``);
            the remaining items are not started.
    """
    total = len(items)
    if total == 0:
        return []
    results: list[R | BaseException | None] = [None] * total
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(total):
        todo.put(index)
    done = threading.Semaphore(0)
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[index] = function(items[index])
            except Exception as exc:  # noqa: BLE001 - handed to the caller
                results[index] = exc
            done.release()

    for _ in range(max(1, min(jobs, total))):
        threading.Thread(target=worker, name="envsnap-worker", daemon=True).start()
    try:
        for _ in range(total):
            while not done.acquire(timeout=_POLL):  # wakes up to let Ctrl-C in
                pass
    finally:
        stop.set()
    return cast("list[R | BaseException]", results)

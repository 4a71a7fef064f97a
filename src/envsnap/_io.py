"""Reading files we do not control with a bound; writing files atomically.

:func:`read_limited` and :func:`open_regular` read files of a target
environment or a user (metadata, ``RECORD``, lock files): regular files only,
checked without blocking (a FIFO named ``METADATA`` must not hang a freeze, a
link to ``/dev/zero`` must not fill memory), and at most a stated number of
bytes. The limits are the ``*_LIMIT`` constants below.

:func:`atomic_write` replaces a file envsnap owns: a reader sees the old file
or the new one, never half. :func:`write_output` writes ``-o FILE``: atomically
when it is a regular file (a link is followed to one), directly into a device
or FIFO, never renaming a regular file over either.

The one TOML loader and the one JSON loader for such files
(:func:`read_toml`, :func:`parse_toml`, :func:`load_json`) turn every way a
hostile file can make a parser fail into one error about that file: a syntax
error, nesting deep enough to exhaust the interpreter's stack
(``RecursionError``: ``a = [[[[...`` a hundred thousand deep), or a document
too large for memory (``MemoryError``). TOML is parsed with :mod:`tomllib`
(3.11+) or, on 3.10, with tomlkit (which envsnap needs anyway to write
``pylock.toml``).

:func:`run_parallel` runs I/O-bound work (reads, downloads) on a few daemon
threads. ``concurrent.futures.ThreadPoolExecutor`` waits for its running and
queued work when the caller is interrupted, so Ctrl-C during a slow download
would hang until the download ends; daemon threads let an interrupted
restore roll back at once, and work still running is dropped at exit.
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

from envsnap.errors import EnvsnapError, InputError, OperationError

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
"""Bytes read of a core-metadata header block (``METADATA``, ``PKG-INFO``) or a
``requires.txt``: far over any real one (the largest descriptions are a few MB)."""

RECORD_LIMIT = 32 << 20
"""Bytes of a ``RECORD`` (the largest real ones are a few MB)."""

RECORD_ROWS_LIMIT = 200_000
"""Verifiable rows of a ``RECORD``: several times the file count of the largest
distributions; at about 800 bytes a row while checking, under 200 MB."""

LOCK_FILE_LIMIT = 64 << 20
"""Bytes of a lock file, requirements file or ``pyproject.toml``."""

SMALL_FILE_LIMIT = 4 << 20
"""Bytes of the small files of a distribution: ``direct_url.json``,
``INSTALLER``, ``*.egg-link``, ``*.pth``, setuptools' editable finder, and
``pyvenv.cfg``."""

_KINDS = {
    stat.S_IFDIR: "a directory",
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
        super().__init__(errno.EFBIG, f"larger than the {_size(limit)} limit", os.fspath(path))
        self.limit = limit
        """The limit, in bytes."""


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading in binary mode, refusing anything else at once.

    The file is opened with ``O_NONBLOCK`` (so a FIFO does not wait for a
    writer) and checked with :func:`os.fstat` on the open descriptor (so it
    is the file read that is checked); ``O_NONBLOCK`` has no effect on
    regular files.

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
    """Open a regular file as :func:`open_regular` does; return ``(descriptor, size)``.

    For readers that call :func:`os.read` themselves (no buffered file
    object: it costs more than the read of a small file). The caller closes
    the descriptor. ``size`` is ``st_size`` when it was opened.

    Raises:
        IsADirectoryError, NotRegularFileError, OSError: as :func:`open_regular`.
    """
    fd = os.open(path, _READ_FLAGS)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFileError(Path(path), info.st_mode)
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def read_limited(path: str | os.PathLike[str], limit: int) -> bytes:
    """Return the bytes of a regular file of at most ``limit`` bytes.

    The buffer is sized by the file (``st_size``), not by ``limit``: a read of
    a 4-byte ``INSTALLER`` must not allocate the 4 MiB it may hold (that cost
    about 20 us a file). A file that grows meanwhile is read on, up to the limit.

    Args:
        path: the file.
        limit: the most bytes it may hold (one of the ``*_LIMIT`` constants).

    Raises:
        FileTooLargeError: it holds more (only ``limit + 1`` bytes are read).
        NotRegularFileError, IsADirectoryError, OSError: as :func:`open_regular`.
    """
    fd, size = open_regular_fd(path)
    try:
        data = read_fd(fd, limit + 1, first=min(size, limit) + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise FileTooLargeError(path, limit)
    return data


def read_fd(fd: int, most: int, *, first: int) -> bytes:
    """Read from ``fd`` until its end, or until ``most`` bytes are read.

    ``first`` is the size of the first read (the expected size plus one, so
    that the end is seen at once). Later reads double what was read so far,
    up to what is left of ``most``: each :func:`os.read` allocates what it
    asks for, so asking for ``most`` at once would cost its size every time.
    """
    parts: list[bytes] = []
    got = 0
    ask = min(first, most)
    while ask > 0 and (more := os.read(fd, ask)):
        parts.append(more)
        got += len(more)
        ask = min(max(got, 8192), most - got)
    return parts[0] if len(parts) == 1 else b"".join(parts)


_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})
"""Write errors that are about the file system, not about the name given (exit 3)."""


def atomic_write(
    path: Path, data: str | bytes, *, encoding: str = "utf-8", durable: bool = True
) -> None:
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
        durable: fsync the data before the rename. Off for the files of a
            venv a restore is still building: a crash throws that venv away,
            and sixty fsyncs cost more than the rest of its verification.

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


_TOO_DEEP = "nested too deeply"
_TOO_LARGE = "too large to parse"


def parse_toml(text: str, path: Path, *, error: type[InputError] = InputError) -> dict[str, Any]:
    """Parse TOML text read from ``path``.

    Args:
        text: the document.
        path: the file it came from (for the message).
        error: the :class:`~envsnap.errors.InputError` subclass to raise,
            e.g. :class:`~envsnap.errors.LockFileError` for a lock file.

    Returns:
        The document as plain ``dict``/``list``/scalar values.

    Raises:
        InputError: (``error``) ``PATH: invalid TOML: DETAIL``, for a syntax
            error, nesting too deep for the parser, or a document too large
            for memory (exit 2).
    """
    try:
        return load_toml(text)
    except ValueError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from None


def load_toml(text: str) -> dict[str, Any]:
    """Parse TOML text into plain values.

    Raises:
        ValueError: not valid TOML (the parser's message), ``nested too
            deeply``, or ``too large to parse``.
    """
    try:
        if sys.version_info >= (3, 11):
            import tomllib  # noqa: PLC0415

            return tomllib.loads(text)
        import tomlkit  # noqa: PLC0415
        from tomlkit.exceptions import TOMLKitError  # noqa: PLC0415

        try:
            unwrapped: dict[str, Any] = tomlkit.parse(text).unwrap()
        except TOMLKitError as exc:
            raise ValueError(str(exc)) from None
        return unwrapped
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    except MemoryError:
        raise ValueError(_TOO_LARGE) from None


def read_toml(
    path: Path, *, error: type[InputError] = InputError, limit: int = LOCK_FILE_LIMIT
) -> tuple[str, dict[str, Any]]:
    """Read a TOML file of at most ``limit`` bytes (a regular file) and parse it.

    Args:
        path: the file (``pyproject.toml``, ``pylock.toml``).
        error: the :class:`~envsnap.errors.InputError` subclass to raise.
        limit: the most bytes it may hold (default :data:`~envsnap._io.LOCK_FILE_LIMIT`).

    Returns:
        ``(text, document)``.

    Raises:
        InputError: (``error``) ``PATH: cannot read: DETAIL`` (missing, not a
            regular file, over the limit, not UTF-8) or ``PATH: invalid TOML:
            DETAIL`` (see :func:`parse_toml`).
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
        ValueError: not valid JSON (:class:`json.JSONDecodeError`), ``nested
            too deeply``, or ``too large to parse``.
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
    """Call ``function`` on every item, ``jobs`` at a time; keep the input order.

    Args:
        function: the work for one item.
        items: the items.
        jobs: how many threads (at most one per item).

    Returns:
        For each item, its result or the :class:`Exception` it raised.

    Raises:
        BaseException: whatever interrupts the calling thread (``KeyboardInterrupt``);
            the remaining items are not started.
    """
    total = len(items)
    results: list[R | BaseException | None] = [None] * total
    if total == 0:
        return []
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(total):
        todo.put(index)
    finished: queue.SimpleQueue[int] = queue.SimpleQueue()
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
            finished.put(index)

    for _ in range(max(1, min(jobs, total))):
        threading.Thread(target=worker, name="envsnap-worker", daemon=True).start()
    count = 0
    try:
        while count < total:
            try:
                finished.get(timeout=_POLL)
            except queue.Empty:
                continue
            count += 1
    finally:
        stop.set()
    return cast("list[R | BaseException]", results)

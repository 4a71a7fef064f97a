"""The bundle format: a ``pylock.toml`` and the files it names by relative path.

A bundle is a directory, or a ``.zip`` file, holding at its top a PEP 751
``pylock.toml`` whose every wheel, sdist and archive has a ``path`` relative
to the bundle (``files/NAME``) and a ``sha256``: pip (26.1+) and uv install it
as any lock with local paths. A kept ``url`` is the installed file's provenance.
Every package must come from a file of the bundle (else exit 2). Files are
checked streaming, from a directory in place or from zip members.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO

from envsnap._text import counted
from envsnap.errors import InputError

if TYPE_CHECKING:
    import zipfile
    from collections.abc import Iterator, Sequence

    from packaging.pylock import Package, Pylock
    from packaging.utils import NormalizedName
    from packaging.version import Version

    from envsnap.lock import Lock

__all__ = [
    "FILES_DIR",
    "LOCK_NAME",
    "SDIST_NOTE",
    "BundleSource",
    "Member",
    "checked",
    "is_bundle",
    "lock_file",
    "member_path",
    "pylock_entries",
    "read_members",
    "verify",
]

LOCK_NAME = "pylock.toml"
"""The lock at the top of every bundle."""
FILES_DIR = "files"
"""Where a bundle keeps its wheels, sdists and archives."""
CHUNK = 1 << 20
"""Bytes read at a time while hashing or copying a file."""
SHOWN = 10
"""How many damaged files an error names."""
SDIST_NOTE = (
    "is an sdist: a restore builds it, and offline that needs its build requirements in uv's cache"
)
"""What a note says of an sdist in a bundle, after its name."""


def is_bundle(path: Path) -> bool:
    """Return whether ``restore`` and ``check`` take ``path`` as a bundle: a directory or .zip."""
    return path.is_dir() or path.suffix.lower() == ".zip"


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """One file of a bundle, as its lock promises it."""

    path: str
    """Its path inside the bundle, POSIX, relative (``files/idna-3.10-py3-none-any.whl``)."""
    name: NormalizedName
    """The package it belongs to."""
    version: Version | None
    """That package's version (``None`` for an archive without one)."""
    algorithm: str
    """The hash algorithm checked (``sha256`` when the lock gives it)."""
    digest: str
    """The hex digest the lock gives, lower case."""
    size: int | None
    """The size the lock gives, in bytes, when it gives one."""


def member_path(value: str, *, where: str) -> str:
    """Return a lock's ``path`` (written at ``where``) as a normalized POSIX member name.

    Raises:
        InputError: an absolute path, a drive, a backslash, ``..`` or an empty part.
    """
    pure = PurePosixPath(value)
    if (
        not value
        or "\\" in value
        or pure.is_absolute()
        or ":" in (pure.parts[0] if pure.parts else "")
        or any(part in {"..", "."} for part in pure.parts)
    ):
        raise InputError(
            f"{where}: path {value!r} leaves the bundle; refused, nothing was built",
            hint="a bundle's files are named relative to its pylock.toml (files/NAME); "
            "make the bundle again with envsnap bundle",
        )
    return pure.as_posix()


def read_members(pylock: Pylock, lock_file: str) -> list[Member]:
    """Return one :class:`Member` per file a bundle's lock names, in order, each path once.

    ``lock_file`` is how messages name the lock (``web.zip/pylock.toml``).

    Raises:
        InputError: a package from a VCS or a directory, a file with a URL
            only or no hash, or a path that leaves the bundle (exit 2).
    """
    found: dict[str, Member] = {}
    for number, package in enumerate(pylock.packages):
        where = f"{lock_file} (at packages[{number}])"
        if package.vcs is not None or package.directory is not None:
            raise _not_a_bundle(where, f"{package.name} comes from a VCS or a directory")
        for key, entry in pylock_entries(package):
            place = f"{lock_file} (at packages[{number}].{key})"
            path = getattr(entry, "path", None)
            if not isinstance(path, str):
                raise _not_a_bundle(place, f"{package.name}'s file has a URL and no path")
            name = member_path(path, where=place)
            algorithm, digest = _chosen_hash(getattr(entry, "hashes", {}) or {}, place)
            size = getattr(entry, "size", None)
            found.setdefault(
                name,
                Member(
                    path=name,
                    name=package.name,
                    version=package.version,
                    algorithm=algorithm,
                    digest=digest.lower(),
                    size=size if isinstance(size, int) else None,
                ),
            )
    return list(found.values())


def pylock_entries(package: Package) -> list[tuple[str, Any]]:
    """Return ``(key, entry)`` for each file of a pylock package (``wheels[0]``, ``sdist``...)."""
    entries: list[tuple[str, Any]] = [
        (f"wheels[{i}]", w) for i, w in enumerate(package.wheels or ())
    ]
    entries += [("sdist", package.sdist), ("archive", package.archive)]
    return [(key, entry) for key, entry in entries if entry is not None]


def _chosen_hash(hashes: object, where: str) -> tuple[str, str]:
    """Return ``(algorithm, digest)``: sha256 when given, else one hashlib knows."""
    import hashlib  # noqa: PLC0415 - is_bundle() needs none of this module's imports

    if isinstance(hashes, dict):
        if "sha256" in hashes:
            return "sha256", str(hashes["sha256"])
        for algorithm in sorted(hashes):
            if algorithm in hashlib.algorithms_guaranteed:
                return algorithm, str(hashes[algorithm])
    raise _not_a_bundle(where, "the file has no hash envsnap can check")


def _not_a_bundle(where: str, why: str) -> InputError:
    return InputError(
        f"{where}: {why}: not a bundle; refused, nothing was built",
        hint="a bundle holds every package as a file named by a relative path, with its hash "
        "(envsnap bundle LOCK -o DIR|FILE.zip makes one)",
    )


class BundleSource:
    """Read a bundle's files: a directory in place, or the members of a zip file.

    Raises:
        InputError: ``path`` is not a directory nor a readable zip file.
    """

    def __init__(self, path: Path) -> None:
        import zipfile  # noqa: PLC0415

        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self.is_directory = path.is_dir()
        """Whether the bundle is a directory (else a zip file)."""
        if self.is_directory:
            return
        try:
            self._zip = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise InputError(
                f"{path}: no such bundle",
                hint="name a directory or .zip file made by envsnap bundle",
            ) from None
        except (OSError, zipfile.BadZipFile) as exc:
            raise InputError(
                f"{path}: not a readable zip file ({getattr(exc, 'strerror', None) or exc})",
                hint="a bundle is a directory or a .zip file made by envsnap bundle",
            ) from None

    def close(self) -> None:
        """Close the zip file, if one is open."""
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> BundleSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def open(self, member: str) -> BinaryIO:
        """Open a member for reading (a regular file only, for a directory).

        Raises:
            FileNotFoundError: the bundle has no such member.
            OSError: it cannot be read (a FIFO or device in a directory).
        """
        if self._zip is None:
            from envsnap._io import open_regular  # noqa: PLC0415

            return open_regular(self.path / member)
        try:
            return self._zip.open(member)  # type: ignore[return-value]
        except KeyError:
            raise FileNotFoundError(member) from None


def verify(
    bundle: Path,
    source: BundleSource,
    members: Sequence[Member],
    *,
    unpack_to: Path | None = None,
) -> int:
    """Check every member against its hash, streaming it; return their total size in bytes.

    Each member is read once, never held in memory (a zip member's CRC is checked
    too) and copied to ``unpack_to`` when given; all are checked first, so the
    error names every damaged one (``bundle`` names the bundle).

    Raises:
        InputError: a member is missing, unreadable, longer than the lock
            says, or its hash is not the lock's (exit 2).
    """
    damaged: list[str] = []
    total = 0
    for member in members:
        problem, size = _check_one(source, member, unpack_to)
        total += size
        if problem:
            damaged.append(f"{member.path}: {problem}")
    if damaged:
        shown = "; ".join(damaged[:SHOWN])
        more = f" (and {len(damaged) - SHOWN} more)" if len(damaged) > SHOWN else ""
        raise InputError(
            f"{bundle}: {len(damaged)} of {counted(len(members), 'file')} "
            f"{'does' if len(damaged) == 1 else 'do'} not match its lock: "
            f"{shown}{more}; refused, nothing was built",
            hint="the bundle was changed or damaged after it was made: make it again with "
            "envsnap bundle (every file is checked against the lock as it is added)",
        )
    return total


def _check_one(
    source: BundleSource, member: Member, unpack_to: Path | None
) -> tuple[str | None, int]:
    """Return ``(problem or None, bytes read)`` for one member."""
    import hashlib  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    digest = hashlib.new(member.algorithm)
    size = 0
    try:
        with source.open(member.path) as handle, _target(unpack_to, member.path) as out:
            while chunk := handle.read(CHUNK):
                size += len(chunk)
                if member.size is not None and size > member.size:
                    return f"longer than the {member.size} bytes the lock says", size
                digest.update(chunk)
                if out is not None:
                    out.write(chunk)
    except FileNotFoundError:
        return "not in the bundle", 0
    except zipfile.BadZipFile as exc:  # a changed byte: the zip's CRC-32 no longer matches
        return f"damaged ({exc})", size
    except (OSError, EOFError) as exc:
        return f"cannot be read ({getattr(exc, 'strerror', None) or exc})", size
    found = digest.hexdigest()
    if found != member.digest:
        return f"{member.algorithm} {found}, the lock says {member.digest}", size
    return None, size


def _target(root: Path | None, member: str) -> contextlib.AbstractContextManager[BinaryIO | None]:
    """Open ``root / member`` for writing (parents made), or a stand-in for no copy."""
    if root is None:
        return contextlib.nullcontext()
    path = root / member
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "xb")  # noqa: PTH123 - closed by the caller's with


def lock_file(source: BundleSource, scratch: Path) -> Path:
    """Return the bundle's ``pylock.toml``: in place, or copied into ``scratch`` from a zip.

    A zip's copy is at most :data:`envsnap._io.LOCK_FILE_LIMIT` bytes.

    Raises:
        InputError: there is none, it cannot be read, or it is too large.
    """
    import zipfile  # noqa: PLC0415

    from envsnap._io import LOCK_FILE_LIMIT  # noqa: PLC0415

    if source.is_directory:
        found = source.path / LOCK_NAME
        if not found.is_file():
            raise _no_lock(source.path)
        return found
    try:
        with source.open(LOCK_NAME) as handle:
            data = handle.read(LOCK_FILE_LIMIT + 1)
    except FileNotFoundError:
        raise _no_lock(source.path) from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(
            f"{source.path}: its {LOCK_NAME} cannot be read "
            f"({getattr(exc, 'strerror', None) or exc}); refused"
        ) from None
    if len(data) > LOCK_FILE_LIMIT:
        raise InputError(
            f"{source.path}: its {LOCK_NAME} is larger than {LOCK_FILE_LIMIT} bytes; refused"
        )
    target = scratch / LOCK_NAME
    target.write_bytes(data)
    os.chmod(target, 0o644)
    return target


def _no_lock(path: Path) -> InputError:
    return InputError(
        f"{path}: no {LOCK_NAME} at its top: not a bundle",
        hint="a bundle is a directory or .zip file made by envsnap bundle, its lock at the top",
    )


@contextlib.contextmanager
def checked(path: Path, *, unpack: bool = False) -> Iterator[tuple[Lock, list[Member], int]]:
    """Read a bundle's lock and check every file against it (:func:`verify`).

    Args:
        path: a directory or ``.zip`` file made by ``envsnap bundle``.
        unpack: copy a zip file's members beside its lock, into a temporary
            directory, so that the lock's paths lead to them.

    Yields:
        ``(its Lock, its members, their total size in bytes)``; the Lock's
        ``path`` is its lock file (unpacked from a zip file; removed on exit).

    Raises:
        InputError: no such bundle, not a zip file, no ``pylock.toml`` at its
            top, an invalid lock, a package not a file of the bundle, or a file
            missing or different from its lock (exit 2).
    """
    import tempfile  # noqa: PLC0415

    from envsnap.lockfiles.pylock.read import load  # noqa: PLC0415

    with BundleSource(path) as source, tempfile.TemporaryDirectory(prefix="envsnap-") as scratch:
        lock = load(lock_file(source, Path(scratch)))
        members = read_members(lock.pylock, f"{path}/{LOCK_NAME}")
        unpack_to = lock.path.parent if unpack and not source.is_directory and lock.path else None
        yield lock, members, verify(path, source, members, unpack_to=unpack_to)

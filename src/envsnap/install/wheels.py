"""Install verified wheels into a venv with the ``installer`` library, from an unpacked cache.

pypa/installer's core, ``installer.install(source, destination,
additional_metadata)``, does the wheel logic (``WHEEL`` root scheme,
``.data/`` scheme directories, ``#!python`` shebangs, entry-point launchers,
``RECORD``). envsnap gives it two things of its own:

- :class:`UnpackedWheel`, a ``WheelSource`` over a wheel that
  :func:`unpack_wheel` unpacked once into the cache (every member checked
  against the wheel's ``RECORD`` on the way), and
- :class:`LinkingDestination`, a ``SchemeDictionaryDestination`` that
  hard-links each unchanged file from that unpacked copy into the venv
  instead of writing it anew (copying when a link is not possible, e.g.
  across file systems); rewritten scripts and new metadata are written.

That is uv's way of installing from its cache. On this project's 2-core
box (ext4) creating a file with content costs about 0.9 ms and a hard link
25 µs, so a warm install of requests + rich (9 wheels, ~700 files) takes
tens of milliseconds instead of about a second. A hard-linked file shares
its content with the cache entry: editing a file inside site-packages in
place changes the cache too (as with uv's default on Linux). Entries are
therefore re-hashed against their RECORD before every reuse
(:func:`unpacked_intact`); a changed one is unpacked again from the verified
archive.

Per PEP 376/627/610 each installed ``.dist-info`` gets ``INSTALLER``
(``envsnap``), ``REQUESTED`` for the file's top-level packages only, and
``direct_url.json`` for a package installed from a direct URL.

Why one module of this size: unpacking and installing a wheel safely (zip member checks,
RECORD, scripts, bounded reads) is one concern with one set of limits; the checks are
the bulk.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import posixpath
import re
import secrets
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from installer.destinations import SchemeDictionaryDestination
from installer.records import Hash, RecordEntry, parse_record_file
from installer.sources import WheelSource
from installer.utils import copyfileobj_with_hashing, make_file_executable, parse_wheel_filename

from envsnap.errors import OperationError
from envsnap.index.file_cache import write_error

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

    from installer.sources import WheelContentElement
    from installer.utils import Scheme

__all__ = [
    "INSTALLER_NAME",
    "MAX_UNPACKED_BYTES",
    "LinkingDestination",
    "UnpackedWheel",
    "WheelJob",
    "install_unpacked",
    "unpack_wheel",
    "unpacked_intact",
]

INSTALLER_NAME = b"envsnap"
"""The ``INSTALLER`` file's content (PEP 376)."""
_MANIFEST = ".envsnap-manifest.json"
"""Written next to an unpacked wheel's members: ``[[path, hash, size, executable], ...]``."""
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True, kw_only=True)
class WheelJob:
    """One wheel to install."""

    filename: str
    """The wheel's file name (its name, version and tags)."""
    unpacked: Path
    """Its unpacked cache entry (:func:`unpack_wheel`)."""
    requested: bool = False
    """Write ``REQUESTED``: the lock file lists it as top-level."""
    direct_url: Mapping[str, object] | None = None
    """The PEP 610 ``direct_url.json`` content, for a direct-URL install."""
    console_scripts: tuple[str, ...] | None = None
    """``name = module:attr`` lines that replace the wheel's ``[console_scripts]``
    (pip's versioned ``pipX.Y`` scripts, see ``pip_seed``); ``None``: the wheel's own."""


def unpacked_intact(root: Path) -> bool:
    """Whether every file of an unpacked cache entry still has its RECORD hash and size.

    Installed files are hard links to the entry's files, so editing one in
    place inside a venv edits the entry too. Re-hashing on every reuse keeps
    the rule that a hash, once given, is always enforced: a changed entry is
    unpacked again from the verified archive. (A stat-based shortcut does not
    pay here: linking an entry into a venv, or removing such a venv, changes
    the ctime of its files, so it would re-hash after every restore anyway.)

    Each file is opened with ``O_NOFOLLOW`` and checked through its open
    descriptor (one ``open``, ``fstat``, ``read`` each); ``hashlib`` releases
    the GIL on large buffers, so entries checked in threads overlap.

    Args:
        root: an entry made by :func:`unpack_wheel`.

    Returns:
        ``False`` when a file is missing, changed, not a regular file (a
        symlink would be linked into the venv as a symlink), or the manifest
        unreadable. Files are hashed in chunks: memory stays flat for large ones.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        manifest = json.loads((root / _MANIFEST).read_text(encoding="utf-8"))
        for name, hash_, size, _ in manifest:
            expected = Hash.parse(str(hash_))
            fd = os.open(os.path.join(root, str(name)), flags)  # noqa: PTH118 - per member
            try:
                status = os.fstat(fd)
                if not stat.S_ISREG(status.st_mode) or status.st_size != int(size):
                    return False
                digest = hashlib.new(expected.name)
                while chunk := os.read(fd, _CHUNK):
                    digest.update(chunk)
            finally:
                os.close(fd)
            if base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=") != expected.value:
                return False
    except (OSError, ValueError, TypeError):
        return False
    return True


def unpack_wheel(archive: Path, filename: str, dest: Path) -> None:
    """Unpack a wheel into the empty directory ``dest``, checking every member.

    Every member must be listed in the wheel's ``RECORD`` with the sha256
    and size it has (``RECORD`` itself, and signature files, excepted). A
    member's path is normalised (``a/./b`` is ``a/b``) and must be relative,
    without ``..``, backslashes or a drive letter, and name no other member.
    A member is refused before it is written when ``RECORD`` does not list
    it, and stops being written as soon as it grows past its ``RECORD``
    size, so a zip bomb writes at most what ``RECORD`` declares; all members
    together may not exceed :data:`MAX_UNPACKED_BYTES`. Executable bits of
    the members are kept.

    Args:
        archive: the wheel file (any name: the cache stores it by hash).
        filename: its real file name.
        dest: an empty directory.

    Raises:
        OperationError: not a wheel, a member that does not match ``RECORD``
            or has an unsafe path, or the file system refused a write (a full
            disk is reported as such, not as a bad wheel).
    """
    try:
        parse_wheel_filename(filename)
        with zipfile.ZipFile(archive) as zipped:
            manifest = _unpack(zipped, dest)
        try:
            (dest / _MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        except OSError as exc:
            raise _WriteError(exc) from None
    except _WriteError as exc:
        raise write_error(f"{filename}: cannot unpack it into {dest.parent}", exc.error) from None
    except (zipfile.BadZipFile, ValueError, KeyError, EOFError, zlib.error, OSError) as exc:
        raise OperationError(
            f"{filename}: not a valid wheel ({exc})",
            hint="the file is damaged or not a wheel: regenerate the lock file",
        ) from None


MAX_UNPACKED_BYTES = 16 << 30
"""The most one wheel may unpack to (16 GiB; the largest wheels in use unpack to a few GB)."""
_MAX_RECORD_BYTES = 64 << 20
"""The most ``RECORD`` (and a signature file) may hold (large wheels have a few MB)."""


class _WriteError(Exception):
    """An ``OSError`` of writing the unpacked copy (not of reading the wheel)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _member_path(name: str) -> str:
    """Return an archive member's path normalised, or raise ``ValueError`` when it is unsafe.

    ``posixpath.normpath`` (``a//b``, ``a/./b`` are ``a/b``); refused: an
    absolute path, a ``..`` that leaves the root, a backslash, a NUL, a
    drive letter (``C:``), and the empty path. The zip format's separator is
    ``/`` (APPNOTE 4.4.17), so a backslash is never a separator in a wheel.
    """
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or (len(name) > 1 and name[1] == ":" and name[0].isalpha())
    ):
        raise ValueError(f"member {name!r} has an unsafe path")
    normal = posixpath.normpath(name)
    if normal in {".", ".."} or normal.startswith("../"):
        raise ValueError(f"member {name!r} would be written outside the venv")
    return normal


def _unpack(zipped: zipfile.ZipFile, dest: Path) -> list[list[object]]:
    """Extract and check every member; return the manifest rows (os.path: per-member speed)."""
    infos = [i for i in zipped.infolist() if not i.filename.endswith("/")]
    names = [i.filename for i in infos]
    info_dirs = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
    if len(info_dirs) != 1:
        raise ValueError(f"expected one .dist-info directory, found {len(info_dirs)}")
    record_name = f"{info_dirs.pop()}/RECORD"
    record = _read_limited(zipped, zipped.getinfo(record_name), _MAX_RECORD_BYTES)
    records: dict[str, RecordEntry] = {}
    for row in parse_record_file(record.decode("utf-8").splitlines()):
        try:
            key = _member_path(row[0])
        except ValueError:  # an unsafe row matches no member
            continue
        records[key] = RecordEntry.from_elements(*row)
    declared = sum(e.size or 0 for e in records.values())
    if declared > MAX_UNPACKED_BYTES:
        raise ValueError(f"RECORD declares {declared} bytes, more than {MAX_UNPACKED_BYTES}")
    planned = _plan_members(infos, records, record_name)
    root = os.path.abspath(dest)  # noqa: PTH100
    _make_dirs(root, [name for _, name, _, _ in planned])
    manifest: list[list[object]] = []
    budget = MAX_UNPACKED_BYTES
    for info, name, entry, limit in planned:
        value, size = _extract(zipped, info, os.path.join(root, name), min(limit, budget))  # noqa: PTH118
        budget -= size
        if entry is None:
            continue
        _check_member(zipped, info, name, entry, value, size)
        manifest.append([name, f"sha256={value}", size, bool((info.external_attr >> 16) & 0o111)])
    return manifest


def _make_dirs(root: str, names: Sequence[str]) -> None:
    """Create every directory the members need under ``root``, each with one ``mkdir``.

    One call per directory, parents first: a ``makedirs`` per member would
    repeat thousands of failing ``mkdir`` calls, and metadata calls are what
    unpacking costs on a slow file system.
    """
    needed: set[str] = set()
    for name in names:
        parent = posixpath.dirname(name)
        while parent and parent not in needed:
            needed.add(parent)
            parent = posixpath.dirname(parent)
    try:
        for directory in sorted(needed, key=lambda d: d.count("/")):
            os.mkdir(os.path.join(root, directory))  # noqa: PTH102, PTH118
    except OSError as exc:
        raise _WriteError(exc) from None


def _plan_members(
    infos: list[zipfile.ZipInfo], records: Mapping[str, RecordEntry], record_name: str
) -> list[tuple[zipfile.ZipInfo, str, RecordEntry | None, int]]:
    """Check every member before one is written: ``(info, path, RECORD entry, size limit)``.

    ``RECORD`` and signature files get no entry (they are not checked
    against ``RECORD``) and a fixed limit; ``__pycache__`` members are left out.
    """
    names: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = _member_path(info.filename)
        if name in names:
            raise ValueError(f"member {info.filename!r} names {name}, which another member names")
        if name == _MANIFEST:
            raise ValueError(f"member {name!r} has a name envsnap reserves")
        names[name] = info
    planned: list[tuple[zipfile.ZipInfo, str, RecordEntry | None, int]] = []
    for name, info in names.items():
        if "__pycache__" in name.split("/")[:-1]:
            continue
        if name == record_name or posixpath.basename(name) in {"RECORD.jws", "RECORD.p7s"}:
            planned.append((info, name, None, _MAX_RECORD_BYTES))
            continue
        entry = records.get(name)
        planned.append((info, name, entry, _size_limit(name, info, entry)))
    return planned


def _size_limit(name: str, info: zipfile.ZipInfo, entry: RecordEntry | None) -> int:
    """Return how many bytes a member may unpack to: its RECORD size (checked before writing)."""
    if entry is None:
        raise ValueError(f"{name} is not listed in RECORD")
    if entry.size is None:
        return MAX_UNPACKED_BYTES
    if info.file_size != entry.size:
        raise ValueError(f"{name} does not match its RECORD size")
    return entry.size


def _read_limited(zipped: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read a member into memory, refusing one larger than ``limit`` bytes."""
    with zipped.open(info) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{info.filename} is larger than {limit} bytes")
    return data


def _extract(
    zipped: zipfile.ZipFile, info: zipfile.ZipInfo, target: str, limit: int
) -> tuple[str, int]:
    """Write one member to ``target`` (a new file); return its urlsafe-base64 sha256 and size.

    Stops with ``ValueError`` once more than ``limit`` bytes came out.
    """
    digest = hashlib.sha256()
    size = 0
    with zipped.open(info) as stream:
        try:
            out = open(target, "xb")  # noqa: PTH123, SIM115 - closed below
        except OSError as exc:
            raise _WriteError(exc) from None
        try:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ValueError(
                        f"{info.filename} unpacks to more than {limit} bytes "
                        "(its RECORD size, or what is left of the size limit)"
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            if (info.external_attr >> 16) & 0o111:
                os.chmod(target, 0o755)  # noqa: S103 - an executable member, as pip installs it
        except OSError as exc:  # a full disk, mostly (a read error of the archive is rare)
            raise _WriteError(exc) from None
        finally:
            with contextlib.suppress(OSError):  # what flush() did not write is lost anyway
                out.close()
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii").rstrip("="), size


def _check_member(
    zipped: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    entry: RecordEntry,
    value: str,
    size: int,
) -> None:
    """Compare a member's sha256/size with its RECORD row (other algorithms re-hashed)."""
    expected = entry.hash_
    if (
        expected is not None
        and (expected.name != "sha256" or expected.value != value)
        and (expected.name == "sha256" or not _other_hash_ok(zipped, info, expected))
    ):
        raise ValueError(f"{name} does not match its RECORD hash")
    if entry.size is not None and entry.size != size:
        raise ValueError(f"{name} does not match its RECORD size")


def _other_hash_ok(zipped: zipfile.ZipFile, info: zipfile.ZipInfo, expected: Hash) -> bool:
    """Check a member against a RECORD hash that is not sha256 (e.g. sha384)."""
    digest = hashlib.new(expected.name)
    with zipped.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii").rstrip("=") == expected.value


class UnpackedWheel(WheelSource):
    """A ``WheelSource`` over a wheel unpacked by :func:`unpack_wheel`.

    Args:
        root: the unpacked entry.
        filename: the wheel's file name.
        console_scripts: ``name = module:attr`` lines replacing its
            ``[console_scripts]`` section (``None``: keep the wheel's).
        replaced: ``.dist-info`` files the installer writes itself
            (``INSTALLER``, ``REQUESTED``, ``direct_url.json``): the wheel's
            own copies are left out, as pip replaces them.
    """

    def __init__(
        self,
        root: Path,
        filename: str,
        console_scripts: tuple[str, ...] | None = None,
        *,
        replaced: Collection[str] = (),
    ) -> None:
        parsed = parse_wheel_filename(filename)
        super().__init__(distribution=parsed.distribution, version=parsed.version)
        self.root = root
        self._scripts = console_scripts
        self._replaced = frozenset(replaced)
        self._manifest: list[list[object]] = json.loads(
            (root / _MANIFEST).read_text(encoding="utf-8")
        )
        infos = [p.name for p in root.iterdir() if p.name.endswith(".dist-info")]
        if len(infos) != 1:
            raise OperationError(f"{root}: damaged cache entry (delete it and retry)")
        self._info_dir = infos[0]

    @property
    def dist_info_dir(self) -> str:
        """The ``.dist-info`` directory's name, as the wheel spells it."""
        return self._info_dir

    @property
    def dist_info_filenames(self) -> list[str]:
        """The files directly inside the ``.dist-info`` directory."""
        return sorted(p.name for p in (self.root / self._info_dir).iterdir() if p.is_file())

    def read_dist_info(self, filename: str) -> str:
        """Read a ``.dist-info`` file (``entry_points.txt`` with the replaced console scripts)."""
        path = self.root / self._info_dir / filename
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if filename == "entry_points.txt" and self._scripts is not None:
            text = _replace_console_scripts(text, self._scripts)
        return text

    def get_contents(self) -> Iterator[WheelContentElement]:
        """Yield each member (RECORD excepted) with its RECORD row and a stream.

        The stream opens the unpacked file only if read: a member linked by
        :class:`LinkingDestination` is never opened.
        """
        root = os.fspath(self.root)
        skipped = {f"{self._info_dir}/{name}" for name in self._replaced}
        for name, hash_, size, executable in self._manifest:
            if name in skipped:
                continue
            stream = _LazyFile(os.path.join(root, str(name)))  # noqa: PTH118 - per member
            try:
                yield (str(name), str(hash_), str(size)), cast("BinaryIO", stream), bool(executable)
            finally:
                stream.close()

    @property
    def members(self) -> dict[str, RecordEntry]:
        """``{absolute path of the unpacked file: its RECORD entry}``."""
        root = os.fspath(self.root)
        return {
            os.path.join(root, str(name)): RecordEntry(  # noqa: PTH118 - per member
                str(name), Hash.parse(str(hash_)), int(str(size))
            )
            for name, hash_, size, _ in self._manifest
        }

    def has_scripts(self) -> bool:
        """Whether the wheel declares entry points (so ``entry_points.txt`` is read)."""
        return (self.root / self._info_dir / "entry_points.txt").exists() or bool(self._scripts)


class _LazyFile(io.RawIOBase):
    """A read-only binary file that is opened on first use; ``name`` is its path."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self._file: io.BufferedReader | None = None

    def _open(self) -> io.BufferedReader:
        if self._file is None:
            self._file = open(self.name, "rb")  # noqa: PTH123, SIM115 - closed in close()
        return self._file

    def readable(self) -> bool:
        """Return True: the file can be read."""
        return True

    def seekable(self) -> bool:
        """Return True: the file can seek."""
        return True

    def readinto(self, buffer: Any) -> int:  # noqa: ANN401 - a writable buffer
        """Read into ``buffer``."""
        return self._open().readinto(buffer)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Seek in the file."""
        return self._open().seek(offset, whence)

    def tell(self) -> int:
        """Position in the file."""
        return self._open().tell()

    def close(self) -> None:
        """Close the file if it was opened."""
        if self._file is not None:
            self._file.close()
            self._file = None
        super().close()


class LinkingDestination(SchemeDictionaryDestination):
    """A ``SchemeDictionaryDestination`` that hard-links unchanged files from the cache.

    ``members`` maps each unpacked file (absolute path) to its RECORD entry;
    a stream opened on one of them is linked (or copied when linking fails)
    rather than read and written.

    A file linked to a path where nothing is yet is linked there directly
    (``os.link`` never replaces nor follows what is there: it fails, and the
    file goes the way of the others). Every other file is made under a
    temporary name in its directory and renamed over the destination
    (``os.replace``): an existing file is replaced as
    pip replaces it, but a symlink there (the venv's ``bin/python3`` points
    into the base interpreter) or a hard link into the cache is replaced,
    never written through. A file is refused (``OperationError``) when it
    would replace the venv's interpreter, activation scripts or
    ``pyvenv.cfg``, leave its scheme directory, or name a path the wheel
    already wrote.

    Args:
        scheme_dict: the venv's scheme directories (``data`` is its prefix).
        interpreter: the venv's interpreter, for shebangs.
        members: ``{unpacked file: its RECORD entry}``.
        wheel: the wheel's file name, for messages.
    """

    members: Mapping[str, RecordEntry] = {}

    def __init__(
        self,
        scheme_dict: dict[str, str],
        *,
        interpreter: str,
        members: Mapping[str, RecordEntry],
        wheel: str,
    ) -> None:
        super().__init__(
            scheme_dict=scheme_dict,
            interpreter=interpreter,
            script_kind="win-amd64" if os.name == "nt" else "posix",
        )
        self.members = members
        self.wheel = wheel
        self._made: set[str] = set()
        self._written: set[str] = set()
        self._bases: dict[str, str] = {}
        self._scripts = os.path.abspath(scheme_dict["scripts"])  # noqa: PTH100
        self._config = os.path.join(os.path.abspath(scheme_dict["data"]), "pyvenv.cfg")  # noqa: PTH100, PTH118

    def write_to_fs(
        self, scheme: Scheme, path: str, stream: BinaryIO, is_executable: bool
    ) -> RecordEntry:
        """Link the file when it comes unchanged from the cache, else write it; never in place."""
        target = self._target(scheme, path)
        source = getattr(stream, "name", None)
        entry = self.members.get(source) if isinstance(source, str) else None
        if entry is None or not isinstance(source, str):
            written: list[tuple[str, int]] = []

            def write(temporary: str) -> None:
                with open(temporary, "xb") as out:  # noqa: PTH123
                    written.append(copyfileobj_with_hashing(stream, out, self.hash_algorithm))
                if is_executable:
                    make_file_executable(Path(temporary))

            _replace(target, write)
            return RecordEntry(path, Hash(self.hash_algorithm, written[0][0]), written[0][1])

        with contextlib.suppress(OSError):  # a new path: one link, atomic, nothing replaced
            os.link(source, target)
            return RecordEntry(path, entry.hash_, entry.size)

        def link(temporary: str) -> None:  # something is there, or no hard links
            try:
                os.link(source, temporary)
            except OSError:  # another file system, or no hard links there
                shutil.copyfile(source, temporary)
                if is_executable:
                    make_file_executable(Path(temporary))

        _replace(target, link)
        return RecordEntry(path, entry.hash_, entry.size)

    def _target(self, scheme: Scheme, path: str) -> str:
        """Return the absolute path a file goes to, after the checks the class describes."""
        base = self._bases.get(scheme)
        if base is None:
            base = self._bases[scheme] = os.path.abspath(self.scheme_dict[scheme])  # noqa: PTH100
        target = os.path.normpath(os.path.join(base, path))  # noqa: PTH118
        # inside base, not base itself (a prefix test: commonpath costs ~10 µs a file)
        if "\\" in path or not target.startswith(base.rstrip(os.sep) + os.sep):
            raise OperationError(
                f"{self.wheel}: refused {path!r}: it would be written outside {base}",
                hint="the wheel is unsafe; nothing of the restore was kept",
            )
        what = self._protected(target)
        if what:
            raise OperationError(
                f"{self.wheel}: refused {path!r} ({scheme}): it would replace the venv's "
                f"{what} {target}",
                hint="the wheel is unsafe; nothing of the restore was kept",
            )
        if target in self._written:
            raise OperationError(
                f"{self.wheel}: refused {path!r} ({scheme}): the wheel already wrote {target}",
                hint="the wheel is unsafe; nothing of the restore was kept",
            )
        self._written.add(target)
        parent = os.path.dirname(target)  # noqa: PTH120
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)  # noqa: PTH103
            self._made.add(parent)
        return target

    def _protected(self, target: str) -> str | None:
        """Name the venv's own file ``target`` is (``None``: not one of them)."""
        if target == self._config:
            return "configuration"
        directory, name = os.path.split(target)
        if directory != self._scripts:
            return None
        if _INTERPRETER.fullmatch(name):
            return "interpreter"
        if name.casefold().startswith(("activate", "deactivate")):
            return "activation script"
        return None


_INTERPRETER = re.compile(r"(python|pypy)w?(\d+(\.\d+)?)?(\.exe)?|venvlauncher\.exe", re.IGNORECASE)
"""The names ``venv`` gives a venv's interpreter (``python``, ``python3``, ``python3.12``...)."""


def _replace(target: str, make: Callable[[str], None]) -> None:
    """Create a file with ``make(temporary)`` next to ``target``, then rename it over ``target``.

    The rename replaces whatever ``target`` is (a file, a symlink, a hard
    link) by a new inode; the temporary file is removed if anything fails.
    """
    temporary = os.path.join(  # noqa: PTH118
        os.path.dirname(target),  # noqa: PTH120
        f".envsnap-{secrets.token_hex(8)}.tmp",
    )
    try:
        make(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)  # noqa: PTH108
        raise


def install_unpacked(job: WheelJob, scheme: Mapping[str, str], *, interpreter: Path) -> None:
    """Install one unpacked wheel into a venv through ``installer.install``.

    Args:
        job: the wheel and what to record about it.
        scheme: ``purelib``, ``platlib``, ``headers``, ``scripts``, ``data``
            directories of the venv (``headers`` may name a parent: the
            distribution's name is appended, as pip does).
        interpreter: the venv's interpreter, for script shebangs.

    Raises:
        OperationError: the wheel cannot be installed, or is refused (see
            :class:`LinkingDestination`); the message names it.
    """
    from installer import install  # noqa: PLC0415

    metadata = {"INSTALLER": INSTALLER_NAME + b"\n"}
    if job.requested:
        metadata["REQUESTED"] = b""
    if job.direct_url is not None:
        metadata["direct_url.json"] = json.dumps(job.direct_url, sort_keys=True).encode()
    try:
        source = UnpackedWheel(job.unpacked, job.filename, job.console_scripts, replaced=metadata)
        paths = dict(scheme)
        paths["headers"] = os.fspath(Path(paths["headers"]) / source.distribution)
        destination = LinkingDestination(
            paths, interpreter=os.fspath(interpreter), members=source.members, wheel=job.filename
        )
        install(source, destination, metadata)
    except OSError as exc:
        raise write_error(
            f"{job.filename}: cannot install it",
            exc,
            hint="free some space on the venv's disk, then run again",
        ) from None
    except ValueError as exc:
        raise OperationError(f"{job.filename}: cannot install it: {exc}") from None


def _replace_console_scripts(text: str, scripts: tuple[str, ...]) -> str:
    """Return an ``entry_points.txt`` text whose ``[console_scripts]`` section is ``scripts``."""
    out: list[str] = []
    skipping = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            skipping = stripped == "[console_scripts]"
            if skipping:
                continue
        if not skipping:
            out.append(line)
    section = ["[console_scripts]", *scripts, ""]
    return "\n".join([*section, *out]).rstrip("\n") + "\n"

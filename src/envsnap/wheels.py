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
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import posixpath
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from installer.destinations import SchemeDictionaryDestination
from installer.records import Hash, RecordEntry, parse_record_file
from installer.sources import WheelSource
from installer.utils import parse_wheel_filename

from envsnap.errors import OperationError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from installer.sources import WheelContentElement
    from installer.utils import Scheme

__all__ = [
    "INSTALLER_NAME",
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
    (pip's versioned ``pipX.Y`` scripts, :mod:`envsnap.pip_seed`); ``None``: the wheel's own."""


def unpacked_intact(root: Path) -> bool:
    """Whether every file of an unpacked cache entry still has its RECORD hash and size.

    Installed files are hard links to the entry's files, so editing one in
    place inside a venv edits the entry too. Re-hashing on every reuse keeps
    the rule that a hash, once given, is always enforced: a changed entry is
    unpacked again from the verified archive.

    Args:
        root: an entry made by :func:`unpack_wheel`.

    Returns:
        ``False`` when a file is missing, changed, or the manifest unreadable.
    """
    try:
        manifest = json.loads((root / _MANIFEST).read_text(encoding="utf-8"))
        for name, hash_, size, _ in manifest:
            data = (root / str(name)).read_bytes()
            if len(data) != int(size) or not Hash.parse(str(hash_)).validate(data):
                return False
    except (OSError, ValueError, TypeError):
        return False
    return True


def unpack_wheel(archive: Path, filename: str, dest: Path) -> None:
    """Unpack a wheel into the empty directory ``dest``, checking every member.

    Every member must be listed in the wheel's ``RECORD`` with the sha256
    and size it has (``RECORD`` itself, and signature files, excepted), and
    must stay inside ``dest`` (no absolute or ``..`` paths). Executable bits
    of the members are kept.

    Args:
        archive: the wheel file (any name: the cache stores it by hash).
        filename: its real file name.
        dest: an empty directory.

    Raises:
        OperationError: not a wheel, or a member that does not match ``RECORD``.
    """
    try:
        parse_wheel_filename(filename)
        with zipfile.ZipFile(archive) as zipped:
            manifest = _unpack(zipped, filename, dest)
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
        raise OperationError(
            f"{filename}: not a valid wheel ({exc})",
            hint="the file is damaged or not a wheel: regenerate the lock file",
        ) from None
    (dest / _MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _unpack(zipped: zipfile.ZipFile, filename: str, dest: Path) -> list[list[object]]:
    """Extract and check every member; return the manifest rows (os.path: per-member speed)."""
    names = [info.filename for info in zipped.infolist()]
    info_dirs = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
    if len(info_dirs) != 1:
        raise ValueError(f"expected one .dist-info directory, found {len(info_dirs)}")
    record_name = f"{info_dirs.pop()}/RECORD"
    rows = parse_record_file(zipped.read(record_name).decode("utf-8").splitlines())
    records = {row[0]: row for row in rows}
    root = os.path.abspath(dest)  # noqa: PTH100
    manifest: list[list[object]] = []
    for info in zipped.infolist():
        name = info.filename
        if name.endswith("/") or "__pycache__" in name.split("/")[:-1]:
            continue
        value, size = _extract(zipped, info, root)
        if name == record_name or posixpath.basename(name) in {"RECORD.jws", "RECORD.p7s"}:
            continue
        row = records.get(name)
        if row is None:
            raise ValueError(f"{name} is not listed in RECORD")
        _check_member(zipped, info, RecordEntry.from_elements(*row), value, size)
        manifest.append([name, f"sha256={value}", size, bool((info.external_attr >> 16) & 0o111)])
    return manifest


def _extract(zipped: zipfile.ZipFile, info: zipfile.ZipInfo, root: str) -> tuple[str, int]:
    """Write one member under ``root``; return its urlsafe-base64 sha256 and size."""
    name = info.filename
    target = os.path.abspath(os.path.join(root, name))  # noqa: PTH100, PTH118
    if name.startswith("/") or os.path.commonpath([root, target]) != root:
        raise ValueError(f"member {name!r} would be written outside the venv")
    os.makedirs(os.path.dirname(target), exist_ok=True)  # noqa: PTH103, PTH120
    digest = hashlib.sha256()
    size = 0
    with zipped.open(info) as stream, open(target, "wb") as out:  # noqa: PTH123
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    if (info.external_attr >> 16) & 0o111:
        os.chmod(target, 0o755)  # noqa: S103 - an executable member, as pip installs it
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii").rstrip("="), size


def _check_member(
    zipped: zipfile.ZipFile, info: zipfile.ZipInfo, entry: RecordEntry, value: str, size: int
) -> None:
    """Compare a member's sha256/size with its RECORD row (other algorithms re-hashed)."""
    name = info.filename
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
    """

    def __init__(
        self, root: Path, filename: str, console_scripts: tuple[str, ...] | None = None
    ) -> None:
        parsed = parse_wheel_filename(filename)
        super().__init__(distribution=parsed.distribution, version=parsed.version)
        self.root = root
        self._scripts = console_scripts
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
        for name, hash_, size, executable in self._manifest:
            stream = _LazyFile(os.path.join(root, str(name)))  # noqa: PTH118 - per member
            try:
                yield (str(name), str(hash_), str(size)), cast("BinaryIO", stream), bool(executable)
            finally:
                stream.close()

    @property
    def members(self) -> dict[str, RecordEntry]:
        """``{absolute path of the unpacked file: its RECORD entry}``."""
        found = {}
        for name, hash_, size, _ in self._manifest:
            found[os.fspath(self.root / str(name))] = RecordEntry(
                str(name), Hash.parse(str(hash_)), int(str(size))
            )
        return found

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
    rather than read and written. Existing files are replaced, as pip does.
    """

    members: Mapping[str, RecordEntry] = {}

    def __init__(
        self,
        scheme_dict: dict[str, str],
        *,
        interpreter: str,
        members: Mapping[str, RecordEntry],
    ) -> None:
        super().__init__(
            scheme_dict=scheme_dict,
            interpreter=interpreter,
            script_kind="win-amd64" if os.name == "nt" else "posix",
            overwrite_existing=True,
        )
        self.members = members
        self._made: set[Path] = set()

    def write_to_fs(
        self, scheme: Scheme, path: str, stream: BinaryIO, is_executable: bool
    ) -> RecordEntry:
        """Link the file when it comes unchanged from the cache, else write it."""
        target = self._path_with_destdir(scheme, path)
        parent = target.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)
        source = getattr(stream, "name", None)
        entry = self.members.get(source) if isinstance(source, str) else None
        if entry is None or not isinstance(source, str):
            return super().write_to_fs(scheme, path, stream, is_executable)
        try:
            os.link(source, target)
        except FileExistsError:
            target.unlink()
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
            if is_executable:
                target.chmod(0o755)
        return RecordEntry(path, entry.hash_, entry.size)


def install_unpacked(job: WheelJob, scheme: Mapping[str, str], *, interpreter: Path) -> None:
    """Install one unpacked wheel into a venv through ``installer.install``.

    Args:
        job: the wheel and what to record about it.
        scheme: ``purelib``, ``platlib``, ``headers``, ``scripts``, ``data``
            directories of the venv (``headers`` may name a parent: the
            distribution's name is appended, as pip does).
        interpreter: the venv's interpreter, for script shebangs.

    Raises:
        OperationError: the wheel cannot be installed (the message names it).
    """
    from installer import install  # noqa: PLC0415

    try:
        source = UnpackedWheel(job.unpacked, job.filename, job.console_scripts)
        paths = dict(scheme)
        paths["headers"] = os.fspath(Path(paths["headers"]) / source.distribution)
        destination = LinkingDestination(
            paths, interpreter=os.fspath(interpreter), members=source.members
        )
        metadata = {"INSTALLER": INSTALLER_NAME + b"\n"}
        if job.requested:
            metadata["REQUESTED"] = b""
        if job.direct_url is not None:
            metadata["direct_url.json"] = json.dumps(job.direct_url, sort_keys=True).encode()
        install(source, destination, metadata)
    except (OSError, ValueError) as exc:
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

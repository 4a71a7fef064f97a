"""What a restore writes into the installed ``.dist-info`` directories after the install.

``REQUESTED`` (PEP 376/627), archive hashes in ``direct_url.json`` (PEP 610)
and ``provenance_url.json`` (PEP 710), so a freeze of the new venv writes the
same file. Each is written atomically and its ``RECORD`` row updated (PEP 376),
so ``pip uninstall`` still removes it and ``check --verify-files`` still passes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from envsnap.environment import TOOLING
from envsnap.environment.distributions import REQUESTED_MARK, REQUESTED_WITHOUT_SIGNAL

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Mapping, Sequence
    from pathlib import Path

    from packaging.tags import Tag

    from envsnap.index.distfile import DistFile
    from envsnap.lock import Lock

__all__ = ["PROVENANCE", "record_archive_hashes", "record_provenance", "set_requested"]

PROVENANCE = "provenance_url.json"
"""The file PEP 710 puts in a ``.dist-info`` directory."""
_UNSAFE_HASHES = frozenset({"md5", "sha1"})
"""Algorithms PEP 710 forbids in ``archive_info.hashes``."""

MARK = f"{REQUESTED_MARK}\n".encode()
"""The bytes of every ``REQUESTED`` file a restore writes."""


def set_requested(site_packages: Sequence[Path], top_level: Collection[str]) -> tuple[int, int]:
    """Make the REQUESTED markers of a venv say exactly which packages are top-level.

    ``REQUESTED`` means the user asked for the distribution (PEP 376, PEP 627).
    pip writes it for every line of a requirements file and uv into every
    package, so it is written for the names in ``top_level`` (any spelling)
    and removed from all others (pip, setuptools, wheel and uv's own, which
    count for nothing without envsnap's mark, left alone). Its content is
    :data:`MARK`, which a reader trusts whatever ``INSTALLER`` says. Returns
    ``(created, removed)`` counts.
    """
    wanted = {canonicalize_name(n) for n in top_level}
    created = removed = 0
    for info, name in _dist_infos(site_packages):
        if name in TOOLING:
            continue
        marker = info / "REQUESTED"
        if name in wanted and _read(marker, len(MARK) + 1) != MARK:
            created += not marker.exists()
            _write_recorded(info, "REQUESTED", MARK)
        elif name not in wanted and marker.exists() and not _says_nothing(info):
            marker.unlink()
            _write_record_row(info, "REQUESTED", None)
            removed += 1
    return created, removed


def record_archive_hashes(site_packages: Sequence[Path], lock: Lock) -> list[str]:
    """Put the lock's archive hash into ``direct_url.json`` where the installer left none.

    PEP 610's ``archive_info.hashes`` (and the older ``hash``) say which file
    was installed; uv leaves them out. The installer checked the file against
    the lock's hash, so that hash is the file's. Returns the names completed.
    """
    wanted: dict[NormalizedName, tuple[str, str]] = {}
    for package in lock.packages:
        if package.origin.kind != "archive":
            continue
        recorded = package.origin.archive_hash or ""
        algorithm, _, digest = recorded.partition("=")
        if not digest and package.hashes:
            algorithm, _, digest = package.hashes[0].partition(":")
        if digest:
            wanted[package.name] = (algorithm, digest)
    done: list[str] = []
    for info, name in _dist_infos(site_packages):
        if name not in wanted:
            continue
        try:
            record = json.loads(_read(info / "direct_url.json", 1 << 20) or b"null")
        except ValueError:
            continue
        archive = record.get("archive_info") if isinstance(record, dict) else None
        if not isinstance(archive, dict) or archive.get("hashes") or archive.get("hash"):
            continue
        algorithm, digest = wanted[name]
        archive["hashes"] = {algorithm: digest}
        archive["hash"] = f"{algorithm}={digest}"
        _write_recorded(info, "direct_url.json", json.dumps(record).encode())
        done.append(name)
    return done


def _says_nothing(info: Path) -> bool:
    """Whether the installer writes ``REQUESTED`` into everything (uv): it counts for nothing."""
    installer = (_read(info / "INSTALLER", 64) or b"").decode("utf-8", "replace").strip().lower()
    return installer in REQUESTED_WITHOUT_SIGNAL


def record_provenance(
    site_packages: Sequence[Path], installed: Mapping[NormalizedName, tuple[DistFile, str]]
) -> list[str]:
    """Write ``provenance_url.json`` (PEP 710) for distributions installed from an index.

    ``installed`` is ``{name: (file with URL, version and sha256, index URL)}``.
    PEP 710: the file's URL, its index and hashes (never ``md5`` nor ``sha1``),
    credentials stripped; never beside a ``direct_url.json`` (PEP 610). A wheel
    is recorded only when the installed ``WHEEL`` names the tags of the file
    given, and only for the version given. Returns the names given a record.
    """
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415

    from envsnap._text import strip_credentials  # noqa: PLC0415

    done: list[str] = []
    for info, name in _dist_infos(site_packages):
        if name not in installed or (info / "direct_url.json").exists():
            continue
        file, index_url = installed[name]
        try:
            version = Version(info.name[: -len(".dist-info")].rsplit("-", 1)[1])
        except (IndexError, InvalidVersion):
            continue
        if file.url is None or version != file.version:
            continue
        if file.is_wheel and not _same_tags(info, file.filename):
            continue
        hashes = {k.lower(): v.lower() for k, v in file.hashes.items() if k not in _UNSAFE_HASHES}
        record = {
            "archive_info": {"hashes": dict(sorted(hashes.items()))},
            "index_url": strip_credentials(index_url)[0],
            "url": strip_credentials(file.url)[0],
        }
        _write_recorded(info, PROVENANCE, json.dumps(record, indent=2).encode() + b"\n")
        done.append(name)
    return done


def _same_tags(info: Path, filename: str) -> bool:
    """Whether the installed ``WHEEL`` file names exactly the tags of ``filename``."""
    from packaging.tags import parse_tag  # noqa: PLC0415
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename  # noqa: PLC0415

    text = _read(info / "WHEEL", 1 << 16)
    if text is None:
        return False
    try:
        expected = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return False
    found: set[Tag] = set()
    for line in text.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "tag":
            found |= parse_tag(value.strip())
    return found == set(expected)


def _dist_infos(site_packages: Sequence[Path]) -> Iterator[tuple[Path, NormalizedName]]:
    """Yield every ``.dist-info`` directory and its normalized name."""
    for root in site_packages:
        for info in sorted(root.glob("*.dist-info")):
            yield info, canonicalize_name(info.name[: -len(".dist-info")].rsplit("-", 1)[0])


def _read(path: Path, limit: int) -> bytes | None:
    """Return up to ``limit`` bytes of a regular file, ``None`` when there is none."""
    from envsnap._io import open_regular  # noqa: PLC0415

    try:  # a regular file only: a FIFO planted there must not block
        with open_regular(path) as handle:
            return handle.read(limit)
    except OSError:
        return None


def _write_recorded(info: Path, member: str, data: bytes) -> None:
    """Write ``info/member`` atomically and give it its ``RECORD`` row (hash and size)."""
    from envsnap._io import atomic_write  # noqa: PLC0415

    atomic_write(info / member, data, durable=False)  # a venv still being built
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    _write_record_row(info, member, (f"sha256={digest}", str(len(data))))


def _write_record_row(info: Path, member: str, row: tuple[str, str] | None) -> None:
    """Set (or with ``None`` drop) the ``RECORD`` row of ``info/member`` (PEP 376 CSV).

    Only that row changes: the other lines are kept byte for byte, not
    parsed and written again (Django's ``RECORD`` has some 4,700 rows, and a
    restore marks every top-level package).
    """
    from envsnap._io import RECORD_LIMIT, atomic_write  # noqa: PLC0415

    text = _read(info / "RECORD", RECORD_LIMIT)
    if text is None:
        return
    entry = f"{info.name}/{member}"
    needle = entry.encode()
    kept = [
        line
        for line in text.splitlines(keepends=True)
        if needle not in line or _record_path(line) != entry
    ]
    if kept and not kept[-1].endswith((b"\n", b"\r")):
        kept[-1] += b"\n"
    if row is not None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([entry, *row])
        kept.append(buffer.getvalue().encode())
    atomic_write(info / "RECORD", b"".join(kept), durable=False)


def _record_path(line: bytes) -> str | None:
    """Return the path (first field) of one ``RECORD`` line; the csv module only if quoted."""
    if not line.startswith(b'"'):
        return line.partition(b",")[0].decode("utf-8", "replace")
    fields = next(csv.reader([line.decode("utf-8", "replace")]), None)
    return fields[0] if fields else None

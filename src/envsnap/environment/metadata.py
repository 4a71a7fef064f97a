"""The files inside one installed distribution, each read with a size bound.

Each problem becomes a :class:`MetadataWarning` naming its path; none stops the read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from envsnap._io import (
    METADATA_LIMIT,
    SMALL_FILE_LIMIT,
    FileTooLargeError,
    open_regular_fd,
    read_limited,
)
from envsnap.lock import Origin

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from packaging.direct_url import DirectUrl

__all__ = [
    "INDEX_ORIGIN",
    "MetadataWarning",
    "editable_pth_roots",
    "egg_requires",
    "first_line",
    "read_direct_url",
    "read_metadata",
]

_HEADER_CHUNK = 16384

INDEX_ORIGIN = Origin()
"""The origin of everything installed by name (no ``direct_url.json``): one shared value."""


@dataclass(frozen=True, slots=True)
class MetadataWarning:
    """A problem with one distribution's metadata; the snapshot goes on."""

    path: Path
    """The file or directory at fault."""
    message: str
    """What is wrong, in one line."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


_WANTED = frozenset({"name", "version", "requires-dist", "provides-extra", "requires-python"})
"""The headers envsnap uses; the others (a whole licence folded into ``License:``) are skipped."""


def read_metadata(path: str | Path, warnings: list[MetadataWarning]) -> dict[str, list[str]] | None:
    """Read the header block of a core-metadata file (RFC 822 style), the body never.

    Returns:
        Lower-cased header -> values in order, only for :data:`_WANTED` (a folded 60 KB
        ``License:`` is passed over, not joined); ``None`` when unreadable (warned).
    """
    try:
        raw = _read_header_block(path)
    except FileNotFoundError:
        where = Path(path)
        warnings.append(MetadataWarning(where.parent, f"no {where.name} file: skipped"))
        return None
    except OSError as exc:
        warnings.append(MetadataWarning(Path(path), f"cannot read: {exc.strerror}: skipped"))
        return None
    head = raw.replace(b"\r\n", b"\n") if b"\r" in raw else raw
    del raw  # a header block may be tens of MB: one copy at a time
    end = head.find(b"\n\n")  # mixed line ends (``\n\r\n``) end the block too
    if end >= 0:
        head = head[:end]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 (byte {exc.start}); undecodable bytes replaced"
        warnings.append(MetadataWarning(Path(path), message))
        text = head.decode("utf-8", "replace")
    headers: dict[str, list[str]] = {}
    key: str | None = None  # the header being read (None: none, after a line without ":")
    values: list[str] | None = None  # where its values go; None: not kept
    for line in text.split("\n"):
        first = line[:1]
        if key is not None and first in _FOLDED:
            if values is not None:
                values[-1] += " " + line.strip()
            continue
        if "!" <= first <= "~" and first not in _MAY_START_WANTED:
            # a header whose name cannot be a wanted one (Classifier, License, ...); any
            # other first character (space, non-ASCII) goes the long way below
            key, values = ("" if ":" in line else None), None
            continue
        name, sep, value = line.partition(":")
        if not sep:
            key = None
            continue
        key = name.strip().lower()
        values = headers.setdefault(key, []) if key in _WANTED else None
        if values is not None:
            values.append(value.strip())
    return headers


_MAY_START_WANTED = frozenset("NnVvRrPp")
"""First letters of the :data:`_WANTED` names (a name is stripped, then lower-cased)."""
_FOLDED = (" ", "\t")


def _read_header_block(path: str | Path) -> bytes:
    """Return a regular file's bytes up to its first blank line, at most ``METADATA_LIMIT``."""
    fd, _ = open_regular_fd(path)
    try:
        first = os.read(fd, _HEADER_CHUNK)
        end = _block_end(first, 0)
        if end >= 0:  # nearly always: a header block is a few KB
            return first[:end]
        raw = bytearray(first)
        while more := os.read(fd, _HEADER_CHUNK):
            searched = max(0, len(raw) - 3)  # search only the new bytes: stays linear
            raw += more
            end = _block_end(raw, searched)
            if end >= 0:
                del raw[end:]
                break
            if len(raw) > METADATA_LIMIT:
                raise FileTooLargeError(Path(path), METADATA_LIMIT)
        return bytes(raw)
    finally:
        os.close(fd)


def _block_end(raw: bytes | bytearray, start: int) -> int:
    """Where the first blank line (LF LF or CR LF CR LF) from ``start`` begins, or -1."""
    ends = (raw.find(b"\n\n", start), raw.find(b"\r\n\r\n", start))
    return min(i for i in ends if i >= 0) if max(ends) >= 0 else -1


_SECTION = r"^\[(?P<extra>[^:\]]*)(?::(?P<marker>.*))?\]$"
"""A ``requires.txt`` section (compiled on first use by :mod:`re`: egg-info is rare)."""


def egg_requires(path: Path, warnings: list[MetadataWarning]) -> Iterator[str]:
    """Turn setuptools' ``requires.txt`` into ``Requires-Dist`` strings."""
    try:
        text = read_limited(path, METADATA_LIMIT).decode("utf-8", "replace")
    except FileNotFoundError:
        return
    except OSError as exc:
        warnings.append(MetadataWarning(path, f"cannot read: {exc.strerror}"))
        return
    condition = ""
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if section := re.match(_SECTION, line):
            # ``[extra]``, ``[:marker]`` or ``[extra:marker]`` (setuptools' layout)
            parts = []
            if extra := section["extra"].strip():
                parts.append(f'extra == "{extra}"')
            if marker := (section["marker"] or "").strip():
                parts.append(f"({marker})")
            condition = " and ".join(parts)
            continue
        if not condition:
            yield line
            continue
        requirement, _, own_marker = line.partition(";")
        own = f"({own_marker.strip()}) and " if own_marker.strip() else ""
        yield f"{requirement.strip()} ; {own}{condition}"


def read_direct_url(path: str, warnings: list[MetadataWarning]) -> Origin | None:
    """Read ``direct_url.json`` (PEP 610) as an :class:`Origin` (no credentials), or ``None``."""
    try:
        raw = read_limited(path, SMALL_FILE_LIMIT)
    except FileNotFoundError:
        return None
    except OSError as exc:
        warnings.append(MetadataWarning(Path(path), f"cannot read: {exc.strerror}"))
        return None
    # only here: most installs from an index have no direct_url.json (json: 3-5 ms)
    from packaging.direct_url import DirectUrl, DirectUrlValidationError  # noqa: PLC0415

    from envsnap._io import load_json  # noqa: PLC0415
    from envsnap._text import strip_credentials  # noqa: PLC0415

    try:
        data = load_json(raw)
        if not isinstance(data, dict):
            raise ValueError(f"a JSON {type(data).__name__}, not an object")
        direct = DirectUrl.from_dict(data)
    except (ValueError, DirectUrlValidationError) as exc:
        warnings.append(MetadataWarning(Path(path), f"invalid direct_url.json ({exc}): ignored"))
        return None
    if _holds_control(Path(path), data, warnings):
        return INDEX_ORIGIN
    url, stripped = strip_credentials(direct.url)
    if stripped:
        message = "credentials removed from the recorded URL; never written out"
        warnings.append(MetadataWarning(Path(path), message))
    return _origin_of(direct, url)


def _origin_of(direct: DirectUrl, url: str) -> Origin:
    """Return the :class:`Origin` a PEP 610 document describes (``url``: credentials stripped)."""
    if direct.vcs_info is not None:
        return Origin(
            kind="vcs",
            url=url,
            vcs=direct.vcs_info.vcs,
            commit=direct.vcs_info.commit_id,
            requested_revision=direct.vcs_info.requested_revision,
            subdirectory=direct.subdirectory,
        )
    if direct.archive_info is not None:
        hashes = direct.archive_info.hashes or {}
        algorithm = "sha256" if "sha256" in hashes else next(iter(sorted(hashes)), None)
        return Origin(
            kind="archive",
            url=url,
            archive_hash=f"{algorithm}={hashes[algorithm]}" if algorithm else None,
            subdirectory=direct.subdirectory,
        )
    editable = bool(direct.dir_info and direct.dir_info.editable)
    return Origin(kind="directory", url=url, editable=editable, subdirectory=direct.subdirectory)


def _holds_control(path: Path, data: dict[str, object], warnings: list[MetadataWarning]) -> bool:
    """Whether a key or value of ``direct_url.json`` holds a control character (warned).

    A wheel may ship this file: a line break in its URL would become an option line
    (``--extra-index-url ...``) of a requirements file.
    """
    from envsnap._text import excerpt, first_control  # noqa: PLC0415

    todo: list[tuple[str, object]] = [("", data)]
    while todo:
        where, value = todo.pop(0)
        if isinstance(value, dict):
            for key, item in value.items():
                todo.append((f"a key in {where}" if where else "a key", str(key)))
                todo.append((f"{where}.{key}" if where else str(key), item))
            continue
        if isinstance(value, str) and (char := first_control(value)) is not None:
            message = (
                f"direct_url.json: {where} {excerpt(value)} holds a control character "
                f"({char}); its origin is ignored: pinned by version, from the index"
            )
            warnings.append(MetadataWarning(path.parent, message))
            return True
    return False


def first_line(path: str | Path) -> str | None:
    """Return the first line of a small regular file, stripped (``None``: empty or unreadable)."""
    try:
        data = read_limited(path, SMALL_FILE_LIMIT)
    except OSError:
        return None
    return data.decode("utf-8", "replace").partition("\n")[0].strip() or None


_FINDER_MAPPING = r"MAPPING\s*(?::[^=]*)?=\s*\{\s*'[^']*'\s*:\s*'(?P<path>[^']*)'"
"""Compiled on first use by :mod:`re` (its cache): few environments have editable installs."""


def editable_pth_roots(site_dir: Path, entries: Sequence[os.DirEntry[str]]) -> dict[str, str]:
    """Map project names to source dirs from setuptools' ``__editable__`` files (PEP 660).

    For editable installs without ``direct_url.json``: the ``.pth`` holds a path, or
    imports a finder whose ``MAPPING`` names package dirs (their parent is the project).
    """
    roots: dict[str, str] = {}
    for entry in entries:
        match = re.fullmatch(r"__editable__\.(?P<name>[^-]+)-.*\.pth", entry.name)
        if not match:
            continue
        name = canonicalize_name(match["name"])
        line = first_line(Path(entry.path)) or ""
        if line and not line.startswith("import"):
            roots[name] = str(_project_root(Path(line)))
            continue
        finder = site_dir / f"__editable___{match['name']}_{_finder_suffix(entry.name)}finder.py"
        try:
            text = read_limited(finder, SMALL_FILE_LIMIT).decode("utf-8", "replace")
            found = re.search(_FINDER_MAPPING, text)
        except OSError:
            continue
        if found:
            roots[name] = str(_project_root(Path(found["path"]).parent))
    return roots


def _project_root(path: Path) -> Path:
    """Return the dir at most 3 levels up with what ``pip install -e`` needs, else ``path``."""
    for candidate in (path, *list(path.parents)[:3]):
        if any((candidate / f).is_file() for f in ("pyproject.toml", "setup.py", "setup.cfg")):
            return candidate
    return path


def _finder_suffix(pth_name: str) -> str:
    """``__editable__.pkg-1.0.pth`` -> ``1_0_`` (setuptools' finder module naming)."""
    version = pth_name[len("__editable__.") : -len(".pth")].partition("-")[2]
    return re.sub(r"\W", "_", version) + "_" if version else ""

"""Read a pylock.toml (PEP 751) of pip, uv, PDM or envsnap into a :class:`~envsnap.lock.Lock`.

Validated with ``Pylock.from_dict`` (errors name their key path); relative paths are
resolved from the file's directory (PEP 751).
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap._text import EXPANSION, first_control
from envsnap.errors import LockFileError
from envsnap.lock import Lock, LockedFile, LockedPackage, Origin
from envsnap.lockfiles.pylock import CREATED_BY, TOOL

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from packaging.pylock import Package, Pylock

__all__ = ["entry_lines", "load", "location_url"]


def load(path: Path) -> Lock:
    """Read a ``pylock.toml`` (PEP 751) into the :class:`~envsnap.lock.Lock` model.

    A package's origin comes from its ``vcs`` / ``archive`` / ``directory`` table, else
    ``index``; its hashes (``ALG:HEX``) from every wheel, the sdist and the archive;
    ``top_level``, ``reason`` and ``extras`` from ``[tool.envsnap]`` (other tools' files
    have none: every package is then ``top_level=False``).

    Returns:
        The Lock (format ``pylock``, ``complete``: a lock pins the closure), packages sorted
        by name then version.

    Raises:
        LockFileError: unreadable file, invalid TOML (line and column), a control character
            in a string, or not a valid PEP 751 lock (key path, e.g. ``packages[3].wheels[0]``).
    """
    text, data, pylock = _read(path)
    expansions = tuple(
        (f"{path} (at {key})", found[0])
        for key, value in _strings(data)
        for found in EXPANSION.finditer(value)
    )
    lock = _lock_from(path, pylock, entry_lines(text), _string_lines(text))
    return replace(lock, expansions=expansions) if expansions else lock


_NAME_KEY = re.compile(r"""^\s*name\s*=\s*["']([^"']+)["']""")


def entry_lines(text: str) -> list[int | None]:
    """Find the line of each ``[[packages]]`` table's ``name = "..."`` key, in file order.

    That is where a review annotation about the entry lands (TOML parsers give no
    positions); the n-th item is the n-th package's, so two entries of one name each have one.

    Returns:
        One 1-based line per ``[[packages]]`` table, ``None`` where its ``name`` key is not
        on a line of its own.
    """
    lines: list[int | None] = []
    in_package = False
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("["):
            in_package = stripped == "[[packages]]"
            if in_package:
                lines.append(None)
            continue
        if in_package and _NAME_KEY.match(raw):
            lines[-1] = number
            in_package = False
    return lines


def _read(path: Path) -> tuple[str, dict[str, Any], Pylock]:
    """Return the file's text, its data and its :class:`Pylock` (errors as in :func:`load`)."""
    from packaging.pylock import Pylock, PylockValidationError  # noqa: PLC0415

    from envsnap._io import read_toml  # noqa: PLC0415

    text, data = read_toml(path, error=LockFileError)
    for key, value in _strings(data):
        char = first_control(value)
        if char is not None:
            raise LockFileError(
                f"{path}: {key} holds a control character ({char}); refused",
                hint="a lock's names, versions, URLs, paths and markers are one line of "
                "printable text each: regenerate the file",
            )
    try:
        return text, data, Pylock.from_dict(data)
    except PylockValidationError as exc:
        where = f" (at {exc.context})" if exc.context else ""
        raise LockFileError(
            f"{path}: not a valid pylock file (PEP 751): {exc.message}{where}",
            hint="fix or regenerate it (envsnap freeze -o pylock.toml, pip lock, uv pip compile)",
        ) from None


def _strings(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(key path, string)`` for every string of a pylock document, in order.

    Key paths read like packaging's validation errors (``packages[3].vcs.url``); of the
    ``[tool]`` tables only envsnap's is walked (the others are their tools').
    """
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            if name == "tool" and isinstance(item, dict):
                item = {TOOL: item[TOOL]} if TOOL in item else {}  # noqa: PLW2901
            yield from _strings(item, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield from _strings(item, f"{key}[{number}]")


_QUOTED = re.compile(r'"([^"\\]*)"')


def _string_lines(text: str) -> dict[str, int]:
    """Map each double-quoted string of the text to the first line holding it (1-based)."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        for value in _QUOTED.findall(line):
            found.setdefault(value, number)
    return found


def _lock_from(
    path: Path, pylock: Pylock, lines: Sequence[int | None], strings: Mapping[str, int]
) -> Lock:
    tool = _table((pylock.tool or {}).get(TOOL))
    top_level = {canonicalize_name(str(n)) for n in tool.get("top-level", []) if isinstance(n, str)}
    reasons, extras = _table(tool.get("reasons")), _table(tool.get("extras"))
    base = path.parent.resolve()
    packages = []
    for index, package in enumerate(pylock.packages):
        reason = reasons.get(package.name)
        wanted = extras.get(package.name)
        wanted = wanted if isinstance(wanted, list) else []
        packages.append(
            LockedPackage(
                name=package.name,
                display_name=package.name,
                version=package.version,
                origin=_origin(package, base),
                hashes=_hashes(package),
                marker=package.marker,
                extras=tuple(sorted(canonicalize_name(x) for x in wanted if isinstance(x, str))),
                top_level=package.name in top_level,
                reason=reason if isinstance(reason, str) else None,
                line=lines[index] if index < len(lines) else None,
                files=_files(package, path, strings),
            )
        )
    packages.sort(key=lambda p: (p.name, p.version or Version("0")))
    python_version = tool.get("python-version")
    system = tool.get("system-site-packages")
    return Lock(
        path=path,
        format="pylock",
        packages=tuple(packages),
        python_version=python_version if isinstance(python_version, str) else None,
        # a range matters where no one version is recorded (a portable lock, another tool's)
        requires_python=pylock.requires_python if not isinstance(python_version, str) else None,
        written_by_envsnap=pylock.created_by == CREATED_BY,
        complete=True,
        system_site_packages=tuple(str(p) for p in system) if isinstance(system, list) else None,
        pylock=pylock,
    )


def _files(package: Package, path: Path, strings: Mapping[str, int]) -> tuple[LockedFile, ...]:
    """Return the URL or path of every wheel, sdist, archive and directory, in that order.

    The line is the first one holding the quoted value (:func:`_string_lines`).
    """
    entries: list[Any] = [*(package.wheels or ())]
    entries += [package.sdist, package.archive, package.directory]
    found: list[LockedFile] = []
    for entry in entries:
        for key in ("url", "path"):
            value = getattr(entry, key, None)
            if isinstance(value, str):
                line = strings.get(value)
                found.append(
                    LockedFile(key=key, value=value, where=f"{path}:{line}" if line else None)
                )
    return tuple(found)


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _origin(package: Package, base: Path) -> Origin:
    if (vcs := package.vcs) is not None:
        return Origin(
            kind="vcs",
            url=vcs.url or location_url(vcs.path or "", base),
            vcs=vcs.type,
            commit=vcs.commit_id,
            requested_revision=vcs.requested_revision,
            subdirectory=vcs.subdirectory,
        )
    if (archive := package.archive) is not None:
        algorithm = "sha256" if "sha256" in archive.hashes else sorted(archive.hashes)[0]
        return Origin(
            kind="archive",
            url=location_url(archive.path, base) if archive.path else archive.url,
            archive_hash=f"{algorithm}={archive.hashes[algorithm]}",
            subdirectory=archive.subdirectory,
        )
    if (directory := package.directory) is not None:
        return Origin(
            kind="directory",
            url=location_url(directory.path, base),
            editable=bool(directory.editable),
            subdirectory=directory.subdirectory,
        )
    return Origin()


def location_url(path: str, base: Path) -> str:
    """Return the ``file:`` URL of a lock-relative or absolute path."""
    local = Path(path)
    if not local.is_absolute():
        local = base / local
    return Path(os.path.normpath(local)).as_uri()


def _hashes(package: Package) -> tuple[str, ...]:
    tables = [*(package.wheels or ()), package.sdist, package.archive]
    found = {f"{alg}:{digest}" for t in tables if t is not None for alg, digest in t.hashes.items()}
    return tuple(sorted(found))

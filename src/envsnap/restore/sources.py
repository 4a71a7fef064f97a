"""What a lock file names, checked before anything is built: local paths and ``${NAME}``.

Relative ``file:`` URLs and paths resolve from the lock file's directory
(PEP 751; pip runs from there for a requirements file), so a restore gives
the same result from any working directory.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envsnap.index.settings import IndexOptions, IndexSettings
    from envsnap.lock import Lock, LockedFile

__all__ = [
    "check_sources",
    "index_settings_for",
    "refuse_expansions",
    "remote_sources",
    "with_resolved_paths",
]


def check_sources(file: Path, lock: Lock) -> list[str]:
    """Return a note for each local path outside the lock file's directory, in file order.

    Raises:
        InputError: a package can come from no local path that exists and no remote URL.
    """
    sources = _sources(lock)
    local = _local_sources(file, sources)
    _check_local_sources(file, local, sources)
    project = file.parent.resolve()
    return [
        f"{where or file}: {name} comes from {path}, outside {project}"
        for name, path, where in local
        if not path.resolve().is_relative_to(project)
    ]


def remote_sources(lock: Lock) -> list[LockedFile]:
    """Return every URL of the Lock with a scheme (``https://``, ``file://``), in package order."""
    return [source for _, source in _sources(lock) if "://" in source.value]


def refuse_expansions(lock: Lock) -> None:
    """Refuse (InputError: the first place, how many more) a ``${NAME}`` pip or uv would expand.

    Both would put the variable's value in the URL the line names, and in their messages.
    """
    from envsnap.lockfiles.requirements.write import EXPANSION_HINT  # noqa: PLC0415

    if not lock.expansions:
        return
    where, name = lock.expansions[0]
    more = len(lock.expansions) - 1
    raise InputError(
        f"{where}: holds {name}, which pip and uv would replace with an environment "
        "variable's value; refused, nothing was built"
        + (f" (and {more} more place(s))" if more else ""),
        hint=EXPANSION_HINT,
    )


def with_resolved_paths(lock: Lock, file: Path) -> Lock:
    """Make the Lock's relative ``file:`` URLs and paths absolute, from ``file``'s directory.

    The pylock reader has already resolved a pylock file's paths (PEP 751).
    """
    from envsnap._text import local_path  # noqa: PLC0415

    base = file.parent.absolute()
    packages = []
    for package in lock.packages:
        url = package.origin.url
        local = local_path(url) if url and package.origin.kind != "vcs" else None
        if local is not None and not local.is_absolute():
            absolute = Path(os.path.normpath(base / local)).as_uri()
            packages.append(replace(package, origin=replace(package.origin, url=absolute)))
        else:
            packages.append(package)
    return replace(lock, packages=tuple(packages))


def index_settings_for(
    lock: Lock, file: Path, given: IndexOptions, *, commands: Sequence[str] = ("install",)
) -> IndexSettings:
    """Return the index settings pip would use for ``lock``'s files.

    The command line's options (``given``) and the lock's own trusted hosts,
    then the file's option lines, then pip's variables and configuration
    (:func:`envsnap.index.settings.settings_for_lock`; relative find-links
    resolve from the file's directory).
    """
    from envsnap.index.settings import settings_for_lock  # noqa: PLC0415

    return settings_for_lock(
        replace(given, trusted_hosts=(*given.trusted_hosts, *lock.trusted_hosts)),
        lock.index_options,
        base=file.parent.absolute(),
        commands=commands,
    )


def _sources(lock: Lock) -> list[tuple[str, LockedFile]]:
    """Return ``(package, file)`` for every URL or path the Lock names, in package order."""
    return [(package.display_name, f) for package in lock.packages for f in package.files]


def _local_sources(
    file: Path, sources: list[tuple[str, LockedFile]]
) -> list[tuple[str, Path, str | None]]:
    """Return ``(package, absolute path, FILE:LINE)`` of every local path, in file order."""
    from envsnap._text import local_path  # noqa: PLC0415

    base = file.parent.absolute()
    items: list[tuple[str, Path, str | None]] = []
    for name, source in sources:
        local = local_path(source.value) if source.key == "url" else Path(source.value)
        if local is not None:
            items.append((name, Path(os.path.normpath(base / local)), source.where))
    return sorted(items, key=lambda item: _line_number(item[2]))


def _line_number(where: str | None) -> int:
    """Return the line of ``FILE:LINE`` (0 without one), to sort notes in file order."""
    number = (where or "").rpartition(":")[2]
    return int(number) if number.isdigit() else 0


def _check_local_sources(
    file: Path, local: list[tuple[str, Path, str | None]], sources: list[tuple[str, LockedFile]]
) -> None:
    """Refuse a package none of whose local files exists, with no remote one (pylock: several)."""
    remote = {
        name
        for name, source in sources
        if source.key == "url" and "://" in source.value and not source.value.startswith("file:")
    }
    present = {name for name, path, _where in local if path.exists()}
    missing = [item for item in local if item[0] not in present and item[0] not in remote]
    if not missing:
        return
    name, path, where = missing[0]
    more = len({m[0] for m in missing}) - 1
    raise InputError(
        f"{where or file}: {name}: {path} does not exist"
        + (f" (and {more} more package(s) with missing paths)" if more else ""),
        hint=f"relative paths in a lock file resolve from its directory ({file.parent.absolute()},"
        " PEP 751): keep the lock file where its paths lead, or fix the path; nothing was built",
    )

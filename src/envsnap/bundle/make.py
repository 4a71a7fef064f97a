"""Make a bundle: a lock and the files it needs, fetched, checked and written side by side.

Files are fetched into envsnap's file cache (a cached file is not fetched
again), each checked against its sha256.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envsnap import _report
from envsnap._text import counted
from envsnap.errors import InputError
from envsnap.index.settings import IndexOptions

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["BundleOptions", "BundleResult", "make_bundle"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleOptions:
    """What the user asked for (the CLI's options)."""

    output: Path
    """``DIR`` or ``FILE.zip``."""
    python: str | None = None
    """``--python``: the interpreter to bundle for (default: the one a restore picks)."""
    python_versions: str | None = None
    """``--python-version``: CPython versions to cover (``3.12``, ``3.10-3.13``)."""
    platforms: tuple[str, ...] = ()
    """``--platform``: platforms to cover (``linux-x86_64``...)."""
    index: IndexOptions = field(default_factory=IndexOptions)
    """Where a requirements file's files come from (pip's layers follow)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleResult:
    """What :func:`make_bundle` wrote."""

    path: Path
    """The bundle."""
    targets: tuple[str, ...]
    """The targets it covers (``cp311-linux-x86_64``)."""
    packages: int
    """How many packages its lock lists."""
    files: int
    """How many files it holds (beside its lock)."""
    size: int
    """Their total size, in bytes."""
    notes: tuple[str, ...] = ()
    """What the user should know (packages no target needs, sdists to build)."""


def make_bundle(lock_path: Path, options: BundleOptions) -> BundleResult:
    """Write a bundle of ``lock_path``: a ``pylock.toml`` or a pinned requirements file.

    Each stage (``targets``, ``fetch``, ``write``) goes to :mod:`envsnap._report`.

    Raises:
        LockFileError: the lock is missing or invalid.
        InputError: a package that cannot be a file (VCS, directory, editable,
            unpinned), a ``${NAME}`` in the lock, a lock frozen with system
            site-packages, a target the lock leaves out or lacks files for,
            an unknown target, or an output that is not a bundle.
        OperationError: the index or a file URL cannot be reached, a file
            does not match its hash, or the bundle cannot be written (exit 3;
            nothing is left at the output).
    """
    from envsnap.bundle import write  # noqa: PLC0415
    from envsnap.bundle.members import LOCK_NAME  # noqa: PLC0415
    from envsnap.bundle.select import for_pylock, for_requirements  # noqa: PLC0415
    from envsnap.bundle.targets import bundle_targets  # noqa: PLC0415
    from envsnap.index.download import fetch_all  # noqa: PLC0415
    from envsnap.index.file_cache import FileCache, default_cache_dir  # noqa: PLC0415
    from envsnap.index.http import HttpClient  # noqa: PLC0415
    from envsnap.index.secure import check_secure  # noqa: PLC0415
    from envsnap.lockfiles.readers import read_lock  # noqa: PLC0415
    from envsnap.restore.sources import index_settings_for, refuse_expansions  # noqa: PLC0415

    write.check_output(options.output)
    lock = read_lock(lock_path)
    refuse_expansions(lock)
    if lock.system_site_packages is not None:
        raise InputError(
            f"{lock_path}: frozen from a venv that saw the base Python's packages; a bundle "
            "cannot carry those",
            hint="freeze the venv with --include-system, then bundle that lock",
        )
    targets = bundle_targets(
        lock,
        python=options.python,
        python_versions=options.python_versions,
        platforms=options.platforms,
    )
    _report.stage("targets", ", ".join(t.name for t in targets))
    settings = index_settings_for(lock, lock_path, options.index, commands=("download", "install"))
    with HttpClient.from_settings(settings) as http:
        if lock.pylock is not None:
            planned = for_pylock(lock, lock_path.parent.absolute(), targets)
        else:
            planned = for_requirements(lock, targets, settings, http)
        files = {f.sha256: f for by_key in planned.chosen.values() for f in by_key.values()}
        check_secure(  # a plain-http file URL to a host that is not trusted (pip's rule)
            [(f.url, f.label) for f in files.values() if not f.path and f.url and "://" in f.url],
            settings.trusted_hosts,
        )
        _report.stage("fetch", counted(len(files), "file"))
        local = fetch_all(list(files.values()), FileCache(default_cache_dir()), client=http)
    names = write.member_names(files.values())
    sizes = {sha: local[sha].stat().st_size for sha in files}
    text = write.lock_text(lock, planned, names, sizes, targets)
    members = [(names[sha], local[sha], sha) for sha in sorted(files, key=lambda s: names[s])]
    _report.stage("write", f"{options.output}: {counted(len(members), 'file')} and {LOCK_NAME}")
    write.write(options.output, text, members)
    return BundleResult(
        path=options.output,
        targets=tuple(t.name for t in targets),
        packages=text.count("[[packages]]"),
        files=len(members),
        size=sum(sizes.values()),
        notes=tuple(planned.notes),
    )

"""Write a bundle: its lock, then its files streamed beside it, into a directory or zip file.

The bundle's ``pylock.toml`` gives every file a ``path``, ``size`` and hash and
keeps its ``url``; a pylock file keeps everything else it said, a requirements
file becomes one with its pins, markers, top-level list and reasons.
``environments`` and ``[tool.envsnap.bundle]`` name the targets covered. Each
file's hash is checked again as it is copied from the cache. A zip file stores
wheels and sdists as they are, with fixed timestamps (same inputs, same bytes).
Either form is written beside its final name, then renamed over an earlier bundle.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import zipfile
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any

from envsnap.bundle.members import CHUNK, FILES_DIR, LOCK_NAME
from envsnap.errors import InputError, OperationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from packaging.pylock import Package

    from envsnap.bundle.select import Planned
    from envsnap.bundle.targets import BundleTarget
    from envsnap.index.distfile import DistFile
    from envsnap.lock import Lock

__all__ = ["BUNDLE_CREATED_BY", "check_output", "lock_text", "member_names", "write"]

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

BUNDLE_CREATED_BY = "envsnap bundle"
"""``created-by`` of the lock made from a requirements file. Not ``envsnap``: such a
file does not record the extras its top-level lines ask for, and envsnap's own pylock
files do (check compares them)."""


def member_names(files: Iterable[DistFile]) -> dict[str, str]:
    """``{sha256: files/NAME}``; a name shared by two different files gets a hash directory."""
    by_name: dict[str, list[str]] = {}
    for file in files:
        by_name.setdefault(file.filename, []).append(file.sha256)
    names: dict[str, str] = {}
    for filename, digests in by_name.items():
        for digest in digests:
            shared = f"{digest[:16]}/" if len(digests) > 1 else ""
            names[digest] = f"{FILES_DIR}/{shared}{filename}"
    return names


def lock_text(
    lock: Lock,
    planned: Planned,
    names: Mapping[str, str],
    sizes: Mapping[str, int],
    targets: Sequence[BundleTarget],
) -> str:
    """Render the bundle's lock: every chosen file with its path, size and hashes."""
    from packaging.markers import Marker  # noqa: PLC0415
    from packaging.pylock import Pylock  # noqa: PLC0415
    from packaging.specifiers import SpecifierSet  # noqa: PLC0415
    from packaging.version import Version  # noqa: PLC0415

    from envsnap.lockfiles.pylock import TOOL  # noqa: PLC0415
    from envsnap.lockfiles.pylock.write import render, validated  # noqa: PLC0415

    source = planned.pylock
    originals = list(source.packages) if source is not None else planned.packages
    packages = [
        _with_files(originals[n], by_key, names, sizes) for n, by_key in planned.chosen.items()
    ]
    bundle_table = {"targets": [t.name for t in targets]}
    if source is not None:
        tool = {key: value for key, value in (source.tool or {}).items() if key != TOOL}
        own = dict((source.tool or {}).get(TOOL) or {})
        tool[TOOL] = {**own, "bundle": bundle_table}
        result = replace(  # created-by stays: what the lock records is still the tool's
            source,
            environments=[Marker(t.marker) for t in targets],
            packages=packages,
            tool=tool,
        )
    else:
        requires = None
        if lock.python_version:
            major, minor = lock.python_version.split(".")[:2]
            requires = SpecifierSet(f"=={major}.{minor}.*")
        result = Pylock(
            lock_version=Version("1.0"),
            environments=[Marker(t.marker) for t in targets],
            requires_python=requires or lock.requires_python,
            created_by=BUNDLE_CREATED_BY,
            packages=sorted(packages, key=lambda p: (p.name, p.version or Version("0"))),
            tool={TOOL: _tool_table(lock, bundle_table)},
        )
    return render(validated(result))


def _tool_table(lock: Lock, bundle_table: Mapping[str, Any]) -> dict[str, Any]:
    """``[tool.envsnap]`` of a requirements file's bundle: what its header recorded."""
    table: dict[str, Any] = {}
    if lock.python_version:
        table["python-version"] = lock.python_version
    table["top-level"] = sorted({p.name for p in lock.top_level})
    reasons = {p.name: p.reason for p in lock.packages if p.reason}
    if reasons:
        table["reasons"] = reasons
    extras = {p.name: list(p.extras) for p in lock.top_level if p.extras}
    if extras:
        table["extras"] = extras
    table["bundle"] = dict(bundle_table)
    return table


def _with_files(
    package: Package,
    by_key: Mapping[str, DistFile],
    names: Mapping[str, str],
    sizes: Mapping[str, int],
) -> Package:
    """``package`` with only its chosen entries, each given its member path and size."""
    from packaging.pylock import PackageArchive, PackageSdist, PackageWheel  # noqa: PLC0415

    def located(file: DistFile) -> dict[str, Any]:
        return {
            "path": names[file.sha256],
            "size": sizes[file.sha256],
            "url": file.url,
            "hashes": {"sha256": file.sha256},
        }

    wheels = [
        PackageWheel(name=f.filename, upload_time=f.upload_time, **located(f))
        for key, f in sorted(by_key.items(), key=lambda item: item[1].filename)
        if key.startswith("wheels[")
    ]
    sdist = by_key.get("sdist")
    archive = by_key.get("archive")
    return replace(
        package,
        wheels=wheels or None,
        sdist=PackageSdist(name=sdist.filename, upload_time=sdist.upload_time, **located(sdist))
        if sdist is not None
        else None,
        archive=PackageArchive(
            **located(archive),
            subdirectory=package.archive.subdirectory if package.archive else None,
        )
        if archive is not None
        else None,
    )


def check_output(output: Path) -> None:
    """Refuse an output that would replace something that is not a bundle.

    Raises:
        InputError: a directory holding anything but a bundle's lock and
            files, or a ``.zip`` name that is a directory.
    """
    if output.suffix.lower() == ".zip":
        if output.is_dir():
            raise InputError(f"{output}: is a directory; a bundle named .zip is a zip file")
        return
    if output.exists() and not output.is_dir():
        raise InputError(
            f"{output}: exists and is not a directory",
            hint="name a new directory, or FILE.zip for a zip file",
        )
    if output.is_dir():
        other = sorted(p.name for p in output.iterdir() if p.name not in {LOCK_NAME, FILES_DIR})
        if other:
            raise InputError(
                f"{output}: holds {', '.join(other[:3])}, which no bundle holds; not replaced",
                hint="name a new or empty directory (an earlier bundle there is replaced)",
            )


def write(output: Path, text: str, members: Sequence[tuple[str, Path, str]]) -> None:
    """Write the bundle beside ``output``, then rename it into place (see the module docstring).

    Raises:
        OperationError: it cannot be written, or a cached file changed (nothing is left).
    """
    partial = output.with_name(f".{output.name}.partial-{os.getpid()}")
    try:
        if output.suffix.lower() == ".zip":
            _write_zip(partial, text, members)
            os.replace(partial, output)
            return
        _write_directory(partial, text, members)
        _swap_in(partial, output)
    except OSError as exc:
        raise OperationError(
            f"{output}: cannot write the bundle: {exc.strerror or exc}",
            hint="check the free space and permissions there; nothing was left",
        ) from None
    finally:
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)


def _write_zip(path: Path, text: str, members: Sequence[tuple[str, Path, str]]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        info = _zip_info(LOCK_NAME, zipfile.ZIP_DEFLATED)
        archive.writestr(info, text.encode("utf-8"))
        for name, local, sha256 in members:
            size = local.stat().st_size
            with archive.open(
                _zip_info(name, zipfile.ZIP_STORED), "w", force_zip64=size >= 1 << 31
            ) as out:
                _copy_checked(local, out, sha256, name)
    with contextlib.suppress(OSError), open(path, "rb") as handle:  # noqa: PTH123
        os.fsync(handle.fileno())


def _zip_info(name: str, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    return info


def _write_directory(root: Path, text: str, members: Sequence[tuple[str, Path, str]]) -> None:
    root.mkdir()
    (root / LOCK_NAME).write_text(text, encoding="utf-8")
    for name, local, sha256 in members:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as out:  # noqa: PTH123
            _copy_checked(local, out, sha256, name)
            out.flush()
            os.fsync(out.fileno())


def _swap_in(partial: Path, output: Path) -> None:
    """Rename the finished directory to ``output``, the earlier bundle there removed after."""
    old = output.with_name(f".{output.name}.old-{os.getpid()}")
    if output.is_dir():
        os.replace(output, old)
    try:
        os.replace(partial, output)
    except OSError:
        if old.is_dir():
            os.replace(old, output)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _copy_checked(local: Path, out: IO[bytes], sha256: str, name: str) -> None:
    """Stream ``local`` into ``out``, hashing it; refuse it when its sha256 is not ``sha256``.

    Raises:
        OperationError: the file changed since it was fetched and checked.
    """
    from envsnap._io import open_regular  # noqa: PLC0415

    digest = hashlib.sha256()
    with open_regular(local) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise OperationError(
            f"{name}: {local} changed after it was checked (sha256 {digest.hexdigest()}, "
            f"expected {sha256}); the bundle was not written",
            hint="run envsnap bundle again",
        )

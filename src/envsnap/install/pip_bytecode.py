"""pip's bytecode, kept in the cache so that the check of a new venv's pip starts fast.

Restore checks the seeded pip with ``python -m pip --version``
(:func:`envsnap.install.pip_seed.check_pip`). Without bytecode that run
compiles every pip module it imports: about 0.6 s of CPU, the largest part of a
warm restore's own work. The first check in a venv writes that bytecode
into a scratch directory (``PYTHONPYCACHEPREFIX``, so nothing is written
beside the sources, the base Python's standard library included); pip's part
is then kept in the cache, per pip entry and interpreter tag, with the sha256
of each file, and venvs get it by hard links (``__pycache__/*.cpython-312.pyc``).

The bytecode stays valid in every venv: a ``.pyc`` records its source's
modification time and size, and the venvs' sources are hard links to one
cache entry, so they share both; CPython sets the code's file names to the
venv's own sources when it loads them. Kept bytecode is used only when every
file still has its sha256; otherwise none of it is (the check then writes it
again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envsnap.environment.target import TargetEnvironment
    from envsnap.index.file_cache import FileCache

__all__ = ["bytecode_tag", "keep_pip_bytecode", "link_pip_bytecode"]

_DIRECTORY = "pip-bytecode"
_MANIFEST = "manifest.json"


def bytecode_tag(environment: TargetEnvironment) -> str | None:
    """Return the interpreter's bytecode tag (``cpython-312``).

    ``None`` when it is not CPython, or older than 3.8 (no ``PYTHONPYCACHEPREFIX``).
    """
    if environment.implementation != "CPython" or environment.python_version[:2] < (3, 8):
        return None
    major, minor = environment.python_version[:2]
    return f"cpython-{major}{minor}"


def _kept(cache: FileCache, entry: Path, tag: str) -> Path:
    return cache.root / _DIRECTORY / f"{entry.name}-{tag}"


def link_pip_bytecode(cache: FileCache, entry: Path, purelib: Path, tag: str) -> bool:
    """Link the bytecode kept for the pip entry ``entry`` into a venv's ``purelib``.

    Args:
        cache: the file cache.
        entry: pip's unpacked cache entry (its directory name is the wheel's sha256).
        purelib: the venv's ``purelib`` directory, pip installed there.
        tag: :func:`bytecode_tag` of the venv's Python.

    Returns:
        Whether bytecode was linked: ``False`` when none is kept, or any kept
        file is missing or no longer has its sha256 (nothing is linked then,
        and a changed copy is removed).
    """
    root = _kept(cache, entry, tag)
    try:
        rows = json.loads((root / _MANIFEST).read_text(encoding="utf-8"))
        files = [(str(name), str(digest)) for name, digest in rows]
        for name, digest in files:
            if Path(name).is_absolute() or ".." in Path(name).parts:
                return False
            if hashlib.sha256((root / name).read_bytes()).hexdigest() != digest:
                shutil.rmtree(root, ignore_errors=True)  # the next check keeps a new copy
                return False
    except (OSError, ValueError, TypeError):
        return False
    made: set[Path] = set()
    try:
        for name, _ in files:
            target = purelib / name
            if target.parent not in made:
                target.parent.mkdir(exist_ok=True)
                made.add(target.parent)
            with contextlib.suppress(FileExistsError):
                os.link(root / name, target)
    except OSError:  # another file system: pip's check writes the bytecode itself
        return False
    return True


def keep_pip_bytecode(cache: FileCache, entry: Path, written: Path, tag: str) -> None:
    """Keep pip's bytecode that a run of the venv's pip wrote under ``written``.

    Args:
        cache: the file cache.
        entry: pip's unpacked cache entry.
        written: the run's ``PYTHONPYCACHEPREFIX``: it mirrors each source's
            absolute directory; pip's files are those under ``site-packages/pip``.
        tag: :func:`bytecode_tag` of the venv's Python.

    Written beside the cache's other entries under a temporary name and
    renamed into place, so a concurrent restore sees all of it or none; an
    unwritable cache is not an error (the bytecode is just not kept).
    """
    root = _kept(cache, entry, tag)
    found: list[tuple[str, Path]] = []
    suffix = f".{tag}.pyc"
    for path in sorted(written.rglob(f"*{suffix}")):
        parts = path.relative_to(written).parts
        if "site-packages" in parts:
            inside = parts[len(parts) - parts[::-1].index("site-packages") :]
            if inside[0] == "pip":  # pip/a/b.cpython-312.pyc -> pip/a/__pycache__/b...
                found.append(("/".join([*inside[:-1], "__pycache__", inside[-1]]), path))
    if root.exists() or not found:
        return
    with contextlib.suppress(OSError):
        root.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}-"))
        try:
            rows = []
            for name, path in found:
                copy = scratch / name
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, copy)
                rows.append([name, hashlib.sha256(copy.read_bytes()).hexdigest()])
            (scratch / _MANIFEST).write_text(json.dumps(rows), encoding="utf-8")
            scratch.rename(root)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

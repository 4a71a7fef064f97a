"""Seed pip into a new venv: the newest pip wheel at hand that supports the venv's Python.

A venv made by ``venv --without-pip`` gets pip like any other wheel
(:mod:`envsnap.install.wheels`), from one of these, without the network:

1. the wheels the **new venv's own** Python bundles for ``ensurepip``
   (``BASE/lib/pythonX.Y/ensurepip/_bundled``; Debian's
   ``/usr/share/python-wheels``): made for that Python, so always usable;
2. pip wheels already unpacked in envsnap's cache: another Python's bundled
   wheel seeded before, or a pip that a lock file listed (noted in the
   cache's ``pip-wheels/`` directory, :func:`register_pip_wheel`).

Of those, the newest whose ``Requires-Python`` (core metadata) admits the
venv's Python wins: the newest pip for Python 3.13 does not run on 3.8 or 3.9,
so the choice is made per target, never from envsnap's own Python.

The console scripts come from the wheel's own ``entry_points.txt``; like
pip when it installs itself, the versioned ``pipX``/``pipX.Y`` entries are
rewritten for the venv's Python (a wheel built on 3.9 lists ``pip3.9``).

After the install :func:`check_pip` runs the venv's ``python -m pip
--version``: a pip that cannot start fails the restore (exit 3).
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from envsnap.errors import OperationError

if TYPE_CHECKING:
    from envsnap.environment.target import TargetEnvironment
    from envsnap.index.file_cache import FileCache
    from envsnap.install.wheels import WheelJob

__all__ = [
    "PipWheel",
    "check_pip",
    "choose_pip_wheel",
    "pip_console_scripts",
    "pip_wheel_job",
    "register_pip_wheel",
    "unpacked_console_scripts",
]

_PIP_WHEEL = re.compile(r"^pip-([^-]+)-[^-]+-none-any\.whl$")
_VERSIONED_PIP = re.compile(r"^pip\d+(\.\d+)?$")
"""``pip3``, ``pip3.9``: the script names pip rewrites for the Python it installs into."""
_CHECK_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PipWheel:
    """One pip wheel that could seed a venv."""

    version: Version
    """pip's version."""
    filename: str
    """The wheel's file name (``pip-24.2-py3-none-any.whl``)."""
    requires_python: SpecifierSet | None
    """Its ``Requires-Python`` (``None``: any)."""
    source: str
    """Where it was found, for messages (``ensurepip of /usr/bin/python3.8``, ``cache``)."""
    archive: Path | None = None
    """The wheel file (a bundled wheel), or ``None`` for a cache entry."""
    unpacked: Path | None = None
    """The unpacked cache entry (:func:`envsnap.install.wheels.unpack_wheel`), if there is one."""

    def supports(self, python_version: tuple[int, ...]) -> bool:
        """Whether ``Requires-Python`` admits ``python_version`` (``(3, 8, 18)``)."""
        if self.requires_python is None:
            return True
        text = ".".join(str(part) for part in python_version[:3])
        return self.requires_python.contains(text, prereleases=True)


def _bundled_dirs(environment: TargetEnvironment) -> list[Path]:
    """Return where the base installation of ``environment`` keeps ensurepip's wheels.

    Guessed from ``sys.base_prefix`` (POSIX ``lib/pythonX.Y``, Windows
    ``Lib``, PyPy ``lib/pypyX.Y``) plus Debian's shared wheel directory; when
    none exists, the interpreter itself is asked where ``ensurepip`` is.
    """
    major, minor = environment.python_version[:2]
    base = environment.base_prefix
    guesses = [
        base / "lib" / f"python{major}.{minor}" / "ensurepip" / "_bundled",
        base / "Lib" / "ensurepip" / "_bundled",
        base / "lib" / f"pypy{major}.{minor}" / "ensurepip" / "_bundled",
        base / "share" / "python-wheels",
    ]
    found = [d for d in guesses if d.is_dir()]
    if found:
        return found
    try:
        done = subprocess.run(
            [
                os.fspath(environment.interpreter),
                "-I",
                "-c",
                "import ensurepip, os; print(os.path.dirname(ensurepip.__file__))",
            ],
            capture_output=True,
            text=True,
            timeout=_CHECK_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    where = done.stdout.strip()
    if done.returncode != 0 or not where:
        return []
    return [Path(where) / "_bundled"]


def _requires_python(metadata: str) -> SpecifierSet | None:
    """Return the ``Requires-Python`` of a core-metadata text (``None`` if absent or invalid)."""
    value = HeaderParser().parsestr(metadata).get("Requires-Python")
    if not value:
        return None
    try:
        return SpecifierSet(str(value))
    except InvalidSpecifier:
        return None


def _bundled_wheel(path: Path, source: str) -> PipWheel | None:
    match = _PIP_WHEEL.match(path.name)
    if match is None:
        return None
    try:
        version = Version(match.group(1))
        with zipfile.ZipFile(path) as zipped:
            name = f"pip-{match.group(1)}.dist-info/METADATA"
            metadata = zipped.read(name).decode("utf-8", errors="replace")
    except (OSError, KeyError, zipfile.BadZipFile, InvalidVersion):
        return None
    return PipWheel(
        version=version,
        filename=path.name,
        requires_python=_requires_python(metadata),
        source=source,
        archive=path,
    )


_REGISTRY = "pip-wheels"
"""Directory of the cache naming its unpacked pip wheels: one file per wheel, named by
its sha256, holding its file name (listing the whole cache would cost ~0.1 s at 3000 entries)."""


def register_pip_wheel(cache: FileCache, sha256: str, filename: str) -> None:
    """Note in the cache that the unpacked entry ``sha256`` is the pip wheel ``filename``."""
    from envsnap._io import atomic_write  # noqa: PLC0415

    if _PIP_WHEEL.match(filename) is None:
        return
    registry = cache.root / _REGISTRY
    marker = registry / sha256.lower()
    if not marker.exists():
        registry.mkdir(parents=True, exist_ok=True)
        atomic_write(marker, filename + "\n")


def _cached_wheels(cache: FileCache) -> list[PipWheel]:
    """Return the pip wheels unpacked in ``cache`` (those :func:`register_pip_wheel` noted)."""
    found = []
    try:
        markers = list((cache.root / _REGISTRY).iterdir())
    except OSError:
        return []
    for marker in markers:
        entry = cache.get_unpacked(marker.name)
        try:
            filename = marker.read_text(encoding="utf-8").strip()
            match = _PIP_WHEEL.match(filename)
            if entry is None or match is None:
                continue
            version = Version(match.group(1))
            metadata = (entry / f"pip-{match.group(1)}.dist-info" / "METADATA").read_text(
                encoding="utf-8", errors="replace"
            )
        except (OSError, InvalidVersion):
            continue
        found.append(
            PipWheel(
                version=version,
                filename=filename,
                requires_python=_requires_python(metadata),
                source="cache",
                unpacked=entry,
            )
        )
    return found


def choose_pip_wheel(environment: TargetEnvironment, cache: FileCache) -> PipWheel:
    """Return the newest pip wheel at hand whose ``Requires-Python`` admits the venv's Python.

    Args:
        environment: the probe of the new venv.
        cache: envsnap's file cache (searched for unpacked pip wheels).

    Returns:
        The chosen :class:`PipWheel` (the venv's own ensurepip wheel wins a tie).

    Raises:
        OperationError: no pip wheel found supports that Python; the hint names
            ``--without-pip`` and the missing ``ensurepip``.
    """
    candidates = [
        wheel
        for directory in _bundled_dirs(environment)
        for path in sorted(directory.glob("pip-*.whl"))
        if (wheel := _bundled_wheel(path, f"ensurepip of {environment.base_prefix}"))
    ]
    candidates += _cached_wheels(cache)
    usable = [w for w in candidates if w.supports(environment.python_version)]
    if not usable:
        seen = ", ".join(sorted({str(w.version) for w in candidates})) or "none"
        raise OperationError(
            f"no pip wheel at hand supports Python {environment.python_version_text} "
            f"(pip wheels found: {seen})",
            hint="restore with with_pip=False, or install the ensurepip module of that "
            "Python (on Debian and Ubuntu: the python3.X-venv package)",
        )
    # newest first; on a tie the bundled wheel (its file is at hand, hashed once)
    return max(usable, key=lambda w: (w.version, w.archive is not None))


def pip_console_scripts(entry_points: str, python_version: tuple[int, ...]) -> list[str]:
    """Return pip's ``[console_scripts]`` lines for a venv of ``python_version``.

    Like pip installing itself, the versioned entries a wheel carries
    (``pip3.9`` when it was built on 3.9) are dropped and ``pipX`` and
    ``pipX.Y`` of the venv's Python are written, pointing where the wheel's
    ``pip`` entry points.

    Args:
        entry_points: the wheel's ``entry_points.txt``.
        python_version: the venv's ``sys.version_info[:2]`` or more.

    Returns:
        ``["name = module:attr", ...]`` in a stable order.

    Raises:
        OperationError: the wheel declares no ``pip`` console script.
    """
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # names keep their case
    try:
        parser.read_string(entry_points)
        scripts = dict(parser.items("console_scripts"))
    except (configparser.Error, KeyError):
        scripts = {}
    target = scripts.get("pip")
    if not target:
        raise OperationError(
            "the pip wheel declares no `pip` console script in its entry_points.txt",
            hint="restore with with_pip=False, or clear envsnap's cache",
        )
    major, minor = python_version[:2]
    kept = {name: value for name, value in scripts.items() if not _VERSIONED_PIP.match(name)}
    kept[f"pip{major}"] = target
    kept[f"pip{major}.{minor}"] = target
    return [f"{name} = {value}" for name, value in kept.items()]


def pip_wheel_job(wheel: PipWheel, cache: FileCache, python_version: tuple[int, ...]) -> WheelJob:
    """Return the :class:`~envsnap.install.wheels.WheelJob` that installs ``wheel`` into a venv.

    A bundled wheel is hashed and unpacked into the cache once (members
    checked against its RECORD); a cache entry found damaged is unpacked
    again from the wheel, or refused when there is no wheel file.

    Raises:
        OperationError: the wheel cannot be unpacked, or its entry is damaged.
    """
    from envsnap.index.file_cache import hash_file  # noqa: PLC0415
    from envsnap.install.wheels import WheelJob, unpack_wheel, unpacked_intact  # noqa: PLC0415

    entry = wheel.unpacked
    if wheel.archive is not None:
        archive = wheel.archive
        sha256 = hash_file(archive)[0]
        entry = cache.get_unpacked(sha256)
        if entry is not None and not unpacked_intact(entry):
            shutil.rmtree(entry, ignore_errors=True)
            entry = None
        if entry is None:
            entry = cache.add_unpacked(
                sha256, lambda dest: unpack_wheel(archive, wheel.filename, dest)
            )
        register_pip_wheel(cache, sha256, wheel.filename)
    elif entry is None or not unpacked_intact(entry):
        raise OperationError(
            f"{wheel.filename}: the cached copy is damaged",
            hint="delete envsnap's cache directory (ENVSNAP_CACHE_DIR) and run again",
        )
    return WheelJob(
        filename=wheel.filename,
        unpacked=entry,
        console_scripts=unpacked_console_scripts(entry, python_version),
    )


def unpacked_console_scripts(entry: Path, python_version: tuple[int, ...]) -> tuple[str, ...]:
    """Return :func:`pip_console_scripts` for the pip wheel unpacked at ``entry``.

    Raises:
        OperationError: it has no ``pip`` console script.
    """
    texts = [
        p.read_text(encoding="utf-8", errors="replace")
        for p in entry.glob("*.dist-info/entry_points.txt")
    ]
    return tuple(pip_console_scripts(texts[0] if texts else "", python_version))


def check_pip(python: Path, *, bytecode_dir: Path | None = None) -> str:
    """Run ``PYTHON -m pip --version`` in the new venv; return pip's version (``23.2.1``).

    Isolated from the user's pip configuration and ``PYTHONPATH``, so what
    runs is the venv's own pip. ``-B`` writes no bytecode; with
    ``bytecode_dir`` the bytecode of every module imported goes there instead
    (``PYTHONPYCACHEPREFIX``, Python 3.8+), never beside the sources: the
    base installation's standard library is not written to
    (:mod:`envsnap.install.pip_bytecode` keeps pip's part).

    Raises:
        OperationError: pip does not start (its last lines in the message).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    if bytecode_dir is not None:
        env["PYTHONPYCACHEPREFIX"] = os.fspath(bytecode_dir)
    try:
        done = subprocess.run(
            [os.fspath(python), *([] if bytecode_dir else ["-B"]), "-m", "pip", "--version"],
            capture_output=True,
            text=True,
            env=env,
            timeout=_CHECK_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OperationError(f"{python} -m pip --version could not run: {exc}") from None
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise OperationError(
            f"the new venv's pip does not work: {python} -m pip --version "
            f"(exit {done.returncode})" + "".join(f"\n  | {line}" for line in tail),
            hint="nothing was replaced; restore with with_pip=False, or clear envsnap's cache",
        )
    words = done.stdout.split()  # "pip 23.2.1 from /venv/lib/.../pip (python 3.8)"
    return words[1] if len(words) > 1 else done.stdout.strip()

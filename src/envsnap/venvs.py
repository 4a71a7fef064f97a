"""Base interpreters and virtual environment creation (PEP 405).

Creator choice, measured on this project's 2-core CI box with CPython 3.11
(wall time, median of 3):

==================================================  =======
``python -m venv DIR`` (ensurepip seeds pip)         9-17 s
``virtualenv --no-setuptools --no-wheel DIR``        2.3 s (app-data seeding, copies)
``python -m venv --without-pip DIR`` (subprocess)    0.25 s
``venv.EnvBuilder(with_pip=False)`` in-process       0.01 s
  + pip seeded from its wheel, warm cache (linked)   0.05 s
==================================================  =======

So every venv is made by the standard library without pip, in envsnap's own
process when the base interpreter is the one running envsnap (or its base),
else by ``BASE -m venv --without-pip``. pip is then installed like any other
wheel (:mod:`envsnap.wheels`, from the unpacked cache), from the pip wheel
virtualenv ships or the one ensurepip bundles: no network, no ensurepip run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from envsnap.errors import InputError, OperationError

__all__ = [
    "BIN_DIR",
    "Interpreter",
    "create_venv",
    "find_base_interpreter",
    "is_venv",
    "probe_version",
    "venv_python",
]

BIN_DIR = "Scripts" if os.name == "nt" else "bin"
"""The scripts directory of a venv on this platform."""
_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.executable)"
_PROBE_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Interpreter:
    """A base interpreter to build a venv from."""

    path: Path
    """The interpreter as found (``--python`` or on ``PATH``), not resolved."""
    version: str
    """``major.minor.micro`` it reports."""
    executable: Path | None = field(default=None, compare=False)
    """``sys.executable`` it reports (resolves shims), when probed."""

    @property
    def major_minor(self) -> str:
        """``3.11`` of ``3.11.7``."""
        return ".".join(self.version.split(".")[:2])


def is_venv(path: Path) -> bool:
    """Return whether ``path`` is a virtual environment (has ``pyvenv.cfg``, PEP 405)."""
    return (path / "pyvenv.cfg").is_file()


def venv_python(venv: Path) -> Path:
    """Return the interpreter of the venv at ``venv`` (``bin/python``)."""
    return venv / BIN_DIR / ("python.exe" if os.name == "nt" else "python")


def probe_version(interpreter: Path) -> str:
    """Ask an interpreter for its ``major.minor.micro`` (one isolated ``-I`` call).

    Raises:
        InputError: it does not run or does not answer like a Python.
    """
    from envsnap._subprocess import (  # noqa: PLC0415
        BoundedProcess,
        OutputTooLargeError,
        ProcessTimeoutError,
    )

    try:
        with BoundedProcess(
            [os.fspath(interpreter), "-I", "-c", _PROBE], timeout=_PROBE_TIMEOUT, max_output=1 << 20
        ) as process:
            done = process.wait()
    except (OSError, ProcessTimeoutError, OutputTooLargeError) as exc:
        detail = f"no answer within {exc} s" if isinstance(exc, ProcessTimeoutError) else exc
        raise InputError(
            f"{interpreter}: cannot run it as a Python interpreter ({detail})"
        ) from None
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    version = lines[0].strip() if lines else ""
    if done.returncode != 0 or not version.replace(".", "").isdigit():
        raise InputError(
            f"{interpreter}: not a working Python interpreter (exit {done.returncode})",
            hint="name another one with --python",
        )
    if len(lines) > 1 and lines[1].strip():
        _reported[interpreter] = Path(lines[1].strip())
    return version


def _probe(interpreter: Path) -> Interpreter:
    """Return the interpreter with its version and reported ``sys.executable``."""
    version = probe_version(interpreter)
    return Interpreter(path=interpreter, version=version, executable=_reported.get(interpreter))


_reported: dict[Path, Path] = {}
"""``sys.executable`` reported by each interpreter :func:`probe_version` ran."""


def find_base_interpreter(
    wanted: str | None,
    *,
    python: str | os.PathLike[str] | None = None,
    search_path: str | None = None,
) -> Interpreter:
    """Pick the interpreter a new venv is made from.

    Args:
        wanted: the version the lock file records (``3.11.7`` or ``3.11``), or
            ``None`` when it records none.
        python: ``--python``: an interpreter path or a name on ``PATH``; it
            wins over ``wanted`` (a mismatch is the caller's to report).
        search_path: the ``PATH`` to search (default: ``$PATH``).

    Returns:
        With ``python``: that interpreter. Else the interpreter running
        envsnap when ``wanted`` is unknown or has its ``major.minor`` (no
        search, no subprocess); else the first of ``python3.X`` and
        ``python3`` on ``PATH`` whose ``major.minor`` matches ``wanted``.

    Raises:
        InputError: ``python`` is not found or not a Python; no interpreter
            on ``PATH`` matches ``wanted`` (the hint names ``--python``).
    """
    if python is not None:
        given = Path(python)
        found = given if given.exists() else _which(os.fspath(python), search_path)
        if found is None:
            raise InputError(
                f"--python {python}: no such interpreter",
                hint="give a path, or a name on PATH such as python3.12",
            )
        return _probe(found)
    running = Interpreter(
        path=Path(sys.executable),
        version=".".join(map(str, sys.version_info[:3])),
        executable=Path(sys.executable),
    )
    major_minor = ".".join(wanted.split(".")[:2]) if wanted else running.major_minor
    if wanted is None or running.major_minor == major_minor:
        return running
    seen: list[str] = []
    for name in (f"python{major_minor}", "python3"):
        found = _which(name, search_path)
        if found is None:
            continue
        candidate = _probe(found)
        seen.append(f"{found} is {candidate.version}")
        if candidate.major_minor == major_minor:
            return candidate
    where = "; ".join(seen) if seen else f"neither python{major_minor} nor python3 is on PATH"
    raise InputError(
        f"the lock file was made with Python {wanted} and no Python {major_minor} "
        f"was found ({where})",
        hint=f"install Python {major_minor}, or choose an interpreter with --python PATH",
    )


def _which(name: str, search_path: str | None) -> Path | None:
    found = shutil.which(name, path=search_path)
    return Path(found) if found else None


def create_venv(target: Path, interpreter: Interpreter) -> str:
    """Create a venv without pip at ``target`` (PEP 405); return how it was made.

    In-process with :class:`venv.EnvBuilder` (symlinks where the platform
    allows) when ``interpreter`` is the Python running envsnap or that
    Python's base; otherwise ``INTERPRETER -m venv --without-pip``.

    Args:
        target: the directory (missing or empty).
        interpreter: the base interpreter.

    Returns:
        The creator's name for messages (``venv``).

    Raises:
        OperationError: the venv could not be created.
    """
    if _is_running(interpreter):
        import venv  # noqa: PLC0415

        try:
            venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(target)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise OperationError(f"venv could not create {target}: {exc}") from None
        return "venv"
    command = [os.fspath(interpreter.path), "-m", "venv", "--without-pip", os.fspath(target)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise OperationError(f"cannot run {interpreter.path}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise OperationError(
            f"venv could not create {target} (exit {done.returncode})"
            + "".join(f"\n  | {line}" for line in tail)
        )
    return "venv"


def _is_running(interpreter: Interpreter) -> bool:
    """Whether ``interpreter`` is the Python running envsnap (or its base)."""
    if interpreter.executable is None:
        return False
    ours = {
        os.path.realpath(p)
        for p in (sys.executable, getattr(sys, "_base_executable", sys.executable))
    }
    return os.path.realpath(interpreter.executable) in ours


def check_created(target: Path, creator: str) -> Path:
    """Return the new venv's interpreter after ``creator`` ran.

    Raises:
        OperationError: the venv or its interpreter is missing.
    """
    python = venv_python(target)
    if not is_venv(target) or not python.exists():
        raise OperationError(f"{creator} did not create a venv at {target}")
    return python

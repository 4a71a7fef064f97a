"""Base interpreters and virtual environment creation (PEP 405).

Creator choice, measured on this project's 2-core CI box with CPython 3.11
(wall time, median of 3):

============================================  =======
``python -m venv DIR`` (ensurepip seeds pip)   9-17 s
``python -m venv --without-pip DIR``           0.25 s
``virtualenv --no-setuptools --no-wheel DIR``  2.3 s (app-data seeding, copies)
``virtualenv --no-seed DIR``                   0.7 s
============================================  =======

So a venv with pip is made by virtualenv (its wheel "app data" cache copies
an unpacked pip instead of running ensurepip), and a venv without pip by the
stdlib. virtualenv's ``--symlink-app-data`` is faster still (0.7 s) but leaves
the venv's pip pointing into the user's cache, so it is not used. If
virtualenv is not importable, the stdlib seeds pip itself (slow but correct).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from envsnap.errors import InputError, OperationError

__all__ = [
    "BIN_DIR",
    "Interpreter",
    "create_command",
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
    try:
        done = subprocess.run(
            [os.fspath(interpreter), "-I", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"{interpreter}: cannot run it as a Python interpreter ({exc})") from None
    version = done.stdout.splitlines()[0].strip() if done.stdout else ""
    if done.returncode != 0 or not version.replace(".", "").isdigit():
        raise InputError(
            f"{interpreter}: not a working Python interpreter (exit {done.returncode})",
            hint="name another one with --python",
        )
    return version


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
        With ``python``: that interpreter. Else, when ``wanted`` is known, the
        first of ``python3.X`` and ``python3`` on ``PATH`` whose
        ``major.minor`` matches it; without ``wanted``, the interpreter
        running envsnap.

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
        return Interpreter(path=found, version=probe_version(found))
    if wanted is None:
        return Interpreter(
            path=Path(sys.executable), version=".".join(map(str, sys.version_info[:3]))
        )
    major_minor = ".".join(wanted.split(".")[:2])
    seen: list[str] = []
    for name in (f"python{major_minor}", "python3"):
        found = _which(name, search_path)
        if found is None:
            continue
        version = probe_version(found)
        seen.append(f"{found} is {version}")
        candidate = Interpreter(path=found, version=version)
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


def create_command(
    target: Path, interpreter: Interpreter, *, with_pip: bool
) -> tuple[list[str], str]:
    """Return the command that creates a venv at ``target``, and the creator's name.

    With pip: ``virtualenv`` (run by the interpreter running envsnap, seeding
    pip only, no periodic update: it stays offline), or the stdlib ``venv``
    when virtualenv is not installed. Without pip: the stdlib ``venv
    --without-pip``. See the module docstring for the measurements.
    """
    base = os.fspath(interpreter.path)
    if with_pip and importlib.util.find_spec("virtualenv") is not None:
        command = [
            sys.executable,
            "-m",
            "virtualenv",
            "--quiet",
            "--python",
            base,
            "--no-setuptools",
            "--no-wheel",
            "--no-periodic-update",
            "--no-download",
            os.fspath(target),
        ]
        return command, "virtualenv"
    command = [base, "-m", "venv", *(() if with_pip else ("--without-pip",)), os.fspath(target)]
    return command, "venv" if with_pip else "venv --without-pip"


def check_created(target: Path, creator: str) -> Path:
    """Return the new venv's interpreter after ``creator`` ran.

    Raises:
        OperationError: the venv or its interpreter is missing.
    """
    python = venv_python(target)
    if not is_venv(target) or not python.exists():
        raise OperationError(f"{creator} did not create a venv at {target}")
    return python

"""Installer backends (pip, uv) and the REQUESTED markers after an install.

pip runs inside the new venv (``VENV/bin/python -m pip install``): the pip
the venv keeps, chosen for its Python (:mod:`envsnap.install.pip_seed`), never the
one beside envsnap, so what is accepted does not depend on envsnap's own
pip; a venv made ``--without-pip`` runs a pip wheel unpacked in the cache
from ``PYTHONPATH``. uv installs from the outside (``uv pip install
--python VENV/bin/python``). Both read the requirements file
itself, so its ``-r``/``-c`` includes and index option lines keep their pip
meaning; a pylock file is first turned into an equivalent requirements file
(:func:`envsnap.lockfiles.requirements.write.requirements_text`).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import shutil
import subprocess
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.utils import canonicalize_name

from envsnap.environment import TOOLING
from envsnap.errors import InputError, OperationError

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence


__all__ = [
    "INSTALLERS",
    "InstallCommand",
    "InstallerName",
    "find_uv",
    "install_command",
    "run_logged",
    "set_requested",
]

InstallerName = Literal["direct", "pip", "uv"]
INSTALLERS: tuple[InstallerName, ...] = ("direct", "pip", "uv")
"""The backends, for the CLI's choices: ``direct`` is :mod:`envsnap.install.builtin`."""
TAIL_LINES = 15
"""How many last lines of a failed command's output an error shows."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallCommand:
    """One installer run."""

    argv: tuple[str, ...]
    """The command line."""
    cwd: Path
    """Where it runs (the lock file's directory: relative ``-e`` paths start there)."""
    installer: Literal["pip", "uv"]
    """Which backend."""
    env: dict[str, str] | None = None
    """Its environment (``None``: envsnap's); set to put pip on ``PYTHONPATH``."""


def find_uv() -> Path:
    """Return the ``uv`` executable: the ``uv`` package's (envsnap's ``uv`` extra), else ``PATH``.

    Raises:
        InputError: neither is there; the hint names the extra.
    """
    if importlib.util.find_spec("uv") is not None:
        import uv  # noqa: PLC0415

        try:
            return Path(uv.find_uv_bin())
        except FileNotFoundError:
            pass
    found = shutil.which("uv")
    if found:
        return Path(found)
    raise InputError(
        "installer=uv: uv is not installed",
        hint="install envsnap with its uv extra (pip install 'envsnap[uv]'), "
        "or put uv on PATH, or use installer=pip",
    )


def install_command(
    installer: Literal["pip", "uv"],
    *,
    venv_python: Path,
    requirements: Path,
    no_deps: bool,
    require_hashes: bool,
    index_args: Sequence[str] = (),
    verbose: bool = False,
    cwd: Path | None = None,
    pip_path: Path | None = None,
) -> InstallCommand:
    """Build the install command for one backend.

    Args:
        installer: ``pip`` or ``uv``.
        venv_python: the new venv's interpreter.
        requirements: the requirements file to install (``-r``).
        no_deps: install exactly the listed packages (the file pins the
            whole closure), like ``pip install --no-deps``.
        require_hashes: pip's hash-checking mode (``--require-hashes``): every
            file must match one of its ``--hash`` values.
        index_args: ``--index-url URL``, ``--find-links DIR``, ``--no-index``...
            passed through after the file's own options.
        verbose: let the installer print its normal output (else ``-q``).
        cwd: where it runs (default: the requirements file's directory).
        pip_path: for pip in a venv that has none: a directory holding the
            ``pip`` package (an unpacked pip wheel), put on ``PYTHONPATH``.

    Returns:
        The :class:`InstallCommand`.

    Raises:
        InputError: ``uv`` asked for and not installed.
    """
    flags = [*(["--no-deps"] if no_deps else []), *(["--require-hashes"] if require_hashes else [])]
    match installer:
        case "pip":
            argv = [
                os.fspath(venv_python),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                *([] if verbose else ["-q"]),
            ]
        case "uv":
            argv = [
                os.fspath(find_uv()),
                "pip",
                "install",
                "--python",
                os.fspath(venv_python),
                *([] if verbose else ["--quiet"]),
            ]
    argv += [*flags, *index_args, "-r", os.fspath(requirements)]
    env = None
    if installer == "pip" and pip_path is not None:
        env = {**os.environ, "PYTHONPATH": os.fspath(pip_path)}
    return InstallCommand(
        argv=tuple(argv), cwd=cwd or requirements.parent, installer=installer, env=env
    )


def run_logged(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    output: Callable[[str], None] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[int, list[str]]:
    """Run a command, streaming its output lines to ``output``; kill it if interrupted.

    Args:
        argv: the command.
        cwd: its working directory.
        output: called with each line of its combined stdout/stderr (``-v``).
        env: its environment (default: envsnap's).

    Returns:
        ``(exit code, last lines of output)``.

    Raises:
        OperationError: the command cannot be started.
        BaseException: whatever interrupts the wait (Ctrl-C, SIGTERM turned
            into ``KeyboardInterrupt``); the child is killed first.
    """
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            env=env,
        )
    except OSError as exc:
        raise OperationError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    try:
        assert process.stdout is not None  # noqa: S101 - set by stdout=PIPE
        for line in process.stdout:
            text = line.rstrip("\n")
            tail.append(text)
            if output is not None:
                output(text)
        code = process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        if process.stdout is not None:
            process.stdout.close()
    return code, [line for line in tail if line.strip()]


def set_requested(site_packages: Sequence[Path], top_level: Collection[str]) -> tuple[int, int]:
    """Make the REQUESTED markers of a venv say exactly which packages are top-level.

    PEP 376 (as amended by PEP 627): ``REQUESTED`` in a ``.dist-info``
    directory means the user asked for the distribution. pip writes it for
    every package named in a requirements file, which would make every
    package top-level on the next ``envsnap freeze``; so it is created for
    the names in ``top_level`` and removed from all others (pip, setuptools,
    wheel left alone). ``RECORD`` is updated to list the files present, so
    ``pip uninstall`` still removes them.

    Args:
        site_packages: the venv's site-packages directories.
        top_level: the names (any spelling) that must be marked.

    Returns:
        ``(created, removed)`` counts.
    """
    wanted = {canonicalize_name(n) for n in top_level}
    created = removed = 0
    for root in site_packages:
        for info in sorted(root.glob("*.dist-info")):
            name = canonicalize_name(info.name[: -len(".dist-info")].rsplit("-", 1)[0])
            if name in TOOLING:
                continue
            marker = info / "REQUESTED"
            if name in wanted and not marker.exists():
                marker.write_bytes(b"")
                _record(info, add=True)
                created += 1
            elif name not in wanted and marker.exists():
                marker.unlink()
                _record(info, add=False)
                removed += 1
    return created, removed


def _record(info: Path, *, add: bool) -> None:
    """Add or drop the ``REQUESTED`` row of ``RECORD`` (PEP 376 CSV, no hash for it)."""
    record = info / "RECORD"
    try:
        text = record.read_text(encoding="utf-8")
    except OSError:
        return
    entry = f"{info.name}/REQUESTED"
    rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0] != entry]
    if add:
        rows.append([entry, "", ""])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    from envsnap._io import atomic_write  # noqa: PLC0415

    atomic_write(record, buffer.getvalue())

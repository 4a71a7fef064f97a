"""Real virtual environments for integration tests, and the subprocesses that use them.

Everything here runs with :func:`clean_env`: no ``PIP_*``/``UV_*`` variable of
the caller leaks in, and ``PIP_CONFIG_FILE=os.devnull`` hides the machine's pip
configuration (extra indexes, constraints), so a test sees only the wheels it
built. pip is always the *host* pip (``sys.executable -m pip --python VENV``),
so a target venv needs no pip of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = [
    "NO_INDEX",
    "clean_env",
    "make_venv",
    "messages",
    "pip_freeze",
    "pip_install",
    "run_checked",
    "run_envsnap",
    "uv_install",
    "venv_python",
    "venv_root",
]


NO_INDEX = "https://127.0.0.1:9/simple/"
"""``PIP_INDEX_URL`` of every subprocess: a closed port, never the real default index."""


_DROPPED = frozenset({"VIRTUAL_ENV", "PYTHONPATH", "COLUMNS", "LINES", "PYTHONDONTWRITEBYTECODE"})


def clean_env(**extra: str) -> dict[str, str]:
    """Return ``os.environ`` minus ``PIP_*``, ``UV_*``, ``VIRTUAL_ENV`` and ``PYTHONPATH``.

    ``UV_CACHE_DIR`` stays: in a test session it is the test's own cache
    (tests/conftest.py drops the machine's and sets one per test).
    ``COLUMNS`` and ``LINES`` go (uv wraps its messages at ``COLUMNS``).
    ``PYTHONDONTWRITEBYTECODE`` goes too: with it, every subprocess compiled
    envsnap's modules (and the host pip, run under another Python) again.
    Sets ``PIP_CONFIG_FILE=os.devnull``, ``PIP_DISABLE_PIP_VERSION_CHECK=1``,
    ``PIP_NO_INPUT=1`` and ``PIP_INDEX_URL`` to :data:`NO_INDEX`, then
    applies ``extra``.
    """
    dropped = ("PIP_", "UV_", "VIRTUALENV_")
    env = {
        key: value
        for key, value in os.environ.items()
        if (key == "UV_CACHE_DIR" or not key.startswith(dropped)) and key not in _DROPPED
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        # a closed loopback port stands in for pip's default index, so a test
        # that names no index fails at once instead of reaching the network
        PIP_INDEX_URL=NO_INDEX,
    )
    env.update(extra)
    return env


def git(*args: str, cwd: Path) -> str:
    """Run git in ``cwd`` with a fixed identity and no user or system configuration.

    Returns:
        Its stdout, stripped.

    Raises:
        AssertionError: git failed; the message holds its stderr.
    """
    env = clean_env(
        GIT_AUTHOR_NAME="tests",
        GIT_AUTHOR_EMAIL="tests@example.invalid",
        GIT_COMMITTER_NAME="tests",
        GIT_COMMITTER_EMAIL="tests@example.invalid",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def venv_python(root: Path) -> Path:
    """Return the interpreter path of the venv at ``root``."""
    if sys.platform == "win32":
        return root / "Scripts" / "python.exe"
    return root / "bin" / "python"


def venv_root(python: Path) -> Path:
    """Return the venv directory of an interpreter made by :func:`make_venv`."""
    return python.parent.parent


def run_checked(cmd: list[str], *, env: Mapping[str, str] | None = None) -> str:
    """Run ``cmd`` with :func:`clean_env`; return stdout, or raise with all output on failure."""
    proc = subprocess.run(
        cmd, env=clean_env(**(env or {})), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        msg = (
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n"
            f"--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
        )
        raise AssertionError(msg)
    return proc.stdout


def make_venv(path: Path, *, with_pip: bool = False, system_site_packages: bool = False) -> Path:
    """Create a venv at ``path`` and return its interpreter.

    Without pip this is the stdlib ``venv`` (symlinks, ``--without-pip``),
    about 20 ms. With pip, ``virtualenv`` seeds only pip from its app-data
    cache (no setuptools, no wheel), which is much faster than ``ensurepip``.

    Args:
        path: the venv directory (must not exist or be empty).
        with_pip: seed pip into the venv.
        system_site_packages: ``include-system-site-packages = true``.

    Returns:
        The venv's ``bin/python``.
    """
    if with_pip:
        cmd = [sys.executable, "-m", "virtualenv", "--quiet", "--no-periodic-update"]
        cmd += ["--no-setuptools", "--no-wheel", "--seeder", "app-data"]
        if system_site_packages:
            cmd.append("--system-site-packages")
        run_checked([*cmd, str(path)])
    else:
        builder = venv.EnvBuilder(
            system_site_packages=system_site_packages,
            with_pip=False,
            symlinks=sys.platform != "win32",
        )
        builder.create(path)
    return venv_python(path)


def pip_install(
    python: Path,
    *args: str,
    find_links: Path | None = None,
    index_url: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Install into the venv of ``python`` with the host pip, offline.

    Runs ``sys.executable -m pip --python PYTHON install ...`` with
    :func:`clean_env`: ``--no-index`` (plus ``--find-links``) unless
    ``index_url`` is given, in which case only that index is used. ``cwd`` is
    where pip runs (pip resolves relative ``-e ./x`` lines of a ``-r`` file
    against it, not against the file's directory).

    Raises:
        AssertionError: pip failed; the message holds its whole output.
    """
    cmd = [sys.executable, "-m", "pip", "--python", str(python), "install"]
    if index_url is None:
        cmd.append("--no-index")
    else:
        cmd += ["--index-url", index_url]
    if find_links is not None:
        cmd += ["--find-links", str(find_links)]
    cmd += list(args)
    proc = subprocess.run(
        cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        msg = (
            f"pip install failed ({proc.returncode}): {' '.join(cmd)}\n"
            f"--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
        )
        raise AssertionError(msg)
    return proc


def uv_install(
    python: Path,
    *args: str,
    find_links: Path | None = None,
    index_url: str | None = None,
) -> str:
    """Install into the venv of ``python`` with ``uv pip install``, offline; return uv's stderr.

    Several times faster than :func:`pip_install`, for venvs a test only
    needs to hold some packages. What differs from pip's work: ``INSTALLER``
    says ``uv``, every distribution gets a ``REQUESTED`` file (not only the
    named ones), and no bytecode is compiled, so a test about what pip writes
    (top-level from ``REQUESTED``, ``INSTALLER``) uses :func:`pip_install`.
    Files are copied (``--link-mode copy``), never hard links into the cache.
    ``--no-index`` (plus ``--find-links``) unless ``index_url`` is given; the
    cache is the test's own (``UV_CACHE_DIR``, see :func:`clean_env`).

    Raises:
        AssertionError: uv failed; the message holds its whole output.
    """
    from uv import find_uv_bin  # noqa: PLC0415

    cmd = [find_uv_bin(), "pip", "install", "--no-config", "--python", str(python)]
    cmd += ["--link-mode", "copy"]
    cmd += ["--no-index"] if index_url is None else ["--index-url", index_url]
    if find_links is not None:
        cmd += ["--find-links", str(find_links)]
    proc = subprocess.run(
        [*cmd, *args], env=clean_env(), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        msg = (
            f"uv pip install failed ({proc.returncode}): {' '.join(cmd)}\n"
            f"--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
        )
        raise AssertionError(msg)
    return proc.stderr


def pip_freeze(python: Path, *args: str) -> list[str]:
    """Return the lines of the host pip's ``--python PYTHON freeze`` (extra ``args`` appended)."""
    out = run_checked([sys.executable, "-m", "pip", "--python", str(python), "freeze", *args])
    return out.splitlines()


def run_envsnap(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m envsnap ARGS`` in a subprocess (text, captured, not checked).

    The environment is :func:`clean_env` plus ``env``.
    """
    return subprocess.run(
        [sys.executable, "-m", "envsnap", *args],
        cwd=cwd,
        env=clean_env(**(env or {})),
        input=input,
        capture_output=True,
        text=True,
        check=False,
    )


def messages(stderr: str) -> str:
    """Return ``stderr`` without the lines every run prints: the target and freeze's summary.

    ``Using environment at: ...`` (every command) and ``top-level: ...``
    (freeze) are asserted by the CLI tests; hardening tests look at the rest.
    """
    return "".join(
        line
        for line in stderr.splitlines(keepends=True)
        if not line.startswith(("Using environment at: ", "top-level: "))
    )

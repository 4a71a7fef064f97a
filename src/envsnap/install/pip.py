"""pip as restore's installer where uv cannot serve: the new venv's own pip.

``python -m venv --without-pip`` makes the venv, then the venv's Python runs
pip from the base's ensurepip wheel, as ensurepip does, to install the newest
pip that supports it (offline, or when the lock pins pip, ensurepip's own pip).
Every install runs as the venv's ``python -m pip``, never the pip beside envsnap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envsnap.install.backend import Command, InstallerName, index_urls
from envsnap.install.venvs import venv_python

if TYPE_CHECKING:
    from pathlib import Path

    from envsnap.index.settings import IndexSettings
    from envsnap.install.backend import InstallRequest, VenvRequest

__all__ = ["PIP", "PipBackend", "index_arguments"]


def index_arguments(settings: IndexSettings) -> tuple[list[str], dict[str, str]]:
    """Return the index settings as pip's ``(argv words, environment variables)``.

    Credentials go in the environment (:func:`~envsnap.install.backend.index_urls`).
    """
    argv, env = index_urls(settings, "PIP")
    argv += [w for link in settings.find_links for w in ("--find-links", link)]
    argv += [w for host in settings.trusted_hosts for w in ("--trusted-host", host)]
    for option, value in (
        ("--cert", settings.cert),
        ("--client-cert", settings.client_cert),
        ("--proxy", settings.proxy),
        ("--keyring-provider", settings.keyring_provider),
        ("--timeout", settings.timeout),
        ("--retries", settings.retries),
    ):
        if value:
            argv += [option, value]
    return argv, env


@dataclass(frozen=True, slots=True)
class PipBackend:
    """``python -m venv``, then the venv's ``python -m pip install``."""

    name: InstallerName = "pip"

    def venv_commands(self, request: VenvRequest) -> list[Command]:
        """Return ``BASE -m venv --without-pip TARGET``, then pip's install of the newest pip.

        One install, where ensurepip's and then an upgrade's took twice as long.
        ``--ignore-installed``: a base pip seen through system site-packages
        must not stand in for the venv's. Offline, or with ``with_pip`` off (the
        lock brings its pip), ``BASE -m venv TARGET`` alone: ensurepip's pip.
        """
        bootstrap = request.with_pip and not request.offline
        argv = [os.fspath(request.interpreter), "-m", "venv"]
        argv += ["--without-pip"] if bootstrap else []
        argv += ["--system-site-packages"] if request.system_site_packages else []
        commands = [
            Command(
                argv=(*argv, os.fspath(request.target)),
                cwd=request.target.parent,
                what=f"venv could not create {request.target}",
            )
        ]
        if bootstrap:
            index, env = index_arguments(request.index)
            commands.append(
                Command(
                    argv=(
                        os.fspath(venv_python(request.target)),
                        "-c",
                        _BOOTSTRAP,
                        *_INSTALL,
                        "--ignore-installed",
                        *index,
                        *(["--no-cache-dir"] if request.no_cache else []),
                        "pip",
                    ),
                    cwd=request.target.parent,
                    env=env,
                    what=f"pip could not install itself in {request.target}",
                )
            )
        return commands

    def install_commands(
        self, request: InstallRequest, python: Path, requirements: Path | None
    ) -> list[Command]:
        """Return ``python -m pip install [--no-deps] [--require-hashes] -r FILE`` in the venv."""
        index, env = index_arguments(request.index)
        argv = [*_pip(python), *index]
        if request.exact:
            argv.append("--no-deps")
        if request.require_hashes:
            argv.append("--require-hashes")
        argv.append("--compile" if request.compile_bytecode else "--no-compile")
        if request.no_cache:
            argv.append("--no-cache-dir")
        return [request.command("pip", argv, env, requirements)]


_INSTALL = ("install", "--disable-pip-version-check", "--no-input")


def _pip(python: Path) -> list[str]:
    return [os.fspath(python), "-m", "pip", *_INSTALL]


_BOOTSTRAP = (
    "import sys; sys.path[:] = [p for p in sys.path if p]; "
    "import ensurepip, glob, os, runpy; "
    'w = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")); '
    "sys.path[:0] = w[:1]; w or ensurepip.bootstrap(); "
    'runpy.run_module("pip", run_name="__main__", alter_sys=True)'
)
"""Run pip from the base's bundled wheel (ensurepip's own way); a Python whose
distributor keeps the wheels elsewhere (Debian) bootstraps with ensurepip first.
``-c`` puts the working directory (the user's project) first on ``sys.path``: it
goes, so a ``glob.py`` there is never run."""


PIP = PipBackend()
"""The pip backend."""

"""pip as restore's installer where uv cannot serve: the new venv's own pip.

``python -m venv`` makes the venv (ensurepip puts its pip in), then pip is
upgraded to the newest that supports the venv's Python unless the lock pins
pip. Every install runs as the venv's ``python -m pip``, never the pip beside envsnap.
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
        """Return ``BASE -m venv TARGET``, then ``pip install --upgrade pip`` (unless offline)."""
        argv = [os.fspath(request.interpreter), "-m", "venv"]
        if request.system_site_packages:
            argv.append("--system-site-packages")
        commands = [
            Command(
                argv=(*argv, os.fspath(request.target)),
                cwd=request.target.parent,
                what=f"venv could not create {request.target}",
            )
        ]
        if request.with_pip and not request.offline:
            index, env = index_arguments(request.index)
            commands.append(
                Command(
                    argv=(
                        *_pip(venv_python(request.target)),
                        "--upgrade",
                        *index,
                        *(["--no-cache-dir"] if request.no_cache else []),
                        "pip",
                    ),
                    cwd=request.target.parent,
                    env=env,
                    what=f"pip could not upgrade itself in {request.target}",
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


def _pip(python: Path) -> list[str]:
    return [os.fspath(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]


PIP = PipBackend()
"""The pip backend."""

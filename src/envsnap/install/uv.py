"""uv as restore's installer: ``uv venv`` creates the venv, ``uv pip install`` fills it.

Every run gets ``--no-config`` (a ``uv.toml`` or ``[tool.uv]`` of the user's
project must not change what a restore installs), ``--no-python-downloads``
(envsnap chooses the interpreter) and the index settings pip would use
(:func:`index_arguments`). uv reads a ``pylock.toml`` itself (PEP 751).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envsnap.errors import InputError
from envsnap.install.backend import Command, InstallerName, index_urls

if TYPE_CHECKING:
    from pathlib import Path

    from envsnap.index.settings import IndexSettings
    from envsnap.install.backend import InstallRequest, VenvRequest

__all__ = ["UV", "UvBackend", "find_uv", "index_arguments"]

UV_OLDEST_PYTHON = (3, 6)
"""uv works with CPython 3.6 and newer (its Python support policy: tier 2 for 3.6-3.9)."""


def find_uv() -> Path:
    """Return the ``uv`` executable: the ``uv`` package's (a dependency), else ``PATH``'s.

    Raises:
        InputError: neither is there.
    """
    from pathlib import Path  # noqa: PLC0415

    try:
        import uv  # noqa: PLC0415

        return Path(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found:
        return Path(found)
    raise InputError(
        "uv is not installed beside envsnap nor on PATH",
        hint="reinstall envsnap (it depends on uv), or restore with installer=pip",
    )


def index_arguments(settings: IndexSettings) -> tuple[list[str], dict[str, str]]:
    """Return the index settings pip would use as uv's ``(argv words, environment variables)``.

    Index URLs that carry credentials go in the environment
    (:func:`~envsnap.install.backend.index_urls`); ``cert``, ``client-cert``,
    ``proxy`` (winning over the variables, as in pip), ``timeout`` and ``retries``
    become variables; a keyring is asked through its command (uv's only
    provider) when pip would ask one.
    """
    argv, env = index_urls(settings, "UV")
    if settings.extra_index_urls and not settings.no_index:
        argv += ["--index-strategy", "unsafe-best-match"]  # pip's choice across indexes
    argv += [w for link in settings.find_links for w in ("--find-links", link)]
    argv += [w for host in settings.trusted_hosts for w in ("--allow-insecure-host", host)]
    keyring = _keyring_provider(settings.keyring_provider)
    if keyring is not None:
        argv += ["--keyring-provider", keyring]
    variables = {
        "SSL_CERT_FILE": settings.cert,
        "SSL_CLIENT_CERT": settings.client_cert,
        "HTTP_PROXY": settings.proxy,
        "HTTPS_PROXY": settings.proxy,
        "UV_HTTP_TIMEOUT": settings.timeout,
        "UV_HTTP_RETRIES": settings.retries,
    }
    env.update({name: value for name, value in variables.items() if value})
    return argv, env


def _keyring_provider(pip_setting: str | None) -> str | None:
    """Map pip's ``keyring-provider`` to uv's: ``subprocess`` when pip would ask a keyring."""
    setting = (pip_setting or "auto").lower()
    asks = setting == "subprocess" or (setting != "disabled" and shutil.which("keyring"))
    return "subprocess" if asks else None


def _cache_arguments(offline: bool, no_cache: bool) -> list[str]:
    return [*(["--offline"] if offline else []), *(["--no-cache"] if no_cache else [])]


@dataclass(frozen=True, slots=True)
class UvBackend:
    """``uv venv`` and ``uv pip install``: one command each."""

    name: InstallerName = "uv"

    def venv_commands(self, request: VenvRequest) -> list[Command]:
        """Return ``uv venv --python BASE TARGET``, and pip alone put into it.

        pip is the newest the venv's Python supports (uv's resolver reads its
        ``Requires-Python``). From Python 3.12 ``uv venv --seed`` installs pip
        alone; before, it adds setuptools and wheel (0.46+ needs packaging,
        which the lock may not list): ``uv pip install pip`` follows instead.
        """
        from envsnap.install.venvs import venv_python  # noqa: PLC0415

        argv = [*self._base("venv"), "--no-project", "--python", os.fspath(request.interpreter)]
        if request.system_site_packages:
            argv.append("--system-site-packages")
        caches = _cache_arguments(request.offline, request.no_cache)
        index, env = index_arguments(request.index) if request.with_pip else ([], {})
        major, minor = (int(n) for n in request.python_version.split(".")[:2])
        seed = request.with_pip and (major, minor) >= (3, 12)
        create = Command(
            argv=(*argv, *(["--seed", *index] if seed else []), *caches, os.fspath(request.target)),
            cwd=request.target.parent,
            env=env if seed else {},
            what=f"uv could not create a venv{' with pip' if seed else ''} at {request.target}",
        )
        if not request.with_pip or seed:
            return [create]
        python = os.fspath(venv_python(request.target))
        pip = Command(
            argv=(
                *self._base("pip", "install"),
                "--python",
                python,
                *index,
                *caches,
                "pip",  # pip has no dependencies; --no-deps would skip Requires-Python
            ),
            cwd=request.target.parent,
            env=env,
            what=f"uv could not install pip in {request.target}",
        )
        return [create, pip]

    def install_commands(
        self, request: InstallRequest, python: Path, requirements: Path | None
    ) -> list[Command]:
        """Return ``uv pip install --python VENV -r FILE``, with the request's settings."""
        index, env = index_arguments(request.index)
        argv = [*self._base("pip", "install"), "--python", os.fspath(python), *index]
        if request.exact:
            argv.append("--no-deps")
        if request.require_hashes:
            argv.append("--require-hashes")
        if request.file is not None and request.file.suffix == ".toml":
            argv += ["--preview-features", "pylock"]  # PEP 751 input: uv calls it a preview
        argv += [w for extra in request.extras for w in ("--extra", extra)]
        argv += [w for group in request.groups for w in ("--group", group)]
        if request.compile_bytecode:
            argv.append("--compile-bytecode")
        if request.link_mode is not None:
            argv += ["--link-mode", request.link_mode]
        argv += _cache_arguments(request.offline, request.no_cache)
        return [request.command("uv", argv, env, requirements)]

    @staticmethod
    def _base(*command: str) -> list[str]:
        return [os.fspath(find_uv()), *command, "--no-config", "--no-python-downloads"]


UV = UvBackend()
"""The uv backend."""

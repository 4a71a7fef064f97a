"""The one seam between restore and the installers: requests in, commands out.

Restore hands a backend a :class:`VenvRequest` and :class:`InstallRequest`s,
never its whole plan. Nothing but the request shapes what an installer does:
every setting (index, trusted hosts, certificates, proxies, keyring) is passed
explicitly, the installer's own configuration is off (uv ``--no-config``, pip
``PIP_CONFIG_FILE=os.devnull``), and the caller's ``PIP_*``/``UV_*`` are dropped.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from envsnap import _report
from envsnap.errors import OperationError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from envsnap.index.settings import IndexSettings

__all__ = [
    "INSTALLERS",
    "LINK_MODES",
    "Backend",
    "Command",
    "InstallRequest",
    "InstallerName",
    "LinkMode",
    "VenvRequest",
    "index_urls",
    "installer_environment",
    "run_command",
]

InstallerName = Literal["uv", "pip"]
INSTALLERS: tuple[InstallerName, ...] = ("uv", "pip")
"""The backends, in the CLI's order: ``uv`` (the default) and the new venv's own pip."""

LinkMode = Literal["clone", "hardlink", "copy", "symlink"]
LINK_MODES: tuple[LinkMode, ...] = ("clone", "hardlink", "copy", "symlink")
"""How uv puts files from its cache into the venv (uv's ``--link-mode``)."""

TAIL_LINES = 15
"""How many last lines of a failed command's output an error shows."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VenvRequest:
    """The venv to create."""

    target: Path
    """Its directory (absent or empty)."""
    interpreter: Path
    """The base interpreter."""
    python_version: str
    """The base interpreter's ``major.minor.micro``."""
    with_pip: bool
    """Put pip in (the newest the venv's Python supports; pip alone with uv)."""
    system_site_packages: bool = False
    """Let the venv see the base interpreter's site-packages."""
    index: IndexSettings
    """Where pip comes from (uv resolves the newest pip for the venv's Python)."""
    offline: bool = False
    """Use the installer's cache only."""
    no_cache: bool = False
    """Neither read nor write the installer's cache."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallRequest:
    """What to install into a venv: exactly one of :attr:`requirements` and :attr:`file`."""

    requirements: str | None = None
    """Requirement lines rendered from the Lock (each checked by ``pip_line``), with hashes."""
    file: Path | None = None
    """A ``pylock.toml`` (uv reads PEP 751) or a requirements file that needs resolving."""
    extras: tuple[str, ...] = ()
    """Extras of a pylock file to install (PEP 751)."""
    groups: tuple[str, ...] = ()
    """Dependency groups of a pylock file to install (empty: its defaults)."""
    exact: bool
    """The request is the whole dependency closure: install it with ``--no-deps``."""
    require_hashes: bool = False
    """Hash-checking mode (pip ``--require-hashes``); present hashes are checked in any case."""
    index: IndexSettings
    """The indexes pip would use (command line, the file, ``PIP_*``, configuration, default)."""
    offline: bool = False
    """Use the installer's cache only (uv ``--offline``)."""
    no_cache: bool = False
    """Neither read nor write the installer's cache (uv ``--no-cache``, pip ``--no-cache-dir``)."""
    compile_bytecode: bool = False
    """Compile the installed modules to bytecode."""
    link_mode: LinkMode | None = None
    """uv's ``--link-mode`` (``None``: uv's default, clone or hard link)."""
    cwd: Path
    """Where it runs: relative paths of the file resolve from there (the lock's directory)."""

    @property
    def count(self) -> int:
        """How many requirement lines a rendered request holds (0 for a file)."""
        return len((self.requirements or "").splitlines())

    def command(
        self, installer: str, argv: list[str], env: dict[str, str], requirements: Path | None
    ) -> Command:
        """Return ``argv -r FILE``: ``requirements`` (the rendered lines), else :attr:`file`.

        ``installer`` (``uv`` or ``pip``) names it in the message when it fails.
        """
        # the file absolute: the installer runs in the file's directory (its relative paths
        # are the file's), where `sub/lock.txt` as given would name `sub/sub/lock.txt`
        source = requirements
        if source is None:
            assert self.file is not None  # noqa: S101 - one of the two is set
            source = self.file.absolute()
        shown = os.fspath(self.file) if self.file is not None else "the lock's packages"
        return Command(
            argv=(*argv, "-r", os.fspath(source)),
            cwd=self.cwd,
            env=env,
            what=f"{installer} could not install {shown}",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One installer run, rendered: what :func:`run_command` starts."""

    argv: tuple[str, ...]
    """The command line."""
    cwd: Path
    """Where it runs."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Variables set for it over :func:`installer_environment`."""
    what: str
    """What it does, for messages (``uv could not install FILE``)."""

    def shown(self) -> str:
        """Return the command as a shell line, its URLs' secrets masked (``--dry-run``, ``-v``)."""
        from envsnap._text import redact_urls  # noqa: PLC0415

        words = [f"{k}={v}" for k, v in sorted(self.env.items())] + list(self.argv)
        return redact_urls(shlex.join(words))


class Backend(Protocol):
    """One installer (:func:`envsnap.install.backend_for`): enforces the lock's hashes.

    Restore never asks which backend it has.
    """

    @property
    def name(self) -> InstallerName:
        """``uv`` or ``pip``, for messages."""
        ...

    def venv_commands(self, request: VenvRequest) -> list[Command]:
        """Return the commands that create the venv (and put pip in, when asked)."""
        ...

    def install_commands(
        self, request: InstallRequest, python: Path, requirements: Path | None
    ) -> list[Command]:
        """Return the commands that install ``request`` into the venv of ``python``.

        ``requirements`` is where :attr:`InstallRequest.requirements` was written.
        """
        ...


_DROPPED = ("PIP_", "UV_")
_KEPT = frozenset({"UV_CACHE_DIR", "UV_PYTHON_INSTALL_DIR"})
"""Where uv keeps things, not what it installs."""


def index_urls(settings: IndexSettings, variables: str) -> tuple[list[str], dict[str, str]]:
    """Return the index URLs as ``(argv words, environment variables)``.

    With credentials in one, they go in ``{variables}_INDEX_URL`` and
    ``{variables}_EXTRA_INDEX_URL``: other users of the machine can list a command line.
    """
    from envsnap._text import strip_credentials  # noqa: PLC0415

    if settings.no_index:
        return ["--no-index"], {}
    main, extras = settings.index_urls()[0], list(settings.extra_index_urls)
    if not any(strip_credentials(u)[1] for u in (main, *extras)):
        return ["--index-url", main, *(w for u in extras for w in ("--extra-index-url", u))], {}
    env = {f"{variables}_INDEX_URL": main}
    if extras:
        env[f"{variables}_EXTRA_INDEX_URL"] = " ".join(extras)
    return [], env


def installer_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment an installer runs with: the caller's, minus ``PIP_*``/``UV_*``.

    Those would change what a restore installs; envsnap has read pip's own into
    the request. ``UV_CACHE_DIR``, ``UV_PYTHON_INSTALL_DIR`` and the proxy,
    ``NETRC`` and certificate variables stay (both installers read them, as pip
    does). pip's configuration files are off (``PIP_CONFIG_FILE=os.devnull``).
    """
    env = {
        key: value
        for key, value in (os.environ if base is None else base).items()
        if not key.startswith(_DROPPED) or key in _KEPT
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def run_command(command: Command, *, base_env: Mapping[str, str] | None = None) -> None:
    """Run an installer command, each line of its output to the reporter (:mod:`envsnap._report`).

    ``base_env`` is the environment to start from (:func:`installer_environment`).

    Raises:
        OperationError: as :func:`run_logged`, or a non-zero exit (its last lines,
            credentials masked, in the message).
    """
    code, tail = run_logged(
        command.argv,
        cwd=command.cwd,
        env={**installer_environment(base_env), **command.env},
    )
    if code != 0:
        from envsnap._text import redact_urls  # noqa: PLC0415

        lines = "".join(f"\n  | {redact_urls(line)}" for line in tail)
        raise OperationError(f"{command.what} (exit {code}){lines}", hint=_install_hint(tail))


def run_logged(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[int, list[str]]:
    """Run a command, its output lines (stdout and stderr) to the reporter; kill it if interrupted.

    Returns:
        ``(exit code, last non-blank lines of output)``.

    Raises:
        OperationError: the command cannot be started.
        BaseException: whatever interrupts the wait; the child is killed first.
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
            env=None if env is None else dict(env),
        )
    except OSError as exc:
        raise OperationError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    assert process.stdout is not None  # noqa: S101 - set by stdout=PIPE
    with process.stdout:
        try:
            for line in process.stdout:
                text = line.rstrip("\n")
                if text.strip():
                    tail.append(text)
                _report.output(text)
            return process.wait(), list(tail)
        except BaseException:
            process.kill()
            process.wait()
            raise


def _install_hint(tail: list[str]) -> str:
    text = "\n".join(tail).lower()
    if "do not match the hashes" in text or "hash mismatch" in text:
        return (
            "a downloaded file does not match the hash in the lock file: the file or "
            "the index changed; nothing was replaced"
        )
    return "nothing was replaced; rerun with -v to see the installer's full output"

"""The indexes pip would use: command line, ``PIP_*`` variables, pip's configuration, pip's default.

pip's order, highest first (pip's ``ConfigOptionParser``):

1. command-line options; list options (``--extra-index-url``, ``--find-links``,
   ``--trusted-host``) add to the configured values, as pip's ``append`` options do;
2. ``PIP_*`` environment variables (whitespace-separated lists);
3. pip's configuration files, asked of pip itself (``pip config debug``: every scope pip
   loads on this platform) and merged in pip's override order; a command's section
   (``[install]``) wins over ``[global]``;
4. pip's built-in default index, learned from the pip beside envsnap: no host written here.

``--no-index`` drops every index, the default included. A ``file:`` index or find-links
directory that does not exist is left out with a note, as pip warns and goes on.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap._text import file_url_path, strip_credentials
from envsnap.errors import OperationError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "IndexOptions",
    "IndexSettings",
    "index_settings",
    "local_path",
    "parse_pip_config_debug",
    "pip_config",
    "pip_default_index",
    "settings_for_lock",
]

_KEYS = (
    "index-url",
    "no-index",
    "cert",
    "client-cert",
    "proxy",
    "keyring-provider",
    "timeout",
    "default-timeout",
    "retries",
    "extra-index-url",
    "find-links",
    "trusted-host",
)
_VARIANTS = ("global", "user", "site", "env")
"""pip's ``OVERRIDE_ORDER`` of configuration files (``env`` is ``PIP_CONFIG_FILE``)."""
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexOptions:
    """Index options given on envsnap's command line, in pip's spelling and meaning."""

    index_url: str | None = None
    """``--index-url``."""
    extra_index_urls: tuple[str, ...] = ()
    """``--extra-index-url`` values."""
    find_links: tuple[str, ...] = ()
    """``--find-links`` values (a relative directory from the current one)."""
    no_index: bool = False
    """``--no-index``."""
    trusted_hosts: tuple[str, ...] = ()
    """``--trusted-host`` values."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexSettings:
    """The indexes pip would use, and where that came from."""

    index_url: str | None = None
    """``--index-url`` / ``PIP_INDEX_URL`` / pip config ``index-url``; ``None``: pip's default."""
    extra_index_urls: tuple[str, ...] = ()
    """``--extra-index-url`` / ``PIP_EXTRA_INDEX_URL`` / pip config."""
    find_links: tuple[str, ...] = ()
    """``--find-links`` / ``PIP_FIND_LINKS`` / pip config: directories or flat-page URLs."""
    trusted_hosts: tuple[str, ...] = ()
    """``--trusted-host`` / ``PIP_TRUSTED_HOST`` / pip config: plain-http hosts allowed."""
    no_index: bool = False
    """``--no-index``: not even pip's built-in default index is used."""
    cert: str | None = None
    """``--cert`` / ``PIP_CERT``: a CA bundle to verify https with."""
    client_cert: str | None = None
    """``--client-cert`` / ``PIP_CLIENT_CERT``: a PEM file with a client key and certificate."""
    proxy: str | None = None
    """``PIP_PROXY`` / pip config ``proxy``: used for every request, over ``HTTP(S)_PROXY``."""
    keyring_provider: str | None = None
    """``PIP_KEYRING_PROVIDER`` / pip config ``keyring-provider``; ``None``: pip's ``auto``."""
    timeout: str | None = None
    """``PIP_(DEFAULT_)TIMEOUT`` / pip config: seconds a connection may stay silent."""
    retries: str | None = None
    """``PIP_RETRIES`` / pip config ``retries``: attempts per request after the first."""
    notes: tuple[str, ...] = ()
    """What was left out and why (a missing ``file:`` index or find-links directory)."""

    def index_urls(self) -> tuple[str, ...]:
        """Return the index URLs to search: ``index_url`` or pip's default, then the extra ones.

        None with ``no_index``.

        Raises:
            OperationError: pip's default is needed and no pip is installed beside envsnap.
        """
        if self.no_index:
            return ()
        return (self.index_url or pip_default_index(), *self.extra_index_urls)

    def has_credentials(self) -> bool:
        """Whether a named index URL carries ``user:password@`` (used, never written)."""
        return any(strip_credentials(u)[1] for u in (self.index_url, *self.extra_index_urls) if u)


def pip_default_index() -> str:
    """Return pip's built-in default index URL (its Simple API root), asked of pip.

    ``pip._internal.models.index.PyPI.simple_url`` is the one private name envsnap reads,
    here alone (a test fails loudly when pip moves it).

    Raises:
        OperationError: no pip is importable beside envsnap.
    """
    try:
        from pip._internal.models.index import PyPI  # noqa: PLC0415
    except ImportError:
        raise OperationError(
            "no pip installed beside envsnap to learn its default index from",
            hint="name the index with --index-url URL (or PIP_INDEX_URL), or install pip "
            "next to envsnap",
        ) from None
    return str(PyPI.simple_url)


def parse_pip_config_debug(text: str) -> dict[str, dict[str, str]]:
    """Parse ``pip config debug`` output into ``{variant: {"section.key": value}}``.

    The output lists each variant, its files in pip's load order (a later one overrides an
    earlier one) and each file's ``section.key: value`` lines; a multi-line value continues
    on the following unindented lines. ``env_var`` is left out: envsnap reads ``PIP_*`` itself.
    """
    found: dict[str, dict[str, str]] = {}
    variant = ""
    last: tuple[str, str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        head = stripped.removesuffix(":")
        if not line.startswith(" ") and stripped.endswith(":") and head in (*_VARIANTS, "env_var"):
            variant, last = head, None
        elif line.startswith("    ") and ": " in stripped and variant in _VARIANTS:
            key, _, value = stripped.partition(": ")
            found.setdefault(variant, {})[key] = value
            last = (variant, key)
        elif line.startswith("  ") and not line.startswith("    "):
            last = None  # a file line: "  PATH, exists: BOOL"
        elif last is not None and stripped:
            found[last[0]][last[1]] += "\n" + stripped
    return found


def pip_config(
    commands: Sequence[str] = ("install",),
    *,
    environ: Mapping[str, str] | None = None,
    python: str | None = None,
) -> dict[str, str]:
    """Return the index options of pip's configuration files, merged as pip merges them.

    Asks ``python -m pip config debug`` (so file locations are pip's own), then takes files
    in pip's override order (global, user, site, ``PIP_CONFIG_FILE``) and sections in its
    order (``[global]``, then each of ``commands``).

    Args:
        commands: pip command sections that override ``[global]``, lowest first.
        environ: the environment pip runs with (default ``os.environ``).
        python: the interpreter whose pip to ask (default: envsnap's own).

    Returns:
        ``{key: value}`` for the index keys (``index-url``, ``no-index``, ``proxy``...);
        ``{}`` when pip cannot be asked or ``PIP_CONFIG_FILE`` is ``os.devnull``.
    """
    env = dict(os.environ if environ is None else environ)
    if env.get("PIP_CONFIG_FILE") == os.devnull:
        return {}  # pip loads no file at all then
    text = _config_debug(python or sys.executable, env)
    if text is None:
        return {}
    merged: dict[str, str] = {}
    variants = parse_pip_config_debug(text)
    for variant in _VARIANTS:
        merged.update(variants.get(variant, {}))
    found: dict[str, str] = {}
    for section in ("global", *commands):
        for key in _KEYS:
            value = merged.get(f"{section}.{key}")
            if value is not None:
                found[key] = value
    return found


_FILE_LINE = re.compile(r"^  (?P<path>\S.*), exists: (?:True|False)$", re.MULTILINE)
_LOCATION_VARIABLES = (
    "PIP_CONFIG_FILE",
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_CONFIG_DIRS",
    "APPDATA",
    "PROGRAMDATA",
    "PYTHONPATH",
    "PYTHONHOME",
)


def _config_debug(python: str, env: Mapping[str, str]) -> str | None:
    """Return ``pip config debug``'s output, reused while no file it names has changed.

    Running pip costs a few tenths of a second; its output names every file pip would read,
    so a stored answer holds while those files' ``stat``, the variables that move them and
    the interpreter are the same. An unwritable cache just means asking pip each time.
    """
    import hashlib  # noqa: PLC0415
    import json  # noqa: PLC0415

    from envsnap.index.file_cache import default_cache_dir  # noqa: PLC0415

    key = json.dumps([python, _stat(Path(python)), *(env.get(v) for v in _LOCATION_VARIABLES)])
    entry = default_cache_dir() / "pip-config" / hashlib.sha256(key.encode()).hexdigest()
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
        stored = json.loads(entry.read_text(encoding="utf-8"))
        if all(_stat(Path(path)) == sig for path, sig in stored["files"].items()):
            return str(stored["stdout"])
    run_env = {k: v for k, v in env.items() if k != "PIP_REQUIRE_VIRTUALENV"}
    try:
        done = subprocess.run(
            [python, "-m", "pip", "config", "debug"],
            capture_output=True,
            text=True,
            env=run_env,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    files = {m["path"]: _stat(Path(m["path"])) for m in _FILE_LINE.finditer(done.stdout)}
    with contextlib.suppress(OSError):
        from envsnap._io import atomic_write  # noqa: PLC0415

        entry.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(entry, json.dumps({"files": files, "stdout": done.stdout}))
    return done.stdout


def _stat(path: Path) -> str:
    try:
        info = path.stat()
    except OSError:
        return "missing"
    return f"{info.st_mtime_ns}:{info.st_size}:{info.st_ino}"


def index_settings(
    *,
    index_url: str | None = None,
    extra_index_urls: Sequence[str] = (),
    find_links: Sequence[str] = (),
    trusted_hosts: Sequence[str] = (),
    no_index: bool = False,
    cert: str | None = None,
    client_cert: str | None = None,
    commands: Sequence[str] = ("install",),
    environ: Mapping[str, str] | None = None,
    config: Mapping[str, str] | None = None,
) -> IndexSettings:
    """Merge command-line options with ``PIP_*`` variables and pip's configuration, as pip does.

    ``index_url`` to ``client_cert`` are pip's options of those names (``--index-url``...);
    the list ones add to the configured values. ``commands``: the pip command sections to
    read; ``environ`` defaults to ``os.environ``, ``config`` to :func:`pip_config`'s values.

    Returns:
        The merged :class:`IndexSettings`; ``index_url`` stays ``None`` for pip's default index.
    """
    env = os.environ if environ is None else environ
    files = pip_config(commands, environ=env) if config is None else config

    def configured(key: str) -> str | None:
        variable = "PIP_" + key.upper().replace("-", "_")
        value = env.get(variable)
        return value if value is not None and value.strip() else files.get(key)

    def listed(key: str, given: Sequence[str]) -> list[str]:
        return [*dict.fromkeys([*(configured(key) or "").split(), *given])]

    notes: list[str] = []
    extras = _existing(listed("extra-index-url", extra_index_urls), notes)
    main = index_url or configured("index-url")
    if main is not None:
        _existing([main], notes)  # kept: a skipped main index must not bring pip's default back
    links = _existing(listed("find-links", find_links), notes)
    return IndexSettings(
        index_url=main,
        extra_index_urls=tuple(extras),
        find_links=tuple(links),
        trusted_hosts=tuple(listed("trusted-host", trusted_hosts)),
        no_index=no_index or (configured("no-index") or "").strip().lower() in _TRUE,
        cert=cert or configured("cert"),
        client_cert=client_cert or configured("client-cert"),
        proxy=configured("proxy") or None,
        keyring_provider=configured("keyring-provider") or None,
        timeout=_number(configured("timeout") or configured("default-timeout")),
        retries=_number(configured("retries")),
        notes=tuple(notes),
    )


def _number(value: str | None) -> str | None:
    """Return a setting that must be a number as written, or ``None`` (pip refuses others)."""
    if value is None:
        return None
    try:
        float(value)
    except ValueError:
        return None
    return value.strip()


def _existing(locations: Sequence[str], notes: list[str]) -> list[str]:
    """Keep the locations that exist; a missing ``file:`` index or directory gets a note."""
    kept = []
    for location in locations:
        path = local_path(location)
        if path is not None and not path.exists():
            notes.append(f"{location} is left out: no such file or directory (pip skips it too)")
            continue
        kept.append(location)
    return kept


def local_path(location: str) -> Path | None:
    """Return the local path of an index or find-links location (a path or ``file:`` URL)."""
    if location.startswith("file:"):
        return file_url_path(location)
    if "://" in location:
        return None
    return Path(location)


def settings_for_lock(
    options: IndexOptions,
    file_options: Sequence[str],
    *,
    base: Path,
    commands: Sequence[str] = ("install",),
    environ: Mapping[str, str] | None = None,
) -> IndexSettings:
    """Merge the command line's index options with a lock file's option lines, then pip's.

    The command line wins over the file's lines (as pip applies them: a later
    ``--index-url`` replaces, list options add); then ``PIP_*`` and pip's configuration
    (:func:`index_settings`). ``--no-index`` from either keeps only the find-links.

    Args:
        options: the command line's options.
        file_options: the file's option lines, ``"--index-url URL"`` each
            (:attr:`envsnap.lock.Lock.index_options`).
        base: the file's directory (relative find-links paths resolve against it).
        commands: pip command sections of its configuration to read.
        environ: the environment (default ``os.environ``).
    """
    from_file: dict[str, list[str]] = {}
    for line in file_options:
        option, _, value = line.partition(" ")
        value = value.strip()
        if option == "--find-links" and "://" not in value:
            value = os.fspath(base / value)
        from_file.setdefault(option.lstrip("-"), []).append(value)
    file_index = from_file.get("index-url", [None])[-1]
    return index_settings(
        index_url=options.index_url or file_index,
        extra_index_urls=[*from_file.get("extra-index-url", []), *options.extra_index_urls],
        find_links=[*options.find_links, *from_file.get("find-links", [])],
        trusted_hosts=[*options.trusted_hosts, *from_file.get("trusted-host", [])],
        no_index=options.no_index or "no-index" in from_file,
        commands=commands,
        environ=environ,
    )

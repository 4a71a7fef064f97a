"""Hash sources: where the files (and sha256 hashes) of a pinned version come from.

An installed environment does not record the wheel or sdist it was installed
from, so a lock file with hashes (``pylock.toml``, ``requirements.txt`` with
``--hash``) needs a source of file names, URLs and hashes:

- :class:`Wheelhouse`: a local directory of wheels and sdists (pip's
  ``--find-links DIR``); hashes are computed from the files.
- :class:`SimpleIndex`: one or more indexes through the Simple Repository API,
  PEP 691 JSON where the index offers it and PEP 503 HTML otherwise (the
  response's ``Content-Type`` decides, so an index that ignores the ``Accept``
  header works too). Links without a hash fragment are downloaded and hashed.
  Credentials come from the URL's ``user:password@`` or from ``~/.netrc``
  (``$NETRC``), are sent only to the host they belong to, and never appear in
  a returned URL.
- :class:`ChainSource`: the first source that has the version (pip's
  ``--find-links`` + ``--index-url`` combination).

:func:`collect` asks a source for many packages in parallel (a bounded
thread pool) and gathers every failure into one
:class:`~envsnap.errors.OperationError` naming the packages.
"""

from __future__ import annotations

import configparser
import hashlib
import html.parser
import json
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)

from envsnap.cache import hash_file
from envsnap.download import Credentials, host_key, without_userinfo
from envsnap.errors import OperationError
from envsnap.origin import strip_credentials

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from packaging.tags import Tag
    from packaging.version import Version

    from envsnap.environment import TargetEnvironment

__all__ = [
    "DEFAULT_JOBS",
    "ChainSource",
    "DistFile",
    "HashSource",
    "IndexSettings",
    "ProjectFiles",
    "SimpleIndex",
    "StaticSource",
    "Wheelhouse",
    "collect",
    "environment_tags",
    "has_credentials",
    "index_settings",
    "pip_hashes",
    "source_for",
]

DEFAULT_JOBS = 8
"""Parallel requests/hashing jobs of :func:`collect`."""

_CHUNK = 1 << 16
_JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_ACCEPT = f"{_JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
_SDIST_SUFFIXES = (".tar.gz", ".zip")


@dataclass(frozen=True, slots=True, kw_only=True)
class DistFile:
    """One wheel or sdist of a pinned version."""

    filename: str
    """The file's name, e.g. ``idna-3.10-py3-none-any.whl``."""
    hashes: Mapping[str, str]
    """``{algorithm: hexdigest}``; always holds ``sha256``."""
    url: str | None = None
    """Where an index serves it (absolute, credentials stripped)."""
    path: Path | None = None
    """Where it lies on disk (wheelhouse files)."""
    size: int | None = None
    """Size in bytes, when known."""
    upload_time: datetime | None = None
    """Upload time (PEP 700), when the index gives it."""
    yanked: bool = False
    """Whether the index marks it yanked (PEP 592)."""

    @property
    def kind(self) -> Literal["wheel", "sdist"]:
        """``wheel`` or ``sdist``, from the file name."""
        return "wheel" if self.filename.endswith(".whl") else "sdist"

    @property
    def sha256(self) -> str:
        """The sha256 hex digest."""
        return self.hashes["sha256"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectFiles:
    """The files of one pinned version, as one source offers them."""

    name: NormalizedName
    """The PEP 503 normalized name."""
    version: Version
    """The pinned version."""
    files: tuple[DistFile, ...]
    """Wheels sorted by file name, then sdists."""
    index: str | None = None
    """The index URL they came from (credentials stripped); ``None`` for a wheelhouse."""

    @property
    def wheels(self) -> tuple[DistFile, ...]:
        """The wheels, sorted by file name."""
        return tuple(f for f in self.files if f.kind == "wheel")

    @property
    def sdist(self) -> DistFile | None:
        """The sdist (``.tar.gz`` preferred over ``.zip``), when any."""
        sdists = sorted(
            (f for f in self.files if f.kind == "sdist"),
            key=lambda f: (not f.filename.endswith(".tar.gz"), f.filename),
        )
        return sdists[0] if sdists else None


class HashSource(Protocol):
    """Something that knows the files of a pinned version."""

    def describe(self) -> str:
        """Return a short description for messages (``the index at URL``...)."""
        ...

    def lookup(self, name: NormalizedName, version: Version) -> ProjectFiles | None:
        """Return the files of ``name==version``, or ``None`` when the source lacks it.

        Raises:
            OperationError: the source cannot be read (unreachable index,
                download failed, unreadable file).
        """
        ...


def collect(
    source: HashSource,
    wanted: Iterable[tuple[NormalizedName, Version]],
    *,
    tags: Sequence[Tag] | None = None,
    jobs: int = DEFAULT_JOBS,
    allow_missing: bool = False,
) -> dict[NormalizedName, ProjectFiles]:
    """Look up the files of many pinned versions, ``jobs`` at a time.

    Args:
        source: where to look.
        wanted: ``(name, version)`` pairs.
        tags: the target environment's supported tags, most preferred first;
            when given, each package must offer a compatible wheel or an
            sdist (what pip would need to install it there).
        jobs: the size of the thread pool (1 = one at a time).
        allow_missing: leave packages the source does not have out of the
            result instead of failing (another source will provide them).

    Returns:
        ``{name: ProjectFiles}`` for every wanted pair (found ones only with
        ``allow_missing``).

    Raises:
        OperationError: one or more packages failed; the message names them
            (packages not found in one list, then other failures), the hint
            says how to proceed. An unreachable index is reported alone.
    """
    pairs = sorted(set(wanted))
    results: dict[NormalizedName, ProjectFiles] = {}
    missing: list[str] = []
    failures: list[str] = []
    fatal: OperationError | None = None

    def one(pair: tuple[NormalizedName, Version]) -> ProjectFiles | None:
        found = source.lookup(*pair)
        if found is None or not found.files:
            return None
        if tags is not None and not _installable(found, tags):
            name, version = pair
            raise OperationError(
                f"{name}=={version}: no file for this environment in {source.describe()} "
                f"(no compatible wheel among {len(found.wheels)}, no sdist)"
            )
        return found

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [(pair, pool.submit(one, pair)) for pair in pairs]
        for (name, version), future in futures:
            try:
                outcome = future.result()
            except _Unreachable as exc:
                fatal = fatal or exc
            except OperationError as exc:
                failures.append(exc.message)
            else:
                if outcome is None:
                    missing.append(f"{name}=={version}")
                else:
                    results[name] = outcome
    if fatal is not None:
        raise fatal
    if missing and not allow_missing:
        count = f"{len(missing)} packages" if len(missing) > 1 else "1 package"
        failures.insert(0, f"{count} not found in {source.describe()}: {_some(missing, 10)}")
    if failures:
        raise OperationError(
            "; ".join(failures[:5]) + (f" (and {len(failures) - 5} more)" if failures[5:] else ""),
            hint="add the missing files to the wheelhouse (pip download -d DIR NAME==VERSION) "
            "or name an index that has them with --index-url / --extra-index-url",
        )
    return results


def _some(items: Sequence[str], limit: int) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _installable(found: ProjectFiles, tags: Sequence[Tag]) -> bool:
    if found.sdist is not None:
        return True
    supported = set(tags)
    for wheel in found.wheels:
        try:
            file_tags = parse_wheel_filename(wheel.filename)[3]
        except InvalidWheelFilename:
            continue
        if not supported.isdisjoint(file_tags):
            return True
    return False


def pip_hashes(files: ProjectFiles) -> tuple[str, ...]:
    """Return ``sha256:HEX`` for every file, sorted and unique (pip's ``--hash`` values)."""
    return tuple(sorted({f"sha256:{f.sha256}" for f in files.files}))


@dataclass(frozen=True, slots=True)
class StaticSource:
    """A source over files collected before (or written by hand in tests)."""

    projects: Mapping[NormalizedName, ProjectFiles]
    """The known files, by name."""
    label: str = "the given files"
    """What :meth:`describe` says."""

    def describe(self) -> str:
        """Return the label."""
        return self.label

    def lookup(self, name: NormalizedName, version: Version) -> ProjectFiles | None:
        """Return the files of ``name`` if their version is ``version``."""
        found = self.projects.get(name)
        return found if found is not None and found.version == version else None


@dataclass(frozen=True, slots=True)
class ChainSource:
    """Ask several sources in order; the first that has the version wins."""

    sources: tuple[HashSource, ...]
    """The sources, in the order to ask them."""

    def describe(self) -> str:
        """Name every source."""
        return " or ".join(s.describe() for s in self.sources)

    def lookup(self, name: NormalizedName, version: Version) -> ProjectFiles | None:
        """Return the first source's answer that is not ``None``."""
        for source in self.sources:
            found = source.lookup(name, version)
            if found is not None and found.files:
                return found
        return None


class Wheelhouse:
    """A local directory of wheels and sdists (pip's ``--find-links DIR``).

    The directory is listed once (not recursively, as pip does); only the
    files of a version someone asks for are hashed, each read once.

    Args:
        directory: the wheelhouse.

    Raises:
        OperationError: the directory does not exist or cannot be listed.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            entries = sorted(p for p in directory.iterdir() if p.is_file())
        except OSError as exc:
            raise OperationError(
                f"{directory}: cannot read the wheelhouse: {exc.strerror or exc}",
                hint="--find-links takes a directory of wheels/sdists (pip download -d DIR ...)",
            ) from None
        self._files: dict[tuple[NormalizedName, Version], list[Path]] = {}
        for path in entries:
            key = _parse_filename(path.name)
            if key is not None:
                self._files.setdefault(key, []).append(path)

    def describe(self) -> str:
        """Return ``the wheelhouse DIR``."""
        return f"the wheelhouse {self.directory}"

    def lookup(self, name: NormalizedName, version: Version) -> ProjectFiles | None:
        """Hash the files of ``name==version`` found in the directory."""
        paths = self._files.get((name, version))
        if not paths:
            return None
        files = []
        for path in paths:
            try:
                digest, size = hash_file(path)
            except OSError as exc:
                raise OperationError(
                    f"{name}=={version}: cannot read {path}: {exc.strerror or exc}"
                ) from None
            files.append(
                DistFile(
                    filename=path.name,
                    hashes={"sha256": digest},
                    path=path.resolve(),
                    size=size,
                )
            )
        return ProjectFiles(name=name, version=version, files=_ordered(files))


def _parse_filename(filename: str) -> tuple[NormalizedName, Version] | None:
    """Return ``(name, version)`` of a wheel or sdist file name, else ``None``."""
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return name, version
        if filename.endswith(_SDIST_SUFFIXES):
            return parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def _ordered(files: Iterable[DistFile]) -> tuple[DistFile, ...]:
    return tuple(sorted(files, key=lambda f: (f.kind != "wheel", f.filename)))


# --------------------------------------------------------------------------- index


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexSettings:
    """The indexes pip would use, and where that came from."""

    index_url: str | None = None
    """``--index-url`` / ``PIP_INDEX_URL`` / pip config ``index-url``."""
    extra_index_urls: tuple[str, ...] = ()
    """``--extra-index-url`` / ``PIP_EXTRA_INDEX_URL`` / pip config."""
    find_links: tuple[str, ...] = ()
    """``--find-links`` / ``PIP_FIND_LINKS`` / pip config (local directories only)."""
    trusted_hosts: tuple[str, ...] = ()
    """``--trusted-host`` / ``PIP_TRUSTED_HOST`` / pip config: plain-http hosts allowed
    (see :mod:`envsnap.secure`)."""
    no_index: bool = False
    """``--no-index``: not even pip's built-in default index is used."""

    @property
    def uses_pip_default_index(self) -> bool:
        """Whether pip would also search its built-in default index (no ``--index-url``)."""
        return self.index_url is None and not self.no_index


def index_settings(
    *,
    index_url: str | None = None,
    extra_index_urls: Sequence[str] = (),
    find_links: Sequence[str] = (),
    trusted_hosts: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> IndexSettings:
    """Merge command-line options with pip's environment variables and config files.

    Precedence follows pip: an option given on the command line wins, then
    ``PIP_INDEX_URL`` / ``PIP_EXTRA_INDEX_URL`` / ``PIP_FIND_LINKS``
    (whitespace-separated lists), then the ``[global]`` and ``[install]``
    sections of pip's configuration files (``PIP_CONFIG_FILE`` alone when set;
    ``os.devnull`` means none).

    Args:
        index_url: ``--index-url``.
        extra_index_urls: ``--extra-index-url`` values.
        find_links: ``--find-links`` values.
        trusted_hosts: ``--trusted-host`` values; ``PIP_TRUSTED_HOST`` and the
            config's ``trusted-host`` add to them (pip merges this list).
        environ: the environment variables (default ``os.environ``).

    Returns:
        The merged :class:`IndexSettings`.
    """
    env = os.environ if environ is None else environ
    config = _pip_config(env)
    return IndexSettings(
        index_url=index_url or env.get("PIP_INDEX_URL") or config.get("index-url"),
        extra_index_urls=tuple(extra_index_urls)
        or tuple(env.get("PIP_EXTRA_INDEX_URL", "").split())
        or tuple(config.get("extra-index-url", "").split()),
        find_links=tuple(find_links)
        or tuple(env.get("PIP_FIND_LINKS", "").split())
        or tuple(config.get("find-links", "").split()),
        trusted_hosts=tuple(
            dict.fromkeys(
                [
                    *trusted_hosts,
                    *env.get("PIP_TRUSTED_HOST", "").split(),
                    *config.get("trusted-host", "").split(),
                ]
            )
        ),
    )


def _pip_config(env: Mapping[str, str]) -> dict[str, str]:
    """Read index options from pip's config files (global, user, then site)."""
    explicit = env.get("PIP_CONFIG_FILE")
    if explicit is not None:
        files = [] if explicit == os.devnull else [Path(explicit)]
    else:
        files = [Path("/etc/pip.conf")]
        xdg = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        files += [Path(xdg) / "pip" / "pip.conf", Path.home() / ".pip" / "pip.conf"]
        if env.get("VIRTUAL_ENV"):
            files.append(Path(env["VIRTUAL_ENV"]) / "pip.conf")
    parser = configparser.RawConfigParser()
    try:
        parser.read([f for f in files if f.is_file()], encoding="utf-8")
    except (configparser.Error, OSError):
        return {}
    found: dict[str, str] = {}
    for section in ("global", "install"):
        if parser.has_section(section):
            for key in ("index-url", "extra-index-url", "find-links", "trusted-host"):
                if parser.has_option(section, key):
                    found[key] = parser.get(section, key)
    return found


def source_for(settings: IndexSettings) -> HashSource | None:
    """Build the hash source pip's options describe: wheelhouses first, then the indexes.

    Args:
        settings: see :func:`index_settings`; ``find_links`` entries that are
            not local directories (URLs of flat pages) are left out.

    Returns:
        A :class:`ChainSource` (or the single source), or ``None`` when
        nothing is configured.

    Raises:
        InputError: an index or find-links URL is plain http to a host that
            is neither a secure origin nor trusted (pip's rule,
            :func:`envsnap.secure.check_secure`).
        OperationError: a wheelhouse directory cannot be read.
    """
    from envsnap.secure import check_secure  # noqa: PLC0415

    check_secure(
        [
            *((u, "--index-url") for u in (settings.index_url,) if u),
            *((u, "--extra-index-url") for u in settings.extra_index_urls),
            *((u, "--find-links") for u in settings.find_links if "://" in u),
        ],
        settings.trusted_hosts,
    )
    sources: list[HashSource] = [
        Wheelhouse(Path(link)) for link in settings.find_links if Path(link).is_dir()
    ]
    urls = [u for u in (settings.index_url, *settings.extra_index_urls) if u]
    if urls:
        sources.append(SimpleIndex(urls))
    if not sources:
        return None
    return sources[0] if len(sources) == 1 else ChainSource(tuple(sources))


def has_credentials(settings: IndexSettings) -> bool:
    """Whether an index URL carries ``user:password@`` (used, never written)."""
    urls = [u for u in (settings.index_url, *settings.extra_index_urls) if u]
    return any(strip_credentials(u)[1] for u in urls)


class _Unreachable(OperationError):
    """The index did not answer at all (connection refused, DNS, timeouts)."""


class SimpleIndex:
    """One or more indexes read through the Simple Repository API.

    For each package the indexes are asked in order and the first one that
    has the pinned version wins (uv's ``first-index`` strategy, which keeps
    an extra index from shadowing the main one's files).

    Args:
        urls: the index URLs (``--index-url`` first, then extra ones), each
            the Simple API root (``.../simple``); ``user:password@`` is used
            for requests and never returned.
        timeout: seconds per request (connect and each read); default
            ``ENVSNAP_HTTP_TIMEOUT`` or 15.
        retries: extra attempts after a connection error, a timeout, a 429
            or a 5xx answer.
        backoff: seconds before the first retry; doubled for each next one.
        use_netrc: take credentials for hosts without URL credentials from
            ``$NETRC`` or ``~/.netrc`` (as pip does).
        opener: the ``urllib`` opener (tests may pass their own).

    Raises:
        OperationError: no URL given.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timeout: float | None = None,
        retries: int = 2,
        backoff: float = 0.25,
        use_netrc: bool = True,
        opener: urllib.request.OpenerDirector | None = None,
    ) -> None:
        if not urls:
            raise OperationError("no index URL given")
        from envsnap.download import http_timeout  # noqa: PLC0415

        self.timeout = http_timeout(15.0) if timeout is None else timeout
        self.retries = retries
        self.backoff = backoff
        self._opener = opener or urllib.request.build_opener()
        self._indexes: list[tuple[str, str]] = []
        self._credentials = Credentials(urls, use_netrc=use_netrc)
        self._down: dict[str, OperationError] = {}
        self._lock = threading.Lock()
        for raw in urls:
            clean, _ = strip_credentials(raw)
            self._indexes.append((raw.rstrip("/") + "/", clean.rstrip("/")))

    @property
    def urls(self) -> tuple[str, ...]:
        """The index URLs without credentials."""
        return tuple(clean for _, clean in self._indexes)

    def describe(self) -> str:
        """Return ``the index at URL`` (credentials stripped)."""
        urls = self.urls
        return f"the index at {urls[0]}" if len(urls) == 1 else f"the indexes {', '.join(urls)}"

    def lookup(self, name: NormalizedName, version: Version) -> ProjectFiles | None:
        """Return the files of ``name==version`` from the first index that has it."""
        for raw, clean in self._indexes:
            files = self._project_files(raw, clean, name, version)
            if files:
                return ProjectFiles(name=name, version=version, files=_ordered(files), index=clean)
        return None

    def _project_files(
        self, raw: str, clean: str, name: NormalizedName, version: Version
    ) -> list[DistFile]:
        page_url = urllib.parse.urljoin(raw, f"{name}/")
        answer = self._get(page_url, accept=_ACCEPT, what=f"{name}: {clean}/{name}/")
        if answer is None:
            return []
        body, content_type, final_url = answer
        links = _parse_page(body, content_type, final_url, where=f"{clean}/{name}/")
        files = []
        for link in links:
            if _parse_filename(link.filename) != (name, version):
                continue
            hashes = link.hashes
            size = link.size
            if "sha256" not in hashes:
                digest, size = self._hash_url(link.url, what=f"{name}=={version}: {link.filename}")
                hashes = {**hashes, "sha256": digest}
            files.append(
                DistFile(
                    filename=link.filename,
                    hashes={"sha256": hashes["sha256"]},
                    url=strip_credentials(link.url)[0],
                    size=size,
                    upload_time=link.upload_time,
                    yanked=link.yanked,
                )
            )
        return files

    def _hash_url(self, url: str, *, what: str) -> tuple[str, int]:
        answer = self._get(url, accept="*/*", what=what)
        if answer is None:
            raise OperationError(
                f"{what}: the index lists it but answers 404 Not Found "
                f"({strip_credentials(url)[0]})",
                hint="the index is inconsistent; try again later or use another index",
            )
        body, _, _ = answer
        return hashlib.sha256(body).hexdigest(), len(body)

    def _get(self, url: str, *, accept: str, what: str) -> tuple[bytes, str, str] | None:
        """GET ``url`` with retries; ``None`` on 404/410 (or a missing local file).

        ``file:`` URLs are read from disk, a directory through its
        ``index.html`` (as pip reads a local index).

        Returns:
            ``(body, content_type, final_url)`` or ``None``.

        Raises:
            OperationError: 401/403, other 4xx, or (as ``_Unreachable``) no
                answer after the retries.
        """
        if url.startswith("file:"):
            return _read_local(url, what=what)
        host = host_key(url)
        with self._lock:
            down = self._down.get(host)
        if down is not None:
            raise down
        headers = {"Accept": accept, "User-Agent": "envsnap"}
        if auth := self._credentials.header_for(url):
            headers["Authorization"] = auth
        request = urllib.request.Request(without_userinfo(url), headers=headers)  # noqa: S310
        clean = strip_credentials(url)[0]
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    body: bytes = response.read()
                    return body, response.headers.get("Content-Type", ""), response.geturl()
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code in (404, 410):
                    return None
                if exc.code in (401, 403):
                    raise OperationError(
                        f"{what}: {exc.code} {exc.reason} from {clean}",
                        hint="give credentials in the index URL (https://USER:TOKEN@host/...) "
                        "or in ~/.netrc; envsnap never writes them to a file",
                    ) from None
                if exc.code != 429 and exc.code < 500:
                    raise OperationError(f"{what}: {exc.code} {exc.reason} from {clean}") from None
                last = f"{exc.code} {exc.reason}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                strerror = reason.strerror if isinstance(reason, OSError) else None
                last = strerror or str(reason) or type(reason).__name__
        server = without_userinfo(urllib.parse.urljoin(url, "/"))
        error = _Unreachable(
            f"cannot reach {server} ({last}; {self.retries + 1} attempts)",
            hint="check the index URL and your network, or use a local wheelhouse: "
            "pip download -d DIR -r requirements.txt, then --find-links DIR",
        )
        with self._lock:
            self._down.setdefault(host, error)
        raise error


def _read_local(url: str, *, what: str) -> tuple[bytes, str, str] | None:
    """Read a ``file:`` URL of a local index: a directory means its ``index.html``."""
    path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
    content_type = "application/octet-stream"
    if path.is_dir():
        path /= "index.html"
        content_type = "text/html"
    try:
        return path.read_bytes(), content_type, url
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OperationError(f"{what}: cannot read {path}: {exc.strerror or exc}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Link:
    filename: str
    url: str
    hashes: Mapping[str, str] = field(default_factory=dict)
    size: int | None = None
    upload_time: datetime | None = None
    yanked: bool = False


def _parse_page(body: bytes, content_type: str, base_url: str, *, where: str) -> list[_Link]:
    """Parse a Simple API project page, JSON (PEP 691) or HTML (PEP 503)."""
    mime = content_type.split(";", maxsplit=1)[0].strip().lower()
    try:
        if mime == _JSON_TYPE or (mime.endswith("json") and body.lstrip()[:1] == b"{"):
            return _parse_json(json.loads(body), base_url)
        return _parse_html(body.decode("utf-8", "replace"), base_url)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise OperationError(
            f"{where}: not a Simple API page ({exc})",
            hint="--index-url takes the Simple API root of an index (usually ending in /simple)",
        ) from None


def _parse_json(data: dict[str, object], base_url: str) -> list[_Link]:
    files = data["files"]
    if not isinstance(files, list):
        raise TypeError("'files' is not a list")
    links = []
    for item in files:
        hashes = {str(k).lower(): str(v) for k, v in dict(item.get("hashes") or {}).items()}
        size = item.get("size")
        uploaded = item.get("upload-time")
        links.append(
            _Link(
                filename=str(item["filename"]),
                url=urllib.parse.urljoin(base_url, str(item["url"])),
                hashes=hashes,
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                upload_time=_parse_time(uploaded) if isinstance(uploaded, str) else None,
                yanked=bool(item.get("yanked")),
            )
        )
    return links


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


class _AnchorParser(html.parser.HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.anchors: list[tuple[str, dict[str, str | None]]] = []
        self._current: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base_url = urllib.parse.urljoin(self.base_url, href)
        elif tag == "a":
            self._current = dict(attrs)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._current is not None:
            href = self._current.get("href")
            if href:
                text = "".join(self._text).strip()
                self.anchors.append((text, {**self._current, "href": href}))
            self._current = None


_FRAGMENT = re.compile(r"^(?P<algo>[a-z0-9_]+)=(?P<digest>[0-9a-fA-F]+)$")


def _parse_html(text: str, base_url: str) -> list[_Link]:
    parser = _AnchorParser(base_url)
    parser.feed(text)
    parser.close()
    links = []
    for anchor_text, attrs in parser.anchors:
        href = str(attrs["href"])
        url, _, fragment = urllib.parse.urljoin(parser.base_url, href).partition("#")
        path_name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        hashes = {}
        found = _FRAGMENT.match(fragment)
        if found:
            hashes[found["algo"].lower()] = found["digest"].lower()
        links.append(
            _Link(
                filename=path_name or anchor_text,
                url=url,
                hashes=hashes,
                yanked="data-yanked" in attrs,
            )
        )
    return links


# --------------------------------------------------------------------------- tags


def environment_tags(env: TargetEnvironment) -> list[Tag]:
    """Return the wheel tags a target interpreter supports, most preferred first.

    Computed with :mod:`packaging.tags` from the probed implementation, Python
    version and platform. When the target runs on the host's platform (the
    usual case), the host's platform tags are used (manylinux/musllinux from
    its C library, macOS versions); otherwise only the target's own platform
    tag.

    Args:
        env: the probed target.

    Returns:
        The supported tags, as :func:`packaging.tags.sys_tags` orders them.
    """
    import sysconfig  # noqa: PLC0415

    from packaging import tags  # noqa: PLC0415

    version = env.python_version[:2]
    if env.platform == sysconfig.get_platform():
        platforms = list(tags.platform_tags())
    else:
        platforms = [re.sub(r"[-.]", "_", env.platform)]
    name = env.markers.get("implementation_name", "cpython")
    abbreviation = tags.INTERPRETER_SHORT_NAMES.get(name, name)
    interpreter = f"{abbreviation}{version[0]}{version[1]}"
    found: list[Tag] = []
    if name == "cpython":
        found += tags.cpython_tags(version, platforms=platforms)
    else:
        found += tags.generic_tags(interpreter=interpreter, platforms=platforms)
    found += tags.compatible_tags(version, interpreter, platforms)
    return found

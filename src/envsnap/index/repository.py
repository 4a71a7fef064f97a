"""Repositories: where the files (and sha256 hashes) of a pinned version come from.

An installed environment does not record the file it was installed from, so a lock with
hashes and the built-in installer ask a :class:`HashSource` (pip-tools' ``repositories``
have the shape): a wheelhouse, indexes, find-links pages, or the ``provenance_url.json``
records of a restored env (PEP 710, asked first: no index request). :func:`source_for`
builds the chain pip's settings describe; :func:`collect` asks for many packages in parallel
and gathers every failure into one :class:`~envsnap.errors.OperationError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from packaging.utils import InvalidWheelFilename, NormalizedName, parse_wheel_filename

from envsnap._io import run_parallel
from envsnap._text import counted
from envsnap.errors import OperationError
from envsnap.index.transfer import Unreachable

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from packaging.tags import Tag
    from packaging.version import Version

    from envsnap.index.distfile import ProjectFiles
    from envsnap.index.http import HttpClient
    from envsnap.index.settings import IndexSettings
    from envsnap.index.transfer import Limits

__all__ = [
    "DEFAULT_JOBS",
    "ChainSource",
    "HashSource",
    "ProvenanceSource",
    "StaticSource",
    "collect",
    "pip_hashes",
    "source_for",
]

DEFAULT_JOBS = 8
"""Parallel requests/hashing jobs of :func:`collect`."""


class HashSource(Protocol):
    """Something that knows the files of a pinned version."""

    def describe(self) -> str:
        """Return a short description for messages (``the index at URL``...)."""

    def lookup(self, name: NormalizedName, version: Version) -> ProjectFiles | None:
        """Return the files of ``name==version``, or ``None`` when the source lacks it.

        Raises:
            OperationError: the source cannot be read (unreachable index, failed download,
                unreadable file).
        """


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
        tags: the target's supported tags, most preferred first; when given, each package
            must offer a compatible wheel or an sdist (what pip would need there).
        jobs: the size of the thread pool (1 = one at a time).
        allow_missing: leave packages the source lacks out of the result instead of failing.

    Returns:
        ``{name: ProjectFiles}`` for every wanted pair (found ones only with ``allow_missing``).

    Raises:
        OperationError: packages failed, named in one message (those not found first);
            an unreachable index is reported alone.
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

    outcomes = run_parallel(one, pairs, jobs=jobs)
    for (name, version), outcome in zip(pairs, outcomes, strict=True):
        if isinstance(outcome, Unreachable):
            fatal = fatal or outcome
        elif isinstance(outcome, OperationError):
            failures.append(outcome.message)
        elif isinstance(outcome, BaseException):
            raise outcome
        elif outcome is None:
            missing.append(f"{name}=={version}")
        else:
            results[name] = outcome
    if fatal is not None:
        raise fatal
    if missing and not allow_missing:
        failures.insert(
            0,
            f"{counted(len(missing), 'package')} not found in {source.describe()}: "
            f"{_some(missing, 10)}",
        )
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


@dataclass(frozen=True, slots=True)
class ProvenanceSource:
    """The files distributions were installed from (PEP 710), then another source.

    A restored environment records the URL and hashes of each file installed from an index
    (``provenance_url.json``, :func:`envsnap.environment.distributions.read_provenance`);
    those answer first, with no request; a version without a record goes to ``fallback``.
    With ``ask_index`` the fallback answers every version, and a recorded file it no longer
    lists, or lists with another hash, is described in :attr:`disagreements`.
    """

    recorded: Mapping[NormalizedName, ProjectFiles]
    """The recorded file of each distribution (one each), by name."""
    fallback: HashSource | None
    """Where versions without a record (and, with ``ask_index``, all) are looked up."""
    ask_index: bool = False
    """Ask ``fallback`` for every version and compare its answer with the record."""
    disagreements: list[str] = field(default_factory=list)
    """One line per recorded file the fallback contradicts (filled by :meth:`lookup`)."""

    def describe(self) -> str:
        """Name the records and the fallback."""
        own = "the files recorded at install (provenance_url.json)"
        return own if self.fallback is None else f"{own} or {self.fallback.describe()}"

    def lookup(self, name: NormalizedName, version: Version) -> ProjectFiles | None:
        """Return the recorded file of ``name==version``, else the fallback's answer.

        Raises:
            OperationError: the fallback cannot be read (see :class:`HashSource`).
        """
        recorded = self.recorded.get(name)
        if recorded is not None and recorded.version != version:
            recorded = None
        if recorded is not None and not self.ask_index:
            return recorded
        found = self.fallback.lookup(name, version) if self.fallback is not None else None
        if recorded is None:
            return found
        problem = _disagreement(recorded, found)
        if problem:
            self.disagreements.append(f"{name}=={version}: {problem}")
        return found if found is not None and found.files else recorded


def _disagreement(recorded: ProjectFiles, found: ProjectFiles | None) -> str | None:
    """Say how the index's files of a version contradict the file recorded at install."""
    file = recorded.files[0]
    where = f"from {recorded.index}" if recorded.index else "recorded at install"
    if found is None or not found.files:
        return f"{file.filename} ({where}): the index no longer has this version"
    same = [f for f in found.files if f.filename == file.filename]
    if not same:
        return f"{file.filename} ({where}) is no longer on the index"
    if all(f.sha256 != file.sha256 for f in same):
        return (
            f"{file.filename}: the index gives sha256 {same[0].sha256}, the file installed "
            f"had {file.sha256}"
        )
    return None


def source_for(
    settings: IndexSettings,
    *,
    cache_root: Path | None = None,
    client: HttpClient | None = None,
    limits: Limits | None = None,
    revalidate: bool = False,
) -> HashSource | None:
    """Build the source pip's settings describe: find-links first, then the indexes.

    Args:
        settings: pip's settings; its default index is searched unless an index URL or
            ``no_index`` is set.
        cache_root: where pages and downloaded files are kept (default: the user cache).
        client: the HTTP client (default: one made from ``settings``).
        limits: time and size bounds for the default client.
        revalidate: ask for every remote page (conditionally), none answered from the
            cache alone (``freeze --ask-index``).

    Returns:
        A :class:`ChainSource` (or the single source), or ``None`` when nothing is
        configured (``--no-index`` without find-links).

    Raises:
        InputError: an index or find-links URL is plain http to a host neither secure nor
            trusted (pip's rule, :func:`envsnap.index.secure.check_secure`).
        OperationError: a wheelhouse cannot be read; pip's default index is needed and no
            pip is installed beside envsnap.
    """
    from envsnap.index.cache import PageCache  # noqa: PLC0415
    from envsnap.index.file_cache import FileCache, default_cache_dir  # noqa: PLC0415
    from envsnap.index.http import HttpClient  # noqa: PLC0415
    from envsnap.index.secure import check_secure  # noqa: PLC0415
    from envsnap.index.settings import local_path  # noqa: PLC0415
    from envsnap.index.simple_index import FlatLinks, SimpleIndex  # noqa: PLC0415
    from envsnap.index.wheelhouse import Wheelhouse  # noqa: PLC0415

    urls = settings.index_urls()
    remote_links = [u for u in settings.find_links if "://" in u and not u.startswith("file:")]
    check_secure(
        [
            *((u, "--index-url") for u in urls[:1] if settings.index_url),
            *((u, "--extra-index-url") for u in settings.extra_index_urls),
            *((u, "--find-links") for u in remote_links),
        ],
        settings.trusted_hosts,
    )
    sources: list[HashSource] = [
        Wheelhouse(path)
        for path in map(local_path, settings.find_links)
        if path is not None and path.is_dir()
    ]
    if urls or remote_links:
        root = cache_root or default_cache_dir()
        http = client or HttpClient.from_settings(settings, limits=limits)
        pages, files = PageCache(root / "pages"), FileCache(root)
        sources += [
            FlatLinks(u, client=http, pages=pages, files=files, revalidate=revalidate)
            for u in remote_links
        ]
        if urls:
            sources.append(
                SimpleIndex(urls, client=http, pages=pages, files=files, revalidate=revalidate)
            )
    if not sources:
        return None
    return sources[0] if len(sources) == 1 else ChainSource(tuple(sources))

"""Pieces shared by the two requirements-file readers (strict and pip-api based).

Both readers must give the same :class:`~envsnap.lock.Lock` for a file
envsnap wrote, so the parts that are not pip's requirement grammar live here:
joining continuation lines the way pip does, envsnap's own annotations (the
header, ``# top-level`` / ``# transitive`` sections and ``# via`` lines),
``-e`` lines (paths taken relative to the file's directory, as ``freeze``
writes them), PEP 610 origins of direct URLs, and pinning rules.

Why one module of this size: the line scanner both requirements readers share
(continuations, comments, options, annotations, origins), one grammar.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from envsnap._text import EXPANSION, excerpt, first_line_control, strip_credentials
from envsnap.environment.base_packages import HEADER_LINE as SYSTEM_SITE_LINE
from envsnap.errors import LockFileError
from envsnap.lock import Origin

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from packaging.requirements import Requirement
    from packaging.version import Version

    from envsnap.lock import LockedPackage

__all__ = [
    "Annotations",
    "LogicalLine",
    "did_you_mean",
    "editable_package",
    "editables_named",
    "expansions",
    "included_file",
    "logical_lines",
    "origin_from_url",
    "pinned_version",
    "read_text",
    "scan_annotations",
    "scan_via_annotations",
    "with_files",
]

HEADER_RE = re.compile(r"^# envsnap \S+ \S+ - (?P<impl>\S+) (?P<version>\d+\.\d+(?:\.\d+)?)\b")
"""The header ``freeze`` writes: ``# envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - ...``."""
TOP_LEVEL = "# top-level"
TRANSITIVE = "# transitive"
VIA_PREFIX = "# via "
EDITABLE_LINE = "# editable:"
"""The header line of a constraints file (``freeze --constraints``) naming the
packages written ``name @ file:///PATH`` that are editable installs."""
DECLARED_LINE = "    # declared"
"""The line under a top-level pin the project declares (``freeze`` writes it)."""
_ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".tar")
_HASH_NAMES = ("sha256", "sha384", "sha512", "sha224", "sha1", "md5")
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")

HEADER_PREFIX = "# envsnap "
"""Every file envsnap writes starts with this; readers use it to know the file."""


@dataclass(frozen=True, slots=True)
class LogicalLine:
    """One logical line of a requirements file (continuations joined)."""

    number: int
    """1-based number of its first physical line."""
    text: str
    """The joined text, without the trailing newline."""


def read_text(path: Path) -> str:
    """Return the text of a requirements file.

    Raises:
        LockFileError: missing, a directory, unreadable, not a regular file,
            a file of ``/proc`` or ``/sys`` (:func:`included_file`),
            over :data:`~envsnap._io.LOCK_FILE_LIMIT`, not UTF-8, or holding
            a control character other than tab, LF and CR
            (:func:`envsnap._text.first_line_control`: pip would split the line there).
    """
    from envsnap._io import LOCK_FILE_LIMIT, read_limited  # noqa: PLC0415

    if _kernel_file(path):
        raise LockFileError(f"{path}: {_KERNEL_FILE}", hint=_KERNEL_HINT)
    try:  # a regular file of at most 64 MiB: an included FIFO or /dev/zero is refused
        text = read_limited(path, LOCK_FILE_LIMIT).decode("utf-8")
    except FileNotFoundError:
        raise LockFileError(
            f"{path}: no such file",
            hint="name an existing lock file, or write one with `envsnap freeze -o FILE`",
        ) from None
    except IsADirectoryError:
        raise LockFileError(f"{path}: is a directory, not a lock file") from None
    except UnicodeDecodeError as exc:
        raise LockFileError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise LockFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    stray = first_line_control(text)
    if stray is not None:
        line, char = stray
        raise LockFileError(
            f"{path}:{line}: holds a control character ({char}); refused",
            hint="a requirements file holds printable text only: pip would read the rest "
            "as more lines or options",
        )
    return text


_KERNEL_DIRS = ("/proc", "/sys")
_KERNEL_FILE = "a file of /proc or /sys, not a requirements file; refused"
_KERNEL_HINT = (
    "include requirements files only: /proc and /sys are the kernel's views of processes "
    "and devices (a process's environment, for one)"
)


def _kernel_file(path: Path) -> bool:
    """Whether ``path`` (as named, or where its links lead) is in ``/proc`` or ``/sys``."""
    named, real = os.path.normpath(path.absolute()), os.path.realpath(path)
    return any(p == d or p.startswith(d + "/") for p in (named, real) for d in _KERNEL_DIRS)


def included_file(file: Path, value: str, *, where: str) -> Path:
    """Return the file a ``-r FILE`` / ``-c FILE`` line of ``file`` names, relative to it.

    ``-r /proc/self/environ`` made every error about the include quote the
    whole process environment: a file of ``/proc`` or ``/sys`` is refused,
    and the name is quoted short and escaped (:func:`envsnap._text.excerpt`).

    Args:
        file: the including file.
        value: the option's value.
        where: ``FILE:LINE: -r``, how the message starts.

    Raises:
        LockFileError: no such file, or a file of ``/proc`` or ``/sys``.
    """
    included = file.parent / value
    shown = excerpt(value, quoted=False)
    if _kernel_file(included):
        raise LockFileError(f"{where} {shown}: {_KERNEL_FILE}", hint=_KERNEL_HINT)
    if not included.is_file():
        raise LockFileError(f"{where} {shown}: no such file")
    return included


def expansions(path: Path, lines: Iterable[LogicalLine]) -> tuple[tuple[str, str], ...]:
    """Return ``(FILE:LINE, "${NAME}")`` for each ``${NAME}`` pip or uv would expand.

    Comments count too: pip expands variables before it strips them.
    """
    return tuple(
        (f"{path}:{line.number}", found[0])
        for line in lines
        for found in EXPANSION.finditer(line.text)
    )


def logical_lines(text: str) -> list[LogicalLine]:
    r"""Split a requirements file into logical lines, as pip and pip-api do.

    A line ending in a backslash continues on the next one (pip joins
    ``\\\n``); the logical line keeps the number of its first physical line.
    Every logical line is returned, blank ones included, so the n-th item is
    pip-api's line ``n``.
    """
    lines: list[LogicalLine] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        lines.append(LogicalLine(start, "".join(pending)))
        pending = []
    if pending:
        lines.append(LogicalLine(start, "".join(pending)))
    return lines


@dataclass(frozen=True, slots=True, kw_only=True)
class Annotations:
    """What envsnap's comments in a file it wrote say."""

    python_version: str | None = None
    """``3.11.7`` from the header."""
    top_level_lines: frozenset[int] = frozenset()
    """Line numbers of requirements under ``# top-level``."""
    transitive_lines: frozenset[int] = frozenset()
    """Line numbers of requirements under ``# transitive``."""
    reasons: dict[int, str] = field(default_factory=dict)
    """Requirement line number -> ``via a, b`` from the ``# via`` line under a
    transitive pin, or ``declared`` from the line under a top-level one."""
    complete: bool = False
    """Whether the file has a ``# transitive`` section (it pins the closure)."""
    system_site_packages: tuple[str, ...] | None = None
    """The ``# system-site-packages:`` header line's pins."""
    editable: frozenset[NormalizedName] = frozenset()
    """The ``# editable:`` header line's names (a constraints file)."""


def scan_annotations(lines: Iterable[LogicalLine]) -> Annotations:
    """Read envsnap's header, sections and the reason under each pin.

    A ``    # via a, b`` line under a transitive pin, ``    # declared`` under a
    top-level one.

    Args:
        lines: the file's logical lines; the first must be envsnap's header.

    Returns:
        The :class:`Annotations`; a requirement is any non-blank line not
        starting with ``#``.
    """
    version = None
    section: str | None = None
    top: set[int] = set()
    transitive: set[int] = set()
    reasons: dict[int, str] = {}
    last: int | None = None
    complete = False
    system: tuple[str, ...] | None = None
    editable: set[NormalizedName] = set()
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        if line.number == 1 and (match := HEADER_RE.match(text)):
            version = match["version"]
        elif section is None and text.startswith(SYSTEM_SITE_LINE):
            listed = text.removeprefix(SYSTEM_SITE_LINE).strip()
            system = tuple(p.strip() for p in listed.split(",") if "==" in p)
        elif section is None and text.startswith(EDITABLE_LINE):
            names = text.removeprefix(EDITABLE_LINE).split(",")
            editable |= {canonicalize_name(n.strip()) for n in names if n.strip()}
        elif text == TOP_LEVEL:
            section, last = "top", None
        elif text == TRANSITIVE:
            section, last, complete = "transitive", None, True
        elif text.startswith(VIA_PREFIX) and last is not None:
            reasons[last] = "via " + text.removeprefix(VIA_PREFIX).strip()
        elif text == DECLARED_LINE.strip() and last is not None and section == "top":
            reasons[last] = "declared"
        elif not text.startswith("#"):
            last = line.number
            if section == "top":
                top.add(line.number)
            elif section == "transitive":
                transitive.add(line.number)
    return Annotations(
        python_version=version,
        top_level_lines=frozenset(top),
        transitive_lines=frozenset(transitive),
        reasons=reasons,
        complete=complete,
        system_site_packages=system,
        editable=frozenset(editable),
    )


_INLINE_COMMENT = re.compile(r"(?:^|\s+)(#.*)$")
"""pip's comment rule: ``#`` at the start or after whitespace starts a comment."""
_PROJECT_ENTRY = re.compile(r"^\S+ \(.+\)$")
"""A ``# via`` entry naming a project's own file: ``my-app (pyproject.toml)``."""


PIP_COMPILE_HEADER = re.compile(r"^#.*\bpip-compile with Python (\d+\.\d+)\b")
"""pip-tools' header: ``# This file is autogenerated by pip-compile with Python 3.12``."""


def scan_via_annotations(lines: Sequence[LogicalLine]) -> Annotations:
    """Read the ``# via`` annotations of a file pip-compile or ``uv pip compile`` wrote.

    Both tools write, under each requirement (or after it on the same line
    with ``--annotation-style line``), what asked for it::

        click==8.1.8
            # via
            #   -r requirements.in
            #   flask
        blinker==1.9.0
            # via flask
        certifi==2025.1.31  # via requests

    An entry ``-r FILE`` (a requirement of the input file) or ``NAME (FILE)``
    (a dependency the project declares in ``pyproject.toml``, ``setup.cfg``...)
    makes the package top-level, reason ``requested`` or ``declared``. One
    that only other packages ask for is transitive, reason ``via a, b``
    (the packages, in the file's order). ``-c FILE`` (a constraint) adds no
    reason; a package with nothing but constraints is top-level. A file
    without any ``# via`` line is read as ``pip install -r`` reads it: every
    requirement is top-level, ``requested``; so is one that has no
    annotation in an annotated file.

    Args:
        lines: the file's logical lines.

    Returns:
        The :class:`Annotations` (the Python of pip-compile's header, when it
        says one; never ``complete``):
        ``top_level_lines`` and ``reasons`` for every requirement line
        (a line not starting with ``#`` nor with an option other than ``-e``).
    """
    entries: dict[int, list[str]] = {}
    order: list[int] = []
    last: int | None = None
    listing = False
    for line in lines:
        text = line.text.strip()
        if not text:
            listing = False
            continue
        if text.startswith("#"):
            if last is not None and (text == "# via" or text.startswith(VIA_PREFIX)):
                entries[last] += _via_entries(text.removeprefix("# via"))
                listing = text == "# via"
            elif listing and last is not None and text.startswith("#   "):
                entries[last].append(text[1:].strip())
            else:
                listing = False
            continue
        listing = False
        if text.startswith("-") and not text.startswith(("-e ", "--editable")):
            last = None
            continue
        last = line.number
        order.append(last)
        entries[last] = []
        comment = _INLINE_COMMENT.search(text)
        if comment and comment[1].startswith(VIA_PREFIX):
            entries[last] += _via_entries(comment[1].removeprefix("# via"))
    annotated = any(entries.values())
    headers = (PIP_COMPILE_HEADER.match(line.text) for line in lines[:10])
    compiled = next((header[1] for header in headers if header), None)
    top: set[int] = set()
    reasons: dict[int, str] = {}
    for number in order:
        found = entries[number]
        packages = [e for e in found if not e.startswith("-") and not _PROJECT_ENTRY.match(e)]
        requested = not annotated or any(e.startswith(("-r ", "--requirement")) for e in found)
        declared = any(_PROJECT_ENTRY.match(e) for e in found)
        if requested or declared or not packages:
            top.add(number)
            reasons[number] = "declared" if declared and not requested else "requested"
        else:
            reasons[number] = "via " + ", ".join(packages)
    return Annotations(python_version=compiled, top_level_lines=frozenset(top), reasons=reasons)


def _via_entries(text: str) -> list[str]:
    """Split the rest of a ``# via`` line (``a, -r x.in``) into its entries."""
    return [entry.strip() for entry in text.split(",") if entry.strip()]


_TYPO = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*(?:\s*\[[^\]]*\])?)\s*"
    r"(?P<op>=>|=<|=(?![=<>]))\s*(?P<rest>[^=<>!~].*)$"
)
"""``name=1.0``, ``name=>1``, ``name=<2``: an operator PEP 440 does not have."""
_OPERATORS = {"=": "==", "=>": ">=", "=<": "<="}


def did_you_mean(text: str) -> str | None:
    """Return the requirement ``text`` most likely meant, for a typo in its operator.

    ``rich=15.0.0`` gives ``rich==15.0.0``, ``rich=>13`` gives ``rich>=13``,
    ``rich=<14`` gives ``rich<=14``; ``None`` when ``text`` is no such typo.
    """
    found = _TYPO.match(text)
    if found is None:
        return None
    return f"{found['name']}{_OPERATORS[found['op']]}{found['rest'].strip()}"


def pinned_version(requirement: Requirement) -> Version | None:
    """Return the one version ``name==V`` / ``name===V`` allows, else ``None``.

    A wildcard (``==1.*``) or any other operator is not a pin (pip's
    ``--require-hashes`` rule for "pinned").
    """
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415

    specs = list(requirement.specifier)
    if len(specs) != 1 or specs[0].operator not in {"==", "==="}:
        return None
    if specs[0].version.endswith(".*"):
        return None
    try:
        return Version(specs[0].version)
    except InvalidVersion:
        return None


def pinned_package(
    requirement: Requirement, version: Version, hashes: Iterable[str], line: int
) -> LockedPackage:
    """Return the :class:`~envsnap.lock.LockedPackage` of a ``name==version`` line.

    Args:
        requirement: the line's PEP 508 requirement (its extras and marker are kept).
        version: its pin (:func:`pinned_version`).
        hashes: the line's ``--hash=ALG:HEX`` options (pip's syntax), in any order.
        line: the line number, for messages.
    """
    from envsnap.lock import LockedPackage  # noqa: PLC0415

    return LockedPackage(
        name=canonicalize_name(requirement.name),
        display_name=requirement.name,
        version=version,
        hashes=tuple(sorted({h.removeprefix("--hash=") for h in hashes})),
        marker=requirement.marker,
        extras=tuple(sorted(canonicalize_name(e) for e in requirement.extras)),
        line=line,
    )


def origin_from_url(url: str, *, editable: bool = False) -> Origin:
    """Turn a requirement's direct URL into a PEP 610 :class:`Origin`.

    ``vcs+URL@REV`` is a ``vcs`` origin (a 40/64-hex ``REV`` is the commit,
    anything else the requested revision; ``file://localhost/PATH``, as
    envsnap writes a local repository, is read as ``file:///PATH``); a
    ``file:`` URL of a directory (or of anything that is not an archive) is a
    ``directory``; everything else
    is an ``archive``, whose ``#sha256=...`` fragment becomes its hash.
    ``#subdirectory=`` is kept; credentials are stripped.
    """
    clean, _ = strip_credentials(url)
    base, _, fragment = clean.partition("#")
    params = urllib.parse.parse_qs(fragment)
    subdirectory = params.get("subdirectory", [None])[0]
    scheme = base.partition(":")[0].lower()
    if "+" in scheme:
        vcs, _, rest = base.partition("+")
        parts = urllib.parse.urlsplit(rest)
        path, at, revision = parts.path.rpartition("@")
        commit = requested = None
        if at:
            rest = urllib.parse.urlunsplit(parts._replace(path=path))
            if _COMMIT_RE.match(revision):
                commit = revision
            else:
                requested = revision
        if rest.startswith("file://localhost/"):
            rest = "file:///" + rest.removeprefix("file://localhost/")
        return Origin(
            kind="vcs",
            url=rest,
            vcs=vcs.lower(),
            commit=commit,
            requested_revision=requested,
            editable=editable,
            subdirectory=subdirectory,
        )
    if editable or (
        scheme == "file"
        and (_file_path(base).is_dir() or not base.lower().rstrip("/").endswith(_ARCHIVE_SUFFIXES))
    ):
        return Origin(kind="directory", url=base, editable=editable, subdirectory=subdirectory)
    archive_hash = next((f"{n}={params[n][0]}" for n in _HASH_NAMES if n in params), None)
    return Origin(kind="archive", url=base, archive_hash=archive_hash, subdirectory=subdirectory)


def _file_path(url: str) -> Path:
    from envsnap._text import file_url_path  # noqa: PLC0415

    return file_url_path(url) or Path(url)


def editable_package(
    target: str, *, base_dir: Path, where: str
) -> tuple[NormalizedName, str, Origin]:
    """Describe an ``-e TARGET`` line: a local project path or a VCS URL.

    A relative path is taken from ``base_dir`` (the file's directory, where
    ``freeze`` writes them relative to, and where restore runs pip). The name
    comes from ``#egg=`` of a VCS URL, else the project's ``pyproject.toml``
    ``[project] name``, else its ``setup.cfg`` ``[metadata] name``.

    Args:
        target: what follows ``-e``.
        base_dir: the directory relative paths start from.
        where: ``FILE:LINE`` for messages.

    Returns:
        ``(normalized name, display name, origin)``.

    Raises:
        LockFileError: the name cannot be found.
    """
    scheme = target.partition(":")[0].lower() if "://" in target else ""
    if scheme and scheme != "file":
        egg = urllib.parse.parse_qs(target.partition("#")[2]).get("egg", [None])[0]
        if not egg:
            raise LockFileError(
                f"{where}: -e {excerpt(target, quoted=False)}: no #egg=NAME to name the project",
                hint="write the requirement as `NAME @ URL` or add #egg=NAME",
            )
        return canonicalize_name(egg), egg, origin_from_url(target, editable=True)
    path = _file_path(target) if scheme == "file" else Path(target)
    if not path.is_absolute():
        path = base_dir / path
    path = Path(os.path.normpath(path.absolute()))
    display = _project_name(path)
    if display is None:
        raise LockFileError(
            f"{where}: -e {excerpt(target, quoted=False)}: {excerpt(str(path), 200, quoted=False)} "
            "has no pyproject.toml or setup.cfg naming the project",
            hint="check out the project there, or remove the line",
        )
    return (
        canonicalize_name(display),
        display,
        Origin(kind="directory", url=path.as_uri(), editable=True),
    )


def _project_name(path: Path) -> str | None:
    """Return ``[project] name`` of pyproject.toml, else ``[metadata] name`` of setup.cfg."""
    from envsnap._io import read_toml  # noqa: PLC0415
    from envsnap.errors import InputError  # noqa: PLC0415

    try:
        project = read_toml(path / "pyproject.toml")[1].get("project")
    except InputError:  # missing or unreadable: setup.cfg may name it
        project = None
    name = project.get("name") if isinstance(project, dict) else None
    if isinstance(name, str) and name:
        return name
    import configparser  # noqa: PLC0415 - only for -e lines of setup.cfg projects (3 ms)

    config = configparser.ConfigParser()
    try:
        config.read(path / "setup.cfg", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    name = config.get("metadata", "name", fallback=None)
    return name or None


def editables_named(
    packages: Iterable[LockedPackage], notes: Annotations
) -> tuple[list[LockedPackage], bool]:
    """Mark the directory entries a constraints file's ``# editable:`` line names as editable.

    Returns:
        The packages, and whether any was marked (pip and uv, reading the file
        itself, would install those non-editable: restore then renders the Lock).
    """
    from dataclasses import replace  # noqa: PLC0415

    found, marked = [], False
    for package in packages:
        origin = package.origin
        if package.name in notes.editable and origin.kind == "directory" and not origin.editable:
            package = replace(package, origin=replace(origin, editable=True))  # noqa: PLW2901
            marked = True
        found.append(package)
    return found, marked


def with_files(packages: Iterable[LockedPackage], path: Path) -> tuple[LockedPackage, ...]:
    """Give each package installed from a direct URL or a local path its :class:`LockedFile`.

    A ``name @ URL`` archive and a ``-e PATH`` / ``file:`` directory name the
    file restore fetches or reads; a VCS URL names a repository, not a file.
    The file's place is the package's ``location`` (an included file's line
    too), else ``path:line``.
    """
    from dataclasses import replace  # noqa: PLC0415

    from envsnap.lock import LockedFile  # noqa: PLC0415

    found = []
    for package in packages:
        url = package.origin.url
        if url and package.origin.kind in ("archive", "directory"):
            where = package.location or (f"{path}:{package.line}" if package.line else None)
            found.append(replace(package, files=(LockedFile(key="url", value=url, where=where),)))
        else:
            found.append(package)
    return tuple(found)

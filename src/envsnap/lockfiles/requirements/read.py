"""Read a requirements file into the :class:`~envsnap.lock.Lock` model: one reader, three outcomes.

One pass over the file's logical lines (:mod:`.lines`), its kind told by its comments
(:mod:`.annotations`):

- **a file envsnap wrote** (its header): envsnap's own grammar on ``packaging`` alone
  (``name==version``, ``name @ URL``, ``-e PATH``, then ``--hash=ALG:HEX``; a portable
  file's pins may carry markers, a name once per marker); any other line is an error.
- **a fully pinned file of another tool** (pip-compile, ``uv export``, ``uv pip compile
  --universal``, ``pip freeze``): split and checked as pip does, read with ``packaging``;
  pip-api is never imported (its import runs ``python -m pip``: most of a second).
- **anything else** (includes, unpinned requirements, pip's URL and path forms): the
  same pass, then pip-api's parser reads the file, for its checks and the names only it
  knows. Restore hands such a file to the installer as written.

Every requirement keeps its marker, even one false on envsnap's own interpreter (pip and
pip-api drop those): restore or check may look at another Python or platform, and the
comparison selects (:meth:`~envsnap.lock.Lock.for_environment`).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field, replace
from itertools import takewhile
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from envsnap._text import excerpt
from envsnap.errors import LockFileError
from envsnap.lock import Lock, LockedFile, LockedPackage, Origin
from envsnap.lockfiles.requirements import pip_api_parser
from envsnap.lockfiles.requirements.annotations import Annotations, read_annotations
from envsnap.lockfiles.requirements.lines import INDEX_OPTIONS, expansions, read_lines, scan
from envsnap.lockfiles.requirements.origins import editable_package, origin_from_url

if TYPE_CHECKING:
    from collections.abc import Iterable

    from envsnap.lockfiles.requirements.lines import Line, PipLine

__all__ = ["load"]

_PIN = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([0-9A-Za-z.!+_-]+)")
"""``name==version`` (PEP 508 name, PEP 440 version characters): nearly every line of a
lock, read without ``packaging.requirements`` (35 us a line); anything else, or a
version that does not parse, goes through ``Requirement()`` and its errors."""
_OWN_HASH = re.compile(r"--hash=sha(?:256|384|512):[0-9a-f]+")
"""A ``--hash`` option as envsnap writes it."""
_URL_OR_PATH = re.compile(r"^([a-z][a-z0-9+.-]*://|[a-z]+\+|file:|\.|/|~)|[\\/]", re.IGNORECASE)
"""A requirement pip reads as a URL or a local path, not as PEP 508 text."""
_TYPO = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*(?:\s*\[[^\]]*\])?)\s*"
    r"(?P<op>=>|=<|=(?![=<>]))\s*(?P<rest>[^=<>!~].*)$"
)
"""``name=1.0``, ``name=>1``, ``name=<2``: an operator PEP 440 does not have."""
_OPERATORS = {"=": "==", "=>": ">=", "=<": "<="}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Found:
    """What the pass over a file's lines found."""

    packages: list[LockedPackage]
    expansions: tuple[tuple[str, str], ...]
    index_options: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    included_options: tuple[tuple[str, str], ...] = ()
    pins: dict[NormalizedName, Version] = field(default_factory=dict)
    """The ``name==version`` pins of ``-c`` files."""


def load(path: Path, *, pip_api: bool = False) -> Lock:
    """Read a requirements file (the module docstring gives the three outcomes).

    pip's rules: ``-r`` / ``-c`` files are relative to the including file; a ``-c`` pin
    fills in an unpinned requirement's version; index option lines are kept, in order;
    ``-e`` paths are relative to the file's directory; a name listed twice is refused unless
    every line of it has a marker (``uv pip compile --universal``). A requirement neither
    pinned nor a direct URL gets ``version=None``, its ``specifier`` and a ``problems`` line.
    ``pip_api`` reads any file as anything else is read (for the test that the outcomes agree).

    Returns:
        The Lock (format ``requirements``), packages sorted by normalized name, then file and
        line; a package of an included file has its ``file`` and ``line`` there.

    Raises:
        LockFileError: an unreadable file (or include), a line outside its file's grammar
            (``FILE:LINE``), a name listed twice.
        OperationError: pip-api, needed for this file, cannot be imported.
    """
    lines = read_lines(path)
    if lines and lines[0].text.startswith("\ufeff"):
        raise LockFileError(
            f"{path}:1: the file starts with a byte-order mark (BOM)",
            hint="save it as UTF-8 without a BOM",
        )
    notes = read_annotations(lines)
    if notes.by_envsnap and not pip_api:
        found = _Found(packages=_own_file(lines, notes), expansions=expansions(lines))
    else:
        found = _pip_file(path, lines, force=pip_api)
    packages, problems = [], []
    for package in sorted(found.packages, key=_order):
        pin = None if package.pinned else found.pins.get(package.name)
        if pin is not None:
            package = replace(package, version=pin, specifier=None)  # noqa: PLW2901
        elif not package.pinned:
            spec = str(package.specifier) if package.specifier else " (no version)"
            problems.append(
                f"{package.location}: {package.display_name}{spec} is not pinned to one version"
            )
        packages.append(_annotated(package, notes))
    return Lock(
        path=path,
        format="requirements",
        packages=tuple(packages),
        python_version=notes.python_version,
        requires_python=notes.requires_python,
        written_by_envsnap=notes.by_envsnap,
        index_options=found.index_options,
        trusted_hosts=found.trusted_hosts,
        included_options=found.included_options,
        problems=tuple(problems),
        complete=notes.complete,
        system_site_packages=notes.system_site_packages,
        expansions=found.expansions,
    )


def _order(package: LockedPackage) -> tuple[str, bool, str, int]:
    return (package.name, package.file is not None, str(package.file or ""), package.line or 0)


def _annotated(package: LockedPackage, notes: Annotations) -> LockedPackage:
    """Give a package what the comments say of it, and the archive or directory it names.

    A VCS URL names a repository, not a file; a constraints file's ``# editable:`` line
    marks its directories editable.
    """
    origin = package.origin
    if package.name in notes.editable and origin.kind == "directory":
        origin = replace(origin, editable=True)
    top_level = package.line in notes.top_level_lines or package.name in notes.top_level_names
    reason = notes.reasons.get(package.line or 0)
    if package.file is not None:  # from a -r include: pip install -r requests it too
        top_level, reason = True, "requested"
    files: tuple[LockedFile, ...] = ()
    if origin.url and origin.kind in ("archive", "directory"):
        files = (LockedFile(key="url", value=origin.url, where=package.location),)
    return replace(package, origin=origin, top_level=top_level, reason=reason, files=files)


# ---- a file envsnap wrote --------------------------------------------------------------------


def _own_file(lines: list[Line], notes: Annotations) -> list[LockedPackage]:
    """Read the requirement lines of a file envsnap wrote (:func:`_own_package`)."""
    seen: dict[NormalizedName, LockedPackage] = {}
    return [
        _once(seen, _own_package(line, portable=notes.portable))
        for line in lines[1:]
        if line.text.strip() and not line.text.lstrip().startswith("#")
    ]


def _own_package(line: Line, *, portable: bool) -> LockedPackage:
    """Read one requirement line of a file envsnap wrote, by its grammar only.

    ``name==version`` (PEP 440), ``name @ URL`` (PEP 508) or ``-e PATH``, then
    ``--hash=ALG:HEX`` options; a portable file's pins may carry a marker, and nothing else.
    Any other line is a LockFileError (``FILE:LINE``).
    """
    words = line.text.split()
    editable = words[0] == "-e" and len(words) > 1 and not portable
    head = words[:2] if editable else list(takewhile(lambda w: not w.startswith("-"), words))
    options = words[len(head) :]
    if not head:
        first = excerpt(words[0], quoted=False)
        if words[0].startswith("--hash="):
            _refuse(line, portable, "--hash options must come after the requirement")
        _refuse(line, portable, f"option {first} is not part of a file envsnap writes")
    for option in options:
        if not _OWN_HASH.fullmatch(option):
            shown = excerpt(option, quoted=False)
            if option.startswith("--hash="):
                _refuse(line, portable, f"invalid {shown} (expected --hash=sha256:HEX)")
            _refuse(line, portable, f"option {shown} is not part of a file envsnap writes")
    if editable:
        return _editable(line, words[1], options, file=None)
    text = " ".join(head)
    package = _fast_pin(text, line, options, file=None)
    if package is None:
        try:
            package = _locked(Requirement(text), line, options, file=None)
        except InvalidRequirement as exc:
            reason, _ = _invalid(text, exc)
            _refuse(line, portable, f"invalid requirement: {reason}", reason=reason)
    if package.marker is not None and not portable:
        _refuse(line, portable, "markers are not part of a file envsnap writes")
    exact = package.version is not None and (portable or "===" not in text.partition(";")[0])
    if not (exact or (package.origin.is_direct and not portable)):
        _refuse(
            line,
            portable,
            f"{excerpt(text, quoted=False)} is not pinned as name==version",
            hint="envsnap's own files pin every package: pin it, or remove the '# envsnap' "
            "header to read the file as a hand-written one",
        )
    return package


def _refuse(
    line: Line, portable: bool, message: str, hint: str | None = None, *, reason: str = ""
) -> NoReturn:
    """Raise the error of a line outside the grammar of a file envsnap wrote.

    ``reason``: why the text is no requirement, in ``packaging``'s words.
    """
    if not portable:
        raise LockFileError(f"{line.where}: {message}", hint=hint)
    if reason:
        raise LockFileError(f"{line.where}: not a requirement: {reason}")
    raise LockFileError(
        f"{line.where}: not a pin of a portable file: {line.text.strip()}",
        hint="a portable file has name==version [; marker] lines only; "
        "write it again with envsnap freeze --portable",
    )


# ---- any other file --------------------------------------------------------------------------


def _pip_file(path: Path, lines: list[Line], *, force: bool) -> _Found:
    """Read a file by pip's grammar, with its includes; through pip-api unless fully pinned."""
    scanned = list(scan(path, lines))
    read: list[tuple[PipLine, LockedPackage | None]] = []  # None: a URL or path form
    for found in scanned:
        file = None if found.line.file == path else found.line.file
        read += [
            (found, _editable(found.line, value, found.hashes, file))
            for option, value in found.options
            if option == "--editable" and value and not (found.constraint or found.requirement)
        ]
        if found.requirement:
            read.append((found, _pip_package(found, path)))
    pinned = all(p is not None and p.pinned for _, p in read)
    force = force or not pinned or any(found.line.file != path for found in scanned)
    if force:  # anything else: pip-api reads the forms only it knows
        read = [(f, p or _pip_package(f, path, pip_api=True)) for f, p in read]
    seen: dict[NormalizedName, LockedPackage] = {}
    packages = [_once(seen, p) for f, p in read if p is not None and not f.constraint]
    if force:
        pip_api_parser.check(path)  # and its own checks of the file and its -r includes
    options = [  # pip takes them from option lines only
        (f.line, o, v) for f in scanned if not (f.constraint or f.requirement) for o, v in f.options
    ]
    index = [
        (line, _index_option(option, value, line.file, included=line.file != path))
        for line, option, value in options
        if option in INDEX_OPTIONS
    ]
    return _Found(
        packages=packages,
        expansions=expansions(found.line for found in scanned),
        index_options=tuple(kept for _, kept in index),
        trusted_hosts=tuple(v for _, o, v in options if o == "--trusted-host" and v),
        included_options=tuple((line.where, kept) for line, kept in index if line.file != path),
        pins={  # as pip reads a -c file: a pin whose marker is false here is none
            p.name: p.version
            for f, p in read
            if f.constraint and p and p.version and (p.marker is None or p.marker.evaluate())
        },
    )


def _pip_package(found: PipLine, path: Path, *, pip_api: bool = False) -> LockedPackage | None:
    """Read the requirement of a line of ``path`` (or of an include) by pip's grammar.

    Returns ``None`` for one of pip's URL and path forms (``./x.whl``, ``git+URL#egg=x``),
    whose name only pip's rules give, unless ``pip_api`` reads it. Raises LockFileError for
    text that is neither PEP 508 nor a URL or path, as pip does (with what an operator typo
    such as ``rich=15.0.0`` meant).
    """
    text, line = found.requirement, found.line
    file = None if line.file == path else line.file
    package = _fast_pin(text, line, found.hashes, file)
    if package is not None:
        return package
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        if not _URL_OR_PATH.search(text.split(";", 1)[0]):
            reason, hint = _invalid(text, exc)
            raise LockFileError(
                f"{line.where}: Invalid requirement: {excerpt(text)}: {reason}", hint=hint
            ) from None
        if not pip_api:
            return None
        requirement = pip_api_parser.requirement(text, where=line.where)
    return _locked(requirement, line, found.hashes, file)


def _index_option(option: str, value: str | None, file: Path, *, included: bool) -> str:
    """Return an index option line as :attr:`~envsnap.lock.Lock.index_options` keeps it.

    pip tries a relative ``--find-links`` against the directory of the file that says it
    and keeps it where that exists (``req_file.handle_option_line``): an include's is made
    absolute here; the lock's own, later (:func:`envsnap.index.settings.settings_for_lock`).
    """
    if value is None:
        return option
    candidate = file.parent / value
    relative = "://" not in value and not Path(value).is_absolute()
    if included and option == "--find-links" and relative and candidate.exists():
        return f"{option} {os.path.normpath(candidate.absolute())}"
    return f"{option} {value}"


# ---- pieces of both ---------------------------------------------------------------------------


def _once(seen: dict[NormalizedName, LockedPackage], package: LockedPackage) -> LockedPackage:
    """Return ``package``; refuse a name listed twice unless every one of its lines has a marker.

    pip refuses two requirements of one name ("Double requirement given"); uv's universal
    files pin one name once per disjoint marker. ``seen`` holds each name's first package:
    a scan of the packages so far took 60 s for 50,000 pins.
    """
    first = seen.setdefault(package.name, package)
    if first is not package and (first.marker is None or package.marker is None):
        also = f"on line {first.line}" if first.file == package.file else f"at {first.location}"
        raise LockFileError(
            f"{package.location}: {package.name} is listed twice (also {also})",
            hint="keep one requirement per package, or give each one a marker",
        )
    return package


def _fast_pin(
    text: str, line: Line, hashes: Iterable[str], file: Path | None
) -> LockedPackage | None:
    """Read ``name==version [; marker]`` as :data:`_PIN` matches it, else ``None``."""
    head, semicolon, marker = text.partition(";")
    pin = _PIN.fullmatch(head.rstrip())
    if pin is None:
        return None
    try:
        version = Version(pin[2])
        parsed = _marker(marker.strip()) if semicolon else None
    except (InvalidVersion, InvalidMarker):
        return None  # Requirement() says what is wrong
    return LockedPackage(
        name=canonicalize_name(pin[1]),
        display_name=pin[1],
        version=version,
        hashes=_hashes(hashes),
        marker=parsed,
        line=line.number,
        file=file,
        location=line.where,
    )


@functools.lru_cache(maxsize=256)
def _marker(text: str) -> Marker:
    """Parse a marker once per file, not once per line: a universal file repeats a few."""
    return Marker(text)


def _locked(
    requirement: Requirement, line: Line, hashes: Iterable[str], file: Path | None
) -> LockedPackage:
    """Build the package of a requirement in ``file`` (an include; ``None``: the lock)."""
    version = None if requirement.url else _pinned_version(requirement)
    unpinned = version is None and requirement.url is None
    return LockedPackage(
        name=canonicalize_name(requirement.name),
        display_name=requirement.name,
        version=version,
        specifier=requirement.specifier if unpinned else None,
        origin=origin_from_url(requirement.url) if requirement.url else Origin(),
        hashes=_hashes(hashes),
        marker=requirement.marker,
        extras=tuple(sorted(canonicalize_name(e) for e in requirement.extras)),
        line=line.number,
        file=file,
        location=line.where,
    )


def _editable(line: Line, target: str, hashes: Iterable[str], file: Path | None) -> LockedPackage:
    """Build the :class:`LockedPackage` of an ``-e TARGET`` line (see :func:`editable_package`)."""
    name, display, origin = editable_package(target, base_dir=line.file.parent, where=line.where)
    return LockedPackage(
        name=name,
        display_name=display,
        version=None,
        origin=origin,
        hashes=_hashes(hashes),
        line=line.number,
        file=file,
        location=line.where,
    )


def _hashes(options: Iterable[str]) -> tuple[str, ...]:
    """Return the ``ALG:HEX`` of ``--hash=ALG:HEX`` options (or of their values), sorted."""
    return tuple(sorted({option.removeprefix("--hash=") for option in options}))


def _pinned_version(requirement: Requirement) -> Version | None:
    """Return the one version ``name==V`` / ``name===V`` allows (not ``==1.*``), else ``None``.

    That is pip's ``--require-hashes`` rule for "pinned".
    """
    specs = list(requirement.specifier)
    if len(specs) != 1 or specs[0].operator not in {"==", "==="} or "*" in specs[0].version:
        return None
    try:
        return Version(specs[0].version)
    except InvalidVersion:
        return None


def _invalid(text: str, exc: InvalidRequirement) -> tuple[str, str]:
    """Return why ``text`` is no requirement and a hint (for ``x=1``, ``=>``, ``=<``: the fix)."""
    typo = _TYPO.match(text)
    if typo is None:
        return (
            str(exc).splitlines()[0],
            "pip's requirement format is PEP 508: name[extras] specifier ; marker",
        )
    meant = f"{typo['name']}{_OPERATORS[typo['op']]}{typo['rest'].strip()}"
    return (
        f"did you mean {excerpt(meant)}?",
        "PEP 440's version operators are ==, !=, <=, >=, <, >, ~= and ===",
    )

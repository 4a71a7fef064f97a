"""Any pip requirements file, read through pip-api.

This is the only module that imports :mod:`pip_api` (lazily: the import runs
``python -m pip --version`` and costs most of a second). Its objects are turned
into ``packaging`` types at once; nothing of pip-api leaves this module.

pip-api parses requirement lines, ``-r`` includes and ``--hash`` options.
Every line of the file and of its includes is first checked here as pip
splits and parses it (an unknown option, an option without its value, text
that is not PEP 508 stop the read with ``FILE:LINE``, as pip stops; pip-api
alone ignores unknown options and joins the words of ``foo bar==1`` into
``foobar==1``). What pip-api does not return is collected by the same scan:
index options (``--index-url``, ``--extra-index-url``, ``--find-links``,
``--no-index``), ``-c`` constraint files (their ``==`` pins fill in unpinned
requirements), ``-e`` lines (paths relative to the file's directory, as
``envsnap freeze`` writes them). For a file envsnap wrote, its header,
sections and ``# via`` lines are read, so that this reader and the strict one
(:func:`envsnap.lockfiles.requirements.read_strict.load`) give the same Lock; for a file of
pip-compile or uv, their ``# via`` annotations
(:func:`~envsnap.lockfiles.requirements.lines.scan_via_annotations`).

Why one module of this size: pip's requirements-file grammar (every option pip accepts,
includes, constraints, editables) is one concern, read as pip reads it.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from envsnap._text import excerpt
from envsnap.errors import LockFileError, OperationError
from envsnap.lock import Lock, LockedPackage, Origin
from envsnap.lockfiles.requirements import lines as rl
from envsnap.lockfiles.requirements.lines import HEADER_PREFIX

if TYPE_CHECKING:
    from packaging.version import Version

__all__ = ["load"]

PIP_OPTIONS: dict[str, tuple[str, bool]] = {
    "-i": ("--index-url", True),
    "--index-url": ("--index-url", True),
    "--pypi-url": ("--index-url", True),
    "--extra-index-url": ("--extra-index-url", True),
    "--no-index": ("--no-index", False),
    "-c": ("--constraint", True),
    "--constraint": ("--constraint", True),
    "-r": ("--requirement", True),
    "--requirement": ("--requirement", True),
    "-e": ("--editable", True),
    "--editable": ("--editable", True),
    "-f": ("--find-links", True),
    "--find-links": ("--find-links", True),
    "--no-binary": ("--no-binary", True),
    "--only-binary": ("--only-binary", True),
    "--prefer-binary": ("--prefer-binary", False),
    "--require-hashes": ("--require-hashes", False),
    "--no-require-hashes": ("--no-require-hashes", False),
    "--pre": ("--pre", False),
    "--all-releases": ("--all-releases", True),
    "--only-final": ("--only-final", True),
    "--trusted-host": ("--trusted-host", True),
    "--use-feature": ("--use-feature", True),
    "--hash": ("--hash", True),
    "-C": ("--config-settings", True),
    "--config-settings": ("--config-settings", True),
}
"""Every option pip accepts in a requirements file (pip 26's ``req_file``
``SUPPORTED_OPTIONS`` and ``SUPPORTED_OPTIONS_REQ``): spelling -> (long form,
whether it takes a value). pip's parser takes any of them on any line."""

INDEX_OPTIONS = frozenset({"--index-url", "--extra-index-url", "--find-links", "--no-index"})
"""The options kept in :attr:`Lock.index_options <envsnap.lock.Lock.index_options>`."""

_COMMENT_RE = re.compile(r"(^|\s+)#.*$")
"""pip's comment rule (``req_file.COMMENT_RE``)."""

_SKIP_REGEX = r"^\s*-(?!r\b|-requirement\b)"
"""Lines pip-api must not see: every option line but ``-r`` (handled here)."""

_URL_OR_PATH = re.compile(r"^([a-z][a-z0-9+.-]*://|[a-z]+\+|file:|\.|/|~)|[\\/]", re.IGNORECASE)
"""A requirement pip reads as a URL or a local path, not as PEP 508 text."""


@dataclass(frozen=True, slots=True)
class _Scan:
    """What the small scan of the files found."""

    index_options: tuple[str, ...]
    trusted_hosts: tuple[str, ...]
    constraints: tuple[Path, ...]
    editables: tuple[tuple[Path, rl.LogicalLine, str], ...]
    included_options: tuple[tuple[str, str], ...]
    """``(FILE:LINE, option)`` for the index options of included files."""
    requirements: tuple[tuple[Path, rl.LogicalLine, str], ...]
    """Every requirement line (not ``-e``, not of a ``-c`` file): file, line, requirement text."""
    expansions: tuple[tuple[str, str], ...]
    """Every ``${NAME}`` in the files, with its ``FILE:LINE`` (:func:`~.lines.expansions`)."""


def load(path: Path) -> Lock:
    """Read any pip requirements file into the :class:`~envsnap.lock.Lock` model.

    Follows pip's requirements-file format: ``-r FILE`` / ``-c FILE`` are
    relative to the including file; ``--hash`` options; ``-e PATH|VCS-URL``;
    ``name @ URL`` direct references; continuation lines. A requirement that
    is not pinned to one version (``==`` without wildcard) or a direct URL
    becomes a package with ``version=None`` and its ``specifier``, and a
    ``problems`` line; a ``-c`` constraint pin fills in its version. Index
    option lines are kept, in order, in ``index_options``.

    Every requirement is kept with its marker, also one whose marker is false
    on the interpreter running envsnap (pip-api leaves those out; this reader
    reads them itself): the environment that restore builds or check looks
    at may be another Python or platform, and the comparison selects
    (:meth:`~envsnap.lock.Lock.for_environment`). One name may appear several
    times when every one of its lines has a marker (``uv pip compile
    --universal``, ``uv export``); pip refuses a name twice otherwise, and so
    does this reader. A package of an included file has its ``file`` and its
    ``line`` there.

    Args:
        path: the file.

    Returns:
        The :class:`~envsnap.lock.Lock` (format ``requirements``), packages
        sorted by normalized name (then file order); for a file envsnap wrote,
        its header's Python version, top-level sections and reasons too.

    Raises:
        LockFileError: an unreadable file (this one or an included one), an
            invalid requirement (``FILE:LINE``), a name listed twice.
    """
    text = rl.read_text(path)
    if text.startswith("\ufeff"):
        raise LockFileError(
            f"{path}:1: the file starts with a byte-order mark (BOM)",
            hint="save it as UTF-8 without a BOM",
        )
    lines = rl.logical_lines(text)
    _refuse_duplicates(path, lines)
    scan = _scan(path)
    physical = _Physical()
    packages: list[LockedPackage] = []
    parsed: set[tuple[Path, int]] = set()
    for item in _parse(path):
        number = physical(item)
        parsed.add((Path(item.filename), number))
        packages.append(_package(item, path, number))
    for file, line, requirement in scan.requirements:
        if (file, line.number) not in parsed:  # pip-api left it out: its marker is false here
            packages.append(_unselected(path, file, line, requirement))
    for file, line, target in scan.editables:
        where = f"{file}:{line.number}"
        name, display, origin = rl.editable_package(target, base_dir=file.parent, where=where)
        packages.append(
            LockedPackage(
                name=name,
                display_name=display,
                version=None,
                origin=origin,
                hashes=_hashes(line.text),
                line=line.number,
                file=None if file == path else file,
                location=where,
            )
        )
    packages.sort(key=lambda p: (p.file is not None, str(p.file or ""), p.line or 0))
    _refuse_twice(packages)
    pins = _constraint_pins(scan.constraints)
    problems = []
    packages.sort(key=lambda p: (p.name, p.file is not None, str(p.file or ""), p.line or 0))
    for index, package in enumerate(packages):
        if package.pinned:
            continue
        pin = pins.get(package.name)
        if pin is not None:
            packages[index] = _with_version(package, pin)
            continue
        spec = str(package.specifier) if package.specifier else " (no version)"
        problems.append(
            f"{package.location}: {package.display_name}{spec} is not pinned to one version"
        )
    envsnap_file = bool(lines) and lines[0].text.startswith(HEADER_PREFIX)
    notes = rl.scan_annotations(lines) if envsnap_file else rl.scan_via_annotations(lines)
    found = []
    for package in packages:
        if package.file is None:
            found.append(_annotated(package, notes))
        elif envsnap_file:
            found.append(package)
        else:  # from a -r include: pip install -r requests it too
            found.append(replace(package, top_level=True, reason="requested"))
    found, renamed = rl.editables_named(found, notes)
    return Lock(
        path=path,
        format="requirements",
        packages=rl.with_files(found, path),
        python_version=notes.python_version,
        system_site_packages=notes.system_site_packages,
        written_by_envsnap=envsnap_file,
        index_options=scan.index_options,
        trusted_hosts=scan.trusted_hosts,
        included_options=scan.included_options,
        pip_reads_it=not renamed,
        problems=tuple(problems),
        complete=notes.complete,
        expansions=scan.expansions,
    )


def _refuse_twice(packages: list[LockedPackage]) -> None:
    """Refuse a name listed twice unless every one of its entries has a marker.

    pip refuses two requirements of one name ("Double requirement given");
    uv's universal files pin one name once per disjoint marker, which pip
    reads as one requirement on each interpreter.

    Raises:
        LockFileError: ``FILE:LINE: NAME is listed twice``, at the second entry.
    """
    seen: dict[NormalizedName, LockedPackage] = {}
    for package in packages:
        first = seen.setdefault(package.name, package)
        if first is not package and (first.marker is None or package.marker is None):
            raise LockFileError(
                f"{package.location}: {package.name} is listed twice (also at {first.location})",
                hint="keep one requirement per package, or give each one a marker",
            )


def _refuse_duplicates(path: Path, lines: list[rl.LogicalLine]) -> None:
    """Refuse two requirements of one name in ``path``, unless both have a marker, as pip does.

    pip-api misses it when only the case differs (``alpha`` then ``Alpha``)
    and keeps the last. Two lines that both carry a marker are allowed (one
    per marker, see :func:`load`).

    Raises:
        LockFileError: a name appears twice (``FILE:LINE``, and the first line).
    """
    seen: dict[NormalizedName, tuple[int, bool]] = {}
    for line in lines:
        text = _COMMENT_RE.sub("", line.text).strip()
        if not text or text.startswith("-"):
            continue
        words = text.split(" ")
        end = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
        try:
            requirement = Requirement(" ".join(words[:end]))
        except InvalidRequirement:
            continue  # reported with its line by the scan
        name = canonicalize_name(requirement.name)
        marked = requirement.marker is not None
        first = seen.setdefault(name, (line.number, marked))
        if first[0] != line.number and not (first[1] and marked):
            raise LockFileError(
                f"{path}:{line.number}: {name} is listed twice (also on line {first[0]})",
                hint="keep one requirement per package",
            )


def _annotated(package: LockedPackage, notes: rl.Annotations) -> LockedPackage:
    return replace(
        package,
        top_level=package.line in notes.top_level_lines,
        reason=notes.reasons.get(package.line) if package.line is not None else None,
    )


def _with_version(package: LockedPackage, version: Version) -> LockedPackage:
    return replace(package, version=version, specifier=None)


def _parse(path: Path) -> list[Any]:
    """Run pip-api on ``path``; return its requirement objects."""
    import argparse  # noqa: PLC0415

    try:
        # pip-api's documented API (its README); its __init__ imports them without __all__
        from pip_api import (  # type: ignore[attr-defined]  # noqa: PLC0415
            UnparsedRequirement,
            parse_requirements,
        )
        from pip_api.exceptions import PipError  # noqa: PLC0415
    except Exception as exc:  # noqa: BLE001 - pip-api runs `python -m pip` at import
        raise OperationError(
            f"{path}: cannot read a hand-written requirements file: pip-api failed to load ({exc})",
            hint="pip-api needs pip in the interpreter running envsnap (python -m pip install pip)",
        ) from None

    import contextlib  # noqa: PLC0415
    import io  # noqa: PLC0415

    options = argparse.Namespace(skip_requirements_regex=_SKIP_REGEX)
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
            parsed = parse_requirements(path, options=options, include_invalid=True)
    except SystemExit:  # pip-api's argparse exits on a bad option after a requirement (or -h)
        errors = [line for line in said.getvalue().splitlines() if "error: " in line]
        last = (errors or ["error: an option pip-api cannot parse (-h?)"])[-1]
        raise LockFileError(
            f"{path}: {_clip(last.partition('error: ')[2] or last)}",
            hint="an option after a requirement needs its value (pip's requirements format)",
        ) from None
    except PipError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LockFileError(f"{path}: {_clip(message)}") from None
    except OSError as exc:
        raise LockFileError(
            f"{exc.filename or path}: cannot read an included file: {exc.strerror or exc}"
        ) from None
    except UnicodeDecodeError as exc:
        raise LockFileError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except ValueError as exc:  # pip-api's own parsing, e.g. a file: URL of another host
        raise LockFileError(f"{path}: cannot parse the file ({_clip(str(exc))})") from None
    items = list(parsed.values())
    for item in items:
        if isinstance(item, UnparsedRequirement):
            first = str(item.msg).splitlines()[0]
            raise LockFileError(f"{item.filename}:{_Physical()(item)}: {_clip(first)}")
    return items


def _clip(message: str) -> str:
    """Return a message of pip-api's (which may quote a whole line) cut short and escaped.

    A line of an included file may hold anything (``-r /proc/self/environ``):
    no error quotes more than a short, escaped prefix of it.
    """
    return excerpt(message.splitlines()[0] if message else message, 160, quoted=False)


class _Physical:
    """Map pip-api's logical line numbers to physical lines, each file read once."""

    def __init__(self) -> None:
        self._lines: dict[str, list[rl.LogicalLine]] = {}

    def __call__(self, item: Any) -> int:  # noqa: ANN401 - a pip-api object
        """Return the physical line of a pip-api requirement in its file."""
        filename = str(item.filename)
        try:
            if filename not in self._lines:
                text = Path(filename).read_text(encoding="utf-8")
                self._lines[filename] = rl.logical_lines(text)
            return self._lines[filename][int(item.lineno) - 1].number
        except (OSError, UnicodeDecodeError, IndexError):
            return int(item.lineno)


def _package(item: Any, path: Path, number: int) -> LockedPackage:  # noqa: ANN401
    """Convert one pip-api requirement to a :class:`LockedPackage` (packaging types)."""
    file = Path(item.filename)
    where = f"{item.filename}:{number}"
    try:
        requirement = Requirement(str(item))
    except InvalidRequirement as exc:
        reason = _clip(str(exc))
        raise LockFileError(f"{where}: invalid requirement: {reason}") from None
    hashes = [f"{kind}:{value}" for kind, values in (item.hashes or {}).items() for value in values]
    own = file == path
    return _locked(requirement, hashes, file=None if own else file, line=number, where=where)


def _unselected(path: Path, file: Path, line: rl.LogicalLine, text: str) -> LockedPackage:
    """Read a requirement pip-api left out because its marker is false on this interpreter.

    PEP 508 text is read with ``packaging``; pip's URL and path forms
    (``./x.whl ; marker``, ``git+URL#egg=name ; marker``) go through pip-api
    without their marker, which is then put back.
    """
    where = f"{file}:{line.number}"
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        target, _, marker = text.partition("; " if "; " in text else ";")
        with tempfile.TemporaryDirectory() as scratch:
            one = Path(scratch) / "requirement.txt"
            one.write_text(target.strip() + "\n", encoding="utf-8")
            (item,) = _parse(one)
        try:
            requirement = Requirement(f"{item} ; {marker.strip()}")
        except InvalidRequirement as exc:
            reason = _clip(str(exc))
            raise LockFileError(f"{where}: invalid requirement: {reason}") from None
    hashes = [v for option, v in _split_line(line.text, where)[1] if option == "--hash" and v]
    own = file == path
    return _locked(requirement, hashes, file=None if own else file, line=line.number, where=where)


def _locked(
    requirement: Requirement, hashes: list[str], *, file: Path | None, line: int, where: str
) -> LockedPackage:
    """Build the :class:`LockedPackage` of a requirement read at ``where`` (``FILE:LINE``).

    ``file`` is the included file it is in, ``None`` for the lock file itself.
    """
    version = None if requirement.url else rl.pinned_version(requirement)
    unpinned = version is None and requirement.url is None
    return LockedPackage(
        name=canonicalize_name(requirement.name),
        display_name=requirement.name,
        version=version,
        specifier=requirement.specifier if unpinned else None,
        origin=rl.origin_from_url(requirement.url) if requirement.url else Origin(),
        hashes=tuple(sorted(set(hashes))),
        marker=requirement.marker,
        extras=tuple(sorted(canonicalize_name(e) for e in requirement.extras)),
        line=line,
        file=file,
        location=where,
    )


def _hashes(text: str) -> tuple[str, ...]:
    """Return the ``--hash=ALG:HEX`` values of a line, sorted."""
    return tuple(
        sorted({w.removeprefix("--hash=") for w in text.split() if w.startswith("--hash=")})
    )


def _scan(path: Path) -> _Scan:  # noqa: PLR0912 - one branch per pip option family
    """Check every line of ``path`` and its includes as pip does; collect what pip-api does not.

    Each logical line is split as pip splits it (``req_file.break_args_options``:
    the requirement is the words before the first one starting with ``-``, the
    options the rest). Every option must be one pip accepts, with its value;
    requirement text must be PEP 508 (``packaging``), unless it is a URL or a
    path (pip's other forms, read by pip-api), because pip-api joins the words
    of a line and so reads ``foo bar==1`` as ``foobar==1``.

    Returns:
        The index options (and which of them included files set), ``-c``
        files, ``-e`` and requirement lines, in file order.

    Raises:
        LockFileError: an unknown option, an option without its value, text
            that is not a requirement, a missing include (``FILE:LINE``).
    """
    index_options: list[str] = []
    trusted_hosts: list[str] = []
    constraints: list[Path] = []
    editables: list[tuple[Path, rl.LogicalLine, str]] = []
    requirements: list[tuple[Path, rl.LogicalLine, str]] = []
    included_options: list[tuple[str, str]] = []
    todo, seen = [path], set()
    checked: list[Path] = []  # constraint files: pip parses their lines too
    expansions: list[tuple[str, str]] = []
    while todo or checked:
        constraint = not todo
        file = (todo or checked).pop(0)
        if file in seen:
            continue
        seen.add(file)
        lines = rl.logical_lines(rl.read_text(file))
        expansions += rl.expansions(file, lines)
        for line in lines:
            where = f"{file}:{line.number}"
            text = _COMMENT_RE.sub("", line.text).strip()
            if not text:
                continue
            requirement, options = _split_line(text, where)
            if requirement:
                _check_requirement(requirement, where)
                if not constraint:
                    requirements.append((file, line, requirement))
                continue
            if constraint:
                continue
            for option, value in options:
                if option in INDEX_OPTIONS:
                    index_options.append(_index_option(option, value, file, included=file != path))
                    if file != path:
                        included_options.append((where, index_options[-1]))
                elif option == "--trusted-host" and value:
                    trusted_hosts.append(value)
                elif option in {"--requirement", "--constraint"}:
                    assert value is not None  # noqa: S101 - _split_line: takes a value
                    short = "-r" if option == "--requirement" else "-c"
                    included = rl.included_file(file, value, where=f"{where}: {short}")
                    if option == "--requirement":
                        todo.append(included)
                    else:
                        constraints.append(included)
                        checked.append(included)
                elif option == "--editable":
                    if not value:
                        raise LockFileError(f"{where}: -e without a path or URL")
                    editables.append((file, line, value))
    return _Scan(
        tuple(index_options),
        tuple(trusted_hosts),
        tuple(constraints),
        tuple(editables),
        tuple(included_options),
        tuple(requirements),
        tuple(expansions),
    )


def _index_option(option: str, value: str | None, file: Path, *, included: bool) -> str:
    """Return an index option line as :attr:`~envsnap.lock.Lock.index_options` keeps it.

    pip tries a relative ``--find-links`` value against the directory of the
    file that says it (``req_file.handle_option_line``) and keeps it when that
    exists: an included file's is made absolute here (the lock file's own are
    resolved against its directory later, by
    :func:`envsnap.index.settings.settings_for_lock`).
    """
    if value is None:
        return option
    candidate = file.parent / value
    relative = "://" not in value and not Path(value).is_absolute()
    if included and option == "--find-links" and relative and candidate.exists():
        return f"{option} {os.path.normpath(candidate.absolute())}"
    return f"{option} {value}"


def _split_line(text: str, where: str) -> tuple[str, list[tuple[str, str | None]]]:
    """Split a line into its requirement text and options, as pip does.

    Returns:
        ``(requirement text or "", [(long option, value or None), ...])``.

    Raises:
        LockFileError: an option pip does not know, or one without its value.
    """
    words = text.split(" ")
    first = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
    requirement = " ".join(words[:first]).strip()
    try:
        words_left = shlex.split(" ".join(words[first:]))
    except ValueError:
        raise LockFileError(
            f"{where}: cannot split the options: {excerpt(' '.join(words[first:]), quoted=False)}",
            hint="close the quotes",
        ) from None
    options: list[tuple[str, str | None]] = []
    while words_left:
        word = words_left.pop(0)
        if not word.startswith("-") or word == "-":
            continue  # pip's option parser ignores stray words after the options
        if word.startswith("--"):
            spelling, equals, value = word.partition("=")
            attached: str | None = value if equals else None
        else:
            spelling, attached = word[:2], word[2:] or None
        known = PIP_OPTIONS.get(spelling)
        if known is None:
            raise LockFileError(
                f"{where}: {excerpt(spelling, quoted=False)}: not an option pip accepts in a "
                "requirements file",
                hint="remove the line, or fix the option's spelling",
            )
        long, takes_value = known
        if not takes_value:
            options.append((long, None))
            continue
        if attached is None:
            if not words_left:
                if long == "--editable":
                    raise LockFileError(f"{where}: -e without a path or URL")
                raise LockFileError(
                    f"{where}: {spelling} needs a value",
                    hint=f"write {spelling} VALUE (pip's requirements format)",
                )
            attached = words_left.pop(0)
        _check_value(long, attached, where)
        options.append((long, attached))
    return requirement, options


_HASH_KINDS = ("sha256", "sha384", "sha512")
"""The ``--hash`` algorithms pip allows."""


def _check_value(option: str, value: str, where: str) -> None:
    """Refuse the option values pip's parser refuses (``--hash``, ``--config-settings``).

    Raises:
        LockFileError: ``FILE:LINE`` and what pip expects.
    """
    if option == "--hash":
        kind, colon, digest = value.partition(":")
        if not colon or not digest:
            raise LockFileError(
                f"{where}: cannot parse --hash={excerpt(value, quoted=False)}",
                hint="pip writes --hash=ALGORITHM:HEX",
            )
        if kind not in _HASH_KINDS:
            raise LockFileError(
                f"{where}: Invalid --hash kind {excerpt(kind, quoted=False)}, expected one of "
                f"{', '.join(_HASH_KINDS)}"
            )
    elif option == "--config-settings" and "=" not in value:
        raise LockFileError(
            f"{where}: --config-settings {excerpt(value, quoted=False)}: not of the form KEY=VALUE",
            hint="pip takes --config-settings KEY=VALUE",
        )


def _check_requirement(text: str, where: str) -> None:
    """Refuse requirement text pip refuses: what is neither PEP 508 nor a URL or path.

    Raises:
        LockFileError: ``FILE:LINE: Invalid requirement: 'TEXT': REASON``, or
            ``did you mean 'rich==15.0.0'?`` for an operator typo (``rich=15.0.0``).
    """
    try:
        Requirement(text)
    except InvalidRequirement as exc:
        if _URL_OR_PATH.search(text.split(";", 1)[0]):
            return  # pip's URL and path forms: pip-api reads (and checks) them
        meant = rl.did_you_mean(text)
        if meant is not None:
            raise LockFileError(
                f"{where}: Invalid requirement: {excerpt(text)}: did you mean {excerpt(meant)}?",
                hint="PEP 440's version operators are ==, !=, <=, >=, <, >, ~= and ===",
            ) from None
        reason = str(exc).splitlines()[0]
        raise LockFileError(
            f"{where}: Invalid requirement: {excerpt(text)}: {reason}",
            hint="pip's requirement format is PEP 508: name[extras] specifier ; marker",
        ) from None


def _constraint_pins(files: tuple[Path, ...]) -> dict[NormalizedName, Version]:
    """Return the ``name==version`` pins of ``-c`` constraint files (pip's ``-c``)."""
    pins: dict[NormalizedName, Version] = {}
    for file in files:
        rl.read_text(file)
        for item in _parse(file):
            requirement = Requirement(str(item))
            version = rl.pinned_version(requirement)
            if version is not None:
                pins[canonicalize_name(requirement.name)] = version
    return pins

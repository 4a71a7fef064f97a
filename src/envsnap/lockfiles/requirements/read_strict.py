"""Read a requirements file envsnap wrote, on ``packaging`` alone (no pip-api, no pip run).

A file whose header says envsnap wrote it (plain pins, hashes, ``-e`` and
``name @ url`` lines only) is read strictly: anything else is an error naming
its line. :func:`load_pinned` reads any file whose every line is a plain
``name==version`` pin (with hashes and plain options), the shape pip-compile,
uv and ``pip freeze`` write, and gives ``None`` for anything else, so the
caller falls back to the pip-api reader (``read_any``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from envsnap._text import excerpt
from envsnap.errors import LockFileError
from envsnap.lock import Origin
from envsnap.lockfiles.requirements.lines import HEADER_PREFIX

if TYPE_CHECKING:
    from pathlib import Path

    from envsnap.lock import Lock, LockedPackage

__all__ = ["load", "load_pinned"]


# ``name==version`` (PEP 508 name, PEP 440 version characters): nearly every
# line of a file envsnap wrote. It is read without packaging.requirements (35
# us a line); anything else, or a version that does not parse, goes through
# Requirement() and its errors.
_PIN = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([0-9A-Za-z.!+_-]+)")


def load(path: Path) -> Lock:
    r"""Read a requirements file that envsnap wrote (the strict reader).

    Uses ``packaging`` alone (no pip-api, no pip). The grammar is exactly what
    :func:`dump` writes: the ``# envsnap`` header (its ``CPython 3.11.7``
    gives ``python_version``), ``# top-level`` / ``# transitive`` section
    lines, ``name==version`` pins, ``name @ URL`` direct references (PEP 440 /
    PEP 508), ``-e PATH`` (relative to the file's directory), ``--hash=ALG:HEX``
    options (with pip's ``\`` continuation lines), ``    # via a, b`` lines
    under a transitive pin, other comments and blank lines. For the same file
    it gives the same :class:`~envsnap.lock.Lock` as
    :func:`envsnap.lockfiles.requirements.read_any.load` (a test checks this).

    Args:
        path: the file.

    Returns:
        The :class:`~envsnap.lock.Lock` (format ``requirements``,
        ``written_by_envsnap``), packages sorted by normalized name.

    Raises:
        LockFileError: unreadable file, no envsnap header, or any line outside
            that grammar (named as ``FILE:LINE``).
    """
    from envsnap.lock import Lock  # noqa: PLC0415
    from envsnap.lockfiles.requirements import lines as rl  # noqa: PLC0415

    lines = rl.logical_lines(rl.read_text(path))
    if not lines or not lines[0].text.startswith(HEADER_PREFIX):
        raise LockFileError(
            f"{path}:1: not a file envsnap wrote (no '{HEADER_PREFIX.strip()}' header)",
            hint="read it with lockfiles.requirements.read_any.load (any requirements file)",
        )
    notes = rl.scan_annotations(lines)
    packages: dict[str, LockedPackage] = {}
    section: str | None = None
    for line in lines[1:]:
        text = line.text.strip()
        where = f"{path}:{line.number}"
        if text in {rl.TOP_LEVEL, rl.TRANSITIVE}:
            section = text
            continue
        if text.startswith(rl.VIA_PREFIX) and section != rl.TRANSITIVE:
            raise LockFileError(f"{where}: '# via' line outside the '# transitive' section")
        if not text or text.startswith("#"):
            continue
        if section is None:
            raise LockFileError(f"{where}: requirement before the '# top-level' section line")
        package = _strict_package(text, line.number, where, path.parent)
        package = replace(
            package, top_level=section == rl.TOP_LEVEL, reason=notes.reasons.get(line.number)
        )
        if package.name in packages:
            raise LockFileError(f"{where}: {package.name} is listed twice")
        packages[package.name] = package
    found, renamed = rl.editables_named((packages[name] for name in sorted(packages)), notes)
    return Lock(
        path=path,
        format="requirements",
        packages=rl.with_files(found, path),
        python_version=notes.python_version,
        system_site_packages=notes.system_site_packages,
        written_by_envsnap=True,
        complete=notes.complete,
        pip_reads_it=not renamed,
        expansions=rl.expansions(path, lines),
    )


def load_pinned(path: Path) -> Lock | None:
    """Read a fully pinned requirements file of another tool without pip-api, if it is plain.

    ``pip-compile``, ``uv pip compile`` and ``pip freeze`` write files of
    ``name[extras]==version [; marker]`` lines with ``--hash=ALG:HEX``
    options, index option lines (``--index-url``, ``--extra-index-url``,
    ``--find-links``, ``--no-index``, ``--trusted-host``...) and comments.
    Such a file is read here on ``packaging`` alone (pip-api's import runs
    ``python -m pip`` and costs most of a second), giving the same Lock as
    :func:`envsnap.lockfiles.requirements.read_any.load` (a test checks it on every
    fixture) except one thing: a requirement whose marker is false on this
    interpreter is kept with its marker (pip-api leaves it out), since the
    venv that restore builds or check looks at may be another Python or
    platform and decides; one name may be pinned twice under markers
    (``uv pip compile --universal``). ``# via`` annotations give the
    top-level packages (:func:`~envsnap.lockfiles.requirements.lines.scan_via_annotations`).

    Args:
        path: the file.

    Returns:
        The :class:`~envsnap.lock.Lock`, or ``None`` when any line is outside
        that grammar (an include, an editable, a direct URL, an unpinned or
        invalid requirement, a name listed twice, another option...): the
        pip-api reader then reads the file and names what is wrong.

    Raises:
        LockFileError: the file cannot be read.
    """
    from envsnap.lock import Lock  # noqa: PLC0415
    from envsnap.lockfiles.requirements import lines as rl  # noqa: PLC0415

    text = rl.read_text(path)
    if text.startswith(("\ufeff", HEADER_PREFIX)):
        return None
    lines = rl.logical_lines(text)
    index_options: list[str] = []
    trusted_hosts: list[str] = []
    packages: list[LockedPackage] = []
    marked: dict[str, bool] = {}  # name -> whether every entry so far has a marker
    for line in lines:
        words = _COMMENT.sub("", line.text).split()
        if not words:
            continue
        if words[0].startswith("-"):
            kept = _plain_option(words)
            if kept is None:
                return None
            index_options += kept
            trusted_hosts += _trusted_host(words)
            continue
        package = _plain_pin(words, line.number)
        if package is None:
            return None
        # one name twice only under markers (uv pip compile --universal); pip refuses the rest
        # (a dict, not a scan of the packages so far: 50,000 pins took 60 s so)
        seen = marked.get(package.name)
        if seen is not None and (package.marker is None or not seen):
            return None
        marked[package.name] = package.marker is not None
        packages.append(package)
    notes = rl.scan_via_annotations(lines)
    return Lock(
        path=path,
        format="requirements",
        packages=tuple(
            replace(
                package,
                top_level=package.line in notes.top_level_lines,
                reason=notes.reasons.get(package.line or 0),
            )
            for package in sorted(packages, key=lambda p: p.name)  # stable: file order
        ),
        python_version=notes.python_version,
        index_options=tuple(index_options),
        trusted_hosts=tuple(trusted_hosts),
        pip_reads_it=True,
        expansions=rl.expansions(path, lines),
    )


def _trusted_host(words: list[str]) -> list[str]:
    """Return the host of a ``--trusted-host HOST`` / ``--trusted-host=HOST`` line, else ``[]``."""
    option, equals, value = words[0].partition("=")
    if option != "--trusted-host":
        return []
    return [value] if equals else words[1:2]


def _plain_option(words: list[str]) -> list[str] | None:
    """Return what an option line of a plain file adds to ``index_options``; ``None``: not plain."""
    option, equals, value = words[0].partition("=")
    rest = ([value] if equals else []) + words[1:]
    if option in _PLAIN_FLAGS and not rest:
        return [option] if option == "--no-index" else []
    if len(rest) != 1:
        return None
    if option in _PLAIN_OPTIONS:
        return [f"{_PLAIN_OPTIONS[option]} {rest[0]}"]
    if option in {"--trusted-host", "--only-binary", "--no-binary"}:
        return []
    return None


def _plain_pin(words: list[str], number: int) -> LockedPackage | None:
    """Read ``name[extras]==version [; marker] [--hash=ALG:HEX ...]`` (pip's word split).

    Returns:
        The package with its marker (kept even where it is false on this
        interpreter: the target decides), or ``None``: not such a line.
    """
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415

    from envsnap.lockfiles.requirements import lines as rl  # noqa: PLC0415

    first = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
    hashes = words[first:]
    if not all(_HASH_OPTION.fullmatch(h) for h in hashes):
        return None
    try:
        requirement = Requirement(" ".join(words[:first]))
    except InvalidRequirement:
        return None
    version = rl.pinned_version(requirement)
    if requirement.url or version is None:
        return None
    return rl.pinned_package(requirement, version, hashes, number)


def _strict_package(text: str, number: int, where: str, base_dir: Path) -> LockedPackage:
    """Parse one requirement line of an envsnap file (see :func:`load`)."""
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415
    from packaging.utils import canonicalize_name  # noqa: PLC0415
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415

    from envsnap.lock import LockedPackage  # noqa: PLC0415
    from envsnap.lockfiles.requirements import lines as rl  # noqa: PLC0415

    words = text.split()
    hashes = [w for w in words if w.startswith("--hash=")]
    rest = [w for w in words if not w.startswith("--hash=")]
    if words[len(rest) :] != hashes:
        raise LockFileError(f"{where}: --hash options must come after the requirement")
    bad = [h for h in hashes if not re.fullmatch(r"--hash=sha(256|384|512):[0-9a-f]+", h)]
    if bad:
        shown = excerpt(bad[0], quoted=False)
        raise LockFileError(f"{where}: invalid {shown} (expected --hash=sha256:HEX)")
    found = tuple(sorted({h.removeprefix("--hash=") for h in hashes}))
    if rest[:1] == ["-e"] and len(rest) == 2:
        name, display, origin = rl.editable_package(rest[1], base_dir=base_dir, where=where)
        return LockedPackage(
            name=name, display_name=display, version=None, origin=origin, hashes=found, line=number
        )
    if rest and rest[0].startswith("-"):
        shown = excerpt(rest[0], quoted=False)
        raise LockFileError(f"{where}: option {shown} is not part of a file envsnap writes")
    if len(rest) == 1 and (pin := _PIN.fullmatch(rest[0])):
        try:
            pinned = Version(pin[2])
        except InvalidVersion:
            pass  # Requirement() below says what is wrong
        else:
            return LockedPackage(
                name=canonicalize_name(pin[1]),
                display_name=pin[1],
                version=pinned,
                hashes=found,
                line=number,
            )
    try:
        requirement = Requirement(" ".join(rest))
    except InvalidRequirement as exc:
        meant = rl.did_you_mean(" ".join(rest))
        reason = f"did you mean {excerpt(meant)}?" if meant else str(exc).splitlines()[0]
        raise LockFileError(f"{where}: invalid requirement: {reason}") from None
    if requirement.marker is not None:
        raise LockFileError(f"{where}: markers are not part of a file envsnap writes")
    version = None
    if requirement.url is None:
        version = rl.pinned_version(requirement)
        if version is None or str(requirement.specifier).startswith("==="):
            raise LockFileError(
                f"{where}: {excerpt(str(requirement), quoted=False)} is not pinned as "
                "name==version",
                hint="envsnap's own files pin every package; read hand-written "
                "files with the pip-api reader",
            )
    return LockedPackage(
        name=canonicalize_name(requirement.name),
        display_name=requirement.name,
        version=version,
        origin=rl.origin_from_url(requirement.url) if requirement.url else Origin(),
        hashes=found,
        extras=tuple(sorted(canonicalize_name(e) for e in requirement.extras)),
        line=number,
    )


_PLAIN_OPTIONS = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links",
    "--find-links": "--find-links",
}
"""Index options :func:`load_pinned` reads (spelling -> the long form kept)."""


_PLAIN_FLAGS = frozenset({"--no-index", "--pre", "--prefer-binary", "--require-hashes"})


_HASH_OPTION = re.compile(r"--hash=(sha256|sha384|sha512):[0-9a-fA-F]+")


_COMMENT = re.compile(r"(^|\s+)#.*$")

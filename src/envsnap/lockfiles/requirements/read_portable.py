"""Read the requirements file ``envsnap freeze --portable`` writes, markers kept.

pip's readers (and pip-api) leave out a requirement whose marker is false on
the interpreter that reads the file; a portable file is read on one machine
and installed for another (``restore`` builds a venv of another Python, or
``check`` looks at one), so every pin is kept with its marker here and the
consumers evaluate it for the environment they install into or compare with
(:mod:`envsnap.install.builtin` and :mod:`envsnap.compare.drift` do).

The grammar is what :func:`envsnap.portable.freeze.requirements_lines` writes:
the ``# envsnap freeze --portable`` header, ``# requires-python:``,
``# top-level:`` and other ``#`` lines, then ``name==version [; marker]``
pins with optional ``--hash=ALG:HEX`` options (continuation lines joined). One
name may appear with several versions under different markers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from envsnap.errors import LockFileError

if TYPE_CHECKING:
    from pathlib import Path

    from envsnap.lock import Lock, LockedPackage

__all__ = ["PORTABLE_HEADER", "REQUIRES_PYTHON_LINE", "TOP_LEVEL_LINE", "load"]

PORTABLE_HEADER = "# envsnap freeze --portable"
"""The first line of a portable requirements file."""
REQUIRES_PYTHON_LINE = "# requires-python: "
"""The header line giving the targets' Python range."""
TOP_LEVEL_LINE = "# top-level: "
"""The header line naming the top-level packages, comma separated."""


def load(path: Path) -> Lock:
    """Read a portable requirements file (see the module docstring).

    Args:
        path: the file.

    Returns:
        The :class:`~envsnap.lock.Lock` (format ``requirements``, complete,
        ``requires_python`` from the header), every pin kept with its marker,
        sorted by name then version.

    Raises:
        LockFileError: unreadable file, no portable header, a bad
            ``requires-python``, or a line that is not such a pin (``FILE:LINE``).
    """
    from envsnap.lock import Lock  # noqa: PLC0415
    from envsnap.lockfiles.requirements import lines as rl  # noqa: PLC0415

    lines = rl.logical_lines(rl.read_text(path))
    if not lines or lines[0].text.strip() != PORTABLE_HEADER:
        raise LockFileError(f"{path}:1: not a portable file (no '{PORTABLE_HEADER}' header)")
    requires_python: SpecifierSet | None = None
    top_level: set[str] = set()
    packages: list[LockedPackage] = []
    for line in lines[1:]:
        text = line.text.strip()
        where = f"{path}:{line.number}"
        if text.startswith(REQUIRES_PYTHON_LINE):
            try:
                requires_python = SpecifierSet(text.removeprefix(REQUIRES_PYTHON_LINE))
            except InvalidSpecifier:
                raise LockFileError(f"{where}: not a Python range: {text}") from None
        elif text.startswith(TOP_LEVEL_LINE):
            listed = text.removeprefix(TOP_LEVEL_LINE).split(",")
            top_level |= {canonicalize_name(n.strip()) for n in listed if n.strip()}
        elif text and not text.startswith("#"):
            packages.append(_pin(text, line.number, where))
    packages = [replace(p, top_level=p.name in top_level) for p in packages]
    return Lock(
        path=path,
        format="requirements",
        packages=tuple(sorted(packages, key=lambda p: (p.name, p.version))),
        requires_python=requires_python,
        written_by_envsnap=True,
        complete=True,
        pip_reads_it=True,
        expansions=rl.expansions(path, lines),
    )


def _pin(text: str, number: int, where: str) -> LockedPackage:
    """Read ``name==version [; marker] [--hash=ALG:HEX ...]``."""
    from envsnap.lockfiles.requirements import lines as rl  # noqa: PLC0415

    words = text.split()
    first = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
    hashes = words[first:]
    bad = [h for h in hashes if not h.startswith("--hash=")]
    try:
        requirement = Requirement(" ".join(words[:first])) if first else None
    except InvalidRequirement as exc:
        raise LockFileError(f"{where}: not a requirement: {str(exc).splitlines()[0]}") from None
    version = rl.pinned_version(requirement) if requirement is not None else None
    if bad or requirement is None or requirement.url or version is None:
        raise LockFileError(
            f"{where}: not a pin of a portable file: {text}",
            hint="a portable file has name==version [; marker] lines only; "
            "write it again with envsnap freeze --portable",
        )
    return rl.pinned_package(requirement, version, hashes, number)

"""``Requires-Dist`` lines (PEP 508), parsed fast and once per distinct text.

An environment repeats a few hundred texts thousands of times: each is parsed once
(:func:`functools.cache`) and shared. The common ``name[extras] specifiers ; marker``
form is split by a regular expression (ten times faster than packaging); anything else
goes through packaging.
"""

from __future__ import annotations

import functools
import re

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

__all__ = [
    "canonical_name",
    "extra_of",
    "normalize_extras",
    "parse_requirement",
    "parse_simple",
    "parse_specifier",
    "requirement_problem",
    "simple_requirement",
]


@functools.cache
def canonical_name(name: str) -> NormalizedName:
    """Return :func:`~packaging.utils.canonicalize_name` of ``name`` (PEP 503), once per text."""
    return canonicalize_name(name)


@functools.cache
def parse_specifier(text: str) -> SpecifierSet:
    """Return the :class:`SpecifierSet` of ``text``, parsed once per distinct text.

    Raises:
        InvalidSpecifier: ``text`` is not a PEP 440 specifier set.
    """
    return SpecifierSet(text)


@functools.cache
def normalize_extras(extras: tuple[str, ...]) -> tuple[NormalizedName, ...]:
    """Return ``Provides-Extra`` values normalized (PEP 685), sorted, once per distinct list."""
    return tuple(sorted({canonicalize_name(e) for e in extras}))


_SIMPLE_REQUIREMENT = re.compile(
    r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*"
    r"(?:\[(?P<extras>[^\]]*)\])?\s*"
    r"(?:\((?P<paren>[^;@\[\]()]*)\)|(?P<spec>[^;@\[\]()]*?))\s*(?:;(?P<marker>[^@]*))?"
)
_EXTRA_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*")


def parse_simple(line: str) -> Requirement | None:
    """Parse the common ``name[extras] specifiers ; marker`` form, or return ``None``.

    ``None`` for anything else (a URL, any text this or packaging finds invalid): that
    goes through :class:`Requirement`, so odd forms and errors behave exactly as there.
    """
    split = simple_requirement(line)
    if split is None:
        return None
    name, extras, specifier = split
    marker = None
    if ";" in line:
        marker = _marker(line.partition(";")[2])
        if marker is None:
            return None
    requirement = Requirement.__new__(Requirement)
    requirement.name = name
    requirement.url = None
    requirement.extras = set(extras)
    requirement.specifier = specifier
    requirement.marker = marker
    return requirement


@functools.cache
def _marker(text: str) -> Marker | None:
    """Return the :class:`Marker` of ``text`` (shared by every line with it); ``None``: invalid."""
    try:
        return Marker(text)
    except InvalidMarker:
        return None


@functools.cache
def simple_requirement(line: str) -> tuple[str, tuple[str, ...], SpecifierSet] | None:
    """Split a ``Requires-Dist`` line of the common form without parsing its marker.

    Returns:
        ``(name, extras, specifier)`` of a ``name[extras] specifiers ; marker`` line
        whose parts before the marker are valid, once per distinct line; ``None`` for
        any other line: :func:`parse_requirement` decides those.
    """
    match = _SIMPLE_REQUIREMENT.fullmatch(line)
    if match is None:
        return None
    extras: list[str] = []
    if match["extras"] and match["extras"].strip():
        for part in match["extras"].split(","):
            extra = _EXTRA_NAME.fullmatch(part)
            if extra is None:
                return None
            if extra[1] not in extras:
                extras.append(extra[1])
    spec_text = match["spec"] if match["paren"] is None else match["paren"].strip()
    if spec_text and not all(part.strip() for part in spec_text.split(",")):
        return None
    try:
        return match["name"], tuple(extras), parse_specifier(spec_text)
    except InvalidSpecifier:
        return None


@functools.cache
def parse_requirement(line: str) -> tuple[Requirement | str, bool]:
    """Parse one ``Requires-Dist`` value (PEP 508) once per text: the same object each time.

    Returns:
        ``(requirement, credentials_removed)`` (from a ``name @ url`` line's URL); for a
        line packaging rejects, the requirement is the reason (URLs in it redacted).
    """
    if (simple := parse_simple(line)) is not None:
        return simple, False
    from envsnap._text import redact_urls, strip_credentials  # noqa: PLC0415

    try:
        parsed = Requirement(line)
    except InvalidRequirement as exc:
        return redact_urls(str(exc).splitlines()[0]), False
    if parsed.url is None:
        return parsed, False
    url, stripped = strip_credentials(parsed.url)
    parsed.url = url
    return parsed, stripped


def requirement_problem(line: str) -> str | None:
    """Return the warning a ``Requires-Dist`` line deserves, or ``None`` for a good one.

    A line packaging rejects (``scikit-learn (>=1.0.*)`` of old setuptools) is skipped,
    as pip skips it with a warning; a ``name @ url`` line loses its URL's credentials.
    """
    parsed, stripped = parse_requirement(line)
    if isinstance(parsed, str):
        from envsnap._text import redact_urls  # noqa: PLC0415

        return f"invalid Requires-Dist {redact_urls(line)!r} skipped: {parsed}"
    if stripped:
        return f"credentials removed from the URL of Requires-Dist {parsed}"
    return None


_EXTRA_ONLY = re.compile(r"""\s*extra\s*==\s*(?:"([^"']+)"|'([^"']+)')\s*""")


@functools.cache
def extra_of(line: str) -> NormalizedName | None:
    """Return the extra (PEP 685) of a line whose whole marker is ``extra == "x"``, else ``None``.

    Such a line need not be parsed until the extra is in effect. Decided from the text,
    once per line; a URL line gives ``None`` (its ``;`` may belong to the URL).
    """
    requirement, semicolon, marker = line.partition(";")
    match = _EXTRA_ONLY.fullmatch(marker) if semicolon and "@" not in requirement else None
    return canonical_name(match[1] or match[2]) if match else None

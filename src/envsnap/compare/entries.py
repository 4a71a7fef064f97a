"""The comparison core of ``check``, ``diff`` and restore's verify step: two Locks, entry by entry.

Side ``a`` is what is expected, side ``b`` what is found. A version, a source
(index, URL, VCS commit, directory; PEP 610), the extras on a top-level line
and the top-level/transitive split are compared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from packaging.utils import canonicalize_name

from envsnap.compare.changes import Change, Place, Report, pin, sorted_changes, where
from envsnap.environment import TOOLING

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from envsnap.lock import Lock, LockedPackage, Origin

__all__ = ["compare_entries"]


def compare_entries(
    a: Lock,
    b: Lock,
    *,
    a_label: str,
    b_label: str,
    by_name: bool,
    ignore: Collection[str],
    allow_extra: bool,
    skip_tools: bool,
    include_tools: bool,
    extra_path: str | None,
) -> Report:
    """Compare side a (expected) with side b (found): the one comparison core.

    Entries are paired by :func:`~envsnap.compare.pairs.pair_entries` (by name,
    or over a grid of environments when markers differ); a pair gives
    ``missing`` (a only), ``extra`` (b only), ``changed``, ``source-changed``,
    ``extras-changed`` or ``reclassified`` items.

    ``skip_tools`` leaves pip, setuptools, wheel and distribute out entirely
    (``diff``); else, unless ``include_tools``, they are only not reported as
    missing or extra (``check``: a lock that pins them has them compared).
    ``extra_path`` is the file an ``extra`` item is about when side b is no
    file (``check``: the lock file that lacks the package).
    """
    from envsnap.compare.pairs import pair_entries  # noqa: PLC0415

    skip = {canonicalize_name(n) for n in ignore}
    if skip_tools:
        skip |= {canonicalize_name(n) for n in TOOLING}
    quiet = set() if include_tools else set(TOOLING)
    record_top = bool(a.top_level) and bool(b.top_level)
    record_extras = record_top and _records_extras(a) and _records_extras(b)
    extras_matter = not (a.complete and b.complete)
    changes: list[Change] = []
    checked = 0
    for pair in pair_entries(a, b, by_name=by_name):
        want, have = pair.a, pair.b
        if pair.name in skip:
            continue
        if have is None:
            if want is not None and pair.name not in quiet:
                changes.append(_one_sided("missing", want, where(a, want), pair.others, b_label))
            continue
        if want is None:
            if not allow_extra and pair.name not in quiet:
                place = where(b, have) if b.path is not None else Place(path=extra_path, line=None)
                changes.append(_one_sided("extra", have, place, pair.others, a_label))
            continue
        checked += 1
        place = where(a, want)
        changes += _differences(want, have, place)
        if record_extras and want.top_level and have.top_level and want.extras != have.extras:
            changes.append(
                Change(
                    kind="extras-changed",
                    name=pair.name,
                    expected=_with_extras(want),
                    found=_with_extras(have),
                    informational=not extras_matter,
                    **place,
                )
            )
        if record_top and want.top_level != have.top_level:
            changes.append(
                Change(
                    kind="reclassified",
                    name=pair.name,
                    expected=_classification(want),
                    found=_classification(have),
                    **place,
                )
            )
    return Report(
        changes=sorted_changes(changes), a_label=a_label, b_label=b_label, checked=checked
    )


def _one_sided(
    kind: Literal["missing", "extra"],
    package: LockedPackage,
    place: Place,
    others: Iterable[LockedPackage],
    label: str,
) -> Change:
    """Return a ``missing``/``extra`` item, naming the other side's entries under other markers."""
    shown = "; ".join(pin(p) for p in others)
    return Change(
        kind=kind,
        name=package.name,
        expected=pin(package) if kind == "missing" else None,
        found=pin(package) if kind == "extra" else None,
        detail=f"{label} has {shown}" if shown else None,
        **place,
    )


def _differences(want: LockedPackage, have: LockedPackage, place: Place) -> list[Change]:
    """Version and origin differences of one package present on both sides."""
    changes = []
    region = _region(want, have)
    if want.version is not None and have.version is not None:
        if want.version != have.version:
            changes.append(
                Change(
                    kind="changed",
                    name=want.name,
                    expected=str(want.version),
                    found=str(have.version),
                    detail=region,
                    **place,
                )
            )
    elif (
        want.specifier is not None
        and have.version is not None
        and not want.specifier.contains(have.version, prereleases=True)
    ):
        changes.append(
            Change(
                kind="changed",
                name=want.name,
                expected=str(want.specifier),
                found=str(have.version),
                detail="outside the range the file allows",
                **place,
            )
        )
    why = _origin_difference(want.origin, have.origin)
    if why is not None:
        changes.append(
            Change(
                kind="source-changed",
                name=want.name,
                expected=want.origin.describe(),
                found=have.origin.describe(),
                detail=why if region is None else f"{why}, {region}",
                **place,
            )
        )
    return changes


def _region(want: LockedPackage, have: LockedPackage) -> str | None:
    """``where MARKER`` for two entries met under markers (``diff`` of two files), else ``None``."""
    found = list(dict.fromkeys(str(m) for m in (want.marker, have.marker) if m is not None))
    if not found:
        return None
    return "where " + " and ".join(f"({m})" if " or " in m else m for m in found)


def _origin_difference(want: Origin, have: Origin) -> str | None:  # noqa: PLR0911 - one reason per field
    """Return why two origins differ (PEP 610 terms), or ``None``.

    A value one side does not record (a commit, a hash) is not compared.
    """
    if want.kind != have.kind:
        return f"{_origin_kind(want)} in one, {_origin_kind(have)} in the other"
    if want.kind == "index":
        return None
    if want.editable != have.editable:
        return "editable in one, not in the other"
    if _url_key(want.url) != _url_key(have.url):
        return "another URL"
    if want.kind == "vcs" and want.commit and have.commit and want.commit != have.commit:
        return "another commit"
    if (
        want.kind == "archive"
        and want.archive_hash
        and have.archive_hash
        and want.archive_hash.replace(":", "=") != have.archive_hash.replace(":", "=")
    ):
        return "another archive hash"
    if (want.subdirectory or None) != (have.subdirectory or None):
        return "another subdirectory"
    return None


def _origin_kind(origin: Origin) -> str:
    if origin.kind == "directory":
        return "editable directory" if origin.editable else "local directory"
    if origin.kind == "vcs":
        return f"{origin.vcs or 'vcs'} checkout"
    return {"index": "from an index", "archive": "a direct URL"}[origin.kind]


def _url_key(url: str | None) -> str | None:
    """Compare URLs without a fragment, a trailing slash or ``file://localhost``.

    The fragment holds the archive hash and the subdirectory, compared on
    their own (uv keeps ``#sha256=`` in the ``direct_url.json`` URL, pip does not).
    """
    if url is None:
        return None
    return url.partition("#")[0].rstrip("/").replace("file://localhost/", "file:///")


def _records_extras(lock: Lock) -> bool:
    """Whether the lock says which extras its top-level entries ask for.

    An environment does, and so do envsnap's top-level requirements, JSON and
    pylock files; not its full requirements file (it must stay usable as pip
    constraints), nor other tools' files (pip-compile, uv, ``pip lock`` drop them).
    """
    if lock.format == "environment":
        return True
    return lock.written_by_envsnap and not (lock.format == "requirements" and lock.complete)


def _with_extras(package: LockedPackage) -> str:
    """``name[a,b]``, or ``name`` without extras."""
    return f"{package.name}[{','.join(package.extras)}]" if package.extras else package.name


def _classification(package: LockedPackage) -> str:
    kind = "top-level" if package.top_level else "transitive"
    return f"{kind} ({package.reason})" if package.reason else kind

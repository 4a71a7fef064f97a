"""The comparison core: two Locks, entry by entry.

``check``, ``diff`` and restore's verify step all end here
(:func:`compare_entries`): side ``a`` is what is expected, side ``b`` what is
found; ``missing`` is in a and not in b, ``extra`` in b and not in a. A
version, a source (index, URL, VCS commit, directory; PEP 610), the extras on
a top-level line and the top-level/transitive split are compared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from envsnap.compare.changes import Change, Report, pin, sorted_changes, where
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

    Each name's entries are paired (:func:`~envsnap.compare.pairs.pair_entries`:
    by name, or over the grid of environments when markers differ) and each
    pair gives at most one :class:`~envsnap.compare.changes.Change`: missing,
    extra, changed, source changed, extras changed or reclassified.

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
                path, line = where(a, want)
                changes.append(
                    Change(
                        kind="missing",
                        name=pair.name,
                        expected=pin(want),
                        detail=_others(pair.others, b_label),
                        line=line,
                        path=path,
                    )
                )
            continue
        if want is None:
            if not allow_extra and pair.name not in quiet:
                path, line = where(b, have) if b.path is not None else (extra_path, None)
                changes.append(
                    Change(
                        kind="extra",
                        name=pair.name,
                        found=pin(have),
                        detail=_others(pair.others, a_label),
                        line=line,
                        path=path,
                    )
                )
            continue
        checked += 1
        path, line = where(a, want)
        changes += _differences(want, have, line=line, path=path)
        if record_extras and want.top_level and have.top_level and want.extras != have.extras:
            changes.append(
                Change(
                    kind="extras-changed",
                    name=pair.name,
                    expected=_with_extras(want),
                    found=_with_extras(have),
                    line=line,
                    path=path,
                    informational=not extras_matter,
                )
            )
        if record_top and want.top_level != have.top_level:
            changes.append(
                Change(
                    kind="reclassified",
                    name=pair.name,
                    expected=_classification(want),
                    found=_classification(have),
                    line=line,
                    path=path,
                )
            )
    return Report(
        changes=sorted_changes(changes), a_label=a_label, b_label=b_label, checked=checked
    )


def _others(entries: Iterable[LockedPackage], label: str) -> str | None:
    """Say which entries of the name the other side has under other markers, if any."""
    pins = [pin(p) for p in entries]
    return f"{label} has {'; '.join(pins)}" if pins else None


def _differences(
    want: LockedPackage, have: LockedPackage, *, line: int | None, path: str | None
) -> list[Change]:
    """Version and origin differences of one package present on both sides."""
    changes = []
    where = _region(want, have)
    if want.version is not None and have.version is not None:
        if want.version != have.version:
            changes.append(
                Change(
                    kind="changed",
                    name=want.name,
                    expected=str(want.version),
                    found=str(have.version),
                    detail=where,
                    line=line,
                    path=path,
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
                line=line,
                path=path,
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
                detail=why if where is None else f"{why}, {where}",
                line=line,
                path=path,
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
    """Return why two origins differ (PEP 610 terms), or ``None`` when they match.

    Index vs direct URL, editable vs not, another URL, another VCS commit,
    another archive hash. A value one side does not record (a commit, a hash)
    is not compared.
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

    An environment does, and so do the files envsnap writes with them: a
    top-level-only requirements file, JSON, pylock's ``[tool.envsnap]``. A
    full requirements file that envsnap writes has none on purpose (it must
    stay usable as a pip constraints file), and files of other tools
    (pip-compile, uv, ``pip lock``) drop the extras their inputs named.
    """
    if lock.format == "environment":
        return True
    return lock.written_by_envsnap and not (lock.format == "requirements" and lock.complete)


def _with_extras(package: LockedPackage) -> str:
    """``name[a,b]``, or ``name`` without extras."""
    return f"{package.name}[{','.join(package.extras)}]" if package.extras else package.name


def _classification(package: LockedPackage) -> str:
    if package.top_level:
        return f"top-level ({package.reason})" if package.reason else "top-level"
    return f"transitive ({package.reason})" if package.reason else "transitive"

"""Where a requirement line's distribution comes from: PEP 610 origins of direct URLs and ``-e``."""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from envsnap._text import excerpt, file_url_path, strip_credentials
from envsnap.errors import LockFileError
from envsnap.lock import Origin

__all__ = ["editable_package", "origin_from_url"]

_ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".tar")
_HASH_NAMES = ("sha256", "sha384", "sha512", "sha224", "sha1", "md5")
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def origin_from_url(url: str, *, editable: bool = False) -> Origin:
    """Turn a requirement's direct URL into a PEP 610 :class:`Origin`, credentials stripped.

    ``vcs+URL@REV`` is a ``vcs`` origin (a 40/64-hex ``REV`` is the commit, else the
    requested revision; envsnap's ``file://localhost/PATH`` is read as ``file:///PATH``); a
    ``file:`` URL of a directory or of no archive is a ``directory``; anything else is an
    ``archive``, its ``#sha256=`` its hash. ``#subdirectory=`` is kept.
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
        if at:
            rest = urllib.parse.urlunsplit(parts._replace(path=path))
        commit = revision if at and _COMMIT_RE.match(revision) else None
        if rest.startswith("file://localhost/"):
            rest = "file:///" + rest.removeprefix("file://localhost/")
        return Origin(
            kind="vcs",
            url=rest,
            vcs=vcs.lower(),
            commit=commit,
            requested_revision=revision if at and commit is None else None,
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
    return file_url_path(url) or Path(url)


def editable_package(
    target: str, *, base_dir: Path, where: str
) -> tuple[NormalizedName, str, Origin]:
    """Return ``(normalized name, display name, origin)`` of ``-e TARGET``: a path or VCS URL.

    A relative path starts from ``base_dir`` (the file's directory: ``freeze`` writes them
    so and restore runs pip there). The name comes from a VCS URL's ``#egg=``, else
    ``[project] name`` of ``pyproject.toml``, else ``[metadata] name`` of ``setup.cfg``.
    ``where`` (``FILE:LINE``) is for the LockFileError raised when no name is found.
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
    return config.get("metadata", "name", fallback=None) or None

"""pip's checkouts of editable VCS installs: the repository and commit behind ``<venv>/src/NAME``.

``pip install -e git+URL#egg=NAME`` records the checkout inside the venv as an editable
directory, which a restore replaces. As ``pip freeze`` does, envsnap records its remote
and commit instead (PEP 610 ``vcs_info``: ``NAME @ git+URL@COMMIT``), read from the
``.git`` files without running git (a repository's config can make git run commands).
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from envsnap.lock import Origin

__all__ = ["pip_checkout"]

_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
"""A git object id: SHA-1, or SHA-256 for a repository in that format."""
_REMOTE = re.compile(r'\[\s*remote\s+"(?P<name>[^"]*)"\s*\]')
_REF = re.compile(r"refs/[A-Za-z0-9._/-]+")
_SCP_LIKE = re.compile(r"(?P<user>[^@/:]+@)?(?P<host>[^/:]+):(?P<path>(?!//).+)")
"""``git@host:org/repo.git``, git's scp-like SSH form."""
_SMALL = 1 << 20
"""Bytes of the ``.git`` files read (HEAD, a ref, ``packed-refs``, ``config``)."""


def pip_checkout(origin: Origin) -> tuple[Origin, str] | None:
    """Return the repository origin of pip's editable checkout, and what to say about it.

    Returns:
        ``None`` when ``origin`` is not an editable directory in ``<venv>/src/``. Else
        ``(origin, note)``: a ``git`` origin at the checkout's commit (credentials
        stripped, ``#subdirectory`` kept), or ``origin`` unchanged with the reason why.
    """
    if origin.kind != "directory" or not origin.editable or not origin.url:
        return None
    from envsnap._text import file_url_path  # noqa: PLC0415

    path = file_url_path(origin.url)
    root = _checkout_root(path) if path is not None else None
    if path is None or root is None:
        return None
    found = _git_origin(root)
    if isinstance(found, str):
        return origin, (
            f"pip's editable checkout {root} is inside a venv, which a restore replaces, "
            f"and its repository cannot be read ({found}): the lock names that path"
        )
    url, commit, stripped = found
    subdirectory = path.relative_to(root).as_posix() if path != root else origin.subdirectory
    vcs = Origin(kind="vcs", vcs="git", url=url, commit=commit, subdirectory=subdirectory or None)
    credentials = "; credentials removed from its URL" if stripped else ""
    return vcs, (
        f"pip's editable checkout {root} (inside the venv, which a restore replaces) is "
        f"recorded as its repository at its commit, git+{url}@{commit}: a restore installs "
        f"that commit, not editable{credentials}"
    )


def _checkout_root(path: Path) -> Path | None:
    """Return ``<venv>/src/NAME`` holding ``path``, or ``None``."""
    for candidate in (path, *path.parents):
        parent = candidate.parent
        if parent.name == "src" and (parent.parent / "pyvenv.cfg").is_file():
            return candidate
    return None


def _read(path: Path) -> str | None:
    """Return a small regular file's text, or ``None`` (missing, not regular, too big)."""
    from envsnap._io import read_limited  # noqa: PLC0415

    try:
        return read_limited(path, _SMALL).decode("utf-8", "replace")
    except OSError:
        return None


def _git_origin(root: Path) -> tuple[str, str, bool] | str:
    """Return ``(remote URL, HEAD commit, credentials stripped)`` of a git checkout, or why not."""
    git = root / ".git"
    if not git.is_dir():
        others = [kind for kind in (".hg", ".svn", ".bzr") if (root / kind).exists()]
        return f"a {others[0]} checkout: envsnap reads git ones" if others else "no .git directory"
    commit = _head_commit(git)
    if commit is None:
        return "its HEAD names no commit"
    url = _remote_url(git, root)
    if url is None:
        return "it has no remote"
    from envsnap._text import first_control, strip_credentials  # noqa: PLC0415

    if first_control(url) is not None:
        return "its remote's URL holds a control character"
    clean, stripped = strip_credentials(url)
    return clean, commit, stripped


def _head_commit(git: Path) -> str | None:
    """Return the commit ``HEAD`` points at (a detached id, a loose ref or a packed one)."""
    head = (_read(git / "HEAD") or "").strip()
    if _COMMIT.fullmatch(head):
        return head
    ref = head.removeprefix("ref:").strip()
    if not head.startswith("ref:") or not _REF.fullmatch(ref) or ".." in ref:
        return None
    loose = (_read(git / ref) or "").strip()
    if _COMMIT.fullmatch(loose):
        return loose
    for line in (_read(git / "packed-refs") or "").splitlines():
        commit, _, name = line.partition(" ")
        if name.strip() == ref and _COMMIT.fullmatch(commit):
            return commit
    return None


def _remote_url(git: Path, root: Path) -> str | None:
    """Return the URL of ``origin`` (else the first remote) as ``pip freeze`` writes it.

    scp-like ``user@host:path`` becomes ``ssh://user@host/path``; a local path a ``file:`` URL.
    """
    remotes: dict[str, str] = {}
    section: str | None = None
    for raw in (_read(git / "config") or "").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            found = _REMOTE.fullmatch(line)
            section = found["name"] if found else None
            continue
        key, equals, value = line.partition("=")
        if section is not None and equals and key.strip().lower() == "url":
            remotes.setdefault(section, value.strip().strip('"'))
    url = remotes.get("origin") or next(iter(remotes.values()), None)
    if not url:
        return None
    if "://" in url:
        return url
    scp = _SCP_LIKE.fullmatch(url)
    if scp and not Path(url).is_absolute():
        path = urllib.parse.quote(scp["path"].lstrip("/"))
        return f"ssh://{scp['user'] or ''}{scp['host']}/{path}"
    local = Path(url)
    return (local if local.is_absolute() else (root / local).resolve()).as_uri()

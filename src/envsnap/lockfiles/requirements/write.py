"""requirements.txt: pip-compatible, deterministic, annotated like pip-tools.

Layout::

    # envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - 2 top-level, 5 transitive
    # top-level
    requests==2.32.3
        # declared
    rich==13.9.4
    # transitive
    certifi==2024.8.30
        # via requests

A top-level pin the project declares is followed by ``# declared`` (``check
--no-env`` reports such an entry as stale once the project no longer
declares it; one the user named, ``requested``, or that nothing requires,
``root``, was never declared and is never stale); each transitive one by
what it comes via.

Origins (PEP 610): an index pin is ``name==version``; an editable install is
``-e PATH``; an archive is ``name @ URL`` (``#sha256=`` when recorded); a VCS
install is ``name @ vcs+URL@COMMIT``, a local repository's URL written
``file://localhost/PATH`` (:func:`vcs_requirement`). The header is ASCII only,
so pip reads the file under any locale.

The generation invariant: the ``--top-level-only`` file, with the full pins as
constraints, regenerates the environment. pip and uv take no editable
requirement as a constraint ("Editable requirements are not allowed as
constraints", "Unnamed requirements are not allowed as constraints"), so the
top-level file carries every editable install, and the constraints are
written with ``constraints`` (``freeze --constraints``): the full pins, an
editable install as ``name @ file:///PATH``, named in an ``# editable:``
header line so that envsnap reads the file back as the environment it is.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from envsnap._text import EXPANSION, first_control
from envsnap._version import __version__
from envsnap.errors import InputError
from envsnap.lockfiles.requirements.lines import DECLARED_LINE, EDITABLE_LINE, HEADER_PREFIX

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from envsnap.environment.distributions import InstalledDistribution
    from envsnap.environment.snapshot import Snapshot
    from envsnap.lock import Lock, Origin
    from envsnap.lockfiles import DumpOptions

__all__ = [
    "HEADER_PREFIX",
    "dump",
    "pip_line",
    "requirement_line",
    "requirements_text",
    "vcs_requirement",
]


def dump(snapshot: Snapshot, options: DumpOptions) -> str:
    """Render a snapshot as a requirements file.

    Args:
        snapshot: the snapshot to write.
        options: see :class:`envsnap.lockfiles.DumpOptions`.

    Returns:
        The file's text: the header, a ``# top-level`` section and (unless
        ``top_level_only``) a ``# transitive`` section, each sorted by
        normalized name, ending with a newline. Same snapshot, same text.
        With ``top_level_only`` the top-level lines carry their extras
        (``uvicorn[standard]==0.34.0``), so that the file regenerates the
        environment; the full file has none, so it stays usable as a pip
        constraints file (``-c``), which may not hold extras.
    """
    listed = snapshot.listed(include_tools=options.include_tools, exclude=options.exclude)
    # the top-level file installs every editable: no installer takes one as a constraint
    top = [
        d
        for d in listed
        if snapshot.reasons[d.name].top_level or (options.top_level_only and d.origin.editable)
    ]
    rest = [d for d in listed if d not in top]
    env = snapshot.environment
    counts = f"{len(top)} top-level"
    if not options.top_level_only:
        counts += f", {len(rest)} transitive"
    editable = sorted(d.display_name for d in listed if d.origin.editable)
    lines = [
        f"{HEADER_PREFIX}{__version__} freeze - {env.describe()} - {counts}",
        *_system_site_line(snapshot, listed),
        *([f"{EDITABLE_LINE} {', '.join(editable)}"] if options.constraints and editable else []),
        "# top-level",
    ]
    # extras only where they are needed to regenerate the env: a top-level-only
    # file. The full file pins everything anyway, and pip refuses extras in a
    # constraints file ("Constraints cannot have extras"): it must stay usable
    # as ``-c full.txt``.
    line_extras = snapshot.top_level_extras if options.top_level_only else {}
    for dist in top:
        extras = line_extras.get(dist.name, ())
        line = requirement_line(dist, options.output_dir, extras=extras, named=options.constraints)
        lines.append(_hashed(line, dist, options))
        if options.annotate and snapshot.reasons[dist.name].kind == "declared":
            lines.append(DECLARED_LINE)
    if not options.top_level_only:
        lines.append("# transitive")
        for dist in rest:
            line = requirement_line(dist, options.output_dir, named=options.constraints)
            lines.append(_hashed(line, dist, options))
            via = snapshot.reasons[dist.name].via
            if options.annotate and via:
                lines.append(f"    # via {', '.join(via)}")
    return "\n".join(lines) + "\n"


def _system_site_line(snapshot: Snapshot, listed: list[InstalledDistribution]) -> list[str]:
    """``# system-site-packages: a==1, b==2`` for a venv that sees the base site-packages."""
    from envsnap.environment.base_packages import HEADER_LINE, relied_on  # noqa: PLC0415

    pins = relied_on(snapshot, listed)
    if pins is None:
        return []
    return [f"{HEADER_LINE} {', '.join(pins) if pins else '(none used)'}"]


def _hashed(line: str, dist: InstalledDistribution, options: DumpOptions) -> str:
    """Append pip's ``--hash=sha256:...`` options (``freeze --hashes``), one per line."""
    hashes = options.hashes.get(dist.name, ())
    return "".join([line, *(f" \\\n    --hash={h}" for h in hashes)])


def requirement_line(
    dist: InstalledDistribution,
    output_dir: Path | None = None,
    *,
    extras: Iterable[str] = (),
    named: bool = False,
) -> str:
    """Return the pip requirement line that reinstalls ``dist`` from its origin.

    Args:
        dist: an installed distribution.
        output_dir: where the file goes; an editable path inside it is written
            relative to it (``-e ./pkg``), as pip resolves ``-e`` paths
            relative to the current directory.
        extras: extras to ask for (PEP 508 ``name[a,b]``), sorted on output;
            not written on an ``-e`` line.
        named: write an editable install as ``name @ file:///PATH``, a form
            pip and uv take as a constraint (``-c``).

    Returns:
        ``name[extras]==version``, ``-e PATH``, ``name[extras] @ URL[#sha256=...]``
        or ``name[extras] @ vcs+URL@COMMIT[#subdirectory=...]``.
    """
    return pip_line(_requirement_text(dist, output_dir, extras, named), source=str(dist.location))


def _requirement_text(
    dist: InstalledDistribution, output_dir: Path | None, extras: Iterable[str], named: bool
) -> str:
    origin = dist.origin
    wanted = sorted(extras)
    name = dist.display_name + (f"[{','.join(wanted)}]" if wanted else "")
    match origin.kind:
        case "index":
            return f"{name}=={dist.version}"
        case "directory" if origin.editable and origin.url and not named:
            return f"-e {_editable_path(origin.url, output_dir)}"
        case "vcs":
            return vcs_requirement(name, origin)
        case _:
            line = f"{name} @ {origin.url}"
            fragment = []
            if origin.archive_hash:
                fragment.append(origin.archive_hash)
            if origin.subdirectory:
                fragment.append(f"subdirectory={origin.subdirectory}")
            return line + ("#" + "&".join(fragment) if fragment else "")


def vcs_requirement(name: str, origin: Origin) -> str:
    """Return the PEP 508 line that installs a VCS checkout: ``name @ vcs+URL@REV``.

    ``REV`` is the commit (else the requested revision); ``#subdirectory=``
    when recorded. A local repository's ``file:///PATH`` is written
    ``file://localhost/PATH`` (RFC 8089, the same place): the pips that
    Python 3.8-3.12 bundle (22.0.4-23.2.1) refuse a direct reference whose
    URL has no host (``Invalid URL``), and a ``vcs+URL#egg=name`` line instead
    is one uv refuses as a constraint ("Unnamed requirements are not allowed
    as constraints"). This form installs with pip 23.2.1 and 26 and with uv,
    as a requirement and as a constraint; pip records the URL as written and
    uv as ``file:///PATH``, which compare equal.
    """
    url = origin.url or ""
    if url.startswith("file:///"):
        url = "file://localhost/" + url.removeprefix("file:///")
    revision = origin.commit or origin.requested_revision
    line = f"{name} @ {origin.vcs}+{url}" + (f"@{revision}" if revision else "")
    return line + (f"#subdirectory={origin.subdirectory}" if origin.subdirectory else "")


def _editable_path(url: str, output_dir: Path | None) -> str:
    """Turn a ``file:`` URL into a path, relative to ``output_dir`` when inside it."""
    from envsnap._text import file_url_path  # noqa: PLC0415

    path = file_url_path(url)
    if path is None:
        return url
    if output_dir is not None:
        base = output_dir.resolve()
        try:
            relative = path.resolve().relative_to(base)
        except ValueError:
            return os.fspath(path)
        text = relative.as_posix()
        return "." if text == "." else f"./{text}"
    return os.fspath(path)


def pip_line(text: str, *, source: str, installer: bool = False) -> str:
    """Return ``text`` as one line of a requirements file, after checking it is one line.

    Every line envsnap writes for pip or uv is built here, so a value read
    from a lock, an environment or an index can never add a line of its own
    (a URL holding a newline and ``--index-url ...``).

    Args:
        text: the line, without its newline.
        source: where its values come from (``FILE:LINE``, a ``.dist-info``),
            for the message.
        installer: the line goes to pip or uv now (not into a file for the
            user): ``${NAME}`` is refused too, since both would replace it
            with an environment variable's value (:data:`envsnap._text.EXPANSION`).

    Returns:
        ``text`` unchanged.

    Raises:
        InputError: a control character, or (``installer``) ``${NAME}``.
    """
    char = first_control(text)
    if char is not None:
        raise InputError(
            f"{source}: a value holds a control character ({char}); refused",
            hint="envsnap writes one line per requirement: fix or reinstall that package",
        )
    expansion = EXPANSION.search(text) if installer else None
    if expansion is not None:
        raise InputError(
            f"{source}: holds {expansion[0]}, which pip and uv would replace with an "
            "environment variable's value; refused",
            hint=EXPANSION_HINT,
        )
    return text


EXPANSION_HINT = (
    "envsnap never hands ${NAME} to an installer: write the value out if it is not a "
    "secret; give an index's credentials through pip's configuration, netrc or keyring"
)
"""What to do about a ``${NAME}`` in a lock (:func:`pip_line`, restore's plan)."""


def requirements_text(lock: Lock, *, installer: bool = False) -> str:
    """Render a Lock as a pip requirements file (for a pylock file).

    ``name==version`` for an index package, ``name @ URL`` for an archive or
    a local directory, ``name @ vcs+URL@COMMIT`` for a VCS checkout
    (:func:`vcs_requirement`: the form every supported pip and uv accept),
    ``-e PATH`` for an editable one; ``--hash`` options and markers kept.

    Args:
        lock: the Lock.
        installer: the text goes to pip or uv now (:func:`pip_line`).

    Raises:
        InputError: a value holds a control character, or (``installer``) ``${NAME}``.
    """
    lines = []
    for package in lock.packages:
        origin = package.origin
        match origin.kind:
            case "index":
                line = f"{package.display_name}=={package.version}"
            case "directory" if origin.editable and origin.url:
                from envsnap._text import file_url_path  # noqa: PLC0415

                line = f"-e {file_url_path(origin.url) or origin.url}"
            case "vcs":
                line = vcs_requirement(package.display_name, origin)
            case "archive":
                # pip reads a hash (checked without hash-checking mode) and the
                # project's subdirectory from the URL's fragment
                fragment = (
                    [origin.archive_hash] if origin.archive_hash and not package.hashes else []
                )
                if origin.subdirectory:
                    fragment.append(f"subdirectory={origin.subdirectory}")
                line = f"{package.display_name} @ {origin.url}"
                line += f"#{'&'.join(fragment)}" if fragment else ""
            case _:
                line = f"{package.display_name} @ {origin.url}"
        if package.marker is not None and not line.startswith("-e"):
            line += f" ; {package.marker}"
        line += "".join(f" --hash={h}" for h in package.hashes)
        source = package.location or str(lock.path or package.display_name)
        lines.append(pip_line(line, source=source, installer=installer))
    return "\n".join(lines) + "\n"

"""requirements.txt: pip-compatible, deterministic, annotated like pip-tools.

An ASCII header (pip reads it under any locale), then ``# top-level`` pins, each one the
project declares followed by ``# declared`` (``check --no-env`` reports it stale once it
is not), then ``# transitive`` pins, each followed by ``# via`` what requires it. Origins
(PEP 610): ``name==version`` from an index, ``-e PATH`` editable, ``name @ URL[#sha256=]``
an archive, ``name @ vcs+URL@COMMIT`` a VCS checkout.

The ``--top-level-only`` file, with the full pins as constraints, regenerates the
environment. pip and uv take no editable requirement as a constraint, so the top-level file
carries every editable install, and ``freeze --constraints`` writes one as
``name @ file:///PATH``, named in an ``# editable:`` header line so that envsnap reads the
file back as the environment it is.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from envsnap._text import EXPANSION, file_url_path, first_control
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
    """Render a snapshot as a requirements file (same snapshot, same text).

    Returns:
        The header, a ``# top-level`` section and (unless ``top_level_only``) a
        ``# transitive`` one, each sorted by normalized name, ending with a newline.
    """
    listed = snapshot.listed(include_tools=options.include_tools, exclude=options.exclude)
    # the top-level file installs every editable: no installer takes one as a constraint
    top = [
        d
        for d in listed
        if snapshot.reasons[d.name].top_level or (options.top_level_only and d.origin.editable)
    ]
    rest = [d for d in listed if d not in top]
    counts = f"{len(top)} top-level"
    if not options.top_level_only:
        counts += f", {len(rest)} transitive"
    editable = sorted(d.display_name for d in listed if d.origin.editable)
    lines = [
        f"{HEADER_PREFIX}{__version__} freeze - {snapshot.environment.describe()} - {counts}",
        *_system_site_line(snapshot, listed),
        *([f"{EDITABLE_LINE} {', '.join(editable)}"] if options.constraints and editable else []),
        "# top-level",
    ]
    # extras (uvicorn[standard]) only where the file must regenerate the env: the full
    # file must stay usable as -c full.txt, and pip refuses extras in a constraints file
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

    ``name[extras]==version``, ``-e PATH``, ``name[extras] @ URL[#sha256=...]`` or
    ``name[extras] @ vcs+URL@COMMIT[#subdirectory=...]``: ``extras`` (PEP 508) sorted, none
    on an ``-e`` line, whose path is relative to ``output_dir`` when inside it (``-e ./pkg``:
    pip resolves it from the current directory). ``named`` writes an editable install as
    ``name @ file:///PATH``, which pip and uv take as a constraint (``-c``).
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
            return _direct(name, origin, archive_hash=True)


def _direct(name: str, origin: Origin, *, archive_hash: bool) -> str:
    """Return ``name @ URL``, and the hash and subdirectory pip reads from its fragment."""
    fragment = [origin.archive_hash] if archive_hash and origin.archive_hash else []
    if origin.subdirectory:
        fragment.append(f"subdirectory={origin.subdirectory}")
    return f"{name} @ {origin.url}" + (f"#{'&'.join(fragment)}" if fragment else "")


def vcs_requirement(name: str, origin: Origin) -> str:
    """Return the PEP 508 line that installs a VCS checkout: ``name @ vcs+URL@REV``.

    ``REV`` is the commit, else the requested revision; ``#subdirectory=`` when recorded.
    A local repository's ``file:///PATH`` is written ``file://localhost/PATH`` (RFC 8089,
    the same place): the pips Python 3.8-3.12 bundle (22.0.4-23.2.1) refuse a direct
    reference without a host, and uv refuses ``vcs+URL#egg=name`` as a constraint. This
    form installs with pip 23.2.1, pip 26 and uv, as a requirement and as a constraint.
    """
    url = origin.url or ""
    if url.startswith("file:///"):
        url = "file://localhost/" + url.removeprefix("file:///")
    revision = origin.commit or origin.requested_revision
    line = f"{name} @ {origin.vcs}+{url}" + (f"@{revision}" if revision else "")
    return line + (f"#subdirectory={origin.subdirectory}" if origin.subdirectory else "")


def _editable_path(url: str, output_dir: Path | None) -> str:
    """Turn a ``file:`` URL into a path, relative to ``output_dir`` when inside it."""
    path = file_url_path(url)
    if path is None:
        return url
    if output_dir is not None:
        try:
            relative = path.resolve().relative_to(output_dir.resolve()).as_posix()
        except ValueError:
            return os.fspath(path)
        return "." if relative == "." else f"./{relative}"
    return os.fspath(path)


def pip_line(text: str, *, source: str, installer: bool = False) -> str:
    """Return ``text`` unchanged, after checking it is one line.

    Every line envsnap writes for pip or uv is built here, so a value read from a lock, an
    environment or an index can never add a line of its own (a newline, then ``--index-url``).

    Args:
        text: the line, without its newline.
        source: where its values come from (``FILE:LINE``, a ``.dist-info``), for the message.
        installer: the line goes to pip or uv now: ``${NAME}`` is refused too, since both
            would put an environment variable's value there (:data:`envsnap._text.EXPANSION`).

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
    """Render a Lock (of a pylock file) as a pip requirements file.

    ``name==version``, ``name @ URL``, ``name @ vcs+URL@COMMIT`` (:func:`vcs_requirement`)
    or ``-e PATH``; ``--hash`` options and markers kept. ``installer``: see :func:`pip_line`.

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
                line = f"-e {_editable_path(origin.url, None)}"
            case "vcs":
                line = vcs_requirement(package.display_name, origin)
            case "archive":  # pip checks a fragment's hash even without --hash options
                line = _direct(package.display_name, origin, archive_hash=not package.hashes)
            case _:
                line = f"{package.display_name} @ {origin.url}"
        if package.marker is not None and not line.startswith("-e"):
            line += f" ; {package.marker}"
        line += "".join(f" --hash={h}" for h in package.hashes)
        source = package.location or str(lock.path or package.display_name)
        lines.append(pip_line(line, source=source, installer=installer))
    return "\n".join(lines) + "\n"

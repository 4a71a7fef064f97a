"""requirements.txt: pip-compatible, deterministic, annotated like pip-tools.

Layout::

    # envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - 2 top-level, 5 transitive
    # top-level
    requests==2.32.3
    rich==13.9.4
    # transitive
    certifi==2024.8.30
        # via requests

Origins (PEP 610): an index pin is ``name==version``; an editable install is
``-e PATH``; an archive is ``name @ URL`` (``#sha256=`` when recorded); a VCS
install is ``name @ vcs+URL@COMMIT``. The header is ASCII only, so pip reads
the file under any locale.
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap import __version__

if TYPE_CHECKING:
    from envsnap.distributions import InstalledDistribution
    from envsnap.formats import DumpOptions
    from envsnap.snapshot import Snapshot

__all__ = ["HEADER_PREFIX", "dump", "requirement_line"]

HEADER_PREFIX = "# envsnap "
"""Every file envsnap writes starts with this; readers use it to know the file."""


def dump(snapshot: Snapshot, options: DumpOptions) -> str:
    """Render a snapshot as a requirements file.

    Args:
        snapshot: the snapshot to write.
        options: see :class:`envsnap.formats.DumpOptions`.

    Returns:
        The file's text: the header, a ``# top-level`` section and (unless
        ``top_level_only``) a ``# transitive`` section, each sorted by
        normalized name, ending with a newline. Same snapshot, same text.
    """
    listed = snapshot.listed(include_tools=options.include_tools, exclude=options.exclude)
    top = [d for d in listed if snapshot.reasons[d.name].top_level]
    rest = [d for d in listed if not snapshot.reasons[d.name].top_level]
    env = snapshot.environment
    lines = [
        f"{HEADER_PREFIX}{__version__} freeze - {env.describe()} - "
        f"{len(top)} top-level, {len(rest)} transitive",
        "# top-level",
    ]
    lines += [requirement_line(d, options.output_dir) for d in top]
    if not options.top_level_only:
        lines.append("# transitive")
        for dist in rest:
            lines.append(requirement_line(dist, options.output_dir))
            via = snapshot.reasons[dist.name].via
            if options.annotate and via:
                lines.append(f"    # via {', '.join(via)}")
    return "\n".join(lines) + "\n"


def requirement_line(dist: InstalledDistribution, output_dir: Path | None = None) -> str:
    """Return the pip requirement line that reinstalls ``dist`` from its origin.

    Args:
        dist: an installed distribution.
        output_dir: where the file goes; an editable path inside it is written
            relative to it (``-e ./pkg``), as pip resolves ``-e`` paths
            relative to the current directory.

    Returns:
        ``name==version``, ``-e PATH``, ``name @ URL[#sha256=...]`` or
        ``name @ vcs+URL@COMMIT[#subdirectory=...]``.
    """
    origin = dist.origin
    name = dist.display_name
    match origin.kind:
        case "index":
            return f"{name}=={dist.version}"
        case "directory" if origin.editable and origin.url:
            return f"-e {_editable_path(origin.url, output_dir)}"
        case "vcs":
            line = f"{name} @ {origin.vcs}+{origin.url}@{origin.commit}"
            return line + (f"#subdirectory={origin.subdirectory}" if origin.subdirectory else "")
        case _:
            line = f"{name} @ {origin.url}"
            fragment = []
            if origin.archive_hash:
                fragment.append(origin.archive_hash)
            if origin.subdirectory:
                fragment.append(f"subdirectory={origin.subdirectory}")
            return line + ("#" + "&".join(fragment) if fragment else "")


def _editable_path(url: str, output_dir: Path | None) -> str:
    """Turn a ``file:`` URL into a path, relative to ``output_dir`` when inside it."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "file":
        return url
    path = Path(urllib.request.url2pathname(parsed.path))
    if output_dir is not None:
        base = output_dir.resolve()
        try:
            relative = path.resolve().relative_to(base)
        except ValueError:
            return os.fspath(path)
        text = relative.as_posix()
        return "." if text == "." else f"./{text}"
    return os.fspath(path)

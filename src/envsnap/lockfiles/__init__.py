"""File formats: one module per format, each with pure ``dump``/``load`` functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from packaging.utils import NormalizedName

    from envsnap.environment.snapshot import Snapshot
    from envsnap.index.repository import HashSource

__all__ = ["FORMATS", "DumpOptions", "Writer", "format_for_path", "get_writer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DumpOptions:
    """Choices shared by the snapshot writers."""

    output_dir: Path | None = None
    """Directory of the output file (editable paths are written relative to it)."""
    annotate: bool = True
    """Write ``# via`` lines under transitive pins."""
    top_level_only: bool = False
    """Write only the top-level distributions and every editable install (pip and uv
    take none as a constraint)."""
    constraints: bool = False
    """Write the full pins as a pip constraints file (``-c``), an editable install as
    ``name @ file:///PATH`` (pip and uv refuse ``-e PATH`` there); requirements only."""
    include_tools: bool = False
    """Keep pip, setuptools, wheel and distribute (``--all``)."""
    exclude: frozenset[str] = field(default_factory=frozenset)
    """Normalized names to leave out."""
    hash_source: HashSource | None = None
    """Where file URLs and hashes come from (pylock: required for index packages)."""
    hashes: Mapping[NormalizedName, tuple[str, ...]] = field(default_factory=dict)
    """``--hash`` values (``sha256:HEX``) per package, for requirements.txt ``--hashes``."""


class Writer(Protocol):
    """A snapshot writer: a pure function of the snapshot and the options."""

    def __call__(self, snapshot: Snapshot, options: DumpOptions, /) -> str:
        """Return the file's text (ends with a newline)."""
        ...


FORMATS: dict[str, str] = {
    "requirements": "envsnap.lockfiles.requirements.write",
    "json": "envsnap.lockfiles.snapshot_json",
    "pylock": "envsnap.lockfiles.pylock.write",
}
"""Format name (the CLI's choices) -> module holding its ``dump`` (imported only when used)."""


def get_writer(name: str) -> Writer:
    """Return the ``dump`` function of format ``name``; KeyError for a name not in FORMATS."""
    import importlib  # noqa: PLC0415

    writer: Writer = importlib.import_module(FORMATS[name]).dump
    return writer


def format_for_path(path: Path) -> str:
    """Infer the format from an output file name.

    ``pylock.toml`` / ``pylock.*.toml`` (PEP 751) -> ``pylock``, ``*.json`` -> ``json``, else
    ``requirements``.
    """
    name = path.name.lower()
    if name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml")):
        return "pylock"
    if name.endswith(".json"):
        return "json"
    return "requirements"

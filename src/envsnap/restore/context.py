"""What the steps of one restore share: the cache and progress callbacks, and the new venv.

:func:`envsnap.restore.build.build_venv` makes both and hands them to the
backends (:mod:`envsnap.restore.backends`) and to pip and uv runs
(:mod:`envsnap.restore.programs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from envsnap.environment.target import TargetEnvironment
    from envsnap.index.file_cache import FileCache
    from envsnap.restore.seed import SeededPip

__all__ = ["NewVenv", "RestoreRun"]


@dataclass(frozen=True, slots=True)
class RestoreRun:
    """What every step of one restore shares: the cache and the progress callbacks."""

    cache: FileCache
    """The file cache (a temporary one for ``--no-cache``)."""
    say: Callable[[str, str], None]
    """Called as ``say(stage, message)`` at each stage."""
    output: Callable[[str], None] | None = None
    """Called with each line of an installer's output (``-v``)."""
    counter: Callable[[str, int, int], None] | None = None
    """Called as ``counter(stage, done, total)`` while files are downloaded and installed."""


@dataclass(frozen=True, slots=True)
class NewVenv:
    """The venv a restore builds, once created, probed and given pip."""

    python: Path
    """Its interpreter."""
    environment: TargetEnvironment
    """Its probe."""
    seeded: SeededPip | None
    """pip's wheel, installed before the file (:func:`envsnap.restore.seed.seed_pip`)."""

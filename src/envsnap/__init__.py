"""envsnap: freeze a Python environment into a file and restore it exactly.

The public API is small and cheap to import: heavy modules are loaded only by
the functions that need them.

>>> import envsnap
>>> snap = envsnap.snapshot(".venv")          # doctest: +SKIP
>>> [d.name for d in snap.top_level]          # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from envsnap.snapshot import Snapshot

__all__ = ["__version__", "snapshot"]


def snapshot(python: str | None = None, **options: object) -> Snapshot:
    """Take a snapshot of a target environment.

    A thin wrapper around :func:`envsnap.snapshot.take_snapshot`.

    Args:
        python: an interpreter path or a venv directory; ``None`` picks the
            default target (``$VIRTUAL_ENV``, then ``./.venv``, then the running
            interpreter if it is a venv).
        **options: passed to :func:`envsnap.snapshot.take_snapshot`.

    Returns:
        The :class:`envsnap.snapshot.Snapshot` of that environment.

    Raises:
        envsnap.errors.EnvsnapError: the target cannot be found or probed.
    """
    from envsnap.snapshot import take_snapshot  # noqa: PLC0415 - keep import cheap

    return take_snapshot(python, **options)  # type: ignore[arg-type]

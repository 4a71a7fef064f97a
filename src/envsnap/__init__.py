"""envsnap: freeze a Python environment into a file and restore it exactly.

The package namespace stays cheap to import; the engine is loaded on first use.

>>> import envsnap
>>> snap = envsnap.take_snapshot(".venv")     # doctest: +SKIP
>>> [d.name for d in snap.listed() if snap.reasons[d.name].top_level]  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from envsnap.environment.snapshot import Snapshot, take_snapshot

__all__ = ["Snapshot", "__version__", "take_snapshot"]


def __getattr__(name: str) -> Any:  # noqa: ANN401 - PEP 562 module attribute hook
    """Load the public names of :mod:`envsnap.environment.snapshot` on first use (PEP 562)."""
    if name in {"Snapshot", "take_snapshot"}:
        from envsnap.environment import snapshot  # noqa: PLC0415 - keep ``import envsnap`` cheap

        return getattr(snapshot, name)
    raise AttributeError(f"module 'envsnap' has no attribute {name!r}")

"""Installing into a new venv: uv (the default) or the venv's own pip, behind one seam.

See docs/architecture.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envsnap.install.backend import Backend, InstallerName

__all__ = ["backend_for"]


def backend_for(name: InstallerName) -> Backend:
    """Return the backend called ``name`` (imported only when a restore runs)."""
    if name == "pip":
        from envsnap.install.pip import PIP  # noqa: PLC0415

        return PIP
    from envsnap.install.uv import UV  # noqa: PLC0415

    return UV

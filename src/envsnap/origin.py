"""Where a distribution came from: an index, or a direct URL (PEP 610).

The same :class:`Origin` describes an installed distribution (read from its
``direct_url.json``) and a locked package (read from a lock file), so drift
between the two is a plain comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Origin", "OriginKind"]

OriginKind = Literal["index", "archive", "vcs", "directory"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin:
    """The source of a distribution (PEP 610 ``direct_url.json`` semantics).

    ``index`` means "installed by name from an index" (no ``direct_url.json``);
    the other kinds carry the URL (credentials already stripped).
    """

    kind: OriginKind = "index"
    """``index``, ``archive`` (a wheel/sdist URL or path), ``vcs`` or ``directory``."""
    url: str | None = None
    """The direct URL, for every kind but ``index``."""
    editable: bool = False
    """A ``directory`` installed in editable/develop mode."""
    vcs: str | None = None
    """The VCS (``git``, ``hg``, ...) of a ``vcs`` origin."""
    commit: str | None = None
    """The exact commit id of a ``vcs`` origin."""
    requested_revision: str | None = None
    """The branch/tag the user asked for, when recorded."""
    archive_hash: str | None = None
    """``algorithm=hexdigest`` of an ``archive`` origin, when recorded."""
    subdirectory: str | None = None
    """The project's subdirectory inside the URL's tree, when any."""

    @property
    def is_direct(self) -> bool:
        """Whether the distribution came from a direct URL rather than an index."""
        return self.kind != "index"

    def describe(self) -> str:
        """Return a short human description, e.g. ``git ...@abc123`` or ``index``."""
        match self.kind:
            case "index":
                return "index"
            case "vcs":
                return f"{self.vcs}+{self.url}@{self.commit}"
            case "directory":
                return f"{'editable ' if self.editable else ''}{self.url}"
            case "archive":
                return f"{self.url}" + (f" ({self.archive_hash})" if self.archive_hash else "")

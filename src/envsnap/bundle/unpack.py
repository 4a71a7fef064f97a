"""Open a bundle for a restore: check every file against its lock before anything is built.

A zip file is unpacked into a temporary directory while it is checked; one
changed byte is exit 2 naming the file. The restore that follows needs no
network (:meth:`OpenedBundle.restore_options`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from envsnap.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from envsnap.restore.plan import RestoreOptions

__all__ = ["OpenedBundle", "open_bundle"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedBundle:
    """A bundle whose files all match its lock, ready to restore from."""

    path: Path
    """The bundle as named (a directory or a ``.zip`` file)."""
    lock_file: Path
    """Its ``pylock.toml``: in place for a directory, unpacked for a zip file."""
    files: int
    """How many files its lock names (each one checked)."""
    size: int
    """Their total size, in bytes."""
    pins_pip: bool
    """Whether its lock pins pip (then the bundle carries pip's wheel)."""

    def restore_options(self, options: RestoreOptions) -> tuple[RestoreOptions, tuple[str, ...]]:
        """Return ``options`` for an offline restore of this bundle, and notes for the user.

        No index (pip's settings are not read), uv ``--offline`` (no request,
        even to a proxy), and pip in the venv only when the lock pins it.

        Raises:
            InputError: ``installer=pip`` (a bundle is restored with uv).
        """
        from envsnap.index.settings import IndexSettings  # noqa: PLC0415

        if options.installer == "pip":
            raise InputError(
                f"{self.path}: a bundle is restored with uv, offline; installer=pip was asked",
                hint="drop installer=pip; pip itself can install the unpacked bundle: "
                "pip install --no-index -r BUNDLE/pylock.toml",
            )
        notes: list[str] = []
        if options.with_pip and not self.pins_pip:
            notes.append(
                f"{self.path} carries no pip (its lock does not pin it): the venv is made "
                "without pip; freeze with --all to lock pip, and the bundle carries it"
            )
        offline = replace(
            options, offline=True, with_pip=False, index_settings=IndexSettings(no_index=True)
        )
        return offline, tuple(notes)


@contextlib.contextmanager
def open_bundle(path: Path) -> Iterator[OpenedBundle]:
    """Check a bundle's files against its lock and yield it, unpacked when it is a zip file.

    Args:
        path: a directory or a ``.zip`` file made by ``envsnap bundle``.

    Yields:
        The :class:`OpenedBundle`; a zip file's temporary copy is removed on exit.

    Raises:
        InputError: as :func:`envsnap.bundle.members.checked` (exit 2).
    """
    from envsnap.bundle.members import checked  # noqa: PLC0415

    with checked(path, unpack=True) as (lock, members, size):
        assert lock.path is not None  # noqa: S101 - the lock file read
        yield OpenedBundle(
            path=path,
            lock_file=lock.path,
            files=len(members),
            size=size,
            pins_pip=lock.get("pip") is not None,
        )

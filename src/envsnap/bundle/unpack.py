"""Open a bundle for a restore: check every file against its lock before anything is built.

:func:`open_bundle` reads the bundle's ``pylock.toml``, refuses a package
that is not a file of the bundle, and hashes every file the lock names: a
directory in place, a zip file while its members are unpacked into a
temporary directory (removed when the restore is done). One changed byte
anywhere is exit 2 naming the file, before a venv is created or anything
built. The restore that follows needs no network
(:meth:`OpenedBundle.restore_options`: no index, uv ``--offline``).
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterator

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

        No index at all (pip's variables and configuration are not read), the
        installer offline (uv ``--offline``: no request, even to a proxy), and
        no pip seeded from an index: the venv gets pip only when the lock pins
        it, from the bundle.

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
        path: a directory or a ``.zip`` file made by ``envsnap bundle``
            (:func:`envsnap.bundle.members.is_bundle`).

    Yields:
        The :class:`OpenedBundle`; a zip file's temporary copy is removed on exit.

    Raises:
        InputError: no such bundle, not a zip file, no ``pylock.toml`` at its
            top, an invalid lock, a package that is not a file of the bundle,
            or a file missing or different from its lock (exit 2).
    """
    from envsnap.bundle.members import (  # noqa: PLC0415
        LOCK_NAME,
        BundleSource,
        lock_file,
        read_members,
        verify,
    )
    from envsnap.lockfiles.pylock.read import load  # noqa: PLC0415

    if not path.exists():
        raise InputError(
            f"{path}: no such bundle", hint="name a directory or .zip file made by envsnap bundle"
        )
    with (
        BundleSource(path) as source,
        tempfile.TemporaryDirectory(prefix="envsnap-bundle-") as scratch,
    ):
        found = lock_file(source, Path(scratch))
        lock = load(found)
        members = read_members(lock.pylock, f"{path}/{LOCK_NAME}")
        size = verify(
            path, source, members, unpack_to=None if source.is_directory else found.parent
        )
        yield OpenedBundle(
            path=path,
            lock_file=found,
            files=len(members),
            size=size,
            pins_pip=lock.get("pip") is not None,
        )

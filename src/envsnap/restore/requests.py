"""Turn a Lock into the install requests a backend runs: what to install, how exactly.

A pylock file goes to uv as written (uv reads PEP 751 itself); a fully pinned
Lock is rendered as requirement lines, ``--no-deps`` when it pins the whole
closure; any other file goes to the installer as written. pip's hash-checking
mode takes every line or none, and no editables: for pip a partly hashed Lock
is split in two.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from envsnap.errors import InputError

if TYPE_CHECKING:
    from envsnap.install.backend import InstallerName, InstallRequest
    from envsnap.lock import Lock, LockedPackage

__all__ = ["install_requests"]

_LOCK_ONLY_MARKERS = ("extras", "dependency_groups")
"""PEP 751 marker variables that only an installer reading the pylock file can evaluate."""


def install_requests(
    lock: Lock,
    installer: InstallerName,
    base: InstallRequest,
    *,
    extras: tuple[str, ...] = (),
    groups: tuple[str, ...] | None = None,
) -> tuple[InstallRequest, ...]:
    """Return the requests for ``lock`` (paths resolved), in the order they run.

    One, or for pip a hashed one and one for the unhashed rest. ``base`` holds
    the settings every request shares (its lines, file and hash mode are set
    here); ``extras`` and ``groups`` (``None``: its defaults) select parts of a
    pylock file.

    Raises:
        InputError: extras, groups or PEP 751 markers that only uv reads, with
            the pip backend; a value that cannot be one requirement line.
    """
    if lock.pylock is not None and installer == "uv":
        return (replace(base, file=lock.path, extras=extras, groups=groups or (), exact=True),)
    if lock.pylock is not None:
        _refuse_lock_only(lock, extras, groups)
    if not all(p.pinned for p in lock.packages):
        # the installer resolves: its own reading of the file, includes and all
        return (replace(base, file=lock.path),)
    hashed = tuple(p for p in lock.packages if p.hashes)
    rest = tuple(p for p in lock.packages if not p.hashes)
    if installer == "pip" and hashed and rest:
        return (
            _rendered(base, lock, hashed, exact=lock.complete, require_hashes=True),
            _rendered(base, lock, rest, exact=True, require_hashes=False),
        )
    return (_rendered(base, lock, lock.packages, exact=lock.complete, require_hashes=not rest),)


def _rendered(
    base: InstallRequest,
    lock: Lock,
    packages: tuple[LockedPackage, ...],
    *,
    exact: bool,
    require_hashes: bool,
) -> InstallRequest:
    """Return ``base`` with requirement lines rendered from some of the Lock's packages."""
    from envsnap.lockfiles.requirements.write import requirements_text  # noqa: PLC0415

    text = requirements_text(replace(lock, packages=packages), installer=True)
    return replace(base, requirements=text, exact=exact, require_hashes=require_hashes)


def _refuse_lock_only(lock: Lock, extras: tuple[str, ...], groups: tuple[str, ...] | None) -> None:
    """Refuse what pip cannot do with a pylock file: extras, groups, PEP 751 markers."""
    if extras or groups is not None:
        raise InputError(
            "extras= and groups= select parts of a pylock file, which uv installs",
            hint="drop them, or restore with installer=uv",
        )
    for package in lock.packages:
        marker = str(package.marker or "")
        if any(name in marker for name in _LOCK_ONLY_MARKERS):
            raise InputError(
                f"{package.location or lock.path}: {package.display_name}'s marker ({marker}) "
                "names extras or dependency groups, which only an installer reading the "
                "pylock file evaluates",
                hint="restore with installer=uv",
            )

"""Pick the base interpreter for a file made for a Python range (a portable lock).

A portable file records ``requires-python`` (``>=3.10,<3.14``), not the one
version it was frozen with: restore builds the new venv from the newest
CPython minor in that range found on this machine (as uv picks the newest
Python a project's range allows), or from ``--python``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envsnap.errors import InputError

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    from envsnap.install.venvs import Interpreter

__all__ = ["newest_in_range"]


def newest_in_range(
    requires_python: SpecifierSet, *, search_path: str | None = None
) -> Interpreter:
    """Return the newest interpreter whose ``major.minor`` the range allows.

    Each CPython minor envsnap knows (3.8 to 3.14), newest first, whose
    ``.0`` release the range contains, is looked for as
    :func:`envsnap.install.venvs.find_base_interpreter` looks for a recorded
    version (``PATH``, then pyenv/asdf/uv installs).

    Args:
        requires_python: the file's range.
        search_path: the ``PATH`` to search (default: ``$PATH``).

    Returns:
        The interpreter.

    Raises:
        InputError: no minor of the range is found (the message names the
            range and the minors tried; the hint names ``--python``).
    """
    from envsnap.install.venvs import find_base_interpreter  # noqa: PLC0415
    from envsnap.portable.targets import KNOWN_PYTHONS  # noqa: PLC0415

    minors = [
        f"{major}.{minor}"
        for major, minor in reversed(KNOWN_PYTHONS)
        if requires_python.contains(f"{major}.{minor}.0", prereleases=True)
    ]
    for minor in minors:
        try:
            return find_base_interpreter(minor, search_path=search_path)
        except InputError:
            continue
    raise InputError(
        f"the file was made for Python {requires_python} and no such Python was found "
        f"(looked for {', '.join(minors) or 'none: the range holds no CPython 3.8-3.14'})",
        hint="install a Python in that range, or choose an interpreter with --python PATH",
    )

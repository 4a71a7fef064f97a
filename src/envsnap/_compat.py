"""The one TOML loader and the one JSON loader for files envsnap does not control.

TOML is parsed with :mod:`tomllib` (Python 3.11+) or, on 3.10, with tomlkit
(which envsnap needs anyway to write ``pylock.toml``). Both loaders turn every
way a hostile file can make a parser fail into one error about that file: a
syntax error, nesting deep enough to exhaust the interpreter's stack
(``RecursionError``: ``a = [[[[...`` a hundred thousand deep), or a document
too large for memory (``MemoryError``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from envsnap._io import LOCK_FILE_LIMIT, read_limited
from envsnap.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["load_json", "load_toml", "parse_toml", "read_toml"]

_TOO_DEEP = "nested too deeply"
_TOO_LARGE = "too large to parse"


def parse_toml(text: str, path: Path, *, error: type[InputError] = InputError) -> dict[str, Any]:
    """Parse TOML text read from ``path``.

    Args:
        text: the document.
        path: the file it came from (for the message).
        error: the :class:`~envsnap.errors.InputError` subclass to raise,
            e.g. :class:`~envsnap.errors.LockFileError` for a lock file.

    Returns:
        The document as plain ``dict``/``list``/scalar values.

    Raises:
        InputError: (``error``) ``PATH: invalid TOML: DETAIL``, for a syntax
            error, nesting too deep for the parser, or a document too large
            for memory (exit 2).
    """
    try:
        return load_toml(text)
    except ValueError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from None


def load_toml(text: str) -> dict[str, Any]:
    """Parse TOML text into plain values.

    Raises:
        ValueError: not valid TOML (the parser's message), ``nested too
            deeply``, or ``too large to parse``.
    """
    try:
        if sys.version_info >= (3, 11):
            import tomllib  # noqa: PLC0415

            return tomllib.loads(text)
        import tomlkit  # noqa: PLC0415
        from tomlkit.exceptions import TOMLKitError  # noqa: PLC0415

        try:
            unwrapped: dict[str, Any] = tomlkit.parse(text).unwrap()
        except TOMLKitError as exc:
            raise ValueError(str(exc)) from None
        return unwrapped
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    except MemoryError:
        raise ValueError(_TOO_LARGE) from None


def read_toml(
    path: Path, *, error: type[InputError] = InputError, limit: int = LOCK_FILE_LIMIT
) -> tuple[str, dict[str, Any]]:
    """Read a TOML file of at most ``limit`` bytes (a regular file) and parse it.

    Args:
        path: the file (``pyproject.toml``, ``pylock.toml``).
        error: the :class:`~envsnap.errors.InputError` subclass to raise.
        limit: the most bytes it may hold (default :data:`~envsnap._io.LOCK_FILE_LIMIT`).

    Returns:
        ``(text, document)``.

    Raises:
        InputError: (``error``) ``PATH: cannot read: DETAIL`` (missing, not a
            regular file, over the limit, not UTF-8) or ``PATH: invalid TOML:
            DETAIL`` (see :func:`parse_toml`).
    """
    try:
        text = read_limited(path, limit).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise error(f"{path}: cannot read: {detail or exc}") from None
    return text, parse_toml(text, path, error=error)


def load_json(data: str | bytes) -> Any:  # noqa: ANN401 - any JSON value
    """Parse JSON text with :func:`json.loads`.

    Raises:
        ValueError: not valid JSON (:class:`json.JSONDecodeError`), ``nested
            too deeply``, or ``too large to parse``.
    """
    import json  # noqa: PLC0415 - 3-5 ms, only when a JSON file is met

    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    except MemoryError:
        raise ValueError(_TOO_LARGE) from None

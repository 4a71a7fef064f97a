"""pip-api's public parser, for what only it reads in a requirements file not fully pinned.

The only module that imports :mod:`pip_api`, lazily (its import runs ``python -m pip
--version``: most of a second); nothing of pip-api leaves it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from envsnap._text import excerpt
from envsnap.errors import LockFileError, OperationError

__all__ = ["check", "requirement"]

_SKIP_REGEX = r"^\s*-(?!r\b|-requirement\b)"
"""Lines pip-api must not see: every option line but ``-r`` (the reader reads them)."""


def check(path: Path) -> None:
    """Parse ``path`` and its ``-r`` includes with pip-api, for its checks (a name twice...).

    Raises OperationError if pip-api cannot be imported, LockFileError (``FILE: MESSAGE``)
    for what it refuses.
    """
    _parse(path, where=str(path))


def requirement(text: str, *, where: str) -> Requirement:
    """Read one of pip's URL or path forms (``./x.whl``, ``git+URL#egg=x``) as pip-api does.

    Parsed alone, in a temporary file, without its marker (pip-api drops a requirement
    whose marker is false on this interpreter), which is then put back. A relative path
    is from the current directory, as pip's; ``where`` is ``FILE:LINE``, for messages.

    Raises:
        OperationError: pip-api cannot be imported.
        LockFileError: what pip-api refuses (a directory that is not a project,
            no ``#egg=``...), or an invalid marker.
    """
    import tempfile  # noqa: PLC0415

    target, _, marker = text.partition("; " if "; " in text else ";")
    with tempfile.TemporaryDirectory() as scratch:
        one = Path(scratch) / "requirement.txt"
        one.write_text(target.strip() + "\n", encoding="utf-8")
        items = _parse(one, where=where)  # one line: its requirement, or its error
    if len(items) != 1:  # pip read no requirement there (a lone backslash, say)
        raise LockFileError(f"{where}: invalid requirement: {_clip(text)}")
    (item,) = items
    found = f"{item} ; {marker.strip()}" if marker.strip() else str(item)
    try:
        return Requirement(found)
    except InvalidRequirement as exc:
        raise LockFileError(f"{where}: invalid requirement: {_clip(str(exc))}") from None


def _parse(file: Path, *, where: str) -> list[Any]:
    """Run pip-api's public parser on ``file``; return its requirement objects."""
    import argparse  # noqa: PLC0415
    import contextlib  # noqa: PLC0415
    import io  # noqa: PLC0415

    try:
        # pip-api's documented API (its README); its __init__ imports them without __all__
        from pip_api import (  # type: ignore[attr-defined]  # noqa: PLC0415
            UnparsedRequirement,
            parse_requirements,
        )
        from pip_api.exceptions import PipError  # noqa: PLC0415
    except Exception as exc:  # noqa: BLE001 - pip-api runs `python -m pip` at import
        raise OperationError(
            f"{where}: cannot read a hand-written requirements file: pip-api failed to load "
            f"({exc})",
            hint="pip-api needs pip in the interpreter running envsnap (python -m pip install pip)",
        ) from None
    options = argparse.Namespace(skip_requirements_regex=_SKIP_REGEX)
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
            items = list(parse_requirements(file, options=options, include_invalid=True).values())
    except SystemExit:  # pip-api's argparse exits on an option it reads otherwise (-i -f)
        errors = [line for line in said.getvalue().splitlines() if "error: " in line]
        last = (errors or ["error: an option pip-api cannot parse (-h?)"])[-1]
        raise LockFileError(
            f"{where}: {_clip(last.partition('error: ')[2] or last)}",
            hint="an option after a requirement needs its value (pip's requirements format)",
        ) from None
    except OSError as exc:  # an include pip-api names otherwise (-r "a.txt")
        raise LockFileError(
            f"{exc.filename or file}: cannot read an included file: {exc.strerror or exc}"
        ) from None
    except (PipError, ValueError) as exc:  # ValueError: a URL urllib refuses (https://[::1/)
        raise LockFileError(f"{where}: {_clip(str(exc) or type(exc).__name__)}") from None
    for item in items:
        if isinstance(item, UnparsedRequirement):
            raise LockFileError(f"{where}: {_clip(str(item.msg))}")
    return items


def _clip(message: str) -> str:
    """Return a message of pip-api's cut short and escaped: it may quote any included line."""
    return excerpt(message.splitlines()[0] if message else message, 160, quoted=False)

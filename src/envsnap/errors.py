"""The exception tree of envsnap.

Every error a user can cause or meet is an :class:`EnvsnapError`: one line, an
optional hint, and the CLI's exit code (2 = unusable input, 3 = could not
finish). Anything else escaping the library is a bug.
"""

from __future__ import annotations


class EnvsnapError(Exception):
    """Base class of every error envsnap reports to a user.

    Args:
        message: one plain line naming the file, line or package and the fault.
        hint: an optional line saying what to do about it.
    """

    exit_code: int = 3

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InputError(EnvsnapError):
    """The user gave something unusable: a bad option, file or target (exit 2)."""

    exit_code = 2


class TargetError(InputError):
    """The target environment is missing, not a Python, or broken (exit 2)."""


class LockFileError(InputError):
    """A lock or requirements file is unreadable or invalid (exit 2)."""


class OperationError(EnvsnapError):
    """envsnap could not finish: an install, download or index failed (exit 3)."""

"""Progress, notes and installer output: one reporter, set once by the CLI.

The library never prints: what a long operation says as it goes goes to the
reporter of the current context (a :class:`contextvars.ContextVar`, as
pypa/build's ``_ctx.py``), silent by default; the CLI sets its own with
:func:`reporting` once per command, and a library caller may set another.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["Reporter", "note", "output", "reporting", "stage", "verbose"]


class Reporter(Protocol):
    """Where progress goes."""

    @property
    def verbose(self) -> bool:
        """Whether the installer's commands and output lines are wanted (``-v``)."""

    def stage(self, name: str, message: str) -> None:
        """Say that a stage begins (``create``, ``install``, ``fetch``...) and on what."""

    def note(self, message: str) -> None:
        """Say a line the user should read (its text is whole: ``note: ...``)."""

    def output(self, line: str) -> None:
        """Pass on one line of an installer's output."""


class _Silent:
    """The default: says nothing."""

    verbose = False

    def stage(self, name: str, message: str) -> None:
        """Say nothing."""

    def note(self, message: str) -> None:
        """Say nothing."""

    def output(self, line: str) -> None:
        """Say nothing."""


_REPORTER: contextvars.ContextVar[Reporter] = contextvars.ContextVar(
    "envsnap.reporter",
    default=_Silent(),  # noqa: B039 - it holds no state
)
R = TypeVar("R", bound=Reporter)


@contextlib.contextmanager
def reporting(reporter: R) -> Iterator[R]:
    """Send progress to ``reporter`` in this context (and its calls), until the block ends."""
    token = _REPORTER.set(reporter)
    try:
        yield reporter
    finally:
        _REPORTER.reset(token)


def stage(name: str, message: str) -> None:
    """Tell the current reporter that a stage begins (:meth:`Reporter.stage`)."""
    _REPORTER.get().stage(name, message)


def note(message: str) -> None:
    """Tell the current reporter a line for the user (:meth:`Reporter.note`)."""
    _REPORTER.get().note(message)


def output(line: str) -> None:
    """Pass one line of an installer's output to the current reporter."""
    _REPORTER.get().output(line)


def verbose() -> bool:
    """Return whether the current reporter wants the installer's commands and output."""
    return _REPORTER.get().verbose

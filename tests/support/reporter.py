"""A reporter (:mod:`envsnap._report`) that keeps what it is told, for tests."""

from __future__ import annotations


class Recorder:
    """Keep every stage, note and output line as ``(kind, text)``, in order."""

    def __init__(self, *, verbose: bool = False) -> None:
        self.verbose = verbose
        self.said: list[tuple[str, str]] = []

    def stage(self, name: str, message: str) -> None:
        self.said.append((name, message))

    def note(self, message: str) -> None:
        self.said.append(("note", message))

    def output(self, line: str) -> None:
        self.said.append(("output", line))

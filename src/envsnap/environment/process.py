"""Run a short program of the user's (the interpreter probe) with a deadline and an output bound.

It may be a wrapper (a pyenv shim) whose children inherit the pipes, hang, or print
without end. On POSIX its own session's process group is killed on timeout, too much
output, cancel, and once the child has exited; the pipes are read with :mod:`selectors`
against one deadline; the group is signalled only before the child is reaped (seen
with ``waitid(WNOWAIT)``), so its id cannot have been reused. On Windows the output
limit is checked after :meth:`subprocess.Popen.communicate`.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["BoundedProcess", "Finished", "OutputTooLargeError", "ProcessTimeoutError"]

_READ = 65536
_REAP_TIMEOUT = 5.0
"""Seconds to wait for a killed child to be reaped (SIGKILL acts at once, bar a stuck syscall)."""


class ProcessTimeoutError(Exception):
    """The program did not finish (or did not close its output) before the deadline."""


class OutputTooLargeError(Exception):
    """The program wrote more than the limit on ``stream`` (``stdout`` or ``stderr``)."""

    def __init__(self, stream: str, limit: int) -> None:
        super().__init__(f"more than {limit} bytes on {stream}")
        self.stream = stream
        self.limit = limit
        """In bytes."""


@dataclass(frozen=True, slots=True)
class Finished:
    """What a program that ended in time wrote, and its exit status."""

    returncode: int
    """The exit status (negative: killed by that signal)."""
    stdout: bytes
    """Everything it wrote to stdout."""
    stderr: bytes
    """Everything it wrote to stderr."""


class BoundedProcess:
    """A child process started now, stdin closed, stdout/stderr piped.

    Args:
        timeout: seconds from now until :meth:`wait` gives up.
        max_output: bytes each of stdout and stderr may hold.
        env: the child's environment (default: the caller's).

    Raises:
        OSError: the program cannot be started (as :class:`subprocess.Popen`).
    """

    __slots__ = ("_deadline", "_max_output", "_process", "_timeout", "pid")

    def __init__(
        self,
        args: Sequence[str],
        *,
        timeout: float,
        max_output: int,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._timeout = timeout
        self._deadline = time.monotonic() + timeout
        self._max_output = max_output
        if sys.platform == "win32":
            extra = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        else:
            extra = {"start_new_session": True}
        self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            **extra,  # type: ignore[call-overload]
        )
        self.pid: int = self._process.pid
        """The child's process id (and, on POSIX, its process group's)."""

    def wait(self) -> Finished:
        """Read the output and wait for the exit, all before the deadline.

        Raises:
            ProcessTimeoutError: the deadline passed; the process group is killed.
            OutputTooLargeError: a stream went over ``max_output``; the group is killed.
            RuntimeError: called twice, or after :meth:`kill`.
        """
        process = self._process
        if process is None:
            raise RuntimeError("the process was already waited for or killed")
        try:
            if sys.platform == "win32":
                return self._wait_windows(process)
            return self._wait_posix(process)
        finally:
            self.kill()

    def kill(self) -> None:
        """Kill the process group if it runs, close the pipes, reap the child (idempotent)."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            self._kill_group(process)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):  # a child stuck in the kernel
            process.wait(timeout=_REAP_TIMEOUT)

    def __enter__(self) -> BoundedProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()

    @staticmethod
    def _kill_group(process: subprocess.Popen[bytes]) -> None:
        """Kill the child's process group (the child only, on Windows); never after reaping."""
        if sys.platform == "win32":
            process.kill()
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):  # all gone already
            os.killpg(process.pid, signal.SIGKILL)

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _wait_posix(self, process: subprocess.Popen[bytes]) -> Finished:
        assert process.stdout is not None  # noqa: S101 - piped above
        assert process.stderr is not None  # noqa: S101
        names = {process.stdout.fileno(): "stdout", process.stderr.fileno(): "stderr"}
        chunks: dict[int, list[bytes]] = {fd: [] for fd in names}
        sizes = dict.fromkeys(names, 0)
        exited = False
        with selectors.DefaultSelector() as selector:
            for fd in chunks:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                remaining = self._remaining()
                if remaining <= 0:
                    raise ProcessTimeoutError(self._timeout)
                # short slices: the child's own exit is checked between reads
                for key, _ in selector.select(min(remaining, 0.05)):
                    fd = int(key.fd)
                    data = os.read(fd, _READ)
                    if not data:
                        selector.unregister(fd)
                        continue
                    sizes[fd] += len(data)
                    if sizes[fd] > self._max_output:
                        raise OutputTooLargeError(names[fd], self._max_output)
                    chunks[fd].append(data)
                if not exited and _has_exited(process):
                    # its leftover children are not part of the answer and hold the pipes
                    exited = True
                    self._kill_group(process)
        try:
            returncode = process.wait(timeout=max(0.0, self._remaining()))
        except subprocess.TimeoutExpired:
            raise ProcessTimeoutError(self._timeout) from None
        return Finished(
            returncode,
            b"".join(chunks[process.stdout.fileno()]),
            b"".join(chunks[process.stderr.fileno()]),
        )

    def _wait_windows(self, process: subprocess.Popen[bytes]) -> Finished:  # pragma: no cover
        try:
            stdout, stderr = process.communicate(timeout=max(0.0, self._remaining()))
        except subprocess.TimeoutExpired:
            raise ProcessTimeoutError(self._timeout) from None
        for name, data in (("stdout", stdout), ("stderr", stderr)):
            if len(data) > self._max_output:
                raise OutputTooLargeError(name, self._max_output)
        return Finished(process.returncode, stdout, stderr)


def _has_exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the child has exited, without reaping it (so its group id stays its own)."""
    waitid = getattr(os, "waitid", None)
    if waitid is None:  # pragma: no cover - no waitid (some BSDs): never kill after exit
        return False
    try:
        return waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True

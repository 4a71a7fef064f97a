"""Run I/O-bound work on a few daemon threads, interruptibly.

``concurrent.futures.ThreadPoolExecutor`` waits for its running and queued
work when the caller is interrupted (its ``with`` block and the interpreter's
exit both join the workers), so Ctrl-C or SIGTERM during a slow download
would hang until the download ends. :func:`run_parallel` uses daemon threads
and returns (or raises) at once in the calling thread: an interrupted restore
rolls back immediately, and work still running is dropped at exit.
"""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["run_parallel"]

T = TypeVar("T")
R = TypeVar("R")
_POLL = 0.2


def run_parallel(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int,
) -> list[R | BaseException]:
    """Call ``function`` on every item, ``jobs`` at a time; keep the input order.

    Args:
        function: the work for one item.
        items: the items.
        jobs: how many threads (at most one per item).

    Returns:
        For each item, its result or the :class:`Exception` it raised.

    Raises:
        BaseException: whatever interrupts the calling thread (``KeyboardInterrupt``);
            the remaining items are not started.
    """
    total = len(items)
    results: list[R | BaseException | None] = [None] * total
    if total == 0:
        return []
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(total):
        todo.put(index)
    finished: queue.SimpleQueue[int] = queue.SimpleQueue()
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[index] = function(items[index])
            except Exception as exc:  # noqa: BLE001 - handed to the caller
                results[index] = exc
            finished.put(index)

    for _ in range(max(1, min(jobs, total))):
        threading.Thread(target=worker, name="envsnap-worker", daemon=True).start()
    count = 0
    try:
        while count < total:
            try:
                finished.get(timeout=_POLL)
            except queue.Empty:
                continue
            count += 1
    finally:
        stop.set()
    return cast("list[R | BaseException]", results)

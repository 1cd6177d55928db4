"""Run a generator one or more items ahead in a background thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Producer:
    """The background thread: runs ``items`` into a bounded queue until done, failed or stopped."""

    def __init__(self, items: Iterable[T], depth: int):
        self.items = items
        self.buffer: queue.Queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._work, name="read-ahead", daemon=True)

    def _put(self, item: object) -> bool:
        while not self.stop.is_set():
            try:
                self.buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        try:
            for item in self.items:
                if not self._put(item):
                    return
        except BaseException as exc:
            self._put(_Failure(exc))
            return
        self._put(_DONE)


def read_ahead(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` while a thread computes up to ``depth`` of the next ones.

    An exception in the producer is raised in the consumer at the item where it happened; when
    the consumer stops early (an exception, or ``close()``), the thread stops after its
    current item. Pays off when producing an item releases the GIL (NumPy, sklearn, Polars).
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    producer = _Producer(items, depth)
    producer.thread.start()
    try:
        while (item := producer.buffer.get()) is not _DONE:
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        producer.stop.set()
        producer.thread.join()


class _Failure:
    def __init__(self, exc: BaseException):
        self.exc = exc

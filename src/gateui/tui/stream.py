"""The hand-over between a run's thread and the UI: a bounded buffer with back-pressure.

A core generator (``RunSession.events()``) runs in a thread worker and puts every event here; the
UI takes them in chunks at its own pace. When the UI falls behind, ``put`` blocks, which stops the
worker reading pytest's pipe, which in turn makes pytest wait: a flood of results is slowed at its
source instead of piling up in memory. ``put`` tells the worker when the buffer was empty, so it
posts one wake-up message per burst rather than one per event.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_CAPACITY = 4096


class EventBuffer(Generic[T]):
    """A thread-safe FIFO with a capacity; ``close`` releases a blocked producer for good."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._items: deque[T] = deque()
        self._lock = threading.Lock()
        self._not_full = threading.Condition(self._lock)
        self._closed = False

    def put(self, item: T) -> bool:
        """Add ``item``, waiting while the buffer is full.

        Returns True when the buffer was empty before (the consumer needs waking). After
        ``close`` the item is dropped and False is returned: nobody is listening any more.
        """
        with self._not_full:
            while len(self._items) >= self.capacity and not self._closed:
                self._not_full.wait()
            if self._closed:
                return False
            was_empty = not self._items
            self._items.append(item)
            return was_empty

    def put_many(self, items: Iterable[T]) -> bool:
        """``put`` each item; True if any of them found the buffer empty."""
        woke = False
        for item in items:
            woke = self.put(item) or woke
        return woke

    def take(self, limit: int) -> list[T]:
        """Up to ``limit`` items, oldest first (never blocks)."""
        with self._not_full:
            count = min(limit, len(self._items))
            taken = [self._items.popleft() for _ in range(count)]
            if taken:
                self._not_full.notify_all()
            return taken

    def close(self) -> None:
        """Stop accepting items and wake a producer blocked in ``put``."""
        with self._not_full:
            self._closed = True
            self._items.clear()
            self._not_full.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

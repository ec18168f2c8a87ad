"""Waiting on a queue in the main thread without losing Ctrl-C.

The kernel hands a signal sent to the process (Ctrl-C, SIGTERM) to any of its threads. Python
runs the handler, which raises ``KeyboardInterrupt`` (or gateui's ``Terminated``), in the main
thread only, and only once that thread runs Python code again. A main thread blocked on a wait
without a timeout while the signal went to a worker thread never runs again: the command does
not stop. Seen in the gate, about once in twenty interrupts on a loaded machine. Waiting in short
slices lets the handler run within one slice.
"""

from __future__ import annotations

import queue
from typing import TypeVar

T = TypeVar("T")

WAKE_S = 0.1
"""How often a waiting thread wakes to let a pending signal's handler run."""


def next_item(source: queue.Queue[T] | queue.SimpleQueue[T]) -> T:
    """``source.get()``, waking every ``WAKE_S`` so that a signal is handled while it waits."""
    while True:
        try:
            return source.get(timeout=WAKE_S)
        except queue.Empty:
            continue

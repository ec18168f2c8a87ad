"""A check's jobs run at the same time, as on GitHub, where every job whose ``needs`` have ended
starts on a runner of its own.

Each job runs in a thread of its own (its steps one after another); their events come
back to the one generator the consumers read, job by job as they happen, each tagged with its
step's index as always. A job starts once every job it waits for (``GateStep.waits_for``) has
ended, when fewer than ``limit`` jobs run and no running job holds the same resource (a matrix
leg's environment: one environment points at one checkout at a time). Jobs start in definition
order among those ready.

Cancelling (or leaving the generator early: Ctrl-C, an error in a job, ``close()``) starts no
further job and waits for the running ones to end; ``stop`` must make their processes end.
The consumer waits for the jobs' events in short slices (``signal_safe_wait``): a Ctrl-C the
kernel hands to a job's thread still stops it.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Generator, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from gateui.core.common.signal_safe_wait import next_item

E = TypeVar("E")


def default_limit() -> int:
    """How many jobs run at once by default: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Job:
    name: str
    waits_for: frozenset[str] = field(default_factory=frozenset)
    """Jobs that must have ended before this one starts (names not among the jobs: none)."""
    resource: Hashable | None = None
    """Two jobs holding the same resource never run at the same time."""


@dataclass(frozen=True)
class _Event(Generic[E]):
    event: E


@dataclass(frozen=True)
class _Ended:
    job: str
    error: BaseException | None = None


class ConcurrentJobs(Generic[E]):
    """Runs ``jobs`` (``run(name)`` yields a job's events) with at most ``limit`` at a time."""

    def __init__(
        self,
        jobs: Sequence[Job],
        run: Callable[[str], Iterator[E]],
        limit: int,
        stop: Callable[[], None],
        stopped: Callable[[], bool],
    ) -> None:
        self._waiting = list(jobs)
        names = {job.name for job in jobs}
        self._needs = {job.name: job.waits_for & names for job in jobs}
        self._run = run
        self.limit = max(1, limit)
        self._stop = stop
        """Ends the running jobs' processes (a cancel)."""
        self._stopped = stopped
        """True once the run is cancelled: no further job starts."""
        self._queue: queue.SimpleQueue[_Event[E] | _Ended] = queue.SimpleQueue()
        self._running: dict[str, tuple[Job, threading.Thread]] = {}
        self._ended: set[str] = set()

    def events(self) -> Generator[E, None, None]:
        finished = False
        try:
            while True:
                self._start_ready()
                if not self._running:
                    break
                item = next_item(self._queue)
                if isinstance(item, _Event):
                    yield item.event
                    continue
                _, thread = self._running.pop(item.job)
                thread.join()
                self._ended.add(item.job)
                if item.error is not None:
                    raise item.error
            finished = True
        finally:
            if not finished:
                self._stop()
            self._wind_down()

    def _start_ready(self) -> None:
        if self._stopped():
            self._waiting.clear()
            return
        held = {job.resource for job, _ in self._running.values() if job.resource is not None}
        for job in list(self._waiting):
            if len(self._running) >= self.limit:
                break
            if not self._needs[job.name] <= self._ended:
                continue
            if job.resource is not None and job.resource in held:
                continue
            self._waiting.remove(job)
            if job.resource is not None:
                held.add(job.resource)
            thread = threading.Thread(
                target=self._work, args=(job.name,), name=f"gateui-job {job.name}", daemon=True
            )
            self._running[job.name] = (job, thread)
            thread.start()
        if not self._running and self._waiting:
            # Nothing can start by the rules (never so for jobs read from workflows): the first
            # waiting job runs, so that the run ends rather than waits for ever.
            self._needs[self._waiting[0].name] = frozenset()
            self._start_ready()

    def _work(self, name: str) -> None:
        error: BaseException | None = None
        try:
            for event in self._run(name):
                self._queue.put(_Event(event))
        except BaseException as exc:  # handed to the consumer's thread
            error = exc
        self._queue.put(_Ended(name, error))

    def _wind_down(self) -> None:
        """Wait for every running job to end (their events are dropped: the consumer left)."""
        self._waiting.clear()
        for _, thread in list(self._running.values()):
            thread.join()
        self._running.clear()

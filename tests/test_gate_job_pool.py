"""The scheduler of a gate's jobs (``_concurrent_jobs``) with real threads: which job starts
when, how many at once, what a job's error and an early close do. Each job here is a small
function that says when it starts and waits for the test's word to end, so that what runs at the
same time is decided by the scheduler alone, never by timing."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from gateui.core.gate._concurrent_jobs import ConcurrentJobs, Job

pytestmark = pytest.mark.unit

BOUND_S = 60.0
"""How long a job waits for the test's word before it gives up (a failure, never a pass)."""


class Jobs:
    """Jobs that announce ``(name, "started")``, wait for ``release(name)``, then end."""

    def __init__(self) -> None:
        self.may_end: dict[str, threading.Event] = {}
        self.stopped = threading.Event()
        self.fail: set[str] = set()

    def run(self, name: str) -> Iterator[tuple[str, str]]:
        event = self.may_end.setdefault(name, threading.Event())
        yield name, "started"
        if name in self.fail:
            raise RuntimeError(f"{name} broke")
        deadline = time.monotonic() + BOUND_S
        while not event.wait(0.05):
            if self.stopped.is_set():
                yield name, "stopped"
                return
            if time.monotonic() > deadline:
                yield name, "gave up waiting"
                return
        yield name, "ended"

    def release(self, name: str) -> None:
        self.may_end.setdefault(name, threading.Event()).set()

    def pool(self, jobs: list[Job], limit: int) -> ConcurrentJobs[tuple[str, str]]:
        return ConcurrentJobs(jobs, self.run, limit, self.stopped.set, self.stopped.is_set)


def test_at_most_limit_jobs_run_and_the_next_starts_when_one_ends() -> None:
    jobs = Jobs()
    events = jobs.pool([Job("a"), Job("b"), Job("c")], limit=2).events()
    started = {next(events), next(events)}
    assert started == {("a", "started"), ("b", "started")}
    jobs.release("b")
    seen = [next(events), next(events)]
    # c starts only once b has ended.
    assert seen == [("b", "ended"), ("c", "started")]
    jobs.release("a")
    jobs.release("c")
    assert sorted(events) == [("a", "ended"), ("c", "ended")]


def test_a_job_starts_after_the_jobs_it_waits_for() -> None:
    jobs = Jobs()
    layout = [Job("build"), Job("use", frozenset({"build"})), Job("lint")]
    events = jobs.pool(layout, limit=3).events()
    assert {next(events), next(events)} == {("build", "started"), ("lint", "started")}
    jobs.release("lint")
    assert next(events) == ("lint", "ended")
    jobs.release("build")
    assert [next(events), next(events)] == [("build", "ended"), ("use", "started")]
    jobs.release("use")
    assert list(events) == [("use", "ended")]


def test_jobs_holding_one_resource_never_run_together() -> None:
    jobs = Jobs()
    layout = [Job("leg-a", resource="env"), Job("leg-b", resource="env"), Job("other")]
    events = jobs.pool(layout, limit=3).events()
    assert {next(events), next(events)} == {("leg-a", "started"), ("other", "started")}
    jobs.release("leg-a")
    assert [next(events), next(events)] == [("leg-a", "ended"), ("leg-b", "started")]
    jobs.release("leg-b")
    jobs.release("other")
    assert sorted(events) == [("leg-b", "ended"), ("other", "ended")]


def test_waiting_for_a_job_that_is_not_there_waits_for_nothing() -> None:
    jobs = Jobs()
    jobs.release("only")
    events = jobs.pool([Job("only", frozenset({"left-out"}))], limit=1).events()
    assert list(events) == [("only", "started"), ("only", "ended")]


def test_a_jobs_error_stops_the_others_and_reaches_the_consumer() -> None:
    jobs = Jobs()
    jobs.fail.add("broken")
    events = jobs.pool([Job("long"), Job("broken")], limit=2).events()
    seen: list[tuple[str, str]] = []
    with pytest.raises(RuntimeError, match="broken broke"):
        for event in events:
            seen.append(event)
    assert jobs.stopped.is_set()
    assert ("long", "started") in seen


def test_leaving_early_stops_the_running_jobs_and_waits_for_them() -> None:
    jobs = Jobs()
    events = jobs.pool([Job("a"), Job("b"), Job("c")], limit=2).events()
    next(events)
    next(events)
    events.close()
    assert jobs.stopped.is_set()
    assert not [t for t in threading.enumerate() if t.name.startswith("gateui-job")]


# A job that sends Ctrl-C to its own thread: the kernel may hand a signal sent to the process to
# any thread, and Python runs the handler in the main thread only once that thread runs again.
_INTERRUPTED_IN_A_JOBS_THREAD = """
import signal, sys, threading, time
from gateui.core.gate._concurrent_jobs import ConcurrentJobs, Job

stopped = threading.Event()

def run(name):
    yield name
    time.sleep(0.2)  # the consumer is waiting for the next event by now
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)
    deadline = time.monotonic() + 60
    while not stopped.wait(0.05) and time.monotonic() < deadline:
        pass

try:
    for _ in ConcurrentJobs([Job("a")], run, 1, stopped.set, stopped.is_set).events():
        pass
except KeyboardInterrupt:
    sys.exit(130 if stopped.is_set() else 1)
sys.exit(0)
"""


def test_ctrl_c_handed_to_a_jobs_thread_still_stops_the_consumer() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_IN_A_JOBS_THREAD],
        capture_output=True,
        text=True,
        timeout=BOUND_S,
    )
    assert result.returncode == 130, result.stderr

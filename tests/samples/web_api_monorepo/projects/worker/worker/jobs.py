"""Run jobs with retries and exponential backoff. Sleeping is injected so the
runner can be tested without waiting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


def backoff_delays(retries: int, base: float = 0.5, cap: float = 30.0) -> list[float]:
    """Delays before each retry: base, 2*base, 4*base, ... capped at ``cap``."""
    return [min(cap, base * 2**attempt) for attempt in range(retries)]


@dataclass
class Job:
    name: str
    fn: Callable[[], object]
    max_retries: int = 3
    attempts: int = 0
    result: object = None
    error: str | None = None
    state: str = "pending"


@dataclass
class JobRunner:
    sleep: Callable[[float], None]
    slept: list[float] = field(default_factory=list)

    def run(self, job: Job) -> Job:
        delays = backoff_delays(job.max_retries)
        while True:
            job.attempts += 1
            try:
                job.result = job.fn()
            except Exception as exc:  # noqa: BLE001 - a job may raise anything
                job.error = f"{type(exc).__name__}: {exc}"
                if job.attempts > job.max_retries:
                    job.state = "failed"
                    return job
                delay = delays[job.attempts - 1]
                self.slept.append(delay)
                self.sleep(delay)
            else:
                job.error = None
                job.state = "succeeded"
                return job

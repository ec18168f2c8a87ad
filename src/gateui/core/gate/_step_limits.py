"""How long a gate step may run: its ``timeout-minutes``, what is left of its job's, or gateui's
own limit, whichever ends first; and the timer that stops it then. The messages are CI's own
words for a step and a job that ran out of time."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from gateui.core.gate.model import GateStep

DEFAULT_STEP_TIMEOUT_MINUTES = 30.0
"""How long a step may run when its workflow sets no ``timeout-minutes``."""
STEP_TIMEOUT_ENV = "GATEUI_STEP_TIMEOUT_MINUTES"
"""Overrides ``DEFAULT_STEP_TIMEOUT_MINUTES``."""


@dataclass(frozen=True)
class TimeLimit:
    seconds: float
    message: str
    """How CI reports a step stopped at this limit."""


def time_limit(step: GateStep, job_spent_s: float) -> TimeLimit:
    """The step's ``timeout-minutes``, what is left of its job's, or the gate-wide default:
    whichever ends first."""
    try:
        default = float(os.environ.get(STEP_TIMEOUT_ENV, DEFAULT_STEP_TIMEOUT_MINUTES))
    except ValueError:
        default = DEFAULT_STEP_TIMEOUT_MINUTES
    limits = [
        TimeLimit(
            default * 60,
            f"The action has timed out (gateui's limit for a step: {default:g} minutes;"
            f" {STEP_TIMEOUT_ENV} changes it).",
        )
    ]
    if step.timeout_minutes is not None:
        limits.append(
            TimeLimit(
                step.timeout_minutes * 60,
                f"The action has timed out (timeout-minutes: {step.timeout_minutes:g}).",
            )
        )
    if step.job_timeout_minutes is not None:
        job = step.job.split("#", 1)[-1]
        limits.append(
            TimeLimit(
                max(0.0, step.job_timeout_minutes * 60 - job_spent_s),
                f"The job running on runner {job} has exceeded the maximum execution time of"
                f" {step.job_timeout_minutes:g} minutes.",
            )
        )
    return min(limits, key=lambda limit: limit.seconds)


@contextlib.contextmanager
def stop_at(deadline: float, expire: Callable[[], None]) -> Iterator[None]:
    """Call ``expire`` (from a timer thread) if the block is still running at ``deadline``
    (``time.monotonic()``)."""
    timer = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()

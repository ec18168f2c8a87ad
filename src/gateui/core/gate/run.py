"""Running the gate's steps, job by job, as one stream of events.

Jobs run as on GitHub: each in its own fresh checkout with its own home (``_job_checkouts``),
only artifacts passing between them (``_artifacts``); a job starts once the jobs it needs have
ended, and jobs that wait for nothing (or for jobs that ended) run at the same time
(``_concurrent_jobs``). Steps of one job run one after another and behave as on the runner:
after a failing step the job's later steps are skipped unless their ``if:`` says ``always()``; a
job whose ``needs`` failed is skipped, and one whose ``if:`` reads how they ended
(``needs.<job>.result``) decides when it starts (``_step_outputs``). How one step runs is
``_step_runner``'s.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from gateui.core.common.owned_dirs import owned_tempdir
from gateui.core.gate._artifacts import ArtifactStore, HandOver
from gateui.core.gate._concurrent_jobs import ConcurrentJobs, Job, default_limit
from gateui.core.gate._job_checkouts import Checkout as Checkout
from gateui.core.gate._job_checkouts import JobCheckouts, NewCheckout
from gateui.core.gate._legs import LegEvent as LegEvent
from gateui.core.gate._legs import LegRuns, leg_runs
from gateui.core.gate._runner_env import JobState, MissingOutput
from gateui.core.gate._step_limits import time_limit
from gateui.core.gate._step_outputs import (
    FAILURE,
    JOB_SKIPPED,
    SUCCESS,
    decided,
    job_decision,
    matrix_result,
    skipped_by,
)
from gateui.core.gate._step_runner import ORDER_SEED_ENV as ORDER_SEED_ENV
from gateui.core.gate._step_runner import GateEvent as GateEvent
from gateui.core.gate._step_runner import StepEvent as StepEvent
from gateui.core.gate._step_runner import StepFinished as StepFinished
from gateui.core.gate._step_runner import StepRunner
from gateui.core.gate._step_runner import StepStarted as StepStarted
from gateui.core.gate.model import (
    ERROR,
    FAIL,
    NOT_REPRODUCED,
    SKIPPED,
    GateDefinition,
    GateStep,
    StepOutcome,
    StepResult,
    judge,
    not_run_result,
)
from gateui.core.running.process_group import CurrentProcess


class GateRun:
    """Runs a gate's steps; ``events()`` yields progress and fills ``results``.

    Jobs whose ``waits_for`` have ended run at the same time (``_concurrent_jobs``), at most
    ``concurrency`` of them; each job's steps run one after another in its own thread. The
    stream interleaves the running steps' events (each carries its step's index); ``results``
    is in step (definition) order however the jobs finish."""

    def __init__(
        self,
        definition: GateDefinition,
        checkout: Checkout,
        seed: int | None = None,
        *,
        new_checkout: NewCheckout,
    ) -> None:
        self.definition = definition
        self.checkout = checkout
        """The check's own worktree: its first job runs there."""
        self.new_checkout = new_checkout
        """Makes a fresh checkout of the same commit for each other job."""
        self.seed = seed
        """For orders gateui shuffles and the random-order plugins' (None: a fresh one)."""
        self.legs: LegRuns | None = None  # the matrix legs, once the run started
        self.hand_over = HandOver(ArtifactStore(Path(tempfile.gettempdir())))
        self.concurrency = definition.concurrent_jobs or default_limit()
        """How many jobs may run at the same time."""
        self._results: dict[int, StepResult] = {}
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._processes: dict[str, CurrentProcess] = {}
        """Each job's running process (one at a time within a job)."""
        self._failed_jobs: set[str] = set()
        self._job_outputs: dict[str, dict[str, str | None]] = {}
        """Each job's ``outputs:``, once it ended (for the jobs that need it)."""
        self._job_results: dict[str, str | None] = {}
        """How each job ended (``needs.<job>.result``; None: not known here), once it ended."""

    @property
    def results(self) -> list[StepResult]:
        """The steps' results so far, in step order."""
        return [self._results[index] for index in sorted(self._results)]

    def cancel(self) -> None:
        """Stop every running job's process (and all it started); no further step starts."""
        self._cancelled.set()
        with self._lock:
            running = list(self._processes.values())
        for current in running:
            current.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def processes_of(self, job: str) -> CurrentProcess:
        """Where ``job`` tracks its running process (cancelled at once after a cancel)."""
        with self._lock:
            current = self._processes.setdefault(job, CurrentProcess())
        if self.cancelled:
            current.cancel()
        return current

    def events(self) -> Generator[GateEvent, None, None]:
        legs = self.legs = leg_runs(self.definition, self.checkout, lambda: self.cancelled)
        by_job: dict[str, list[tuple[int, GateStep]]] = {}
        for index, step in enumerate(self.definition.steps):
            by_job.setdefault(step.job, []).append((index, step))
        with (
            owned_tempdir("gateui-steps-") as scratch_dir,
            contextlib.closing(legs),
            JobCheckouts(
                self.checkout, self.new_checkout, self.definition.steps, Path(scratch_dir)
            ) as places,
        ):
            self.hand_over = HandOver(ArtifactStore(Path(scratch_dir) / "artifacts"))
            jobs = [_job_spec(name, steps) for name, steps in by_job.items()]
            pool = ConcurrentJobs(
                jobs,
                lambda name: self._job(by_job[name], places, legs),
                self.concurrency,
                stop=self.cancel,
                stopped=lambda: self.cancelled,
            )
            yield from pool.events()

    def _job(
        self, steps: Sequence[tuple[int, GateStep]], places: JobCheckouts, legs: LegRuns
    ) -> Iterator[GateEvent]:
        """One job's steps, one after another, as the runner runs them (in the job's thread)."""
        reports: dict[str, StepOutcome] = {}
        state = JobState()
        first = steps[0][1]
        # The outputs and results of the jobs it needs: they ended before this job started.
        state.needs = {
            key: self._job_outputs[job] for key, job in first.needs_jobs if job in self._job_outputs
        }
        state.results = {
            key: matrix_result([self._job_results.get(job) for job in jobs])
            for key, jobs in first.needs_results
        }
        decision = job_decision(first, state)
        spent = 0.0
        failed_jobs = self._failed_jobs
        unknown = False
        for index, step in steps:
            if self.cancelled:
                return
            if decision is not None and (step.runs_locally or decision[0] == SKIPPED):
                skip: StepResult | None = decided(step, decision)
            else:
                skip = self._skip_reason(step, failed_jobs) or skipped_by(
                    step, {step.job: state}, failed_jobs
                )
            leg = None
            if skip is None and step.leg is not None:
                root = places.place_for(step).checkout.root
                yield from legs.events(index, step.leg, root)
                leg = legs.prepare(step.leg, root)
                if self.cancelled:
                    return  # its environment may have been cut short: no result for the step
                skip = leg.not_run_result(step)
            if skip is not None:
                result = skip
                self.hand_over.skipped(step, skip)
            else:
                yield StepStarted(index, step)
                outcome = StepOutcome()
                started = time.monotonic()
                limit = time_limit(step, spent)
                place = places.place_for(step)
                runner = StepRunner(self, step, index, place, state, limit)
                runner.leg_environment = leg.environment if leg else None
                yield from runner.run(outcome)
                outcome.duration_s = time.monotonic() - started
                spent += outcome.duration_s
                if self.cancelled:
                    return
                state.absorb(runner.files, step.step_id)
                result = judge(step, outcome, reports)
                if runner.timed_out:
                    result = replace(result, verdict=FAIL, reason=runner.timed_out)
                if step.writes_report:
                    reports[step.writes_report] = outcome
            places.step_done(index, step)
            if leg is not None:
                result.leg = leg.as_json()
            if result.verdict == FAIL:
                failed_jobs.add(step.job)
            unknown = unknown or result.verdict in (NOT_REPRODUCED, ERROR)
            self.hand_over.finished(step, result)
            self._results[index] = result
            yield StepFinished(index, result)
        skipped = (decision is not None and decision[0] == SKIPPED) or any(
            job in failed_jobs for job in first.needs
        )
        self._job_results[first.job] = _job_result(first.job in failed_jobs, skipped, unknown)
        outputs: dict[str, str | None] = {}
        for name, text in first.job_outputs:
            try:
                outputs[name] = state.with_outputs(text)
            except MissingOutput:
                outputs[name] = None  # from a step that did not run here: unknown
        self._job_outputs[first.job] = outputs

    def _skip_reason(self, step: GateStep, failed_jobs: set[str]) -> StepResult | None:
        if not step.runs_locally:
            return not_run_result(step)
        if step.job not in failed_jobs and (blocked := self.hand_over.blocked(step)):
            return blocked
        failed_needs = [n for n in step.needs if n in failed_jobs]
        if failed_needs:
            job = failed_needs[0].split("#", 1)[-1]
            return StepResult(step, SKIPPED, f"not run: the job it needs ({job}) failed")
        failed_before = step.job in failed_jobs
        if step.only_after_failure and not failed_before:
            return StepResult(step, SKIPPED, "not run: it runs only after a failure")
        if failed_before and not step.runs_after_failure:
            return StepResult(
                step, SKIPPED, "not run: an earlier step of its job failed (as on CI)"
            )
        return None


def _job_result(failed: bool, skipped: bool, unknown: bool) -> str | None:
    """How a job ended, as ``needs.<job>.result`` says it (None: a step was not reproduced,
    so how it ends on CI is not known here)."""
    if failed:
        return FAILURE
    if skipped:
        return JOB_SKIPPED
    return None if unknown else SUCCESS


def _job_spec(name: str, steps: Sequence[tuple[int, GateStep]]) -> Job:
    """When the job may start: after the jobs its steps wait for; never beside a running job of
    the same matrix-leg environment (a kept environment imports one checkout at a time)."""
    waits_for = frozenset(job for _, step in steps for job in step.waits_for)
    legs = [step.leg for _, step in steps if step.leg is not None and step.runs_locally]
    resource = (legs[0].python, legs[0].installs) if legs else None
    return Job(name, waits_for, resource)

"""Expressions that read earlier steps' outputs (``steps.<id>.outputs.<name>``, ``outcome``).

An ``if:`` that reads them cannot be decided when the gate is read from the workflow; it is kept
on the step and decided when the step's turn comes, from what the job's earlier steps wrote to
``$GITHUB_OUTPUT`` (as the runner does). Commands and ``env`` values get theirs filled in by
``JobState.with_outputs``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from gateui.core.gate._expressions import (
    Contexts,
    JobStatus,
    Unresolvable,
    condition,
)
from gateui.core.gate._runner_env import JobState
from gateui.core.gate.model import SKIPPED, GateStep, StepResult


def reads_step_outputs(problem: Unresolvable) -> bool:
    """Whether an unresolvable expression is one the run can answer (it reads ``steps.*``)."""
    return problem.what.startswith("steps.")


def reads_other_jobs(problem: Unresolvable) -> bool:
    """Whether an unresolvable expression reads another job's results (``needs.<job>.outputs``,
    ``needs.<job>.result``): an ``if:`` is decided before the jobs run, so whatever decides on
    them is not reproduced here — never guessed (commands and ``env`` get ``needs.<job>.outputs``
    filled in at their turn: ``_job_outputs``)."""
    return problem.what.startswith("needs.")


NEEDS_REMEDY = (
    "decide it from something the gate knows (steps.<id>.outputs within the job, github.*"
    " or matrix values), or check it on CI"
)


def _contexts(outputs: Mapping[str, Mapping[str, str]]) -> Contexts:
    steps = {name: {"outputs": dict(values)} for name, values in outputs.items()}
    return Contexts({"steps": steps})


def skipped_by(
    step: GateStep, jobs: Mapping[str, JobState], failed_jobs: Collection[str]
) -> StepResult | None:
    """A step whose ``if:`` reads ``steps.*`` and does not let it run: skipped, with why."""
    if not step.condition:
        return None
    job = jobs.get(step.job)
    outputs = job.outputs if job is not None else {}
    try:
        status = JobStatus(failed=step.job in failed_jobs)
        if condition(step.condition, _contexts(outputs), status):
            return None
        why = f"not run: its if: ({step.condition}) is false"
    except Unresolvable as exc:
        why = f"not run: its if: ({step.condition}) needs {exc.what}"
    return StepResult(step, SKIPPED, why)

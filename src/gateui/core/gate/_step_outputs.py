"""Expressions that read earlier steps' outputs (``steps.<id>.outputs.<name>``) or the jobs a
job needs (``needs.<job>.result``, ``needs.<job>.outputs.<name>``).

An ``if:`` that reads them cannot be decided when the gate is read from the workflow; it is kept
on the step (or, for a job's ``if:``, on each of its steps) and decided when the step's (the
job's) turn comes, from what the job's earlier steps wrote to ``$GITHUB_OUTPUT`` and how the
jobs it needs ended here, as the runner does. What is not known here (a needed job with a step
that was not reproduced) is never guessed: the step is not reproduced. Commands and ``env``
values get theirs filled in by ``JobState.with_outputs``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from gateui.core.gate._expressions import (
    Contexts,
    JobStatus,
    StrictMapping,
    Unresolvable,
    condition,
)
from gateui.core.gate._runner_env import JobState
from gateui.core.gate.model import NOT_REPRODUCED, SKIPPED, GateStep, StepOutcome, StepResult

SUCCESS, FAILURE, JOB_SKIPPED = "success", "failure", "skipped"
"""How a job ends, as ``needs.<job>.result`` says it."""


def reads_step_outputs(problem: Unresolvable) -> bool:
    """Whether an unresolvable expression is one the run can answer (it reads ``steps.*``)."""
    return problem.what.startswith("steps.")


def reads_other_jobs(problem: Unresolvable) -> bool:
    """Whether an unresolvable expression reads another job's results (``needs.<job>.outputs``,
    ``needs.<job>.result``): the run answers it when the job that reads them starts."""
    return problem.what.startswith("needs.")


def _named(problem: Unresolvable) -> str:
    """What an unresolvable expression read (``needs.build.result``), without the why."""
    return problem.what.split(" is only known", 1)[0]


NEEDS_REMEDY = (
    "decide it from something the gate knows (steps.<id>.outputs within the job, github.*"
    " or matrix values), or check it on CI"
)


def _contexts(state: JobState) -> Contexts:
    steps = {name: {"outputs": dict(values)} for name, values in state.outputs.items()}
    return Contexts({"steps": steps, "needs": needs_context(state)})


def needs_context(state: JobState) -> dict[str, StrictMapping]:
    """``needs``: for each job needed, its ``result`` and ``outputs`` where they are known here
    (reading one that is not is unresolvable, never null)."""
    context: dict[str, StrictMapping] = {}
    for key in {*state.results, *state.needs}:
        known: dict[str, object] = {}
        result = state.results.get(key)
        if result is not None:
            known["result"] = result
        outputs = {k: v for k, v in state.needs.get(key, {}).items() if v is not None}
        known["outputs"] = StrictMapping(f"needs.{key}.outputs", outputs)
        context[key] = StrictMapping(f"needs.{key}", known)
    return context


def matrix_result(results: Collection[str | None]) -> str | None:
    """How a workflow job ended from how the gate's jobs it became ended (each matrix leg): as
    GitHub sums them up, a failed leg fails it; None where that hangs on a leg not known here."""
    if FAILURE in results:
        return FAILURE
    if None in results:
        return None
    if results and all(result == JOB_SKIPPED for result in results):
        return JOB_SKIPPED
    return SUCCESS if results else JOB_SKIPPED


def job_decision(step: GateStep, state: JobState) -> tuple[str, str] | None:
    """For a job whose ``if:`` reads the jobs it needs: None when it runs, else the verdict and
    reason of each of its steps (skipped, or not reproduced where that hangs on what is not
    known here)."""
    text = step.job_condition
    if text is None:
        return None
    results = state.results
    status = JobStatus(
        failed=FAILURE in results.values(),
        succeeded=all(result == SUCCESS for result in results.values() if result is not None),
        unknown=", ".join(f"needs.{key}.result" for key, r in results.items() if r is None),
    )
    try:
        if condition(text, _contexts(state), status):
            return None
    except Unresolvable as exc:
        why = (
            f"whether its job runs (if: {text}) depends on {_named(exc)}, not known here (a"
            " step of a job it needs was not reproduced)"
        )
        return NOT_REPRODUCED, why
    return SKIPPED, f"not run: its job's if: ({text}) is false"


def decided(step: GateStep, decision: tuple[str, str]) -> StepResult:
    """The result of a step of a job that ``job_decision`` did not let run."""
    verdict, why = decision
    if verdict != NOT_REPRODUCED:
        return StepResult(step, verdict, why)
    return _not_known(step, why)


def _not_known(step: GateStep, why: str) -> StepResult:
    outcome = StepOutcome(not_reproduced=why, remedy=NEEDS_REMEDY)
    return StepResult(step, NOT_REPRODUCED, f"{why}; {NEEDS_REMEDY}", outcome=outcome)


def skipped_by(
    step: GateStep, jobs: Mapping[str, JobState], failed_jobs: Collection[str]
) -> StepResult | None:
    """A step whose ``if:`` reads ``steps.*`` or ``needs.*`` and does not let it run: skipped,
    with why (not reproduced where it reads how a needed job ended and that is not known)."""
    if not step.condition:
        return None
    job = jobs.get(step.job)
    state = job if job is not None else JobState()
    try:
        status = JobStatus(failed=step.job in failed_jobs)
        if condition(step.condition, _contexts(state), status):
            return None
        why = f"not run: its if: ({step.condition}) is false"
    except Unresolvable as exc:
        if reads_other_jobs(exc):
            why = (
                f"whether it runs (if: {step.condition}) depends on {_named(exc)}, not known"
                " here (a step of that job was not reproduced)"
            )
            return _not_known(step, why)
        why = f"not run: its if: ({step.condition}) needs {exc.what}"
    return StepResult(step, SKIPPED, why)

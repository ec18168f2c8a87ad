"""Job outputs (``jobs.<id>.outputs``) carried to the jobs that need them.

On GitHub a job's ``outputs:`` map names to values, usually its steps' outputs
(``${{ steps.v.outputs.version }}``); a job that ``needs`` it reads them as
``${{ needs.<job>.outputs.<name> }}``. Here a job's outputs are evaluated when it ends, from what
its steps wrote to ``$GITHUB_OUTPUT``, and handed to the jobs that need it, which start only
after it: their commands and ``env`` values get them filled in at their turn
(``JobState.with_outputs``); an ``if:`` that reads them is decided at the step's (or the
job's) turn (``_step_outputs``). Not carried, and so not reproduced where used: a matrix job's
outputs (on GitHub, whichever leg wrote last), a called workflow's, and an output whose value
cannot be known here.

When a job waits for the jobs it needs, and whether it is skipped when one failed, are here too
(``waiting``, ``runs_after_failed_needs``). How a needed job ended (``needs.<job>.result``) is
known once it has ended: each step of a job that reads it carries the gate's jobs that job
became (``with_needs_results``), and the run sums them up as GitHub does (a matrix job failed
when a leg failed).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import replace

from gateui.core.gate._expressions import Contexts, JobStatus, Unresolvable, condition
from gateui.core.gate._uses_steps import substitute_keeping_outputs
from gateui.core.gate.model import GateStep
from gateui.core.gate.workflows import Job


def carry_outputs(
    job: Job, steps: list[GateStep], made: Mapping[str, Set[str]], contexts: Contexts
) -> list[GateStep]:
    """``job``'s steps, knowing the job's outputs and where the jobs it needs run here
    (``made``: each earlier workflow job's key, the gate's jobs it became)."""
    if job.uses:
        return steps  # a called workflow hands on its own outputs (on.workflow_call.outputs)
    outputs: list[tuple[str, str]] = []
    if len({step.job for step in steps}) == 1:
        for name, value in job.outputs.items():
            try:
                outputs.append((str(name), substitute_keeping_outputs(str(value), contexts)))
            except Unresolvable:
                continue  # unknown here: a job that reads it is not reproduced
    needs_jobs = [(key, next(iter(made[key]))) for key in job.needs if len(made.get(key, ())) == 1]
    if not outputs and not needs_jobs:
        return steps
    return [
        replace(step, job_outputs=tuple(outputs), needs_jobs=tuple(needs_jobs)) for step in steps
    ]


def with_needs_results(
    job: Job, steps: list[GateStep], made: Mapping[str, Set[str]]
) -> list[GateStep]:
    """``job``'s steps, each knowing the gate's jobs behind every job it needs, where the job
    reads how they ended (an ``if:``, a command or ``env`` naming ``needs.``): only there, so
    that other steps stay equal to their twins in other workflows (``infer._dedupe``)."""
    if job.uses or not job.needs or not any(_reads_needs(step) for step in steps):
        return steps
    results = tuple((key, tuple(sorted(made.get(key, ())))) for key in job.needs)
    return [replace(step, needs_results=results) for step in steps]


def _reads_needs(step: GateStep) -> bool:
    texts = [step.job_condition or "", step.condition or "", step.command]
    texts += [value for _, value in step.env]
    return any("needs." in text for text in texts)


def waiting(step: GateStep, jobs: set[str], skipped_on_failure: bool) -> GateStep:
    """``step``, waiting for ``jobs`` (the gate's jobs its workflow job needs: each matrix leg,
    each job of a called workflow) to end too, and, unless its job runs after a failure
    (``if: always()``), skipped when one of them failed."""
    needs = set(step.needs) | jobs if skipped_on_failure else set(step.needs)
    waits_for = jobs | set(step.waits_for)
    return replace(step, waits_for=tuple(sorted(waits_for)), needs=tuple(sorted(needs)))


def runs_after_failed_needs(job: Job, contexts: Contexts) -> bool:
    """``if: always()`` (or ``failure()``) on a job: it runs even when a job it needs failed."""
    if job.condition is None:
        return False
    try:
        return condition(job.condition, contexts, JobStatus(failed=True))
    except Unresolvable:
        return False

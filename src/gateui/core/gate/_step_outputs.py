"""Expressions that read earlier steps' outputs (``steps.<id>.outputs.<name>``, ``outcome``).

They cannot be known when the gate is read from the workflow; they are left as written then and
evaluated when the step's turn comes, from what the job's earlier steps wrote to
``$GITHUB_OUTPUT`` (as the runner does).
"""

from __future__ import annotations

from collections.abc import Mapping

from gateui.core.common.errors import GateuiError
from gateui.core.gate._expressions import (
    Contexts,
    JobStatus,
    Unresolvable,
    condition,
    substitute,
)


def reads_step_outputs(problem: Unresolvable) -> bool:
    """Whether an unresolvable expression is one the run can answer (it reads ``steps.*``)."""
    return problem.what.startswith("steps.")


def _contexts(outputs: Mapping[str, Mapping[str, str]]) -> Contexts:
    steps = {name: {"outputs": dict(values)} for name, values in outputs.items()}
    return Contexts({"steps": steps})


def resolve(text: str, outputs: Mapping[str, Mapping[str, str]]) -> str:
    """``text`` with its ``steps.*`` expressions replaced (an unknown output is empty, as on
    GitHub); an expression that also reads something only CI knows cannot run here."""
    try:
        return substitute(text, _contexts(outputs))
    except Unresolvable as exc:
        raise GateuiError(f"the command uses {exc.what}") from exc


def skipped_by(
    text: str, outputs: Mapping[str, Mapping[str, str]], failed_before: bool
) -> str | None:
    """Why an ``if:`` reading ``steps.*`` keeps the step from running (None: it runs)."""
    try:
        runs = condition(text, _contexts(outputs), JobStatus(failed=failed_before))
    except Unresolvable as exc:
        return f"not run: its if: ({text}) needs {exc.what}"
    return None if runs else f"not run: its if: ({text}) is false"

"""Gate steps made from what a workflow step names rather than runs: the artifact actions gateui
performs itself between jobs, and the text of ``run:`` and ``env:`` with the expressions known
here substituted, ``${{ steps.<id>.outputs.<name> }}`` left for the run to fill in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateui.core.gate._expressions import Contexts, Unresolvable, substitute
from gateui.core.gate._runner_env import KEPT_OUTPUT
from gateui.core.gate.model import UNREPRODUCED, GateStep
from gateui.core.gate.workflows import Step


def artifact_step(
    name: str,
    step: Step,
    origin: str,
    kind: str,
    contexts: Contexts,
    blocker: tuple[str, str] | None,
    common: Mapping[str, Any],
) -> GateStep:
    """An upload or download of artifacts, which gateui performs itself between jobs."""
    uses = step.uses or ""
    why = ""
    inputs: list[tuple[str, str]] = []
    for key, value in step.with_.items():
        text = value if isinstance(value, str) else scalar_text(value)
        try:
            inputs.append((str(key), substitute(text, contexts)))
        except Unresolvable as exc:
            why = f"its input {key} needs {exc.what}, known only on the CI runner"
    if blocker and not why:
        why = blocker[0]
    return GateStep(
        name=name,
        command=uses,
        cwd=".",
        origin=origin,
        kind=kind,
        runs_locally=not why,
        why_not=why,
        left_out=UNREPRODUCED if why else "",
        action_inputs=tuple(inputs),
        **common,
    )


def substitute_keeping_outputs(text: str, contexts: Contexts) -> str:
    """``substitute``, leaving ``${{ steps.<id>.outputs.<name> }}`` and
    ``${{ needs.<job>.outputs.<name> }}`` as written: the run fills them in from what those
    steps wrote to ``$GITHUB_OUTPUT``, and from the outputs of the jobs needed."""
    pieces: list[str] = []
    last = 0
    for match in KEPT_OUTPUT.finditer(text):
        pieces += [substitute(text[last : match.start()], contexts), match.group(0)]
        last = match.end()
    return "".join([*pieces, substitute(text[last:], contexts)])


def scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

"""Local composite actions (``uses: ./.github/actions/setup``): their steps, run as the job's.

Many repositories put what every job does first (set up Python, install the project, start a
helper) in an action of their own, ``runs.using: composite``, and call it from each job. On the
runner its steps run in the job, one after another, with its ``inputs`` filled in: so they do
here. Each step is read from the ``action.yml`` at the checked commit and becomes a step of the
job ("<calling step> / <its step>"), judged like any other: installs are environment setup,
checks run. What is not reproduced is named: an action that is not composite (JavaScript,
Docker: it runs only on GitHub), an ``inputs`` expression that needs the runner. An
``action.yml`` missing from the commit fails the job on GitHub ("Can't find 'action.yml'"), and
the gate's verdict with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import yaml

from gateui.core.gate._expressions import (
    STATUS_FUNCTIONS,
    Contexts,
    StrictMapping,
    Unresolvable,
    evaluate,
    mentions_status,
    to_text,
    truthy,
)
from gateui.core.gate.model import INVALID, UNREPRODUCED
from gateui.core.gate.workflows import Step, parse_action, step_from

_MAX_DEPTH = 4
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


@dataclass(frozen=True)
class Unexpanded:
    """A local action step the gate cannot run as steps: why, and how the verdict takes it."""

    step: Step
    why: str
    left_out: str


def with_local_actions(
    steps: Sequence[Step],
    read_text: Callable[[str], str | None],
    resolve: Callable[[str], str],
    depth: int = 0,
) -> Iterator[Step | Unexpanded]:
    """``steps`` with every local composite action's step replaced by its own steps
    (``resolve`` fills a ``with:`` value's expressions in the job; raises ``Unresolvable``)."""
    for step in steps:
        if not (step.uses or "").startswith("./"):
            yield step
            continue
        found = _action_steps(step, read_text, resolve)
        if isinstance(found, Unexpanded) or depth >= _MAX_DEPTH:
            yield (
                found
                if isinstance(found, Unexpanded)
                else Unexpanded(step, "local actions nested too deep", UNREPRODUCED)
            )
            continue
        yield from with_local_actions(found, read_text, resolve, depth + 1)


def _action_steps(
    step: Step, read_text: Callable[[str], str | None], resolve: Callable[[str], str]
) -> list[Step] | Unexpanded:
    uses = step.uses or ""
    folder = uses[2:].split("@", 1)[0].strip("/")
    text = read_text(f"{folder}/action.yml") or read_text(f"{folder}/action.yaml")
    if text is None:
        why = f"the local action {uses} has no action.yml in the commit (GitHub fails the job)"
        return Unexpanded(step, why, INVALID)
    try:
        data = parse_action(text)
    except yaml.YAMLError as exc:
        return Unexpanded(step, f"{folder}/action.yml is not valid YAML ({exc})", INVALID)
    runs = data.get("runs") if isinstance(data, Mapping) else None
    using = str(runs.get("using", "")) if isinstance(runs, Mapping) else ""
    if using != "composite" or not isinstance(runs, Mapping):
        kind = f"a {using} action" if using else "an action"
        why = f"the local action {uses} is {kind}: it runs only on GitHub"
        return Unexpanded(step, why, UNREPRODUCED)
    try:
        inputs = _inputs(data.get("inputs"), step.with_, resolve)
    except Unresolvable as exc:
        why = f"its input needs {exc.what}"
        return Unexpanded(step, f"the local action {uses}: {why}", UNREPRODUCED)
    contexts = Contexts(
        {"inputs": inputs, "github": StrictMapping("github", {"action_path": folder})}
    )
    caller = step.display_name
    found: list[Step] = []
    for index, raw in enumerate(runs.get("steps") or []):
        try:
            inner = step_from(index, _filled(raw, contexts))
        except Unresolvable as exc:
            why = f"its step {index + 1} needs {exc.what}"
            return Unexpanded(step, f"the local action {uses}: {why}", UNREPRODUCED)
        found.append(
            replace(
                inner,
                name=f"{caller} / {inner.display_name}",
                index=step.index,
                line=step.line,
                # Its steps stop the job as the calling step would.
                continue_on_error=inner.continue_on_error or step.continue_on_error,
                condition=_both(step.condition, inner.condition),
            )
        )
    return found


def _inputs(
    declared: Any, given: Mapping[str, Any], resolve: Callable[[str], str]
) -> dict[str, str]:
    """The action's inputs: what the calling step gives (its expressions filled in), else the
    declared default."""
    values: dict[str, str] = {}
    for name, spec in (declared or {}).items() if isinstance(declared, Mapping) else ():
        default = spec.get("default") if isinstance(spec, Mapping) else None
        values[str(name)] = "" if default is None else str(default)
    for name, value in given.items():
        values[str(name)] = resolve(to_text(value))
    return values


def _filled(raw: Any, contexts: Contexts) -> Any:
    """A step's YAML with the expressions that read ``inputs`` or the action's path filled in
    (the others stay for the job's run to fill)."""
    if isinstance(raw, str):
        return _EXPRESSION.sub(lambda m: _fill(m, contexts), raw)
    if isinstance(raw, Mapping):
        filled = {key: _filled(value, contexts) for key, value in raw.items()}
        condition = filled.get("if")
        if isinstance(condition, str) and "${{" not in condition and "inputs." in condition:
            if any(mentions_status(condition, f) for f in STATUS_FUNCTIONS):
                raise Unresolvable(f"its if: ({condition}) mixes inputs and the job's status")
            filled["if"] = truthy(evaluate(condition, contexts))
        return filled
    if isinstance(raw, list):
        return [_filled(item, contexts) for item in raw]
    return raw


def _fill(match: re.Match[str], contexts: Contexts) -> str:
    expression = match.group(1)
    if "inputs." not in expression and "github.action_path" not in expression:
        return match.group(0)
    return to_text(evaluate(expression, contexts))


def _both(outer: str | bool | None, inner: str | bool | None) -> str | bool | None:
    """A step of the action runs when the calling step would, and its own ``if:`` agrees."""
    if outer is None:
        return inner
    if inner is None:
        return outer
    return f"({_bare(outer)}) && ({_bare(inner)})"


def _bare(condition: str | bool) -> str:
    if isinstance(condition, bool):
        return "true" if condition else "false"
    text = condition.strip()
    return text[3:-2].strip() if text.startswith("${{") and text.endswith("}}") else text

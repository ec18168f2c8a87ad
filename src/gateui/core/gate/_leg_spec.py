"""A CI job's matrix leg, read off the workflow: the Python ``actions/setup-python`` sets up for
it, and the job's own install commands (``pip install -r …``, ``python -m pip install -e
'.[test]'``…), which build the leg's environment here as they build the runner's.

Only pip's installs are replayed (``pip``, ``python -m pip``, ``uv pip`` into the environment):
they work the same in any virtualenv. Other setup (``apt-get``, ``poetry install``, ``uv
sync``…) is named as not replayed; a job whose setup has no pip install has no leg here and runs
with the project's environment, as before.

Reading text only; nothing is executed here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from gateui.core.commands.classify import simple_commands
from gateui.core.commands.roles import NEUTRAL, SETUP, FileReader, command_role, script_commands
from gateui.core.gate._expressions import (
    Contexts,
    JobStatus,
    Unresolvable,
    condition,
    has_expression,
    substitute,
)
from gateui.core.gate._uses_steps import scalar_text
from gateui.core.gate.model import GateStep, Leg
from gateui.core.gate.workflows import Job, Step

_PIP_INSTALLS = ("pip install", "python -m pip install")
SETUP_PYTHON = "actions/setup-python"


def setup_python_version(
    job: Job, contexts: Contexts, read: Callable[[str], str | None]
) -> str | None:
    """The Python version ``actions/setup-python`` sets up in this job (None: no such step, or
    a version known only on the runner)."""
    for step in job.steps:
        if not step.uses or step.uses.split("@", 1)[0] != SETUP_PYTHON:
            continue
        raw = step.with_.get("python-version")
        try:
            if raw is not None:
                text = substitute(str(raw), contexts).strip()
            else:
                file = step.with_.get("python-version-file")
                text = (read(substitute(str(file), contexts)) or "") if file else ""
        except Unresolvable:
            return None
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        # Several versions on separate lines: the last one is the default `python`.
        return lines[-1].strip("'\"") if lines else None
    return None


def is_replayable(words: list[str]) -> bool:
    """A simple command the leg's environment can replay: pip installing into it (or nothing)."""
    role = command_role(words)
    if role.kind == NEUTRAL:
        return True
    if role.kind != SETUP:
        return False
    if role.detail in _PIP_INSTALLS:
        return "--user" not in words and "--target" not in words
    if role.detail == "uv pip":
        return "install" in words and "--system" not in words
    return False


def install_lines(script: str, read: FileReader | None) -> tuple[list[str], list[str]]:
    """The install lines of a script: (replayable in the leg's environment, not replayable)."""
    replay: list[str] = []
    other: list[str] = []
    for command in script_commands(script, read):
        if command.role.kind != SETUP:
            continue
        text = " ".join(line.strip().rstrip("\\") for line in command.lines).strip()
        if all(is_replayable(words) for words in simple_commands(text)):
            replay.append(text)
        else:
            other.append(text)
    return replay, other


def job_leg(
    job: Job,
    contexts: Contexts,
    label: str,
    job_env: Mapping[str, str],
    resolve_env: Callable[..., tuple[dict[str, str], list[str]]],
    working_directory: Callable[[Step, Contexts], str],
    reader_for: Callable[[str], FileReader],
    read: Callable[[str], str | None],
) -> Leg | None:
    """The leg this job (one matrix combination of it, ``contexts`` holding its values) is:
    None when it sets up no Python version, or installs nothing with pip."""
    python = setup_python_version(job, contexts, read)
    if python is None:
        return None
    installs: list[tuple[str, str]] = []
    not_replayed: list[str] = []
    for step in job.steps:
        if step.run is None:
            continue
        env, _ = resolve_env([job_env, step.env], contexts, dict(job_env))
        step_contexts = contexts.with_values(env=env)
        if not _may_run(step, step_contexts):
            continue
        try:
            text = substitute(step.run, step_contexts)
        except Unresolvable:
            continue
        cwd = working_directory(step, step_contexts)
        replay, other = install_lines(text, reader_for(cwd))
        installs.extend((cwd, line) for line in replay)
        not_replayed.extend(other)
    if not installs:
        return None
    return Leg(
        python=python,
        label=label or f"Python {python}",
        installs=tuple(installs),
        not_replayed=tuple(not_replayed),
    )


def leg_key(step: GateStep) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """What makes a step's leg environment: the same command in another one is another run."""
    return (step.leg.python, step.leg.installs) if step.leg is not None else None


def _may_run(step: Step, contexts: Contexts) -> bool:
    if step.condition is None:
        return True
    try:
        return bool(condition(step.condition, contexts, JobStatus(failed=False)))
    except Unresolvable:
        return True


def in_leg(step: GateStep, leg: Leg) -> GateStep:
    """A step of a leg: it runs in the leg's environment, where the install lines of its own
    script are installed too (instead of not run)."""
    notes = tuple(
        note.replace("not run here: ", "installed in the leg's environment instead: ", 1)
        if note.startswith("not run here: ")
        else note
        for note in step.notes
    )
    if leg.not_replayed:
        notes += ("the leg's environment does not replay: " + "; ".join(leg.not_replayed),)
    return replace(step, leg=leg, notes=notes)


def combo_label(combo: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={scalar_text(v)}" for k, v in combo.items())


def merge_combos(per_combo: list[list[GateStep]], combos: list[dict[str, Any]]) -> list[GateStep]:
    """One set of steps when every matrix combination runs the same commands here."""
    if len(per_combo) == 1:
        return per_combo[0]
    first = per_combo[0]

    def shape(steps: list[GateStep]) -> list[tuple[Any, ...]]:
        return [(s.kind, s.command, s.cwd, s.env, s.runs_locally, leg_key(s)) for s in steps]

    labels = [combo_label(c) for c in combos]
    if all(shape(steps) == shape(first) for steps in per_combo[1:]):
        leg = next((s.leg for s in first if s.leg is not None), None)
        here = f"on Python {leg.python}" if leg else "with the project's interpreter"
        note = (
            f"CI runs this for {len(combos)} matrix combinations ({'; '.join(labels)});"
            f" here once, {here}"
        )
        return [replace(s, notes=(*s.notes, note)) if s.runs_locally else s for s in first]
    merged: list[GateStep] = []
    for steps, label, combo in zip(per_combo, labels, combos, strict=True):
        for step in steps:
            merged.append(
                replace(
                    step,
                    name=f"{_leg_name(step.name, combo)} ({label})",
                    job=f"{step.job} ({label})",
                    origin=f"{step.origin} ({label})",
                )
            )
    return merged


def _leg_name(name: str, combo: Mapping[str, Any]) -> str:
    """A step's name in one matrix leg, as GitHub shows it there: ``Set up Python ${{
    matrix.python }}`` is "Set up Python 3.12"; a name reading anything else stays as written."""
    if not has_expression(name):
        return name
    try:
        return substitute(name, Contexts({"matrix": dict(combo)}))
    except Unresolvable:
        return name

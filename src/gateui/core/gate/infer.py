"""Which steps make up the PR gate: declared in ``[tool.gateui.gate]``, or read off CI workflows.

Inference keeps the jobs that run on ``pull_request`` / ``pull_request_target`` (their ``branches``
and ``paths`` filters checked against the change), follows local reusable workflows, resolves each
step's working directory (step, then job defaults, then workflow defaults), substitutes
``${{ matrix.* }}`` / ``${{ env.* }}`` / ``${{ inputs.* }}`` where a local run can know them, and
runs every step except environment setup, publishing and steps that need secrets (recognised by
what they do: ``gateui.core.commands.roles``). What needs the CI runner (service containers,
another OS, an action that is not setup) is listed as not reproduced here; a workflow file GitHub
rejects is a failing step naming its file and line.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from gateui.core.commands.classify import (
    classify_line,
    needs_shell,
)
from gateui.core.commands.words import (
    split_words,
)
from gateui.core.gate._declared import GateConfig, parse_gate_config
from gateui.core.gate._workflow_steps import WorkflowSteps
from gateui.core.gate.model import (
    DEFAULT_SHELL,
    INVALID,
    KIND_MARKER_CHECK,
    KIND_NOT_RUN,
    KIND_PYTEST,
    KIND_RANDOM_ORDER,
    KIND_SHELL,
    KIND_SUITE,
    GateDefinition,
    GateStep,
    Thresholds,
)
from gateui.core.gate.sources import FileSource
from gateui.core.gate.workflows import (
    WorkflowError,
    load_workflows,
    pr_trigger_decision,
)


def load_gate(
    source: FileSource,
    display_root: Path,
    default_base: str,
    changed: Sequence[str] | None,
    base_override: str | None = None,
) -> GateDefinition:
    """The gate of the files in ``source``: declared if ``[tool.gateui.gate]`` has steps, else
    inferred from ``.github/workflows``."""
    config = parse_gate_config(source.read_text("pyproject.toml"), display_root / "pyproject.toml")
    base = base_override or config.base or default_base
    if config.steps is not None:
        return declared_gate(config, base)
    return infer_gate(source, base, changed, config)


def check_gate_config(repo_root: Path) -> None:
    """Raise ``ConfigError`` (file and line) when the work tree's ``[tool.gateui.gate]`` cannot
    be used: every command that reads the configuration refuses it the same way."""
    pyproject = repo_root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else None
    parse_gate_config(text, pyproject)


# -- declared -------------------------------------------------------------------------------
def declared_gate(config: GateConfig, base: str) -> GateDefinition:
    steps: list[GateStep] = []
    for declared in config.steps or ():
        origin = f"pyproject.toml:{declared.line}" if declared.line else "pyproject.toml"
        origin += f", tool.gateui.gate, {declared.name}"
        common: dict[str, Any] = {
            "name": declared.name,
            "cwd": declared.cwd,
            "origin": origin,
            "runs_locally": True,
            "job": "tool.gateui.gate",
            "declared": True,
            "thresholds": declared.thresholds,
        }
        if declared.command is not None:
            classified = classify_line(declared.command)
            call = classified.pytest if not declared.shell else None
            if call is not None:
                step = GateStep(
                    command=declared.command,
                    kind=KIND_PYTEST,
                    pytest_entry=call.entry,
                    pytest_args=call.args,
                    env=call.env,
                    **common,
                )
            elif declared.shell or _needs_shell_text(declared.command):
                step = GateStep(
                    command=declared.command, kind=KIND_SHELL, shell=DEFAULT_SHELL, **common
                )
            else:
                step = GateStep(command=declared.command, kind="exec", **common)
        else:
            described = _describe_selection(declared.suite, declared.markers, declared.paths)
            step = GateStep(
                command=described,
                kind=KIND_SUITE,
                suite=declared.suite,
                markers=declared.markers,
                paths=declared.paths,
                **common,
            )
        steps.append(step)
        if declared.thresholds.random_order and step.kind in (KIND_PYTEST, KIND_SUITE):
            steps.append(_random_order_twin(step))
    steps.extend(_gate_level_checks(config.thresholds))
    return GateDefinition(
        source="pyproject.toml",
        steps=tuple(steps),
        on_fail=config.on_fail,
        on_partial=config.on_partial,
        base=base,
        sources=("pyproject.toml",),
        legs=config.legs,
        concurrent_jobs=config.concurrent_jobs,
    )


def _needs_shell_text(command: str) -> bool:
    return needs_shell(command) or split_words(command) is None


def _describe_selection(suite: str | None, markers: str | None, paths: Sequence[str]) -> str:
    parts = []
    if suite:
        parts.append(f"suite {suite}")
    if markers:
        parts.append(f"-m {shlex.quote(markers)}")
    parts.extend(paths)
    return " ".join(parts)


def _random_order_twin(step: GateStep) -> GateStep:
    return replace(
        step,
        name=f"{step.name} in random order",
        kind=KIND_RANDOM_ORDER,
        origin=f"{step.origin} (random order)",
        thresholds=replace(step.thresholds, random_order=False),
        # A random-order twin checks order independence of what passed in order: on its own.
        runs_after_failure=True,
        continue_on_error=False,
        writes_report=None,
        reads_report=None,
    )


def _gate_level_checks(thresholds: Thresholds) -> list[GateStep]:
    if not thresholds.require_markers:
        return []
    names = " or ".join(thresholds.require_markers)
    return [
        GateStep(
            name=f"every test is {names}",
            command=f"pytest --collect-only -m 'not ({names})' in every project",
            cwd=".",
            origin="pyproject.toml, tool.gateui.gate, require_markers",
            kind=KIND_MARKER_CHECK,
            runs_locally=True,
            job="tool.gateui.gate.require_markers",
            runs_after_failure=True,
            thresholds=Thresholds(require_markers=thresholds.require_markers),
            declared=True,
        )
    ]


# -- inferred -------------------------------------------------------------------------------
def infer_gate(
    source: FileSource, base: str, changed: Sequence[str] | None, config: GateConfig | None = None
) -> GateDefinition:
    config = config or GateConfig()
    workflows, unreadable = load_workflows(source)
    notes: list[str] = []
    steps: list[GateStep] = [_invalid_workflow_step(problem) for problem in unreadable]
    sources: list[str] = [problem.path for problem in unreadable]
    untriggered: list[str] = []
    for workflow in workflows:
        if workflow.problems and (workflow.pr_triggers() or not workflow.triggers):
            # GitHub runs nothing of a file its schema rejects, and reports it as failed.
            steps.extend(_invalid_workflow_step(problem) for problem in workflow.problems)
            sources.append(workflow.path)
            continue
        if not workflow.pr_triggers():
            untriggered.append(f"{workflow.path}: not on pull_request")
            continue
        decision = pr_trigger_decision(workflow, base, changed)
        if not decision.runs:
            notes.append(f"{workflow.path}: does not run for this pull request ({decision.note})")
            untriggered.append(f"{workflow.path}: {decision.note}")
            continue
        if decision.note:
            notes.append(f"{workflow.path}: {decision.note}")
        found = WorkflowSteps(source, base, notes, changed).workflow_steps(workflow, {}, "", 0)
        if found:
            sources.append(workflow.path)
            steps.extend(found)
        else:
            untriggered.append(f"{workflow.path}: no job runs on a pull request")
    steps = _dedupe(steps)
    steps = [_with_declared_thresholds(s, config.thresholds) for s in steps]
    if config.thresholds.random_order:
        twinned: list[GateStep] = []
        for step in steps:
            twinned.append(step)
            if step.kind == KIND_PYTEST and step.runs_locally:
                twinned.append(_random_order_twin(step))
        steps = twinned
    steps.extend(_gate_level_checks(config.thresholds))
    if not workflows and not unreadable:
        notes.append("no CI workflow found under .github/workflows")
    return GateDefinition(
        source=", ".join(sources) or None,
        steps=tuple(steps),
        on_fail=config.on_fail,
        on_partial=config.on_partial,
        base=base,
        notes=tuple(notes),
        sources=tuple(sources),
        legs=config.legs,
        untriggered=tuple(untriggered),
        concurrent_jobs=config.concurrent_jobs,
    )


def _invalid_workflow_step(problem: WorkflowError) -> GateStep:
    where = f"{problem.path}:{problem.line}" if problem.line else problem.path
    return GateStep(
        name=f"invalid workflow file {problem.path}",
        command="",
        cwd=".",
        origin=where,
        kind=KIND_NOT_RUN,
        runs_locally=False,
        why_not=f"{problem} (GitHub fails this workflow: invalid workflow file)",
        job=problem.path,
        left_out=INVALID,
    )


def _with_declared_thresholds(step: GateStep, declared: Thresholds) -> GateStep:
    if step.kind != KIND_PYTEST or declared.is_empty():
        return step
    merged = replace(
        step.thresholds,
        min_pass_rate=declared.min_pass_rate,
        # The stricter floor: a declared one can fail an inferred step, never pass one CI fails.
        cov_fail_under=_stricter(declared.cov_fail_under, step.thresholds.cov_fail_under),
        strict_markers=declared.strict_markers or step.thresholds.strict_markers,
    )
    return replace(step, thresholds=merged)


def _dedupe(steps: list[GateStep]) -> list[GateStep]:
    """The same step once where a second run tells nothing new: a job's only step that runs here,
    equal in everything but its name to another job's only one — both start from a fresh
    checkout of the commit with the same environment, as every job does on the runner. A step
    among others of its job always runs: what they do before it, or do after with what it
    leaves, differs from job to job. So does one under other rules (``continue-on-error``,
    ``if:``, ``needs``, a time limit, thresholds)."""
    local_steps = Counter(step.job for step in steps if step.runs_locally)
    seen: dict[GateStep, int] = {}
    result: list[GateStep] = []
    run_by: dict[str, str] = {}
    """A job whose step is left out here: the job that runs it."""
    for step in steps:
        if not step.runs_locally or local_steps[step.job] != 1:
            result.append(step)
            continue
        key = replace(step, name="", origin="", job="", notes=())
        if key in seen:
            index = seen[key]
            kept = result[index]
            result[index] = replace(kept, notes=(*kept.notes, f"also in {step.origin}"))
            run_by[step.job] = kept.job
            continue
        seen[key] = len(result)
        result.append(step)
    if not run_by:
        return result
    # A job waiting for (or needing) a left-out one waits for (needs) the job that runs its step.
    return [
        replace(
            s,
            waits_for=tuple(sorted({run_by.get(j, j) for j in s.waits_for})),
            needs=tuple(sorted({run_by.get(j, j) for j in s.needs})),
            needs_results=tuple(
                (key, tuple(sorted({run_by.get(j, j) for j in jobs})))
                for key, jobs in s.needs_results
            ),
        )
        if s.waits_for or s.needs
        else s
        for s in result
    ]


def _stricter(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)

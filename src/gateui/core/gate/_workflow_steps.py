"""The PR gate read off one CI workflow: its jobs (in ``needs`` order, local reusable
workflows followed, matrix legs expanded), each step's working directory, environment,
shell and ``if:``, and what each ``run:`` line does. ``infer`` combines the workflows.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from gateui.core.commands.classify import classify_line, logical_lines
from gateui.core.commands.pytest_args import (
    option_value,
    unmarked_check_markers,
    wants_random_order,
)
from gateui.core.commands.roles import (
    CHECK,
    PUBLISH,
    SETUP,
    FileReader,
    Role,
    script_commands,
    script_role,
)
from gateui.core.gate._actions import action_command, action_role, artifact_action
from gateui.core.gate._composite import Unexpanded, with_local_actions
from gateui.core.gate._expressions import (
    Contexts,
    JobStatus,
    StrictMapping,
    Unresolvable,
    condition,
    evaluate,
    mentions_status,
    substitute,
    truthy,
)
from gateui.core.gate._job_blocker import job_blocker
from gateui.core.gate._job_outputs import (
    carry_outputs,
    runs_after_failed_needs,
    waiting,
    with_needs_results,
)
from gateui.core.gate._leg_spec import combo_label, in_leg, job_leg, merge_combos
from gateui.core.gate._paths_filter import NotAnswered
from gateui.core.gate._runner_env import KEPT_OUTPUT, PULL_REQUEST_NUMBER
from gateui.core.gate._step_outputs import NEEDS_REMEDY, reads_other_jobs, reads_step_outputs
from gateui.core.gate._uses_steps import (
    artifact_step,
    substitute_keeping_outputs,
)
from gateui.core.gate._uses_steps import (
    scalar_text as _scalar_text,
)
from gateui.core.gate.model import (
    DEFAULT_SHELL,
    INVALID,
    KIND_NOT_RUN,
    KIND_PYTEST,
    KIND_SHELL,
    LEFT_OUT_CONDITION,
    LEFT_OUT_PUBLISH,
    LEFT_OUT_SECRETS,
    LEFT_OUT_SETUP,
    RUNNER_TEMP_VAR,
    UNREPRODUCED,
    WORKSPACE_VAR,
    GateStep,
    Thresholds,
)
from gateui.core.gate.sources import FileSource
from gateui.core.gate.workflows import (
    Job,
    MatrixUnknown,
    Step,
    Workflow,
    WorkflowError,
    expand_matrix,
    load_one,
)

_SHELLS = {
    "bash": "bash --noprofile --norc -eo pipefail {0}",
    "sh": "sh -e {0}",
    "python": "python {0}",
}
_NOT_HERE_SHELLS = ("pwsh", "powershell", "cmd")
_MAX_REUSE_DEPTH = 4
_PASS_RATE = re.compile(r"pass[\s_-]*rate|passrate", re.I)


class WorkflowSteps:
    """The gate steps of one workflow (and the reusable workflows it calls)."""

    def __init__(
        self, source: FileSource, base: str, notes: list[str], changed: Sequence[str] | None = None
    ) -> None:
        self.source = source
        self.base = base
        self.notes = notes
        self.changed = changed
        """The files the pull request changes (None: not known here)."""

    def contexts(self, inputs: Mapping[str, Any], workspace: str) -> Contexts:
        return Contexts(
            {
                "github": StrictMapping(
                    "github",
                    {
                        "event_name": "pull_request",
                        # A pull request's workflows run on its merge ref, never a branch.
                        "ref": f"refs/pull/{PULL_REQUEST_NUMBER}/merge",
                        "base_ref": self.base,
                        "workspace": workspace,
                        "action_path": "",
                    },
                ),
                "runner": StrictMapping(
                    "runner",
                    {"os": "Linux", "arch": "X64", "temp": "${" + RUNNER_TEMP_VAR + "}"},
                ),
                "inputs": dict(inputs),
                "env": {},
                "matrix": {},
            }
        )

    def workflow_steps(
        self, workflow: Workflow, inputs: Mapping[str, Any], via: str, depth: int
    ) -> list[GateStep]:
        steps: list[GateStep] = []
        made: dict[str, set[str]] = {}
        """Each workflow job's key: the gate's jobs it became (matrix legs, a called
        workflow's jobs)."""
        contexts = self.contexts(inputs, "${" + WORKSPACE_VAR + "}")
        for job in _by_needs(workflow.jobs):
            found = self.job_steps(workflow, job, inputs, via, depth)
            found = carry_outputs(job, found, made, contexts)
            found = with_needs_results(job, found, made)
            made[job.key] = {step.job for step in found}
            before = set().union(*(made.get(n, set()) for n in job.needs))
            if before:
                # A job whose if: reads the jobs it needs decides for itself when it starts.
                deferred = any(step.job_condition for step in found)
                skipped_on_failure = not deferred and not runs_after_failed_needs(job, contexts)
                found = [waiting(s, before, skipped_on_failure) for s in found]
            steps.extend(found)
        return steps

    def job_steps(
        self, workflow: Workflow, job: Job, inputs: Mapping[str, Any], via: str, depth: int
    ) -> list[GateStep]:
        label = f"{via}{job.key}"
        contexts = self.contexts(inputs, "${" + WORKSPACE_VAR + "}")
        deferred: str | None = None
        if job.condition is not None:
            try:
                if not condition(job.condition, contexts, JobStatus()):
                    self.notes.append(
                        f"{workflow.path}: job {label} does not run on a pull request"
                        f" (if: {job.condition})"
                    )
                    return []
            except Unresolvable as exc:
                if reads_other_jobs(exc) and not job.uses:
                    # Decided when the job starts: the jobs it needs have ended by then.
                    deferred = str(job.condition)
                elif reads_other_jobs(exc):
                    why = (
                        f"whether the called workflow runs (if: {job.condition}) depends on"
                        " another job's results (needs.*), which the gate decides for jobs of"
                        " steps, not for a called workflow"
                    )
                    return [self._job_not_run(workflow, label, why, UNREPRODUCED, NEEDS_REMEDY)]
                else:
                    self.notes.append(
                        f"{workflow.path}: job {label}: if: needs {exc.what}; assumed to run"
                    )
        try:
            combos = expand_matrix(job.matrix)
        except MatrixUnknown:
            why = "the job's matrix is computed on the CI runner"
            return [self._job_not_run(workflow, label, why, UNREPRODUCED)]
        if job.uses:
            return self._reusable(workflow, job, label, combos, contexts, depth)
        per_combo = [self._combo_steps(workflow, job, label, combo, inputs) for combo in combos]
        steps = merge_combos(per_combo, combos)
        if deferred is not None:
            steps = [replace(step, job_condition=deferred) for step in steps]
        return steps

    def _reusable(
        self,
        workflow: Workflow,
        job: Job,
        label: str,
        combos: list[dict[str, Any]],
        contexts: Contexts,
        depth: int,
    ) -> list[GateStep]:
        uses = job.uses or ""
        if not uses.startswith("./"):
            why = f"it calls a reusable workflow in another repository ({uses})"
            return [self._job_not_run(workflow, label, why, UNREPRODUCED)]
        path = posixpath.normpath(uses[2:].split("@", 1)[0])
        if depth >= _MAX_REUSE_DEPTH:
            why = f"reusable workflows nested too deep ({path})"
            return [self._job_not_run(workflow, label, why, UNREPRODUCED)]
        line = workflow.line_of_job.get(job.key)
        where = f"{workflow.path}:{line}" if line else workflow.path
        try:
            called = load_one(self.source, path)
        except WorkflowError as exc:
            why = f"invalid workflow file: {exc} (called from {where}; GitHub fails the run)"
            return [self._job_not_run(workflow, label, why, INVALID)]
        if called is None:
            why = (
                f"{where}: the reusable workflow {uses} does not exist"
                " (GitHub fails the run: invalid workflow file)"
            )
            return [self._job_not_run(workflow, label, why, INVALID)]
        steps: list[GateStep] = []
        for combo in combos:
            inputs = {
                str(name): spec.get("default")
                for name, spec in called.workflow_call_inputs.items()
                if isinstance(spec, Mapping)
            }
            local = contexts.with_values(matrix=combo)
            for key, value in job.with_.items():
                try:
                    inputs[str(key)] = substitute(value, local) if isinstance(value, str) else value
                except Unresolvable as exc:
                    self.notes.append(
                        f"{workflow.path}: job {label}: input {key} needs {exc.what}; left unset"
                    )
            suffix = f" ({combo_label(combo)})" if len(combos) > 1 else ""
            steps.extend(self.workflow_steps(called, inputs, f"{label}{suffix} → ", depth + 1))
        return steps

    def _combo_steps(
        self,
        workflow: Workflow,
        job: Job,
        label: str,
        combo: Mapping[str, Any],
        inputs: Mapping[str, Any],
    ) -> list[GateStep]:
        contexts = self.contexts(inputs, "${" + WORKSPACE_VAR + "}").with_values(matrix=combo)
        blocker = job_blocker(job, contexts)
        env, env_notes = _resolve_env([workflow.env, job.env], contexts)
        read = self.source.read_text
        found = list(with_local_actions(job.steps, read, lambda t: substitute(t, contexts)))
        # The leg reads the job's steps with its local actions' steps in them (their setup).
        runs = replace(job, steps=tuple(s for s in found if isinstance(s, Step)))
        leg = None if blocker else job_leg(
            runs, contexts, combo_label(combo), env, _resolve_env,
            lambda step, ctx: self._working_directory(workflow, job, step, ctx)[0],
            self._file_reader, read,
        )  # fmt: skip
        steps: list[GateStep] = []
        reports: dict[str, str] = {}
        for step in found:
            if isinstance(step, Unexpanded):
                name, uses, job_id = step.step.display_name, step.step.uses or "", workflow.path
                origin = f"{job_id}, {label}, {name}"
                gate_step = _not_run_step(
                    name, uses, ".", origin, f"{job_id}#{label}", step.why, step.left_out
                )
            else:
                gate_step = self._step(
                    workflow, job, label, step, contexts, env, env_notes, blocker, reports
                )
            if gate_step.writes_report:
                reports[gate_step.writes_report] = gate_step.name
            if leg is not None and gate_step.runs_locally:
                gate_step = in_leg(gate_step, leg)
            steps.append(gate_step)
        return steps

    def _step(
        self,
        workflow: Workflow,
        job: Job,
        label: str,
        step: Step,
        contexts: Contexts,
        job_env: Mapping[str, str],
        env_notes: list[str],
        blocker: tuple[str, str] | None,
        reports: Mapping[str, str],
    ) -> GateStep:
        name = step.display_name
        origin = f"{workflow.path}, {label}, {name}"
        job_id = f"{workflow.path}#{label}"
        artifact_kind = artifact_action(step.uses) if step.uses else None
        checking = (
            action_command(step.uses, step.with_, job.needs, self.changed, self._file_reader("."))
            if step.uses
            else None
        )
        if isinstance(checking, NotAnswered):
            why = f"{step.uses}: {checking.why}"
            return _not_run_step(name, step.uses or "", ".", origin, job_id, why, UNREPRODUCED)
        if step.uses and checking is not None:
            # A well-known checking action: the command it runs on the runner, as a run: step.
            as_run = replace(
                step,
                name=name,
                uses=None,
                run=checking.script,
                working_directory=checking.working_directory,
            )
            found = self._step(
                workflow, job, label, as_run, contexts, job_env, env_notes, blocker, reports
            )
            note = checking.note or (
                f"CI runs the action {step.uses}; here the command it runs: {checking.script}"
            )
            return replace(found, notes=(*found.notes, note))
        if step.uses and artifact_kind is None:
            action = action_role(step.uses)
            return _not_run_step(
                name, step.uses, ".", origin, job_id, action.why, action.left_out, action.remedy
            )
        run = step.run or ""
        secret = _needs_secrets(run, [workflow.env, job.env, step.env])
        env, step_notes = _resolve_env([job_env, step.env], contexts, dict(job_env))
        notes = [*env_notes, *step_notes]
        step_contexts = contexts.with_values(env=env)
        cwd, cwd_problem = self._working_directory(workflow, job, step, step_contexts)
        # ``if:``: when does this step run?
        deferred: str | None = None
        after_failure = False
        only_after_failure = False
        if step.condition is not None:
            try:
                normal = condition(step.condition, step_contexts, JobStatus(failed=False))
                after_failure = condition(step.condition, step_contexts, JobStatus(failed=True))
            except Unresolvable as exc:
                if reads_step_outputs(exc) or reads_other_jobs(exc):
                    # Decided when the step's turn comes, from the earlier steps' outputs and
                    # how the jobs it needs ended.
                    deferred = str(step.condition)
                    after_failure = any(
                        mentions_status(step.condition, f) for f in ("always", "failure")
                    )
                else:
                    notes.append(f"if: {step.condition} needs {exc.what}; assumed to run")
                normal = True
            if not normal and not after_failure:
                return _not_run_step(
                    name,
                    run.strip(),
                    cwd,
                    origin,
                    job_id,
                    f"its if: ({step.condition}) is false on a pull request",
                    LEFT_OUT_CONDITION,
                )
            only_after_failure = after_failure and not normal
        continue_on_error = _truthy_setting(step.continue_on_error, step_contexts) or (
            _truthy_setting(job.continue_on_error, step_contexts)
        )
        # Where the step stands in its job: the same for every kind of step that runs here.
        in_job: dict[str, Any] = {
            "job": job_id,
            "runs_after_failure": after_failure,
            "only_after_failure": only_after_failure,
            "continue_on_error": continue_on_error,
        }
        if step.uses and artifact_kind is not None:
            return artifact_step(name, step, origin, artifact_kind, step_contexts, blocker, in_job)
        if secret:
            why = f"it needs the repository's secrets ({secret})"
            return _not_run_step(name, run.strip(), cwd, origin, job_id, why, LEFT_OUT_SECRETS)
        try:
            text = substitute_keeping_outputs(run, step_contexts)
        except Unresolvable as exc:
            return _not_run_step(
                name,
                run.strip(),
                cwd,
                origin,
                job_id,
                f"the command uses {exc.what}, known only on the CI runner",
                UNREPRODUCED,
            )
        shell_name = str(
            step.shell or job.defaults_run.get("shell") or workflow.defaults_run.get("shell") or ""
        )
        is_shell_script = shell_name.split(" ")[0] in ("", "bash", "sh")
        reader = self._file_reader(cwd)
        role = script_role(text, reader) if is_shell_script else Role(CHECK)
        if role.kind == SETUP:
            why = f"environment setup ({role.detail})"
            return _not_run_step(name, text.strip(), cwd, origin, job_id, why, LEFT_OUT_SETUP)
        if role.kind == PUBLISH:
            why = f"publishing ({role.detail})"
            return _not_run_step(name, text.strip(), cwd, origin, job_id, why, LEFT_OUT_PUBLISH)
        if blocker:
            why, remedy = blocker
            return _not_run_step(name, text.strip(), cwd, origin, job_id, why, UNREPRODUCED, remedy)
        if cwd_problem:
            return _not_run_step(name, text.strip(), cwd, origin, job_id, cwd_problem, UNREPRODUCED)
        classified = classify_line(text.strip()) if is_shell_script else None
        shell = DEFAULT_SHELL
        if shell_name:
            if shell_name.split()[0] in _NOT_HERE_SHELLS:
                return _not_run_step(
                    name,
                    text.strip(),
                    cwd,
                    origin,
                    job_id,
                    f"it runs in {shell_name}, a Windows shell",
                    UNREPRODUCED,
                    "check it on a Windows runner",
                )
            shell = _SHELLS.get(
                shell_name, shell_name if "{0}" in shell_name else shell_name + " {0}"
            )
        common: dict[str, Any] = {
            "name": name,
            "command": text.strip(),
            "cwd": cwd,
            "origin": origin,
            "runs_locally": True,
            **in_job,
            "timeout_minutes": step.timeout_minutes,
            "job_timeout_minutes": job.timeout_minutes,
            "step_id": step.id or "",
            "condition": deferred,
        }
        call = (
            classified.pytest
            if classified is not None
            and len(logical_lines(text)) == 1
            and not KEPT_OUTPUT.search(text)
            else None
        )
        if call is not None and not step.shell:
            all_env = {**env, **dict(call.env)}
            report = option_value(call.args, "--junitxml", "--junit-xml")
            floor_text = option_value(call.args, "--cov-fail-under")
            thresholds = Thresholds(
                cov_fail_under=_float(floor_text),
                random_order=wants_random_order(call.args),
            )
            if call.launcher:
                notes.append(
                    f"CI runs pytest with {call.launcher}; here with the project's interpreter"
                )
            return GateStep(
                kind=KIND_PYTEST,
                env=tuple(sorted(all_env.items())),
                pytest_entry=call.entry,
                pytest_args=call.args,
                thresholds=thresholds,
                notes=tuple(notes),
                writes_report=_join(cwd, report) if report else None,
                marker_intent=unmarked_check_markers(call.args) or (),
                **common,
            )
        script, dropped = _neutralise(text, reader) if is_shell_script else (text, [])
        if dropped:
            notes.append("not run here: " + "; ".join(dropped))
        reads = _reads_report(text, cwd, reports)
        floor = _pass_rate_floor(name, text) if reads else None
        written = re.search(r"--junit-?xml[= ](\S+)", text)
        return GateStep(
            kind=KIND_SHELL,
            env=tuple(sorted(env.items())),
            shell=shell,
            notes=tuple(notes),
            reads_report=reads,
            pass_rate_floor=floor,
            writes_report=_join(cwd, written.group(1).strip("'\"")) if written else None,
            **{**common, "command": text.strip() if not dropped else script.strip()},
        )

    def _working_directory(
        self, workflow: Workflow, job: Job, step: Step, contexts: Contexts
    ) -> tuple[str, str]:
        raw = (
            step.working_directory
            or job.defaults_run.get("working-directory")
            or workflow.defaults_run.get("working-directory")
        )
        if not raw:
            return ".", ""
        local = contexts.with_values(github=StrictMapping("github", {"workspace": "."}))
        try:
            text = substitute(str(raw), local)
        except Unresolvable as exc:
            return str(raw), f"working-directory needs {exc.what}, known only on the CI runner"
        normalised = posixpath.normpath(text)
        if normalised.startswith("..") or normalised.startswith("/"):
            return text, f"working-directory {text} is outside the checkout"
        return normalised, ""

    def _file_reader(self, cwd: str) -> FileReader:
        """Reads the checkout's files relative to a step's working directory."""

        def read(path: str) -> str | None:
            if path.startswith("/"):
                return None
            target = posixpath.normpath(posixpath.join(cwd, path))
            if target.startswith(".."):
                return None
            return self.source.read_text(target)

        return read

    def _job_not_run(
        self, workflow: Workflow, label: str, why: str, left_out: str, remedy: str = ""
    ) -> GateStep:
        return _not_run_step(
            label,
            "",
            ".",
            f"{workflow.path}, {label}, (whole job)",
            f"{workflow.path}#{label}",
            why,
            left_out,
            remedy,
        )


def _not_run_step(
    name: str,
    command: str,
    cwd: str,
    origin: str,
    job: str,
    why: str,
    left_out: str,
    remedy: str = "",
) -> GateStep:
    return GateStep(
        name=name,
        command=command,
        cwd=cwd,
        origin=origin,
        kind=KIND_NOT_RUN,
        runs_locally=False,
        why_not=why,
        job=job,
        left_out=left_out,
        remedy=remedy,
    )


def _resolve_env(
    layers: Sequence[Mapping[str, Any]],
    contexts: Contexts,
    start: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], list[str]]:
    env: dict[str, str] = dict(start or {})
    notes: list[str] = []
    for layer in layers:
        for key, value in layer.items():
            if value is None:
                continue
            text = value if isinstance(value, str) else _scalar_text(value)
            try:
                env[str(key)] = substitute_keeping_outputs(text, contexts.with_values(env=env))
            except Unresolvable as exc:
                env.pop(str(key), None)
                notes.append(f"env {key} needs {exc.what}; not set here")
    return env, notes


def _truthy_setting(value: Any, contexts: Contexts) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"\s*\$\{\{(.*)\}\}\s*", value, re.DOTALL)
        try:
            if match:
                return truthy(evaluate(match.group(1), contexts))
        except Unresolvable:
            return False
        return value.strip().lower() == "true"
    return False


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _join(cwd: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(cwd, path)) if not path.startswith("/") else path


def _neutralise(script: str, reader: FileReader) -> tuple[str, list[str]]:
    """A check script without its installation commands: installing would change the project's
    own environment (the gate runs with it as it is). Every other line runs as written (a
    heredoc's body is never taken apart)."""
    commands = script_commands(script, reader)
    if len(commands) < 2:
        return script, []
    kept: list[str] = []
    dropped: list[str] = []
    for command in commands:
        if command.role.kind == SETUP:
            text = " ".join(line.strip().rstrip("\\") for line in command.lines).strip()
            dropped.append(text)
            indent = command.lines[0][: len(command.lines[0]) - len(command.lines[0].lstrip())]
            kept.append(indent + ": " + shlex.quote(f"gateui: not run here: {text}"))
        else:
            kept.extend(command.lines)
    if not dropped:
        return script, []
    return "\n".join(kept) + "\n", dropped


def _needs_secrets(run: str, env_layers: Sequence[Mapping[str, Any]]) -> str:
    """The secret a step uses, directly or through a variable set from one ("" if none)."""
    found = re.search(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)", run)
    if found:
        return f"secrets.{found.group(1)}"
    for index, layer in enumerate(env_layers):
        for key, value in layer.items():
            match = re.search(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)", str(value))
            if not match:
                continue
            used = re.search(r"\$\{?" + re.escape(str(key)) + r"\b", run)
            # A step's own env is set for it: it needs the secret whether or not the script
            # names the variable (the program it runs reads it).
            if used or index == len(env_layers) - 1:
                return f"secrets.{match.group(1)} as ${key}"
    return ""


def _reads_report(text: str, cwd: str, reports: Mapping[str, str]) -> str | None:
    """The report of an earlier step that this command reads (named in it)."""
    for report in reports:
        relative = posixpath.relpath(report, cwd) if not report.startswith("/") else report
        for candidate in {relative, report, posixpath.basename(report)}:
            if re.search(r"(?<![\w./-])" + re.escape(candidate) + r"(?![\w.-])", text):
                return report
    return None


def _pass_rate_floor(name: str, text: str) -> float | None:
    for candidate in (name, text):
        if _PASS_RATE.search(candidate):
            match = re.search(r"(\d+(?:\.\d+)?)\s*%", candidate)
            if match:
                return float(match.group(1))
    match = re.search(r"--min(?:imum)?[= ](\d+(?:\.\d+)?)", text)
    if match:
        return float(match.group(1))
    return None


def _by_needs(jobs: Sequence[Job]) -> list[Job]:
    """Jobs in an order that respects ``needs`` (file order otherwise)."""
    remaining = list(jobs)
    done: set[str] = set()
    ordered: list[Job] = []
    keys = {j.key for j in jobs}
    while remaining:
        progressed = False
        for job in list(remaining):
            if all(n in done or n not in keys for n in job.needs):
                ordered.append(job)
                done.add(job.key)
                remaining.remove(job)
                progressed = True
        if not progressed:
            ordered.extend(remaining)
            break
    return ordered

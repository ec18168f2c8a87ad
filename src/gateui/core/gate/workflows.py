"""GitHub Actions workflow files, read into plain typed structures.

Only reading happens here: which jobs run on a pull request (triggers, ``branches`` / ``paths``
filters), matrices expanded, defaults and ``env`` layered. Deciding which steps are tests and how
to run them is the gate's business (``gate_infer``).

PyYAML follows YAML 1.1, where the bare key ``on`` is the boolean True; a workflow's triggers are
read from either key.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from gateui.core.gate.sources import FileSource

WORKFLOWS_DIR = ".github/workflows"
PR_EVENTS = ("pull_request", "pull_request_target")
MAX_MATRIX = 64


PR_CHECK_TYPES = ("opened", "synchronize", "reopened")
"""The pull request activity types a push runs (``pull_request``'s default ``types``)."""


class WorkflowError(Exception):
    """A workflow file that cannot be read (invalid YAML, not a mapping)."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Step:
    index: int
    name: str | None
    run: str | None
    uses: str | None
    working_directory: str | None
    shell: str | None
    env: Mapping[str, Any]
    condition: str | bool | None
    continue_on_error: bool | str
    with_: Mapping[str, Any]
    line: int | None = None
    timeout_minutes: float | None = None
    id: str | None = None

    @property
    def display_name(self) -> str:
        """The name GitHub shows: ``name``, else "Run <first line>" / "Run <action>"."""
        if self.name:
            return str(self.name)
        if self.uses:
            return f"Run {self.uses}"
        first = (self.run or "").strip().splitlines()
        return f"Run {first[0]}" if first else f"step {self.index + 1}"


@dataclass(frozen=True)
class Job:
    key: str
    name: str | None
    steps: tuple[Step, ...]
    runs_on: Any
    env: Mapping[str, Any]
    defaults_run: Mapping[str, Any]
    matrix: Any
    services: Mapping[str, Any]
    container: Any
    condition: str | bool | None
    needs: tuple[str, ...]
    uses: str | None
    with_: Mapping[str, Any]
    continue_on_error: bool | str
    timeout_minutes: float | None = None
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """``jobs.<id>.outputs``: what the job hands to the jobs that need it."""


@dataclass(frozen=True)
class Workflow:
    path: str
    """Relative to the repository root."""
    name: str | None
    triggers: Mapping[str, Any]
    env: Mapping[str, Any]
    defaults_run: Mapping[str, Any]
    jobs: tuple[Job, ...]
    line_of_job: Mapping[str, int] = field(default_factory=dict)
    problems: tuple[WorkflowError, ...] = ()
    """Schema errors: GitHub rejects the file ("invalid workflow file") and runs none of it."""

    def pr_triggers(self) -> dict[str, Mapping[str, Any]]:
        """The pull-request events this workflow runs on, each with its filters."""
        found: dict[str, Mapping[str, Any]] = {}
        for event in PR_EVENTS:
            if event in self.triggers:
                spec = self.triggers[event]
                found[event] = spec if isinstance(spec, Mapping) else {}
        return found

    @property
    def workflow_call_inputs(self) -> Mapping[str, Any]:
        spec = self.triggers.get("workflow_call")
        if isinstance(spec, Mapping) and isinstance(spec.get("inputs"), Mapping):
            inputs: Mapping[str, Any] = spec["inputs"]
            return inputs
        return {}


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping key (for messages)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (str, bool, int)):
            lines[key] = key_node.start_mark.line + 1
    mapping_with_lines = _Lined(mapping)
    mapping_with_lines.lines = lines
    return mapping_with_lines


class _Lined(dict[Any, Any]):
    lines: dict[Any, int]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_LIBYAML = hasattr(yaml, "CSafeLoader")


class _FastLineLoader(yaml.CSafeLoader if _LIBYAML else yaml.SafeLoader):  # type: ignore[misc]
    """The same loader on libyaml's parser, where PyYAML was built with it: about seven times
    faster (89 small workflows: 78 against 10.5 ms), and every check reads every workflow."""


_FastLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load(text: str) -> Any:
    if _LIBYAML:
        try:
            return yaml.load(text, Loader=_FastLineLoader)
        except yaml.YAMLError:
            pass  # worded below by the pure-Python parser: its messages and lines, as always
    return yaml.load(text, Loader=_LineLoader)


def line_of(mapping: Any, key: Any) -> int | None:
    lines = getattr(mapping, "lines", None)
    return lines.get(key) if isinstance(lines, dict) else None


def parse_workflow(path: str, text: str) -> Workflow:
    try:
        data = _load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise WorkflowError(path, f"invalid YAML: {problem}", line) from exc
    if not isinstance(data, Mapping):
        raise WorkflowError(path, "a workflow must be a mapping", 1)
    # YAML 1.1: `on:` is the boolean True.
    triggers = _triggers(data.get("on", data.get(True)))
    jobs_table = data.get("jobs") or {}
    if not isinstance(jobs_table, Mapping):
        raise WorkflowError(path, "jobs must be a mapping", line_of(data, "jobs"))
    jobs = tuple(_job(str(key), spec) for key, spec in jobs_table.items())
    problems = tuple(WorkflowError(path, message, line) for message, line in _schema(data))
    return Workflow(
        path=path,
        name=_str_or_none(data.get("name")),
        triggers=triggers,
        env=_mapping(data.get("env")),
        defaults_run=_mapping(_mapping(data.get("defaults")).get("run")),
        jobs=jobs,
        line_of_job={str(k): v for k, v in (getattr(jobs_table, "lines", {}) or {}).items()},
        problems=problems,
    )


_JOB_KEYS = {
    "name", "permissions", "needs", "if", "runs-on", "environment", "concurrency", "outputs",
    "env", "defaults", "steps", "timeout-minutes", "strategy", "continue-on-error", "container",
    "services", "uses", "with", "secrets", "snapshot",
}  # fmt: skip
_STEP_KEYS = {
    "id", "if", "name", "uses", "run", "working-directory", "shell", "with", "env",
    "continue-on-error", "timeout-minutes",
}  # fmt: skip


def _schema(data: Mapping[Any, Any]) -> list[tuple[str, int | None]]:
    """What GitHub's workflow schema rejects, each with its line (the checks that matter for
    running: triggers, jobs, and each job's and step's keys)."""
    problems: list[tuple[str, int | None]] = []
    if "on" not in data and True not in data:
        problems.append(("the workflow has no `on:` (its triggers)", 1))
    jobs = data.get("jobs")
    if not isinstance(jobs, Mapping) or not jobs:
        problems.append(("the workflow has no jobs", line_of(data, "jobs") or 1))
        return problems
    for key, job in jobs.items():
        where = line_of(jobs, key)
        if not isinstance(job, Mapping):
            problems.append((f"job {key} must be a mapping", where))
            continue
        for unknown in [k for k in job if k not in _JOB_KEYS]:
            problems.append((f"job {key}: unexpected key {unknown!r}", line_of(job, unknown)))
        needs = job.get("needs") or []
        for need in [needs] if isinstance(needs, str) else needs if isinstance(needs, list) else []:
            if str(need) not in {str(k) for k in jobs}:
                problems.append(
                    (f"job {key} needs {need!r}, which is not a job of this workflow",
                     line_of(job, "needs")))  # fmt: skip
        if "uses" in job:
            continue
        if "runs-on" not in job:
            problems.append((f"job {key}: runs-on is required", where))
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            problems.append(
                (f"job {key}: steps must be a non-empty list", line_of(job, "steps") or where)
            )
            continue
        for number, step in enumerate(steps, start=1):
            problems.extend(_step_schema(key, number, step, line_of(job, "steps")))
    return problems


def _step_schema(
    job: Any, number: int, step: Any, fallback: int | None
) -> list[tuple[str, int | None]]:
    if not isinstance(step, Mapping):
        return [(f"job {job}, step {number} must be a mapping", fallback)]
    lines = getattr(step, "lines", None) or {}
    where = min(lines.values()) if lines else fallback
    problems = [
        (f"job {job}, step {number}: unexpected key {k!r}", line_of(step, k))
        for k in step
        if k not in _STEP_KEYS
    ]
    if ("run" in step) == ("uses" in step):
        problems.append((f"job {job}, step {number}: give exactly one of `run` and `uses`", where))
    return problems


def _triggers(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {value: {}}
    if isinstance(value, list):
        return {str(v): {} for v in value}
    if isinstance(value, Mapping):
        return {str(k): (v if v is not None else {}) for k, v in value.items()}
    return {}


def _job(key: str, spec: Any) -> Job:
    spec = _mapping(spec)
    strategy = _mapping(spec.get("strategy"))
    steps_raw = spec.get("steps") or []
    steps = tuple(
        _step(i, s) for i, s in enumerate(steps_raw if isinstance(steps_raw, list) else [])
    )
    needs = spec.get("needs") or ()
    if isinstance(needs, str):
        needs = (needs,)
    return Job(
        key=key,
        name=_str_or_none(spec.get("name")),
        steps=steps,
        runs_on=spec.get("runs-on"),
        env=_mapping(spec.get("env")),
        defaults_run=_mapping(_mapping(spec.get("defaults")).get("run")),
        matrix=strategy.get("matrix"),
        services=_mapping(spec.get("services")),
        container=spec.get("container"),
        condition=spec.get("if"),
        needs=tuple(str(n) for n in needs),
        uses=_str_or_none(spec.get("uses")),
        with_=_mapping(spec.get("with")),
        continue_on_error=spec.get("continue-on-error", False),
        timeout_minutes=_minutes(spec.get("timeout-minutes")),
        outputs=_mapping(spec.get("outputs")),
    )


def _step(index: int, spec: Any) -> Step:
    spec = _mapping(spec)
    run = spec.get("run")
    return Step(
        index=index,
        name=_str_or_none(spec.get("name")),
        run=str(run) if run is not None else None,
        uses=_str_or_none(spec.get("uses")),
        working_directory=_str_or_none(spec.get("working-directory")),
        shell=_str_or_none(spec.get("shell")),
        env=_mapping(spec.get("env")),
        condition=spec.get("if"),
        continue_on_error=spec.get("continue-on-error", False),
        with_=_mapping(spec.get("with")),
        line=line_of(spec, "run") or line_of(spec, "uses"),
        timeout_minutes=_minutes(spec.get("timeout-minutes")),
        id=_str_or_none(spec.get("id")),
    )


def parse_action(text: str) -> Any:
    """An ``action.yml``'s data (a local action's), with the lines of its keys like a
    workflow's; raises ``yaml.YAMLError`` when it is not YAML."""
    return _load(text)


def step_from(index: int, spec: Any) -> Step:
    """A step of a workflow's job (or of a composite action) from its YAML mapping."""
    return _step(index, spec)


def _minutes(value: Any) -> float | None:
    """``timeout-minutes`` as a number (an expression, unknown here, counts as none)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    try:
        number = float(str(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def load_workflows(source: FileSource) -> tuple[list[Workflow], list[WorkflowError]]:
    """Every workflow under ``.github/workflows``, and the error of each file that cannot be
    read (invalid YAML)."""
    workflows: list[Workflow] = []
    problems: list[WorkflowError] = []
    for name in sorted(source.list_files(WORKFLOWS_DIR)):
        if not name.endswith((".yml", ".yaml")):
            continue
        path = f"{WORKFLOWS_DIR}/{name}"
        text = source.read_text(path)
        if text is None:
            continue
        try:
            workflows.append(parse_workflow(path, text))
        except WorkflowError as exc:
            problems.append(exc)
    return workflows, problems


def load_one(source: FileSource, path: str) -> Workflow | None:
    text = source.read_text(path)
    if text is None:
        return None
    return parse_workflow(path, text)


# -- filters ---------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """GitHub's filter pattern syntax: ``*`` (not /), ``**`` (anything), ``?``, ``+``, ``[..]``."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append(".")
        elif char == "+":
            out.append("+")
        elif char == "[":
            end = pattern.find("]", i)
            if end == -1:
                out.append(re.escape(char))
            else:
                out.append(pattern[i : end + 1])
                i = end
        elif char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 1
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(pattern: str, value: str) -> bool:
    return _glob_regex(pattern).match(value) is not None


def filter_matches(patterns: Sequence[str], value: str) -> bool:
    """Patterns in order, ``!`` negating: the last pattern that matches decides."""
    matched = False
    for pattern in patterns:
        if pattern.startswith("!"):
            if glob_match(pattern[1:], value):
                matched = False
        elif glob_match(pattern, value):
            matched = True
    return matched


def _patterns(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return None


@dataclass(frozen=True)
class TriggerDecision:
    runs: bool
    note: str = ""


def pr_trigger_decision(
    workflow: Workflow, base_branch: str, changed: Sequence[str] | None
) -> TriggerDecision:
    """Would this workflow run for a pull request into ``base_branch`` changing ``changed``?

    ``changed`` None means the change is not known (no base to compare with): ``paths`` filters
    are then not applied, and the note says so.
    """
    events = workflow.pr_triggers()
    if not events:
        return TriggerDecision(False, "not triggered by pull_request")
    notes: list[str] = []
    for event, spec in events.items():
        types = _patterns(spec.get("types"))
        if types is not None and not set(types) & set(PR_CHECK_TYPES):
            notes.append(f"{event}: types {types} do not include a push to the pull request")
            continue
        branches = _patterns(spec.get("branches"))
        ignore = _patterns(spec.get("branches-ignore"))
        if branches is not None and not filter_matches(branches, base_branch):
            notes.append(f"{event}: branches {branches} do not include {base_branch!r}")
            continue
        if ignore is not None and filter_matches(ignore, base_branch):
            notes.append(f"{event}: branches-ignore {ignore} excludes {base_branch!r}")
            continue
        paths = _patterns(spec.get("paths"))
        paths_ignore = _patterns(spec.get("paths-ignore"))
        if (paths is not None or paths_ignore is not None) and changed is None:
            return TriggerDecision(True, f"{event}: paths filter not checked (no change range)")
        if paths is not None and not any(filter_matches(paths, f) for f in changed or ()):
            notes.append(f"{event}: paths {paths} match no changed file")
            continue
        if paths_ignore is not None and all(filter_matches(paths_ignore, f) for f in changed or ()):
            notes.append(f"{event}: paths-ignore {paths_ignore} covers every changed file")
            continue
        return TriggerDecision(True)
    return TriggerDecision(False, "; ".join(notes))


# -- matrices --------------------------------------------------------------------------------
class MatrixUnknown(Exception):
    """The matrix is computed on the runner (an expression such as fromJSON(needs…))."""


def expand_matrix(matrix: Any) -> list[dict[str, Any]]:
    """The combinations a matrix strategy runs (one empty combination without a matrix)."""
    if matrix is None:
        return [{}]
    if not isinstance(matrix, Mapping):
        raise MatrixUnknown(str(matrix))
    axes: dict[str, list[Any]] = {}
    for key, values in matrix.items():
        if key in ("include", "exclude"):
            continue
        if not isinstance(values, list):
            raise MatrixUnknown(f"{key}: {values}")
        axes[str(key)] = values
    combos: list[dict[str, Any]] = (
        [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]
        if axes
        else []
    )
    for rule in _list_of_mappings(matrix.get("exclude")):
        combos = [c for c in combos if not all(c.get(k) == v for k, v in rule.items())]
    originals = [dict(c) for c in combos]
    for extra in _list_of_mappings(matrix.get("include")):
        matched = False
        for combo, original in zip(combos, originals, strict=True):
            overlap = {k: v for k, v in extra.items() if k in axes}
            if all(original.get(k) == v for k, v in overlap.items()):
                combo.update({k: v for k, v in extra.items() if k not in axes or k in overlap})
                matched = True
        if not matched:
            combos.append(dict(extra))
    if len(combos) > MAX_MATRIX:
        combos = combos[:MAX_MATRIX]
    return combos or [{}]


def _list_of_mappings(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Mapping)]
    return []

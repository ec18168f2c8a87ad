"""CI's verdict on a pull request, found by running the workflow's steps by hand as a GitHub-hosted
runner does. The reference the gate scenarios are measured against: it shares no code with
gateui's gate, and stays small and explicit on purpose.

What it does, for a repository whose branch ``head`` is a pull request into ``base``:

- clones the repository into a fresh folder and checks out the commit CI tests: the head, or its
  merge into the base when the base has moved on;
- reads every ``.github/workflows/*.yml``: a file that is not valid YAML, or a job without
  ``runs-on`` / a step with both ``run`` and ``uses``, is a failed check ("invalid workflow");
- keeps the workflows a ``pull_request`` triggers (``types`` default opened/synchronize/reopened,
  ``branches``, ``paths`` and ``paths-ignore`` against the files the pull request changes);
- runs the jobs in the order of ``needs:``, matrix legs one after another, each job (and each
  leg) in its own fresh copy of the clone, as each starts on a new runner; each ``run:`` step as
  the runner does: ``bash -e {0}`` (``bash --noprofile --norc -eo pipefail {0}`` for ``shell:
  bash``, ``sh -e {0}``, ``python {0}``), in its ``working-directory``, with the runner's
  environment (``CI=true``, ``GITHUB_*``, ``RUNNER_*``, ``TZ=UTC``, a fresh ``HOME``), the
  ``$GITHUB_ENV`` / ``$GITHUB_PATH`` / ``$GITHUB_OUTPUT`` / ``$GITHUB_STEP_SUMMARY`` files,
  ``timeout-minutes``, ``continue-on-error`` and the ``if:`` forms the corpus uses; a step's
  leftover processes are killed when it ends;
- ``actions/checkout``, ``actions/setup-python`` (the tool environment for that Python),
  ``actions/cache`` and ``actions/upload-artifact`` / ``download-artifact`` (a local folder; the
  files kept relative to the least common ancestor of the search paths, as upload-artifact v4
  keeps them) are the only actions; any other, and ``container:`` / ``services:`` jobs, cannot
  be run here (``Unreproducible``).

``pip install`` runs for real, with no package index: the tool environment already holds what the
corpus installs, so it is a check that CI's install steps name only what the environment has.

    .venv/bin/python bench/ci_by_hand.py [NAME ...]       # print the verdicts
    .venv/bin/python bench/ci_by_hand.py --record [NAME ...]  # write them into scenario.toml
    .venv/bin/python bench/ci_by_hand.py --quick           # three scenarios: a smoke check
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scenario_kit import (
    DEFAULT_PYTHON,
    Scenario,
    build,
    git,
    scenarios,
    tools_python,
)

PR_TYPES = {"opened", "synchronize", "reopened"}
ENVIRONMENT_ACTIONS = ("actions/checkout", "actions/cache", "actions/setup-python")


class Unreproducible(Exception):
    """Something CI would run that this runner cannot run here."""


@dataclass
class Verdict:
    verdict: str
    """``pass`` or ``fail``."""
    failed: list[str] = field(default_factory=list)
    """``workflow-file`` or ``job / step`` for each failure that fails the check."""
    log: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    """``job / step`` → wall seconds, for each ``run:`` step run (to time the steps apart from
    the clone and the job copies)."""


@dataclass
class Runner:
    """The runner for one pull request: ``tools`` maps a Python version to its interpreter."""

    work: Path
    tools: Callable[[str], Path]
    base: str
    head_ref: str
    changed: list[str]
    scratch: Path
    log: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    artifacts: dict[str, Path] = field(default_factory=dict)
    skip_installs: bool = False
    """Leave out steps that only ``pip install`` (to time what a gate runs, not the setup)."""
    workspace: Path = Path()
    """The running job's own copy of the clone (``GITHUB_WORKSPACE``)."""
    pristine: Path | None = None
    """The clone as cloned, kept for the jobs after the first (None until a second job)."""
    jobs_run: int = 0
    job_outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    """Each job's ``outputs:`` once it ran (a matrix job: its last leg's, as on GitHub)."""

    # -- the environment ---------------------------------------------------------------------
    def base_env(self, python: Path) -> dict[str, str]:
        home = Path(tempfile.mkdtemp(prefix="home-", dir=self.scratch))
        temp = Path(tempfile.mkdtemp(prefix="runner-temp-", dir=self.scratch))
        return {
            "PATH": f"{python.parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "TMPDIR": str(temp),
            "RUNNER_TEMP": str(temp),
            "RUNNER_OS": "Linux",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_REF": "refs/pull/1/merge",
            "GITHUB_BASE_REF": self.base,
            "GITHUB_HEAD_REF": self.head_ref,
            "TZ": "UTC",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    # -- workflows ---------------------------------------------------------------------------
    def run(self) -> Verdict:
        failed: list[str] = []
        folder = self.work / ".github" / "workflows"
        files = sorted(p for p in folder.glob("*") if p.suffix in (".yml", ".yaml"))
        triggered: list[tuple[str, dict[str, Any]]] = []
        for path in files:
            rel = str(path.relative_to(self.work))
            try:
                workflow = yaml.safe_load(path.read_text())
                problem = schema_problem(workflow, self.work)
            except yaml.YAMLError as exc:
                problem = f"invalid YAML: {exc}".splitlines()[0]
            if problem:
                self.log.append(f"{rel}: invalid workflow file: {problem}")
                failed.append(rel)
                continue
            if not self.triggered(workflow):
                self.log.append(f"{rel}: not triggered by this pull request")
                continue
            triggered.append((rel, workflow))
        jobs = sum(len(matrix_legs(job)) for _, w in triggered for job in w["jobs"].values())
        if jobs > 1:
            # The first job runs in the clone itself; each later one in a copy of it as cloned.
            self.pristine = self.scratch / "pristine"
            shutil.copytree(self.work, self.pristine, symlinks=True)
        for rel, workflow in triggered:
            failed += self.run_workflow(rel, workflow)
        return Verdict("fail" if failed else "pass", failed, self.log, self.seconds)

    def triggered(self, workflow: dict[str, Any]) -> bool:
        # YAML 1.1 reads the key `on` as the boolean true.
        on = workflow["on"] if "on" in workflow else workflow.get(True)  # type: ignore[call-overload]
        if isinstance(on, str):
            return on == "pull_request"
        if isinstance(on, list):
            return "pull_request" in on
        if not isinstance(on, dict) or "pull_request" not in on:
            return False
        spec = on["pull_request"] or {}
        if not PR_TYPES & set(spec.get("types", PR_TYPES)):
            return False
        if "branches" in spec and not any(glob(self.base, b) for b in spec["branches"]):
            return False
        if "paths" in spec and not any(glob(f, p) for f in self.changed for p in spec["paths"]):
            return False
        ignored = spec.get("paths-ignore")
        return not (ignored and all(any(glob(f, p) for p in ignored) for f in self.changed))

    def run_workflow(self, rel: str, workflow: dict[str, Any]) -> list[str]:
        jobs: dict[str, dict[str, Any]] = workflow["jobs"]
        results: dict[str, str] = {}
        failed: list[str] = []
        for job_id in needs_order(jobs):
            job = jobs[job_id]
            needs = as_list(job.get("needs"))
            context = {
                "needs": {
                    n: {"result": results[n], "outputs": self.job_outputs.get(n, {})} for n in needs
                }
            }
            condition = str(job.get("if", ""))
            needs_ok = all(results[n] == "success" for n in needs)
            if not evaluate_if(condition, context, success=needs_ok, failure=not needs_ok):
                results[job_id] = "skipped"
                self.log.append(f"job {job_id}: skipped")
                continue
            if "container" in job or "services" in job:
                raise Unreproducible(f"job {job_id} runs in a container")
            outcome = "success"
            for leg in matrix_legs(job):
                leg_failed = self.run_job(job_id, job, workflow, leg, context["needs"])
                if leg_failed and not job.get("continue-on-error"):
                    outcome = "failure"
                    failed += leg_failed
            results[job_id] = outcome
            self.log.append(f"job {job_id}: {outcome}")
        return failed

    # -- jobs and steps ----------------------------------------------------------------------
    def run_job(
        self,
        job_id: str,
        job: dict[str, Any],
        workflow: dict[str, Any],
        leg: dict[str, Any],
        needs: Mapping[str, Any],
    ) -> list[str]:
        # A new runner: a fresh checkout, nothing of the jobs before it.
        self.jobs_run += 1
        if self.jobs_run == 1:
            self.workspace = self.work
        else:
            assert self.pristine is not None
            self.workspace = Path(tempfile.mkdtemp(prefix="job-", dir=self.scratch)) / "work"
            shutil.copytree(self.pristine, self.workspace, symlinks=True)
        python = self.tools(DEFAULT_PYTHON)
        env = self.base_env(python)
        context: dict[str, Any] = {"matrix": leg, "steps": {}, "env": env, "needs": needs}
        env.update(expand_all(workflow.get("env", {}), context))
        env.update(expand_all(job.get("env", {}), context))
        defaults = {**(workflow.get("defaults") or {}).get("run", {})}
        defaults.update((job.get("defaults") or {}).get("run", {}))
        job_deadline = deadline(job.get("timeout-minutes"))
        failing = False
        failed: list[str] = []
        label = job_id + (f" ({', '.join(str(v) for v in leg.values())})" if leg else "")
        for index, step in enumerate(self.with_local_actions(job.get("steps", []), context)):
            name = step_name(step, index)
            context["env"] = env
            if not evaluate_if(str(step.get("if", "")), context, not failing, failing):
                self.log.append(f"  {label} / {name}: skipped")
                continue
            if self.skip_installs and only_installs(str(step.get("run", "x"))):
                continue
            step_env = {**env, **expand_all(step.get("env", {}), context)}
            if str(step.get("uses", "")).split("@")[0] == "re-actors/alls-green":
                code = alls_green(expand_all(step.get("with") or {}, context))
            elif "uses" in step:
                python = self.use_action(step, context, python, env)
                self.log.append(f"  {label} / {name}: action")
                continue
            else:
                started = time.perf_counter()
                code = self.run_step(step, defaults, step_env, context, job_deadline)
                self.seconds[f"{label} / {name}"] = time.perf_counter() - started
            self.log.append(f"  {label} / {name}: exit {code}")
            if code != 0 and not step.get("continue-on-error"):
                failing = True
                failed.append(f"{label} / {name}")
        self.job_outputs[job_id] = expand_all(job.get("outputs") or {}, context)
        return failed

    def use_action(
        self, step: dict[str, Any], context: dict[str, Any], python: Path, env: dict[str, str]
    ) -> Path:
        """Carry out an action; the interpreter later steps use."""
        action = str(step["uses"]).split("@")[0]
        given = expand_all(step.get("with") or {}, context)
        if action == "actions/setup-python":
            chosen = self.tools(str(given.get("python-version", DEFAULT_PYTHON)))
            env["PATH"] = env["PATH"].replace(str(python.parent), str(chosen.parent), 1)
            return chosen
        if action in ENVIRONMENT_ACTIONS:
            return python
        if action == "dorny/paths-filter":
            if "id" in step:
                context["steps"][step["id"]] = {"outputs": self.paths_filter(given)}
            return python
        if action == "actions/upload-artifact":
            kept = self.scratch / "artifacts" / str(given.get("name", "artifact"))
            patterns = str(given["path"]).split()
            root = artifact_root(self.workspace, patterns)
            for pattern in patterns:
                for found in self.workspace.glob(pattern):
                    target = kept / found.relative_to(root)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(found, target)
            self.artifacts[str(given.get("name", "artifact"))] = kept
            return python
        if action == "actions/download-artifact":
            name = str(given.get("name", "artifact"))
            if name not in self.artifacts:
                raise Unreproducible("download-artifact of an artifact not uploaded earlier")
            kept = self.artifacts[name]
            shutil.copytree(kept, self.workspace / str(given.get("path", ".")), dirs_exist_ok=True)
            return python
        raise Unreproducible(f"the action {action} runs only on GitHub")

    def with_local_actions(
        self, steps: list[dict[str, Any]], context: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """A local composite action's step (``uses: ./path``) replaced by the action's steps,
        named "<step> / <its step>", its ``inputs`` filled in (the runner runs them in the job)."""
        expanded: list[dict[str, Any]] = []
        for index, step in enumerate(steps):
            uses = str(step.get("uses", ""))
            if not uses.startswith("./"):
                expanded.append(step)
                continue
            folder = self.workspace / uses[2:].strip("/")
            manifest = folder / "action.yml"
            if not manifest.exists():
                manifest = folder / "action.yaml"
            action = yaml.safe_load(manifest.read_text())
            if action["runs"]["using"] != "composite":
                raise Unreproducible(f"the local action {uses} is not composite")
            inputs = {
                str(k): str((v or {}).get("default", ""))
                for k, v in (action.get("inputs") or {}).items()
            }
            inputs.update(expand_all(step.get("with") or {}, context))
            caller = step_name(step, index)
            inner_context = {"inputs": inputs}
            for inner_index, inner in enumerate(action["runs"]["steps"]):
                filled = json.loads(expand(json.dumps(inner), inner_context))
                filled["name"] = f"{caller} / {step_name(filled, inner_index)}"
                if "if" in step:
                    outer, own = str(step["if"]), str(filled.get("if", ""))
                    filled["if"] = f"({outer}) && ({own})" if own else outer
                expanded.append(filled)
        return self.with_local_actions(expanded, context) if expanded != steps else expanded

    def paths_filter(self, given: Mapping[str, str]) -> dict[str, str]:
        """dorny/paths-filter on a pull request: per filter, whether any changed file matches
        one of its picomatch globs (dot files included), the count, and ``changes``."""
        from wcmatch import glob as wglob

        text = given.get("filters", "")
        if "\n" not in text and ":" not in text:
            text = (self.workspace / text).read_text()
        filters = yaml.safe_load(text)
        flags = wglob.GLOBSTAR | wglob.BRACE | wglob.DOTGLOB | wglob.EXTGLOB
        flags |= wglob.NEGATE | wglob.NEGATEALL
        outputs: dict[str, str] = {}
        matched: list[str] = []
        for name, rules in filters.items():
            patterns = list(flatten_rules(rules))
            files = [
                f for f in self.changed if any(wglob.globmatch(f, p, flags=flags) for p in patterns)
            ]
            outputs[name] = "true" if files else "false"
            outputs[f"{name}_count"] = str(len(files))
            if files:
                matched.append(name)
        outputs["changes"] = json.dumps(matched)
        return outputs

    def run_step(
        self,
        step: dict[str, Any],
        defaults: Mapping[str, Any],
        env: dict[str, str],
        context: dict[str, Any],
        job_deadline: float | None,
    ) -> int:
        files = {
            key: Path(tempfile.mkstemp(prefix=key.lower() + "-", dir=env["RUNNER_TEMP"])[1])
            for key in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")
        }
        env = {**env, **{k: str(v) for k, v in files.items()}}
        script = Path(env["RUNNER_TEMP"]) / f"step-{time.monotonic_ns()}"
        script.write_text(expand(str(step["run"]), context))
        shell = str(step.get("shell", defaults.get("shell", "")))
        argv = {
            "": ["bash", "-e", str(script)],
            "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            "sh": ["sh", "-e", str(script)],
            "python": ["python", str(script)],
        }[shell]
        folder = self.workspace / str(
            step.get("working-directory", defaults.get("working-directory", "."))
        )
        if not folder.is_dir():
            self.log.append(f"    no such directory: {folder.relative_to(self.workspace)}")
            return 1
        limit = [t for t in (deadline(step.get("timeout-minutes")), job_deadline) if t]
        output = Path(env["RUNNER_TEMP"]) / f"output-{time.monotonic_ns()}"
        code = run_until(argv, folder, env, min(limit) if limit else None, output)
        if code != 0:
            self.log += ["    | " + line for line in output.read_text().splitlines()[-15:]]
        self.carry_files(files, context, step, env)
        return code

    def carry_files(
        self,
        files: dict[str, Path],
        context: dict[str, Any],
        step: dict[str, Any],
        env: dict[str, str],
    ) -> None:
        job_env: dict[str, str] = context["env"]
        job_env.update(parse_env_file(files["GITHUB_ENV"].read_text()))
        for line in reversed(files["GITHUB_PATH"].read_text().splitlines()):
            if line.strip():
                job_env["PATH"] = f"{line.strip()}:{job_env['PATH']}"
        if "id" in step:
            outputs = parse_env_file(files["GITHUB_OUTPUT"].read_text())
            context["steps"][step["id"]] = {"outputs": outputs}


# -- helpers ---------------------------------------------------------------------------------
def alls_green(given: Mapping[str, str]) -> int:
    """re-actors/alls-green: exit 1 unless every job it is given ended acceptably (success;
    success or skipped when allowed to be skipped; anything when allowed to fail)."""

    def names(key: str) -> set[str]:
        text = given.get(key, "[]")
        try:
            value = json.loads(text)
        except ValueError:
            value = text.split(",")
        return {str(v).strip() for v in value if str(v).strip()}

    jobs = json.loads(given["jobs"])
    may_fail, may_skip = names("allowed-failures"), names("allowed-skips")
    if not jobs:
        return 1
    for name, job in jobs.items():
        acceptable = {"success"}
        if name in may_skip:
            acceptable.add("skipped")
        if name in may_fail:
            acceptable |= {"failure", "cancelled", "skipped"}
        if job["result"] not in acceptable:
            return 1
    return 0


def flatten_rules(rules: Any) -> Iterator[str]:
    """A paths-filter rule list as globs (lists nested by YAML anchors flattened)."""
    if isinstance(rules, str):
        yield rules
    elif isinstance(rules, list):
        for rule in rules:
            yield from flatten_rules(rule)
    else:
        raise Unreproducible(f"a paths-filter rule this runner does not read: {rules!r}")


def artifact_root(workspace: Path, patterns: list[str]) -> Path:
    """Where upload-artifact v4 roots an artifact: the least common ancestor of the search paths
    (each pattern's part before its first wildcard; a file's own folder)."""
    roots = []
    for pattern in patterns:
        fixed = []
        for part in Path(pattern).parts:
            if any(c in part for c in "*?["):
                break
            fixed.append(part)
        path = workspace.joinpath(*fixed)
        roots.append(path if path.is_dir() else path.parent)
    return Path(os.path.commonpath([str(r) for r in roots])) if roots else workspace


def run_until(
    argv: list[str], cwd: Path, env: dict[str, str], limit: float | None, output: Path
) -> int:
    """Run ``argv`` in its own process group, its output to ``output``; kill what it leaves
    behind when it ends (the runner does so at the end of the job; no step here relies on a
    leftover outliving its step)."""
    with output.open("wb") as sink:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        timeout = None if limit is None else max(0.0, limit - time.monotonic())
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = 124
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return code


def only_installs(script: str) -> bool:
    lines = [line.strip() for line in script.splitlines() if line.strip()]
    return all(re.match(r"(python -m )?pip install\b", line) for line in lines)


def deadline(minutes: Any) -> float | None:
    return None if minutes is None else time.monotonic() + float(minutes) * 60


def parse_env_file(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, marker = line.split("<<", 1)
            body: list[str] = []
            for text in lines:
                if text == marker:
                    break
                body.append(text)
            values[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def schema_problem(workflow: Any, work: Path) -> str | None:
    if not isinstance(workflow, dict) or "jobs" not in workflow:
        return "no jobs"
    if "on" not in workflow and True not in workflow:
        return "no trigger (on:)"
    for job_id, job in workflow["jobs"].items():
        if not isinstance(job, dict):
            return f"job {job_id} is not a mapping"
        if "runs-on" not in job and "uses" not in job:
            return f"job {job_id}: runs-on is required"
        called = str(job.get("uses", ""))
        if called.startswith("./") and not (work / called).is_file():
            return f"job {job_id}: the reusable workflow {called} does not exist"
        for need in as_list(job.get("needs")):
            if need not in workflow["jobs"]:
                return f"job {job_id} needs the unknown job {need}"
        for step in job.get("steps", []):
            if ("run" in step) == ("uses" in step):
                return f"job {job_id}: a step has both or neither of run and uses"
    return None


def needs_order(jobs: Mapping[str, Any]) -> list[str]:
    order: list[str] = []
    while len(order) < len(jobs):
        ready = [
            j
            for j in jobs
            if j not in order and all(n in order for n in as_list(jobs[j].get("needs")))
        ]
        if not ready:
            raise ValueError("jobs need each other in a cycle")
        order += ready
    return order


def matrix_legs(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    matrix = dict((job.get("strategy") or {}).get("matrix") or {})
    include = matrix.pop("include", [])
    matrix.pop("exclude", None)
    keys = list(matrix)
    legs = [dict(zip(keys, values, strict=True)) for values in itertools.product(*matrix.values())]
    return [leg for leg in legs if leg] + list(include) or [{}]


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def step_name(step: Mapping[str, Any], index: int) -> str:
    if "name" in step:
        return str(step["name"])
    if "run" in step:
        return "Run " + str(step["run"]).strip().splitlines()[0]
    return f"Run {step.get('uses', index)}"


def glob(path: str, pattern: str) -> bool:
    """GitHub's filter patterns: ``*`` within a folder, ``**`` across folders."""
    regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
    regex = regex.replace(r"\*", "[^/]*")
    return re.fullmatch(regex, path) is not None or fnmatch.fnmatchcase(path, pattern)


# -- ${{ }} and if: ----------------------------------------------------------------------------
def expand(text: str, context: Mapping[str, Any]) -> str:
    return re.sub(
        r"\$\{\{(.*?)\}\}", lambda m: to_text(Expression(m.group(1), context).value()), text
    )


def expand_all(values: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): expand(str(v), context) for k, v in values.items()}


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def evaluate_if(condition: str, context: Mapping[str, Any], success: bool, failure: bool) -> bool:
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    if not text:
        return success
    status = {"success": success, "failure": failure, "always": True, "cancelled": False}
    result = Expression(text, context, status).value()
    if not re.search(r"\b(success|failure|always|cancelled)\(", text):
        return success and truthy(result)
    return truthy(result)


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "")


TOKEN = re.compile(r"\s*(==|!=|&&|\|\||!|\(|\)|,|'(?:[^']|'')*'|[A-Za-z_][\w.\-*]*|\d+)")


class Expression:
    """GitHub's expression language, the forms the corpus uses: literals, contexts (``github``,
    ``env``, ``matrix``, ``steps``, ``needs``, ``secrets``, ``runner``), ``==`` ``!=`` ``!``
    ``&&`` ``||``, object filters (``needs.*.result``), and the functions startsWith, endsWith,
    contains and the status ones."""

    def __init__(
        self, text: str, context: Mapping[str, Any], status: Mapping[str, bool] | None = None
    ) -> None:
        self.tokens = self._tokens(text)
        self.position = 0
        self.context = context
        self.status = status or {}

    @staticmethod
    def _tokens(text: str) -> list[str]:
        tokens, index = [], 0
        text = text.strip()
        while index < len(text):
            match = TOKEN.match(text, index)
            if not match:
                raise ValueError(f"cannot read the expression {text!r}")
            tokens.append(match.group(1))
            index = match.end()
        return tokens

    def value(self) -> Any:
        result = self._or()
        if self.position != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.position]!r}")
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> str:
        self.position += 1
        return self.tokens[self.position - 1]

    def _or(self) -> Any:
        left = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            left = left if truthy(left) else right
        return left

    def _and(self) -> Any:
        left = self._compare()
        while self._peek() == "&&":
            self._take()
            right = self._compare()
            left = right if truthy(left) else left
        return left

    def _compare(self) -> Any:
        left = self._unary()
        while self._peek() in ("==", "!="):
            operator = self._take()
            right = self._unary()
            same = fold(left) == fold(right)
            left = same if operator == "==" else not same
        return left

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        token = self._take()
        if token == "(":
            inner = self._or()
            self._take()
            return inner
        if token.startswith("'"):
            return token[1:-1].replace("''", "'")
        if token.isdigit():
            return int(token)
        if token in ("true", "false"):
            return token == "true"
        if token == "null":
            return None
        if self._peek() == "(":
            self._take()
            args: list[Any] = []
            while self._peek() != ")":
                args.append(self._or())
                if self._peek() == ",":
                    self._take()
            self._take()
            return self._call(token, args)
        return self._lookup(token)

    def _call(self, name: str, args: list[Any]) -> Any:
        if name in self.status:
            return self.status[name]
        texts = [fold(a) for a in args]
        if name == "startsWith":
            return texts[0].startswith(texts[1])
        if name == "endsWith":
            return texts[0].endswith(texts[1])
        if name == "toJSON":
            return json.dumps(args[0])
        if name == "contains":
            if isinstance(args[0], list):
                return texts[1] in [fold(item) for item in args[0]]
            return texts[1] in texts[0]
        raise ValueError(f"the function {name}() is not supported here")

    def _lookup(self, path: str) -> Any:
        parts = path.split(".")
        if parts[0] == "github":
            return self._github(".".join(parts[1:]))
        if parts[0] == "secrets":
            return ""
        if parts[0] == "runner":
            return {"os": "Linux", "temp": ""}.get(parts[1] if len(parts) > 1 else "")
        value: Any = self.context.get(parts[0])
        filtered = False
        for part in parts[1:]:
            if part == "*":  # an object filter: every value, the properties after read on each
                value = list(value.values()) if isinstance(value, Mapping) else []
                filtered = True
            elif filtered:
                value = [v.get(part) for v in value if isinstance(v, Mapping)]
            else:
                value = value.get(part) if isinstance(value, Mapping) else None
        return value

    def _github(self, key: str) -> Any:
        env = self.context.get("env", {})
        return {
            "event_name": "pull_request",
            "ref": "refs/pull/1/merge",
            "base_ref": env.get("GITHUB_BASE_REF", "main"),
            "head_ref": env.get("GITHUB_HEAD_REF", "feature"),
            "event.pull_request.draft": False,
            "event.action": "synchronize",
            "workspace": env.get("GITHUB_WORKSPACE", ""),
            "repository": "example/project",
            "actor": "contributor",
        }.get(key)


def fold(value: Any) -> str:
    """Comparison as GitHub does for strings: case-insensitive."""
    return to_text(value).lower()


# -- a pull request in a fresh clone -----------------------------------------------------------
def ci_verdict(
    repo: Path, tools: Callable[[str], Path], base: str = "main", skip_installs: bool = False
) -> Verdict:
    """CI's verdict on the pull request of ``repo``'s current branch into ``base``."""
    head_ref = git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
    head = git(repo, "rev-parse", "HEAD").strip()
    with tempfile.TemporaryDirectory(prefix="ci-by-hand-") as folder:
        scratch = Path(folder)
        work = scratch / "work"
        git(scratch, "clone", "-q", "--no-hardlinks", str(repo), str(work))
        git(work, "checkout", "-q", "--detach", head)
        merge_base = git(work, "merge-base", f"origin/{base}", head).strip()
        if merge_base != git(work, "rev-parse", f"origin/{base}").strip():
            # The base moved on: CI tests the merge of the pull request into it.
            git(work, "checkout", "-q", "--detach", f"origin/{base}")
            git(work, "merge", "-q", "--no-ff", "--no-edit", head)
        changed = git(work, "diff", "--name-only", f"{merge_base}...{head}").split()
        runner = Runner(work, tools, base, head_ref, changed, scratch, skip_installs=skip_installs)
        return runner.run()


def scenario_verdict(scenario: Scenario) -> Verdict:
    """Build ``scenario`` and run its pull request by hand."""

    def tools(version: str) -> Path:
        toolset = scenario.tools if version == DEFAULT_PYTHON else "legs"
        return tools_python(toolset, version)

    with tempfile.TemporaryDirectory(prefix="scenario-") as folder:
        repo = build(scenario, Path(folder) / scenario.name)
        return ci_verdict(repo, tools)


def record(scenario: Scenario, verdict: Verdict) -> None:
    path = scenario.folder / "scenario.toml"
    text = path.read_text().split("\n[ci]\n")[0].rstrip() + "\n"
    failed = ", ".join(json.dumps(f) for f in verdict.failed)  # a TOML basic string
    text += (
        "\n[ci]\n# Recorded by `python bench/ci_by_hand.py --record`: the workflow's steps run\n"
        "# by hand in a clean clone (each job in its own copy), as the runner does.\n"
        f'verdict = "{verdict.verdict}"\nfailed = [{failed}]\n'
    )
    path.write_text(text)


def by_hand(chosen: list[Scenario]) -> Iterator[tuple[Scenario, Verdict | str]]:
    for scenario in chosen:
        try:
            yield scenario, scenario_verdict(scenario)
        except Unreproducible as exc:
            yield scenario, f"not run by hand: {exc}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--record", action="store_true", help="write verdicts to scenario.toml")
    parser.add_argument("--quick", action="store_true", help="three scenarios: a smoke check")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each step")
    args = parser.parse_args()
    chosen = scenarios(args.names or None)
    if args.quick:
        chosen = [s for s in chosen if not s.slow][:3]
    for scenario, verdict in by_hand(chosen):
        if isinstance(verdict, str):
            print(f"{scenario.name:40} {verdict}")
            continue
        print(f"{scenario.name:40} {verdict.verdict:5} {'; '.join(verdict.failed)}")
        if args.verbose:
            print("\n".join("    " + line for line in verdict.log))
        if args.record:
            record(scenario, verdict)


if __name__ == "__main__":
    main()

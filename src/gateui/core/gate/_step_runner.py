"""How one gate step runs, in its job's checkout, as a stream of events.

- pytest steps go through gateui's runner (per-test results stream, crashes are named);
- CI ``run:`` scripts run in the shell GitHub would use (``bash -e`` by default) in the resolved
  working directory; declared commands without shell syntax run directly. Both get the event
  plugin through the environment (``PYTEST_ADDOPTS=-p gateui_events``, a file channel), so the
  pytest sessions they start still report per test;
- the project's interpreter comes first on PATH (``python`` in a Makefile or script is the
  project's), and in a worktree the interpreter imports the worktree's code, not the user's
  editable install;
- every step runs in the read-only sandbox where one is available, and stops at its time limit.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shlex
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from gateui.core.commands.classify import quote_command
from gateui.core.commands.pytest_args import split_pytest_args
from gateui.core.common.errors import GateuiError, InterpreterError
from gateui.core.common.paths import relative_nodeid, relative_path
from gateui.core.discovery.discover import Project
from gateui.core.gate._adapt_args import adapt_args
from gateui.core.gate._artifacts import HandOver
from gateui.core.gate._console_pytest import ConsolePytestCommand
from gateui.core.gate._import_overlay import worktree_overlay
from gateui.core.gate._job_checkouts import JobPlace
from gateui.core.gate._legs import LegEnvironment, LegEvent
from gateui.core.gate._network import offline_failure
from gateui.core.gate._runner_env import (
    PRE_COMMIT_HOME,
    JobState,
    MissingOutput,
    RunnerFiles,
    runner_environment,
)
from gateui.core.gate._sandbox import sandboxed, unavailable_reason
from gateui.core.gate._step_limits import TimeLimit, stop_at
from gateui.core.gate._step_outcome import (
    merge_outcome,
    missing_command,
    missing_command_under_make,
    missing_module,
    note_order_seed,
    pre_commit_setup_failure,
    sandbox_write,
    shuffle_nodeids,
    tally,
    with_order_seed,
    worse_exit,
)
from gateui.core.gate.gitops import clean_env, worktree_admin_dir
from gateui.core.gate.model import (
    ARTIFACT_KINDS,
    KIND_MARKER_CHECK,
    KIND_PYTEST,
    KIND_RANDOM_ORDER,
    KIND_SHELL,
    KIND_SUITE,
    GateStep,
    StepOutcome,
    StepResult,
)
from gateui.core.layout.interpreter_info import InterpreterInfo, interpreter_info
from gateui.core.plan.run_plan import CommandRun, RunRequest, merge_summaries, plan_run
from gateui.core.running.command_process import (
    CommandProcess,
    CommandSpec,
    CommandStartError,
    python_shim,
    which,
)
from gateui.core.running.events import (
    Event,
    ItemCollected,
    OutputLine,
    RunSummary,
    SessionStarted,
)
from gateui.core.running.junit import junit_paths
from gateui.core.running.process_group import CurrentProcess
from gateui.core.running.pytest_process import PytestCommand, PytestProcess

ORDER_SEED_ENV = "GATEUI_ORDER_SEED"  # read by the event plugin: `gateui gate --seed N`
_SEED = re.compile(r"--random(?:ly|-order)-seed=\d+")
_COVERAGE_FAIL = re.compile(
    r"Required test coverage of ([\d.]+)% not reached\. Total coverage: ([\d.]+)%"
)
_UNRECOGNIZED = re.compile(r"error: unrecognized arguments: (.+)")


# -- events ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepStarted:
    index: int
    step: GateStep


@dataclass(frozen=True)
class StepEvent:
    """A runner event (a test result, a collection error…) of the step that is running."""

    index: int
    step: GateStep
    event: Event


@dataclass(frozen=True)
class StepFinished:
    index: int
    result: StepResult


GateEvent = StepStarted | StepEvent | StepFinished | LegEvent


class StepGate(Protocol):
    """What a step needs of the gate run it belongs to."""

    seed: int | None
    hand_over: HandOver

    @property
    def cancelled(self) -> bool: ...

    def processes_of(self, job: str) -> CurrentProcess: ...


class StepRunner:
    def __init__(
        self,
        gate: StepGate,
        step: GateStep,
        index: int,
        place: JobPlace,
        job: JobState,
        limit: TimeLimit,
    ) -> None:
        self.gate = gate
        self.processes = gate.processes_of(step.job)
        self.step = step
        self.index = index
        self.scratch = place.scratch
        self.job = job
        self.checkout = place.checkout
        scratch = place.scratch
        self.cwd = (self.checkout.root / step.cwd).resolve()
        self.files = RunnerFiles.create(scratch.root / "steps" / str(index))
        self.deadline = time.monotonic() + limit.seconds
        self.limit = limit
        self.timed_out = ""
        """CI's words for a step stopped at its time limit ("" while it is not)."""
        self.sandbox_off = unavailable_reason(os.environ)
        """Why the step runs without the read-only sandbox ("" when it runs in it)."""
        self.leg_environment: LegEnvironment | None = None  # a matrix leg's, else the project's

    # -- the sandbox and the time limit --------------------------------------------------------
    def wrap(self, argv: Sequence[str], env: Mapping[str, str]) -> list[str]:
        """Everything read-only but the checkout (and git's record of it) and the scratch area."""
        if self.sandbox_off:
            return list(argv)
        writable = [self.checkout.root, self.scratch.root]
        if PRE_COMMIT_HOME.is_dir():
            writable.append(PRE_COMMIT_HOME)  # pre-commit's environments, kept between checks
        admin = worktree_admin_dir(self.checkout.root)
        if admin is not None and admin.is_dir():
            writable.append(admin)
        return sandboxed(argv, env, writable)

    def time_limit(self, process: PytestProcess | CommandProcess) -> AbstractContextManager[None]:
        """Stop ``process`` (and all it started) when the step's time is up."""

        def expire() -> None:
            self.timed_out = self.limit.message
            process.cancel()

        return stop_at(self.deadline, expire)

    def run(self, outcome: StepOutcome) -> Iterator[GateEvent]:
        if not self.cwd.is_dir():
            outcome.missing_cwd = self.step.cwd
            return
        try:
            selects = bool(self.step.suite or self.step.markers or self.step.paths)
            if self.step.kind == KIND_PYTEST or (
                self.step.kind == KIND_RANDOM_ORDER and not selects
            ):
                yield from self._pytest_step(outcome)
            elif self.step.kind in (KIND_SUITE, KIND_RANDOM_ORDER):
                yield from self._suite_step(outcome)
            elif self.step.kind == KIND_MARKER_CHECK:
                yield from self._marker_check(outcome)
            elif self.step.kind in ARTIFACT_KINDS:
                self.gate.hand_over.perform(self.step, outcome, self.checkout.root)
            elif self.step.kind == KIND_SHELL:
                yield from self._command_step(outcome, shell=True)
            else:
                yield from self._command_step(outcome, shell=False)
        except (InterpreterError, GateuiError) as exc:
            outcome.cannot_run = str(exc)
        except MissingOutput as exc:
            outcome.not_reproduced = str(exc)
        with_order_seed(outcome, pytest_line=self.step.kind in (KIND_PYTEST, KIND_SUITE))

    # -- environment ---------------------------------------------------------------------------
    def interpreter(self) -> Path:
        if self.leg_environment is not None:
            return self.leg_environment.python
        return self.checkout.interpreter_for(self.cwd)

    def base_env(self, interpreter: Path) -> dict[str, str]:
        """The environment every step gets (before the step's own ``env``)."""
        env = runner_environment(
            clean_env(), self.checkout.root, self.scratch, self.checkout.pull_request
        )
        env.update(self.files.variables())
        if self.gate.seed is not None:
            env[ORDER_SEED_ENV] = str(self.gate.seed)  # the random-order plugins' seed
        self.job.apply(env)
        shim = self._python_shim(interpreter, env.get("PATH", os.defpath))
        env["PATH"] = os.pathsep.join(
            [str(shim), str(interpreter.parent), env.get("PATH", os.defpath)]
        )
        if self.leg_environment is not None:
            # As setup-python and pip install leave the runner: the leg's environment is active.
            env["VIRTUAL_ENV"] = str(self.leg_environment.folder)
        if self.checkout.is_worktree:
            overlay = worktree_overlay(
                interpreter, self.checkout.root, self.checkout.user_root, self.scratch.root
            )
            if overlay is not None:
                existing = env.get("PYTHONPATH")
                env["PYTHONPATH"] = os.pathsep.join(
                    [str(overlay), *([existing] if existing else [])]
                )
        return env

    def _python_shim(self, interpreter: Path, search_path: str) -> Path:
        """A folder whose ``python`` and ``python3`` are the project's interpreter (and whose
        ``mix test`` reports each test)."""
        return python_shim(self.scratch.root / "bin", interpreter, search_path)

    def step_env(self, interpreter: Path) -> dict[str, str]:
        env = self.base_env(interpreter)
        env.update({k: self.job.with_outputs(v) for k, v in self.step.env})
        return env

    # -- pytest through the runner ---------------------------------------------------------------
    def _pytest_step(self, outcome: StepOutcome) -> Iterator[GateEvent]:
        interpreter = self.interpreter()
        info = interpreter_info(interpreter)
        args, shuffle = adapt_args(self.step, list(self.step.pytest_args), info, outcome)
        env = self.step_env(interpreter)
        collect_items = bool(self.step.marker_intent)
        if shuffle or self.step.kind == KIND_RANDOM_ORDER:
            yield from self._shuffled(interpreter, args, env, outcome)
            return
        command = self._command(interpreter, args, env, collect_items)
        outcome.reproduce = self._reproduce(interpreter, args)
        yield from self._run_process(command, outcome)
        self._after_pytest(outcome, info)

    def _command(
        self,
        interpreter: Path,
        args: Sequence[str],
        env: Mapping[str, str],
        collect_items: bool = False,
        cwd: Path | None = None,
    ) -> PytestCommand:
        kind = ConsolePytestCommand if self.step.pytest_entry == "console" else PytestCommand
        return kind(
            project_root=cwd or self.cwd,
            repo_root=self.checkout.root,
            interpreter=interpreter,
            args=tuple(args),
            collect_items=collect_items,
            env=dict(env),
            inherit_env=False,
            wrap=self.wrap,
        )

    def _after_pytest(self, outcome: StepOutcome, info: InterpreterInfo) -> None:
        text = "\n".join(outcome.output_tail)
        for match in _SEED.finditer(text):
            note_order_seed(outcome, match.group(0))  # a header the event plugin did not send
        coverage = _COVERAGE_FAIL.search(text)
        if coverage:
            outcome.warnings.append(
                f"coverage {coverage.group(2)}% < {coverage.group(1)}% floor (pytest-cov)"
            )
        unrecognized = _UNRECOGNIZED.search(text)
        if unrecognized and outcome.exit_code == 4 and not outcome.had_test_events:
            outcome.not_reproduced = (
                f"pytest in {info.path} rejects {unrecognized.group(1).strip()}: the plugin that"
                " provides it is not installed there"
            )
            outcome.remedy = "install the plugin there to check this step"

    def _reproduce(self, interpreter: Path, args: Sequence[str], cwd: Path | None = None) -> str:
        folder = relative_path(cwd or self.cwd, self.checkout.root)
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.step.env)
        if self.step.pytest_entry == "console" and (interpreter.parent / "pytest").exists():
            runner = [str(interpreter.parent / "pytest")]
        else:
            runner = [str(interpreter), "-m", "pytest"]
        line = quote_command([*runner, *args])
        prefix = f"cd {shlex.quote(folder)} && " if folder != "." else ""
        return prefix + (f"{env} " if env else "") + line

    def _run_process(self, command: PytestCommand, outcome: StepOutcome) -> Iterator[GateEvent]:
        process = PytestProcess(command)
        self.processes.track(process)
        rootdir: Path | None = None
        try:
            with self.time_limit(process):
                for event in process.events():
                    if isinstance(event, SessionStarted):
                        rootdir = Path(event.rootdir)
                        note_order_seed(outcome, event.order_seed)
                    elif isinstance(event, ItemCollected):
                        if event.deselected:
                            continue  # the step's own -m deselected it: not one of its tests
                        nodeid = relative_nodeid(
                            event.nodeid, rootdir or command.project_root, self.checkout.root
                        )
                        outcome.collected.append((nodeid, event.markers))
                        continue
                    elif isinstance(event, RunSummary):
                        outcome.crashed = outcome.crashed or event.crashed
                        outcome.crash_message = outcome.crash_message or event.crash_message
                        outcome.output_tail.extend(event.output_tail)
                        continue
                    tally(outcome, event)
                    if not isinstance(event, OutputLine):
                        yield StepEvent(self.index, self.step, event)
        finally:
            self.processes.track(None)
        code = process.returncode
        outcome.exit_code = worse_exit(outcome.exit_code, code)

    # -- order -----------------------------------------------------------------------------------
    def _shuffled(
        self, interpreter: Path, args: list[str], env: Mapping[str, str], outcome: StepOutcome
    ) -> Iterator[GateEvent]:
        """Collect, shuffle with a seed (modules, then tests within each module), run in that
        order by node id. ``-p no:randomly`` keeps pytest-randomly from reordering again."""
        seed = self.gate.seed or random.SystemRandom().randrange(1, 2**31)
        outcome.seed = seed
        options = [t for a in split_pytest_args(args) if a.name is not None for t in a.tokens]
        collect = self._command(
            interpreter,
            [*args, "--collect-only", "-q", "-p", "no:randomly"],
            env,
            collect_items=True,
        )
        probe = StepOutcome()
        for _ in self._run_process(collect, probe):
            pass
        if probe.collection_errors or probe.exit_code not in (0, 5):
            outcome.collection_errors = probe.collection_errors
            outcome.exit_code = probe.exit_code
            outcome.output_tail = probe.output_tail
            outcome.reproduce = self._reproduce(interpreter, args)
            return
        ordered = shuffle_nodeids([n for n, _ in probe.collected], seed)
        outcome.warnings.append(f"this order again: gateui gate --seed {seed}")
        ids = [self._cwd_relative(n) for n in ordered]
        run_args = [*options, "-p", "no:randomly", *ids]
        outcome.reproduce = self._reproduce(interpreter, run_args)
        if not ids:
            outcome.exit_code = 5
            return
        yield from self._run_process(self._command(interpreter, run_args, env), outcome)

    def _cwd_relative(self, repo_nodeid: str, cwd: Path | None = None) -> str:
        path, sep, rest = repo_nodeid.partition("::")
        absolute = self.checkout.root / path
        return relative_path(absolute, cwd or self.cwd) + sep + rest

    # -- declared suites, marker expressions, paths ----------------------------------------------
    def _suite_step(self, outcome: StepOutcome) -> Iterator[GateEvent]:
        projects = self._projects_for_cwd()
        if not projects:
            outcome.cannot_run = f"no test project in {self.step.cwd}"
            return
        paths = tuple(str((self.cwd / p).resolve()) for p in self.step.paths)
        request = RunRequest(suite=self.step.suite, markers=self.step.markers, paths=paths)
        commands = plan_run(projects, request)
        summaries: list[RunSummary] = []
        reproduce: list[str] = []
        for planned in commands:
            interpreter = planned.interpreter
            info = interpreter_info(interpreter)
            args, _ = adapt_args(self.step, list(planned.args), info, outcome)
            env = self.step_env(interpreter)
            part = StepOutcome()
            if self.step.kind == KIND_RANDOM_ORDER:
                saved_cwd = self.cwd
                self.cwd = planned.project_root
                try:
                    yield from self._shuffled(interpreter, args, env, part)
                finally:
                    self.cwd = saved_cwd
                outcome.seed = part.seed
            elif isinstance(planned, CommandRun):
                # A command suite, or mix test: run as a command, in the gate's environment.
                folder = relative_path(planned.project_root, self.checkout.root)
                where = f"cd {shlex.quote(folder)} && " if folder != "." else ""
                part.reproduce = where + planned.label
                try:
                    yield from self._run_command(replace(planned.spec(), env=env), part)
                except CommandStartError as exc:
                    outcome.cannot_run = str(exc)
                    return
            else:
                command = replace(
                    planned,
                    args=tuple(args),
                    env={**dict(planned.env), **env},
                    inherit_env=False,
                    wrap=self.wrap,
                )
                part.reproduce = self._reproduce(interpreter, args, planned.project_root)
                yield from self._run_process(command, part)
            reproduce.append(part.reproduce)
            merge_outcome(outcome, part)
            summaries.append(
                RunSummary(
                    selected=part.passed + part.failed + part.skipped + part.xfailed + part.errors,
                    passed=part.passed,
                    failed=part.failed,
                    skipped=part.skipped,
                    xfailed=part.xfailed,
                    errors=part.errors,
                    crashed=part.crashed,
                    duration_s=0.0,
                    exitstatus=part.exit_code,
                    collection_errors=len(part.collection_errors),
                )
            )
            if self.gate.cancelled:
                return
        merged = merge_summaries(summaries)
        outcome.exit_code = merged.exitstatus if merged.exitstatus is not None else 1
        outcome.reproduce = " ; ".join(reproduce)

    def _projects_for_cwd(self) -> list[Project]:
        if self.step.cwd == ".":
            return list(self.checkout.projects)
        inside = [
            p for p in self.checkout.projects if p.root == self.cwd or self.cwd in p.root.parents
        ]
        if inside:
            return inside
        owners = [p for p in self.checkout.projects if p.root in self.cwd.parents]
        return [max(owners, key=lambda p: len(p.root.parts))] if owners else []

    def _marker_check(self, outcome: StepOutcome) -> Iterator[GateEvent]:
        names = self.step.thresholds.require_markers
        expression = "not (" + " or ".join(names) + ")"
        reproduce = []
        projects = self._projects_for_cwd()
        # The project where pytest runs from here: with its sub-projects ignored, as a plain
        # `pytest` there would. Only without one, every project of the folder.
        owner = [p for p in projects if p.root == self.cwd]
        for project in owner or projects:
            interpreter = project.interpreter
            env = self.step_env(interpreter)
            args = ["--collect-only", "-q", "-m", expression]
            for nested in project.nested:
                args += ["--ignore", relative_path(nested, project.root)]
            command = PytestCommand(
                project_root=project.root,
                repo_root=self.checkout.root,
                interpreter=interpreter,
                args=tuple(args),
                collect_items=True,
                env=env,
                inherit_env=False,
                wrap=self.wrap,
            )
            part = StepOutcome()
            yield from self._run_process(command, part)
            reproduce.append(self._reproduce(interpreter, args, project.root))
            outcome.collected.extend(part.collected)
            outcome.collection_errors.extend(part.collection_errors)
            outcome.output_tail = part.output_tail
            if part.exit_code not in (0, 5):
                outcome.exit_code = part.exit_code
        if outcome.exit_code is None:
            outcome.exit_code = 0
        outcome.reproduce = " ; ".join(reproduce)

    # -- commands (CI scripts, declared commands) ---------------------------------------------
    def _command_step(self, outcome: StepOutcome, shell: bool) -> Iterator[GateEvent]:
        interpreter = self.interpreter()
        env = self.step_env(interpreter)
        folder = relative_path(self.cwd, self.checkout.root)
        prefix = f"cd {shlex.quote(folder)} && " if folder != "." else ""
        if shell:
            script = self.scratch.root / f"step-{self.index}.sh"
            script.write_text(self.job.with_outputs(self.step.command) + "\n")
            template = self.step.shell or "bash -e {0}"
            argv = [w.replace("{0}", str(script)) for w in shlex.split(template)]
            if argv and argv[0] == "python":
                argv[0] = str(interpreter)
            runner = " ".join(shlex.quote(a) for a in shlex.split(template) if a != "{0}")
            outcome.reproduce = prefix + f"{runner} -c {shlex.quote(self.step.command)}"
            if template.startswith("bash -e "):
                outcome.reproduce = prefix + self.step.command
            junit = junit_paths(shlex.split(self.step.command, comments=True), self.cwd)
        else:
            argv = shlex.split(self.step.command)
            outcome.reproduce = prefix + self.step.command
            found = which(argv[0], self.cwd, env.get("PATH", ""))
            if found is None:
                if "/" in argv[0]:
                    outcome.exit_code = 127
                    outcome.output_tail.append(f"{argv[0]}: no such file")
                else:
                    outcome.not_reproduced = f"{argv[0]} not found here"
                    outcome.remedy = "install it to check this step"
                return
            junit = junit_paths(argv, self.cwd)
            argv[0] = found
        spec = CommandSpec(
            argv=tuple(argv),
            cwd=self.cwd,
            repo_root=self.checkout.root,
            env=env,
            junit=tuple(junit),
        )
        try:
            yield from self._run_command(spec, outcome)
        except CommandStartError as exc:
            outcome.cannot_run = str(exc)
            return
        if outcome.exit_code == 127 or (outcome.exit_code == 2 and not outcome.had_test_events):
            missing = (
                missing_command(outcome.output_tail)
                if outcome.exit_code == 127
                else missing_command_under_make(outcome.output_tail)
            )
            if missing is not None and "/" not in missing:
                outcome.not_reproduced = f"{missing} not found here"
                outcome.remedy = "install it to check this step"
        elif outcome.exit_code == 3 and (setup := pre_commit_setup_failure(outcome.output_tail)):
            outcome.not_reproduced = setup
            outcome.remedy = "run `pre-commit run --all-files` yourself to check this step"
        elif outcome.exit_code == 1 and not outcome.had_test_events:
            module = missing_module(outcome.output_tail)
            if module is not None:
                outcome.not_reproduced = f"{module} is not installed in {interpreter}"
                outcome.remedy = "install it there to check this step"
        if outcome.exit_code not in (0, None) and not (outcome.not_reproduced or outcome.failed):
            offline = offline_failure(outcome.output_tail)
            written = None if self.sandbox_off else sandbox_write(outcome.output_tail)
            if offline is not None:
                outcome.not_reproduced = offline
                outcome.remedy = "check this step where the network is reachable"
            elif written is not None:
                outcome.not_reproduced = (
                    f"it writes {written}, outside its checkout, which the gate keeps read-only"
                    " (on CI the runner is the job's to write)"
                )
                outcome.remedy = "check this step in a fresh environment of its own"
        info = None
        with contextlib.suppress(InterpreterError):
            info = interpreter_info(interpreter)
        if info is not None:
            self._after_pytest(outcome, info)

    def _run_command(self, spec: CommandSpec, outcome: StepOutcome) -> Iterator[GateEvent]:
        process = CommandProcess(replace(spec, wrap=self.wrap))
        self.processes.track(process)
        try:
            with self.time_limit(process):
                for event in process.events():
                    if isinstance(event, OutputLine):
                        continue  # the summary carries the tail
                    if isinstance(event, RunSummary):
                        outcome.exit_code = event.exitstatus
                        outcome.output_tail = list(event.output_tail)
                        outcome.crashed = outcome.crashed or event.crashed
                        continue
                    if isinstance(event, SessionStarted):
                        note_order_seed(outcome, event.order_seed)
                    tally(outcome, event)
                    yield StepEvent(self.index, self.step, event)
        finally:
            self.processes.track(None)

"""The PR gate: what it is (steps and thresholds), and how a step's run becomes a verdict.

A gate is either declared in ``[tool.gateui.gate]`` (``gate_config``) or inferred from the CI
workflows (``gate_infer``); running it is ``gate_run``'s job. This module holds the shapes they
share and the one rule book that turns what a step did into a verdict and a one-line reason.

The rule book follows the design's contract: a step taken from a CI workflow means what CI will do
with it, so its command's exit status decides (pytest's exit 5 fails it, as on the runner). What
gateui understands about the step (its tests, a pass rate, the intent of a check) only adds detail
and warnings. Thresholds the user declares are the user's own gate and apply as declared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

PASS, FAIL, SKIPPED, ERROR = "pass", "fail", "skipped", "error"
NOT_REPRODUCED = "not-reproduced"
"""A step's verdict: CI runs it, but it could not be reproduced here (the reason says why and
what would make it reproducible)."""
PARTIAL = "partial"
"""The gate's verdict: every step reproduced here passed, and some could not be reproduced."""

# Why a step is left out (GateStep.left_out). The first four do not count against the verdict:
# CI's result does not depend on them, or they must not run on a developer's machine.
LEFT_OUT_SETUP = "setup"  # environment setup: dependencies, interpreters, caches, checkout
LEFT_OUT_PUBLISH = "publish"  # uploads, releases, pushes, deployments
LEFT_OUT_SECRETS = "secrets"  # needs the repository's secrets
LEFT_OUT_CONDITION = "condition"  # its ``if:`` is false on a pull request
UNREPRODUCED = "unreproduced"  # CI runs it; it cannot run here → the verdict is partial
INVALID = "invalid"  # GitHub fails it before running anything (an invalid workflow file…)

# How a step is run.
KIND_PYTEST = "pytest"  # one pytest invocation, through gateui's runner
KIND_SHELL = "shell"  # a script, run by a shell the way GitHub runs ``run:``
KIND_EXEC = "exec"  # a declared command without shell syntax: run directly
KIND_SUITE = "suite"  # a declared suite / marker expression / paths, through the runner
KIND_MARKER_CHECK = "marker-check"  # every test carries one of some markers
KIND_RANDOM_ORDER = "random-order"  # a pytest step again, in an order gateui shuffles
KIND_NOT_RUN = "not-run"  # listed, never executed here
KIND_UPLOAD_ARTIFACT = "upload-artifact"  # actions/upload-artifact: files kept for later jobs
KIND_DOWNLOAD_ARTIFACT = "download-artifact"  # actions/download-artifact: handed over locally
ARTIFACT_KINDS = (KIND_UPLOAD_ARTIFACT, KIND_DOWNLOAD_ARTIFACT)

ON_FAIL_CHOICES = ("block", "warn")
ON_PARTIAL_CHOICES = ("warn", "block", "allow")
LEGS_CHOICES = ("all", "local")
"""``[tool.gateui.gate] legs``: these words, or a positive number of Python versions."""
LEGS_DEFAULT = "all"
FAILED_NAMES_SHOWN = 3
OUTPUT_TAIL_SHOWN = 20

# Where a commit was checked (GateReport.checked_in).
WORKTREE, CACHE = "worktree", "cache"

# The CI runner's environment as steps see it.
WORKSPACE_VAR = "GITHUB_WORKSPACE"
RUNNER_TEMP_VAR = "RUNNER_TEMP"
DEFAULT_SHELL = "bash -e {0}"  # GitHub's default for run: steps
RUNNER_FILES = ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")


@dataclass(frozen=True)
class Thresholds:
    """What a step's results must meet beyond its exit status."""

    min_pass_rate: float | None = None
    """Percent: passed / (passed + failed + errors) must be at least this."""
    cov_fail_under: float | None = None
    """Coverage floor (pytest-cov's ``--cov-fail-under``)."""
    strict_markers: bool = False
    require_markers: tuple[str, ...] = ()
    random_order: bool = False

    def is_empty(self) -> bool:
        return self == Thresholds()


@dataclass(frozen=True)
class Leg:
    """One matrix leg of a CI job as the gate reproduces it: the Python that
    ``actions/setup-python`` sets up, and the job's own install commands, which build the leg's
    environment here (``_leg_env``)."""

    python: str
    """As the workflow names it: "3.10"."""
    label: str
    """The matrix combination ("python-version=3.10"), or "Python 3.10" without a matrix."""
    installs: tuple[tuple[str, str], ...]
    """(working directory, command) of each install command, in the job's order."""
    not_replayed: tuple[str, ...] = ()
    """Setup commands of the job that the leg's environment does not replay (apt-get…)."""


@dataclass(frozen=True)
class GateStep:
    name: str
    command: str
    """As written: the CI ``run:`` text, the declared command, or the suite it selects."""
    cwd: str
    """Working directory relative to the repository root ("." for the root)."""
    origin: str
    """Where it comes from: "file, job, step"."""
    kind: str
    runs_locally: bool
    why_not: str = ""
    """Why it does not run here (a setup step, needs service containers…)."""
    left_out: str = ""
    """For a step that does not run here: which kind of reason (``LEFT_OUT_*``, ``UNREPRODUCED``,
    ``INVALID``)."""
    remedy: str = ""
    """For an unreproduced step: what would make it reproducible here."""
    job: str = ""
    """Steps of one job share it: a failing step skips the job's later steps, as on CI."""
    needs: tuple[str, ...] = ()
    """Jobs (their ``job``, as ``waits_for`` names them) that must not have failed for this one
    to run: empty under ``if: always()``."""
    waits_for: tuple[str, ...] = ()
    """Jobs (their ``job``, as the gate names them: matrix legs and reusable workflows' jobs
    each) that must have ended before this one starts: those its ``needs`` names, also under
    ``if: always()``. Jobs that wait for nothing run at the same time, as on GitHub."""
    runs_after_failure: bool = False
    """``if: always()`` (or ``failure()``): runs even when an earlier step of the job failed."""
    only_after_failure: bool = False
    """``if: failure()``: runs only then."""
    continue_on_error: bool = False
    env: tuple[tuple[str, str], ...] = ()
    shell: str = ""
    """For shell steps: the command template, GitHub style (``bash -e {0}``)."""
    pytest_entry: str = "module"
    """For pytest steps: "module" (python -m pytest) or "console" (the pytest script)."""
    pytest_args: tuple[str, ...] = ()
    suite: str | None = None
    markers: str | None = None
    paths: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    declared: bool = False
    """From ``[tool.gateui.gate]``: thresholds decide (the user's own gate)."""
    notes: tuple[str, ...] = ()
    """Warnings known before running (matrix, unresolved variables…)."""
    reads_report: str | None = None
    """A JUnit XML file (relative to the repository root) written by an earlier step of the job."""
    writes_report: str | None = None
    """The JUnit XML file this pytest step writes (``--junitxml``), repository-relative."""
    pass_rate_floor: float | None = None
    """A pass-rate threshold read off a CI step ("Check pass rate (98%+ required)")."""
    marker_intent: tuple[str, ...] = ()
    """A CI step meant to check that every test carries one of these markers."""
    timeout_minutes: float | None = None
    """The step's ``timeout-minutes``."""
    job_timeout_minutes: float | None = None
    """Its job's ``timeout-minutes``: the job's steps together must end within it."""
    step_id: str = ""
    """The workflow step's ``id``: its ``$GITHUB_OUTPUT`` becomes ``steps.<id>.outputs``."""
    action_inputs: tuple[tuple[str, str], ...] = ()
    """For an action gateui performs itself (the artifact steps): its ``with:``, resolved."""
    leg: Leg | None = None
    """The matrix leg it belongs to: it runs in that leg's environment (None: the project's)."""
    condition: str | None = None
    """An ``if:`` that reads earlier steps' outputs or the jobs it needs (``steps.*``, ``needs.*``):
    decided when the step's turn comes."""
    job_outputs: tuple[tuple[str, str], ...] = ()
    """Its job's ``outputs:`` (name, value as written, ``steps.*`` outputs left in): evaluated
    when the job ends, for the jobs that need it."""
    needs_jobs: tuple[tuple[str, str], ...] = ()
    """For each job it needs whose outputs can be carried (one job here, not a matrix): its key
    in ``needs.<key>.outputs`` and its ``job`` here."""
    needs_results: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """For each job it needs, where its job reads how they ended (``needs.<key>.result`` in an
    ``if:``, a command or ``env``): the key and the gate's jobs it became (each matrix leg)."""
    job_condition: str | None = None
    """Its job's ``if:`` where that reads the jobs it needs (``needs.*``): decided when the job
    starts, once they have ended, as on the runner."""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "command": self.command,
            "cwd": self.cwd,
            "origin": self.origin,
            "runs_locally": self.runs_locally,
            "kind": self.kind,
        }
        if not self.runs_locally:
            data["why_not"] = self.why_not
            data["left_out"] = self.left_out
            if self.remedy:
                data["to_reproduce"] = self.remedy
        if self.notes:
            data["notes"] = list(self.notes)
        if self.leg is not None:
            data["leg"] = {"python": self.leg.python, "label": self.leg.label}
        if not self.thresholds.is_empty():
            data["thresholds"] = {
                k: (list(v) if isinstance(v, tuple) else v)
                for k, v in asdict(self.thresholds).items()
                if v not in (None, False, ())
            }
        return data


@dataclass(frozen=True)
class GateDefinition:
    source: str | None
    """".github/workflows/ci-fast.yml" (several files: comma-separated), "pyproject.toml", None."""
    steps: tuple[GateStep, ...]
    on_fail: str = "block"
    on_partial: str = "warn"
    """What the pre-push hook does with a partial verdict: warn, block or allow."""
    base: str = "main"
    """The pull request's target branch, for workflow ``branches`` filters."""
    notes: tuple[str, ...] = ()
    """What inference left out and why (a workflow not run on PRs, a filter that excluded it)."""
    sources: tuple[str, ...] = ()
    legs: str = LEGS_DEFAULT
    """Which matrix legs run here: "all", "local" or a number (``[tool.gateui.gate] legs``)."""
    untriggered: tuple[str, ...] = ()
    """Workflows read and found not to run for this pull request, each with why: when they are
    all there is, GitHub runs no check on it and nothing can fail."""
    concurrent_jobs: int | None = None
    """How many jobs run at the same time (``[tool.gateui.gate] concurrent_jobs``; None: as many
    as the machine has CPUs). It changes how long a check takes, never its verdict: it is left
    out of the fingerprint."""

    def fingerprint(self) -> str:
        """A digest of everything that decides the verdict (for the cache key)."""
        data = {
            "source": self.source,
            "steps": [asdict(s) for s in self.steps],
            "on_fail": self.on_fail,
            "legs": self.legs,
            "untriggered": self.untriggered,
        }
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "steps": [s.as_json() for s in self.steps],
        }
        if len(self.sources) > 1:
            data["sources"] = list(self.sources)
        if self.notes:
            data["notes"] = list(self.notes)
        data["on_fail"] = self.on_fail
        data["on_partial"] = self.on_partial
        data["base"] = self.base
        data["legs"] = self.legs
        return data

    @property
    def runnable(self) -> list[GateStep]:
        return [s for s in self.steps if s.runs_locally]


# -- what a run produced --------------------------------------------------------------------
@dataclass
class StepOutcome:
    """What running a step produced, before any judgement."""

    exit_code: int | None = None
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    xfailed: int = 0
    """Expected failures that failed (pytest's "xfailed"; not in ``skipped``)."""
    errors: int = 0
    failed_tests: list[str] = field(default_factory=list)
    error_tests: list[str] = field(default_factory=list)
    collection_errors: list[tuple[str, str]] = field(default_factory=list)
    """(where, first line of the message)."""
    collected: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    """(node id, markers) of collected items, when the step only collects."""
    crashed: str | None = None
    crash_message: str = ""
    output_tail: list[str] = field(default_factory=list)
    had_test_events: bool = False
    cannot_run: str = ""
    """Set when gateui could not run the step at all (its interpreter is missing)."""
    not_reproduced: str = ""
    """Set when what the step needs is not here (a tool not installed): why, in one line."""
    remedy: str = ""
    """With ``not_reproduced``: what would make the step reproducible."""
    seed: int | None = None
    seed_option: str = ""
    """The random-order plugin's option that replays the order ("--randomly-seed=N")."""
    unverified: str = ""
    """Part of what CI does that this run could not reproduce (a random order whose plugin is
    missing here): a pass is then not reproduced, a failure still fails."""
    warnings: list[str] = field(default_factory=list)
    reproduce: str = ""
    duration_s: float = 0.0
    missing_cwd: str = ""

    @property
    def attempted(self) -> int:
        return self.passed + self.failed + self.errors

    @property
    def pass_rate(self) -> float | None:
        return 100.0 * self.passed / self.attempted if self.attempted else None


@dataclass
class StepResult:
    step: GateStep
    verdict: str
    reason: str
    duration_s: float = 0.0
    outcome: StepOutcome | None = None
    warnings: list[str] = field(default_factory=list)
    leg: dict[str, Any] | None = None
    """The matrix leg it ran in: interpreter (path, version) and environment."""

    def as_json(self) -> dict[str, Any]:
        outcome = self.outcome or StepOutcome()
        data: dict[str, Any] = {
            "name": self.step.name,
            "command": self.step.command,
            "cwd": self.step.cwd,
            "origin": self.step.origin,
            "verdict": self.verdict,
            "reason": self.reason,
            "duration_s": round(self.duration_s, 3),
            "runs_locally": self.step.runs_locally,
            "reproduce": outcome.reproduce,
            "exit_code": outcome.exit_code,
            "tests": {
                "passed": outcome.passed,
                "failed": outcome.failed,
                "skipped": outcome.skipped,
                "xfailed": outcome.xfailed,
                "errors": outcome.errors,
            },
            "failed_tests": [*outcome.failed_tests, *outcome.error_tests],
            "collection_errors": [
                {"where": where, "message": message} for where, message in outcome.collection_errors
            ],
            "warnings": list(self.warnings),
        }
        if outcome.seed is not None:
            data["seed"] = outcome.seed
        if self.leg is not None:
            data["leg"] = self.leg
        if outcome.pass_rate is not None:
            data["pass_rate"] = round(outcome.pass_rate, 2)
        if self.verdict in (FAIL, ERROR):
            data["output_tail"] = output_tail(outcome)
        if self.verdict == NOT_REPRODUCED:
            data["why"] = self.why
            data["to_reproduce"] = self.remedy
        return data

    @property
    def why(self) -> str:
        """For a step not reproduced here: why not."""
        if not self.step.runs_locally:
            return self.step.why_not
        return (self.outcome or StepOutcome()).not_reproduced

    @property
    def remedy(self) -> str:
        """For a step not reproduced here: what would make it reproducible."""
        if not self.step.runs_locally:
            return self.step.remedy
        return (self.outcome or StepOutcome()).remedy


def output_tail(outcome: StepOutcome, lines: int = OUTPUT_TAIL_SHOWN) -> list[str]:
    """The last lines a failing step printed (blank lines at the end left out)."""
    tail = list(outcome.output_tail)
    while tail and not tail[-1].strip():
        tail.pop()
    return tail[-lines:]


# -- the rule book ----------------------------------------------------------------------------
def percent(value: float, threshold: float | None = None) -> str:
    """98.33 → "98.3%"; never shows a value below the threshold rounded up to it."""
    text = f"{value:.1f}"
    if threshold is not None and value < threshold and float(text) >= threshold:
        text = f"{value:.2f}"
        if float(text) >= threshold:
            text = f"{value:.3f}"
    return f"{text}%"


def threshold_text(value: float) -> str:
    return f"{value:g}%"


def counts_text(outcome: StepOutcome) -> str:
    parts = []
    for count, label in (
        (outcome.passed, "passed"),
        (outcome.failed, "failed"),
        (outcome.errors, "errors" if outcome.errors != 1 else "error"),
        (outcome.skipped, "skipped"),
        (outcome.xfailed, "xfailed"),
    ):
        if count:
            parts.append(f"{count} {label}")
    return ", ".join(parts) or "no tests ran"


def failing_list(outcome: StepOutcome) -> str:
    names = [*outcome.failed_tests, *outcome.error_tests]
    if not names:
        return ""
    shown = ", ".join(names[:FAILED_NAMES_SHOWN])
    more = len(names) - FAILED_NAMES_SHOWN
    return shown + (f" … and {more} more" if more > 0 else "")


def failures_text(outcome: StepOutcome) -> str:
    """ "2 failed: a, b" / "1 error: c" / "" """
    pieces = []
    if outcome.failed:
        pieces.append(f"{outcome.failed} failed")
    if outcome.errors:
        pieces.append(f"{outcome.errors} error" + ("s" if outcome.errors != 1 else ""))
    if not pieces:
        return ""
    names = failing_list(outcome)
    return ", ".join(pieces) + (f": {names}" if names else "")


def collection_text(outcome: StepOutcome) -> str:
    if not outcome.collection_errors:
        return ""
    where, message = outcome.collection_errors[0]
    more = len(outcome.collection_errors) - 1
    extra = f" (and {more} more)" if more > 0 else ""
    return f"collection error in {where}: {message}{extra}"


def _test_detail(outcome: StepOutcome) -> str:
    """The most telling detail of a failed run, from its tests."""
    if outcome.crashed:
        return f"the test process crashed while {outcome.crashed} was running"
    if outcome.crash_message and not outcome.had_test_events:
        return outcome.crash_message
    if outcome.collection_errors:
        return collection_text(outcome)
    text = failures_text(outcome)
    if text:
        return text
    return ""


def _last_output_line(outcome: StepOutcome) -> str:
    for line in reversed(outcome.output_tail):
        stripped = line.strip()
        if stripped and not set(stripped) <= set("=-_ "):
            return stripped[:200]
    return ""


def exit_reason(outcome: StepOutcome) -> str:
    """Why a command failed, in one line: its exit status and what its tests say."""
    code = outcome.exit_code
    head = f"exit {code}" if code is not None and code >= 0 else "killed"
    if code is not None and code < 0:
        head = f"killed by signal {-code}"
    if code == 5 and not outcome.attempted and not outcome.collection_errors:
        return f"{head} — no tests collected (pytest's exit 5; CI fails this step too)"
    detail = _test_detail(outcome) or _last_output_line(outcome)
    return f"{head} — {detail}" if detail else head


def judge(step: GateStep, outcome: StepOutcome, earlier: Mapping[str, StepOutcome]) -> StepResult:
    """The verdict and reason for one step that ran (``earlier``: outcomes of the job's steps
    by repository-relative report path, for steps that read an earlier step's report)."""
    warnings = list(step.notes) + list(outcome.warnings)
    if outcome.cannot_run:
        return StepResult(step, ERROR, outcome.cannot_run, outcome.duration_s, outcome, warnings)
    if outcome.not_reproduced and not (
        outcome.failed or outcome.errors or outcome.collection_errors
    ):
        # A test that failed fails the step on CI too, whatever could not be checked here.
        reason = outcome.not_reproduced + (f"; {outcome.remedy}" if outcome.remedy else "")
        return StepResult(step, NOT_REPRODUCED, reason, outcome.duration_s, outcome, warnings)
    if outcome.missing_cwd:
        reason = f"working directory {outcome.missing_cwd} does not exist (CI fails this step too)"
        return StepResult(step, FAIL, reason, outcome.duration_s, outcome, warnings)
    if step.kind == KIND_MARKER_CHECK:
        return _judge_marker_check(step, outcome, warnings)
    if step.kind in ARTIFACT_KINDS:
        # gateui performs the action itself: what it did is its last line.
        verdict = PASS if outcome.exit_code == 0 else FAIL
        reason = _last_output_line(outcome) or exit_reason(outcome)
        if verdict == FAIL and step.continue_on_error:
            verdict, reason = PASS, f"{reason} — continue-on-error: CI goes on"
        return StepResult(step, verdict, reason, outcome.duration_s, outcome, warnings)
    if step.declared:
        verdict, reason = _judge_declared(step, outcome)
    else:
        verdict, reason = _judge_ci(step, outcome, earlier, warnings)
    if outcome.seed is not None:
        reason = f"{reason} (random order, seed {outcome.seed})"
    if verdict == PASS and outcome.unverified:
        outcome.not_reproduced = outcome.unverified
        return StepResult(
            step,
            NOT_REPRODUCED,
            f"{reason}; but {outcome.unverified}",
            outcome.duration_s,
            outcome,
            warnings,
        )
    if verdict == FAIL and step.continue_on_error:
        verdict = PASS
        reason = f"{reason} — continue-on-error: CI goes on"
    return StepResult(step, verdict, reason, outcome.duration_s, outcome, warnings)


def _judge_ci(
    step: GateStep,
    outcome: StepOutcome,
    earlier: Mapping[str, StepOutcome],
    warnings: list[str],
) -> tuple[str, str]:
    passed = outcome.exit_code == 0
    reason = exit_reason(outcome) if not passed else f"exit 0 — {counts_text(outcome)}"
    if passed and not outcome.had_test_events:
        reason = "exit 0"
    if step.marker_intent:
        reason = _marker_intent_reason(step, outcome, reason, warnings)
    if step.reads_report is not None:
        source = earlier.get(step.reads_report)
        if source is not None and source.attempted:
            reason = _pass_rate_reason(step, source, outcome, passed)
    if step.thresholds.min_pass_rate is not None and outcome.pass_rate is not None:
        # A declared floor on an inferred step: it can fail the step (the user's own gate),
        # never pass a step CI fails.
        floor = step.thresholds.min_pass_rate
        if outcome.pass_rate < floor:
            return FAIL, (
                f"pass rate {percent(outcome.pass_rate, floor)} < {threshold_text(floor)}"
                f" — {failures_text(outcome)}"
            )
    return (PASS if passed else FAIL), reason


def _pass_rate_reason(
    step: GateStep, source: StepOutcome, outcome: StepOutcome, passed: bool
) -> str:
    rate = source.pass_rate
    assert rate is not None
    floor = step.pass_rate_floor
    head = f"exit {outcome.exit_code}"
    if floor is None:
        text = f"pass rate {percent(rate)}"
    elif rate < floor:
        text = f"pass rate {percent(rate, floor)} < {threshold_text(floor)}"
    else:
        text = f"pass rate {percent(rate, floor)} ≥ {threshold_text(floor)}"
    failures = failures_text(source)
    if failures:
        text += f" — {failures}"
    return f"{head} — {text}"


def _marker_intent_reason(
    step: GateStep, outcome: StepOutcome, reason: str, warnings: list[str]
) -> str:
    names = " or ".join(step.marker_intent)
    neither = " nor ".join(step.marker_intent)
    if outcome.collection_errors:
        return reason
    unmarked = [nodeid for nodeid, _ in outcome.collected]
    if outcome.exit_code == 5:
        warnings.append(
            f"this step checks that every test is {names}, and every test is; but pytest "
            "--collect-only exits 5 when it collects nothing, so the step fails on CI as "
            "written (count the collected tests instead of relying on the exit status)"
        )
        return f"exit 5 — every test is {names}, but pytest exits 5 when nothing is collected"
    if unmarked and outcome.exit_code == 0:
        shown = ", ".join(unmarked[:FAILED_NAMES_SHOWN])
        more = len(unmarked) - FAILED_NAMES_SHOWN
        warnings.append(
            f"{len(unmarked)} test(s) are neither {neither}: {shown}"
            + (f" … and {more} more" if more > 0 else "")
            + " — yet this step passes on CI: pytest --collect-only exits 0 when it collects"
            " tests, so the check cannot fail on an unmarked test"
        )
        return f"exit 0 — {len(unmarked)} test(s) are neither {neither} (CI passes this step)"
    return reason


def _judge_declared(step: GateStep, outcome: StepOutcome) -> tuple[str, str]:
    floor = step.thresholds.min_pass_rate
    code = outcome.exit_code
    if floor is None or code not in (0, 1) or outcome.crashed or outcome.collection_errors:
        if code == 0:
            return PASS, f"exit 0 — {counts_text(outcome)}" if outcome.had_test_events else "exit 0"
        return FAIL, exit_reason(outcome)
    rate = outcome.pass_rate
    if rate is None:
        return FAIL, f"exit {code} — no tests ran, so there is no pass rate"
    failures = failures_text(outcome)
    if rate < floor:
        return FAIL, (
            f"pass rate {percent(rate, floor)} < {threshold_text(floor)}"
            + (f" — {failures}" if failures else "")
        )
    text = f"pass rate {percent(rate, floor)} ≥ {threshold_text(floor)} ({counts_text(outcome)})"
    if failures:
        text += f" — {failures}"
    return PASS, text


def _judge_marker_check(step: GateStep, outcome: StepOutcome, warnings: list[str]) -> StepResult:
    names = " or ".join(step.thresholds.require_markers)
    neither = " nor ".join(step.thresholds.require_markers)
    if outcome.collection_errors:
        return StepResult(
            step, FAIL, collection_text(outcome), outcome.duration_s, outcome, warnings
        )
    if outcome.exit_code not in (0, 5):
        return StepResult(step, FAIL, exit_reason(outcome), outcome.duration_s, outcome, warnings)
    unmarked = [nodeid for nodeid, _ in outcome.collected]
    if unmarked:
        shown = ", ".join(unmarked[:FAILED_NAMES_SHOWN])
        more = len(unmarked) - FAILED_NAMES_SHOWN
        reason = f"{len(unmarked)} test(s) are neither {neither}: {shown}" + (
            f" … and {more} more" if more > 0 else ""
        )
        return StepResult(step, FAIL, reason, outcome.duration_s, outcome, warnings)
    return StepResult(step, PASS, f"every test is {names}", outcome.duration_s, outcome, warnings)


def not_run_result(step: GateStep) -> StepResult:
    """The result of a step that does not run here: a failure GitHub reports before running
    anything, a step not reproduced here, or one left out that CI's verdict does not hang on."""
    if step.left_out == INVALID:
        return StepResult(step, FAIL, step.why_not)
    if step.left_out == UNREPRODUCED:
        reason = step.why_not + (f"; {step.remedy}" if step.remedy else "")
        return StepResult(step, NOT_REPRODUCED, reason)
    return StepResult(step, SKIPPED, f"not run locally: {step.why_not}")


def gate_verdict(results: Sequence[StepResult]) -> tuple[str, str]:
    """The gate's verdict and, when it is not a pass, the reason in one line."""
    ran = [r for r in results if r.verdict in (PASS, FAIL, ERROR)]
    failed = [r for r in results if r.verdict == FAIL]
    if failed:
        first = failed[0]
        more = f" (and {len(failed) - 1} more failing step(s))" if len(failed) > 1 else ""
        return FAIL, f"{first.step.name}: {first.reason}{more}"
    errors = [r for r in results if r.verdict == ERROR]
    if errors:
        return ERROR, f"{errors[0].step.name}: {errors[0].reason}"
    unreproduced = [r for r in results if r.verdict == NOT_REPRODUCED]
    if unreproduced:
        names = ", ".join(r.step.name for r in unreproduced[:FAILED_NAMES_SHOWN])
        rest = len(unreproduced) - FAILED_NAMES_SHOWN
        checked = f"{len(ran)} step(s) passed" if ran else "no step could run here"
        return PARTIAL, (
            f"{checked}; {len(unreproduced)} not reproduced here: {names}"
            + (f" … and {rest} more" if rest > 0 else "")
        )
    if not ran:
        return ERROR, "no step of the gate runs here (see `gateui discover` for the gate)"
    return PASS, ""

"""Jobs of a gate check run at the same time, as on GitHub: real repositories, real workflows,
the real ``gateui gate``.

On GitHub every job whose ``needs`` have ended starts at once on a runner of its own. The gate
runs such jobs at the same time too (``[tool.gateui.gate] concurrent_jobs``, by default the CPU
count), each in its own checkout; ``needs`` still orders jobs, a failed job still skips its
dependants, the report lists steps in definition order, and every line of a step's output stays
in that step's block.

The steps below meet in a folder of ``tmp_path`` (``$MEET``), outside their checkouts: the
read-only sandbox would forbid that, so these checks run with ``GATEUI_SANDBOX=off`` (the
sandbox has tests of its own). Waits are bounded generously and never decide a verdict by time:
a step that waits in vain fails after its bound, which is the failure the test is there for.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import assert_no_worktree_left, git, init_repo, run_cli

pytestmark = pytest.mark.integration

WAIT_BOUND_S = 120
"""How long a step waits for another job's file before it gives up (and fails)."""


def wait_for(path: str) -> str:
    """A shell line that waits (bounded) until ``path`` exists, then checks that it does."""
    tries = WAIT_BOUND_S * 10
    return (
        f'for i in $(seq {tries}); do test -e "{path}" && break; sleep 0.1; done; test -e "{path}"'
    )


def make_repo(tmp_path: Path, workflow: str, gate_settings: str = "concurrent_jobs = 2") -> Path:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    (repo / "pyproject.toml").write_text(
        f'[project]\nname = "r"\nversion = "0"\n\n[tool.gateui.gate]\n{gate_settings}\n'
    )
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    text = textwrap.dedent(workflow).lstrip().replace("$MEET", str(tmp_path / "meet"))
    (workflows / "ci.yml").write_text(text)
    (tmp_path / "meet").mkdir()
    return init_repo(repo)


ENV = {"GATEUI_SANDBOX": "off"}


def gate_json(repo: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli(["gate", "--json", "--no-cache"], repo, env=ENV)
    assert result.stdout.strip(), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return result.code, data


def verdicts(report: dict[str, Any]) -> list[tuple[str, str]]:
    """Each step run here (checkouts left out), in the report's order, with its verdict."""
    return [
        (s["name"], s["verdict"])
        for s in report["steps"]
        if s["runs_locally"] and not s["command"].startswith("actions/")
    ]


# `waits` can pass only while `writes` runs beside it: run one after the other (in file order),
# `waits` gives up after its bound and fails. `waits` ends well after `writes` has ended.
MEET_EACH_OTHER = f"""
    on: pull_request
    jobs:
      waits:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: wait for the other job
            run: |
              {wait_for("$MEET/written")}
              sleep 2
      writes:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: write for the other job
            run: touch "$MEET/written"
"""


def test_independent_jobs_run_at_the_same_time(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, MEET_EACH_OTHER)
    code, report = gate_json(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    # In definition order, though `writes` finished first.
    assert verdicts(report) == [
        ("wait for the other job", "pass"),
        ("write for the other job", "pass"),
    ]
    assert_no_worktree_left(repo)


def test_each_steps_lines_stay_together_while_jobs_run_at_once(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, MEET_EACH_OTHER)
    result = run_cli(["gate", "--no-cache"], repo, env=ENV)
    assert result.code == 0, result.stdout + result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    steps = [line for line in lines if line.startswith(("▸", "✓", "✗"))]
    # `writes` started and finished while `waits` was printing live: its block comes whole,
    # after `waits`'s, never inside it.
    assert [line.split(":")[0].split(" — ")[0] for line in steps] == [
        "▸ wait for the other job",
        "✓ wait for the other job",
        "▸ write for the other job",
        "✓ write for the other job",
    ], result.stdout


# `later` needs `first`; `report` needs it too, under `if: always()` (it runs even when `first`
# fails, but still only after it). Both look for the file `first` writes last.
NEEDS_CHAIN = """
    on: pull_request
    jobs:
      first:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: slow first job
            run: |
              sleep 2
              touch "$MEET/first-done"
      later:
        needs: [first]
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: after first
            run: test -e "$MEET/first-done"
      report:
        needs: [first]
        if: always()
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: always after first
            run: test -e "$MEET/first-done"
"""


def test_a_job_starts_only_after_the_jobs_it_needs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, NEEDS_CHAIN)
    code, report = gate_json(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    assert verdicts(report) == [
        ("slow first job", "pass"),
        ("after first", "pass"),
        ("always after first", "pass"),
    ]


# A matrix job becomes one job per leg here: its dependant waits for every leg.
NEEDS_A_MATRIX = """
    on: pull_request
    jobs:
      build:
        runs-on: ubuntu-latest
        strategy:
          matrix:
            flavour: [plain, fancy]
        steps:
          - uses: actions/checkout@v4
          - name: build
            run: |
              sleep 1
              touch "$MEET/built-${{ matrix.flavour }}"
      use:
        needs: build
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: use both builds
            run: test -e "$MEET/built-plain" && test -e "$MEET/built-fancy"
"""


def test_a_job_that_needs_a_matrix_job_waits_for_every_leg(tmp_path: Path) -> None:
    # Room for all three at once: only `needs` holds `use` back.
    repo = make_repo(tmp_path, NEEDS_A_MATRIX, gate_settings="concurrent_jobs = 3")
    code, report = gate_json(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    assert verdicts(report) == [
        ("build (flavour=plain)", "pass"),
        ("build (flavour=fancy)", "pass"),
        ("use both builds", "pass"),
    ]


# `lint` fails; `deploy-check` needs it and is skipped; `tests` needs nothing and runs beside
# `lint` (it waits until `lint` has started).
FAILING_JOB = f"""
    on: pull_request
    jobs:
      lint:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: lint
            run: |
              touch "$MEET/lint-started"
              {wait_for("$MEET/tests-started")}
              exit 1
      tests:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: tests
            run: |
              touch "$MEET/tests-started"
              {wait_for("$MEET/lint-started")}
      deploy-check:
        needs: [lint]
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: after lint
            run: touch "$MEET/deploy-check-ran"
"""


def test_a_failing_job_still_skips_the_jobs_that_need_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, FAILING_JOB)
    code, report = gate_json(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    assert verdicts(report) == [
        ("lint", "fail"),
        ("tests", "pass"),
        ("after lint", "skipped"),
    ]
    assert not (tmp_path / "meet" / "deploy-check-ran").exists()
    skipped = next(s for s in report["steps"] if s["name"] == "after lint")
    assert skipped["reason"] == "not run: the job it needs (lint) failed"


# With `concurrent_jobs = 1` jobs run one after another, in definition order: `second` starts
# only once `first` has ended.
ONE_AT_A_TIME = """
    on: pull_request
    jobs:
      first:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: first
            run: |
              sleep 1
              test ! -e "$MEET/second-started"
              touch "$MEET/first-done"
      second:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: second
            run: |
              touch "$MEET/second-started"
              test -e "$MEET/first-done"
"""


def test_concurrent_jobs_1_runs_jobs_one_after_another(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, ONE_AT_A_TIME, gate_settings="concurrent_jobs = 1")
    code, report = gate_json(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    assert verdicts(report) == [("first", "pass"), ("second", "pass")]


@pytest.mark.parametrize("value", ["0", "-2", '"many"', "1.5", "true"])
def test_a_bad_concurrent_jobs_value_is_named(tmp_path: Path, value: str) -> None:
    repo = make_repo(tmp_path, ONE_AT_A_TIME, gate_settings=f"concurrent_jobs = {value}")
    result = run_cli(["gate", "--no-cache"], repo, env=ENV)
    assert result.code == 2, result.stdout + result.stderr
    assert "tool.gateui.gate.concurrent_jobs must be a whole number" in result.stderr
    assert "pyproject.toml:6" in result.stderr, result.stderr


# Two jobs that each start a long sleep (marked by its argument, to find it among processes)
# and a child of their own in the background. The marks are this test process's own: tests of
# other xdist workers run the same jobs at the same time.
MARK = 3600 + (os.getpid() % 10000) * 4
TWO_LONG_JOBS = f"""
    on: pull_request
    jobs:
      one:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: one
            run: |
              sleep {MARK + 1} &
              touch "$MEET/one-started"
              sleep {MARK}
      two:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: two
            run: |
              sleep {MARK + 3} &
              touch "$MEET/two-started"
              sleep {MARK + 2}
"""
MARKED_SLEEPS = {str(MARK + offset) for offset in range(4)}


def marked_sleeps() -> list[int]:
    """Pids of the sleeps the steps above start (by their arguments)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if len(argv) >= 2 and argv[0].endswith(b"sleep") and argv[1].decode() in MARKED_SLEEPS:
            found.append(int(entry.name))
    return found


def wait_until_both_started(meet: Path) -> None:
    """Wait for both steps' marks and all four of their sleeps.

    A step's mark can be written before its last sleep (or the background one)
    has exec'd, so the sleeps are waited for too, not counted at once.
    """
    deadline = time.monotonic() + WAIT_BOUND_S
    while not ((meet / "one-started").exists() and (meet / "two-started").exists()):
        assert time.monotonic() < deadline, "the two jobs never ran at the same time"
        time.sleep(0.05)
    while len(marked_sleeps()) < len(MARKED_SLEEPS):
        assert time.monotonic() < deadline, f"only sleeps {marked_sleeps()} started"
        time.sleep(0.05)


def assert_none_left() -> None:
    deadline = time.monotonic() + 10
    while marked_sleeps() and time.monotonic() < deadline:
        time.sleep(0.1)  # reaped by the guards as they end
    assert marked_sleeps() == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_two_running_jobs_leaves_no_process(
    tmp_path: Path, sig: signal.Signals
) -> None:
    assert marked_sleeps() == [], "a sleep of an earlier run is still there"
    repo = make_repo(tmp_path, TWO_LONG_JOBS)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateui", "gate", "--no-cache"],
        cwd=repo,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_both_started(tmp_path / "meet")
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0, output
    assert_none_left()
    assert_no_worktree_left(repo)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_cancelling_a_check_stops_every_running_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``GateCheck.cancel`` from another thread, as the TUI does."""
    from gateui.core.gate.check import GateCheck

    assert marked_sleeps() == [], "a sleep of an earlier run is still there"
    monkeypatch.setenv("GATEUI_SANDBOX", "off")
    repo = make_repo(tmp_path, TWO_LONG_JOBS)
    check = GateCheck(repo, "HEAD", use_cache=False)
    outcome: list[BaseException | None] = []

    def consume() -> None:
        try:
            for _ in check.events():
                pass
            outcome.append(None)
        except BaseException as exc:  # the check says it was cancelled by raising
            outcome.append(exc)

    worker = threading.Thread(target=consume)
    worker.start()
    try:
        wait_until_both_started(tmp_path / "meet")
        check.cancel()
    finally:
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], KeyboardInterrupt), outcome
    assert_none_left()
    assert_no_worktree_left(repo)


# One leg of `build` fails: on GitHub the matrix job fails, and `use`, which needs it, is
# skipped.
FAILING_LEG = """
    on: pull_request
    jobs:
      build:
        runs-on: ubuntu-latest
        strategy:
          matrix:
            flavour: [good, bad]
        steps:
          - uses: actions/checkout@v4
          - name: build
            run: test "${{ matrix.flavour }}" = good
      use:
        needs: build
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: use the builds
            run: touch "$MEET/use-ran"
"""


def test_a_failing_matrix_leg_skips_the_jobs_that_need_its_job(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, FAILING_LEG, gate_settings="concurrent_jobs = 3")
    code, report = gate_json(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    assert verdicts(report) == [
        ("build (flavour=good)", "pass"),
        ("build (flavour=bad)", "fail"),
        ("use the builds", "skipped"),
    ]
    assert not (tmp_path / "meet" / "use-ran").exists()


# Two jobs, each a pytest step with a failing test, running at the same time: `second`'s test
# fails while `first`'s is still running (it waits for `second`'s to start).
FAILING_TESTS_AT_ONCE = """
    on: pull_request
    jobs:
      first:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: first tests
            run: python -m pytest -q -p no:cacheprovider tests/test_first.py
      second:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: second tests
            run: python -m pytest -q -p no:cacheprovider tests/test_second.py
"""
FIRST_TEST = """
import pathlib
import time


def test_first_fails():
    marker = pathlib.Path({meet!r}) / "second-started"
    deadline = time.monotonic() + {bound}
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)
    assert "first" == "fine"
"""
SECOND_TEST = """
import pathlib


def test_second_fails():
    (pathlib.Path({meet!r}) / "second-started").touch()
    assert "second" == "fine"
"""


def test_a_steps_failures_are_printed_in_its_own_block(tmp_path: Path) -> None:
    meet = str(tmp_path / "meet")
    repo = make_repo(tmp_path, FAILING_TESTS_AT_ONCE)
    (repo / "tests" / "test_first.py").write_text(FIRST_TEST.format(meet=meet, bound=WAIT_BOUND_S))
    (repo / "tests" / "test_second.py").write_text(SECOND_TEST.format(meet=meet))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "failing tests")
    result = run_cli(["gate", "--no-cache"], repo, env=ENV)
    assert result.code == 1, result.stdout + result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if line.startswith("▸ "):
            current = blocks.setdefault(line[2:].split(":")[0], [])
        elif line.startswith(("✓", "✗", "PR gate")):
            current = None
        elif current is not None and line.startswith(("FAILED", "ERROR")):
            current.append(line.split(" — ")[0])
    # Each block holds its own step's failure, whichever ran first or failed first.
    assert blocks == {
        "first tests": ["FAILED tests/test_first.py::test_first_fails"],
        "second tests": ["FAILED tests/test_second.py::test_second_fails"],
    }, result.stdout
    # And each block is whole: the header, its failure, then its verdict line.
    for name in blocks:
        start = lines.index(next(line for line in lines if line.startswith(f"▸ {name}:")))
        assert lines[start + 1].startswith("FAILED"), result.stdout
        assert lines[start + 2].startswith(f"✗ {name}"), result.stdout


# `build` calls a reusable workflow whose job fails: on GitHub `build` fails, and `use`, which
# needs it, is skipped.
CALLS_A_FAILING_WORKFLOW = """
    on: pull_request
    jobs:
      build:
        uses: ./.github/workflows/build.yml
      use:
        needs: build
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: use the build
            run: touch "$MEET/use-ran"
"""
FAILING_CALLED_WORKFLOW = """on: workflow_call
jobs:
  compile:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: compile
        run: exit 3
"""


def test_a_failing_job_of_a_called_workflow_skips_the_jobs_that_need_the_caller(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path, CALLS_A_FAILING_WORKFLOW)
    (repo / ".github" / "workflows" / "build.yml").write_text(FAILING_CALLED_WORKFLOW)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the called workflow")
    code, report = gate_json(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    assert verdicts(report) == [("compile", "fail"), ("use the build", "skipped")]
    assert not (tmp_path / "meet" / "use-ran").exists()


# Two workflows run the same one-step lint job; the gate runs it once. `after` in the second
# workflow needs that workflow's lint: when the lint (run for both) fails, `after` is skipped.
SECOND_WORKFLOW_NEEDING_ITS_LINT = """on: pull_request
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: exit 3
  after:
    needs: lint
    runs-on: ubuntu-latest
    steps:
      - name: after lint
        run: touch "{meet}/after-ran"
"""
FIRST_WORKFLOW_WITH_THE_SAME_LINT = """
    on: pull_request
    jobs:
      lint:
        runs-on: ubuntu-latest
        steps:
          - run: exit 3
"""


def test_a_job_needing_a_job_run_once_for_two_workflows_is_skipped_when_it_fails(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path, FIRST_WORKFLOW_WITH_THE_SAME_LINT)
    second = SECOND_WORKFLOW_NEEDING_ITS_LINT.format(meet=tmp_path / "meet")
    (repo / ".github" / "workflows" / "more.yml").write_text(second)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a second workflow")
    code, report = gate_json(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    assert verdicts(report) == [("Run exit 3", "fail"), ("after lint", "skipped")]
    assert not (tmp_path / "meet" / "after-ran").exists()

"""ExUnit projects: discovery from the Elixir sample, and real ``mix test`` runs with live results.

The runs need Elixir (Debian's ``elixir`` package; ``.ci/run`` installs it where it is missing).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gateui.core.plan.run_plan import RunRequest, RunSession, plan_run
from gateui.core.running.events import CommandStarted, Event, RunSummary, TestFinished, TestStarted
from helpers import CliResult, git

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]
Sample = Callable[[str], Path]

needs_elixir = pytest.mark.skipif(
    shutil.which("mix") is None or shutil.which("elixir") is None,
    reason="Elixir is not installed here (apt-get install elixir; .ci/run installs it)",
)

SMOKE_TESTS = {
    "test/smoke/basic_test.exs::10 tasks complete with a single agent",
    "test/smoke/basic_test.exs::10 tasks complete with two agents and the stats add up",
    "test/smoke/basic_test.exs::a task that raises is reported as an error and the agent keeps"
    " working",
    "test/smoke/basic_test.exs::an idle pool drains immediately",
    "test/smoke/failure_test.exs::an agent killed mid-task has its task requeued and finished by"
    " another agent",
    "test/smoke/failure_test.exs::a requeued task goes to the front of the queue",
    "test/smoke/failure_test.exs::completing a task twice is refused",
    "test/smoke/scale_test.exs::4 agents complete 20 tasks",
    "test/smoke/scale_test.exs::load balancing::every agent completes at least one task",
    "test/smoke/scale_test.exs::load balancing::no task is completed twice",
}


def _next_second() -> None:
    """Wait for the wall clock's next whole second (mix's timestamps have no finer grain)."""
    time.sleep(1 - time.time() % 1)


def add_test(repo: Path, name: str, text: str) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"add {name}")


def run(
    repo: Path, request: RunRequest, on_event: Callable[[Event], None] = lambda e: None
) -> list[Event]:
    events = []
    for event in RunSession(plan_run([], request, repo)).events():
        on_event(event)
        events.append(event)
    return events


def test_discovery_counts_tests_tags_folders_and_default_excludes(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("elixir_taskqueue")
    result = cli(["discover", "--json"], repo)
    assert result.code == 0, result.stderr
    (project,) = json.loads(result.stdout)["projects"]
    assert (project["root"], project["kind"], project["tests"]) == (".", "exunit", 19)
    suites = {
        s["name"]: (s["kind"], s["tests"], s.get("excluded_by_default", 0))
        for s in project["suites"]
    }
    assert suites == {
        "balance": ("marker", 2, 0),
        "slow": ("marker", 1, 0),
        "smoke": ("marker", 11, 0),
        "test/smoke": ("folder", 11, 1),
        "test/task_queue": ("folder", 8, 0),
    }
    assert project["markers"]["used"] == {"balance": 2, "slow": 1, "smoke": 11}
    assert len(project["unmarked"]) == 8
    assert project["exunit"]["excludes"] == ["slow"]
    assert project["exunit"]["excluded_by_default"] == [
        "test/smoke/scale_test.exs::20 tasks of 100 ms on 4 agents take well under the serial time"
    ]
    text = cli(["discover"], repo).stdout
    assert "test/smoke       folder      11 tests (1 excluded by default)" in text
    assert "excluded by default: slow (1 tests; test/test_helper.exs)" in text


@needs_elixir
def test_smoke_folder_runs_with_live_per_test_results(sample_repo: Sample) -> None:
    repo = sample_repo("elixir_taskqueue")
    release = repo / "release"
    # A synchronous module runs after the async ones: it waits until gateui has seen a result.
    add_test(
        repo,
        "test/smoke/zz_live_test.exs",
        f"""
        defmodule Smoke.LiveTest do
          use ExUnit.Case, async: false

          test "results arrived before this one finished" do
            deadline = System.monotonic_time(:millisecond) + 60_000
            wait(deadline)
          end

          defp wait(deadline) do
            cond do
              File.exists?({str(release)!r}) -> :ok
              System.monotonic_time(:millisecond) > deadline -> flunk("no live results")
              true -> Process.sleep(20); wait(deadline)
            end
          end
        end
        """,
    )

    def release_after_first_result(event: Event) -> None:
        if isinstance(event, TestFinished):
            release.touch()

    # The seed's `mix test test/smoke/`, as gateui runs a path.
    events = run(repo, RunRequest(paths=(str(repo / "test/smoke"),)), release_after_first_result)
    assert isinstance(events[0], CommandStarted)
    assert events[0].command == "mix test test/smoke"
    results = {e.nodeid: e for e in events if isinstance(e, TestFinished)}
    live = "test/smoke/zz_live_test.exs::results arrived before this one finished"
    assert set(results) == SMOKE_TESTS | {live}  # the :slow one stays excluded
    assert {r.outcome for r in results.values()} == {"passed"}
    assert {TestStarted} <= {type(e) for e in events}
    assert results[live].duration_s > 0 and results[live].line == 4
    assert results["test/smoke/scale_test.exs::4 agents complete 20 tasks"].markers == ("smoke",)
    summary = events[-1]
    assert isinstance(summary, RunSummary)
    assert (summary.passed, summary.exitstatus, summary.ok) == (11, 0, True)


@needs_elixir
def test_a_failing_test_with_its_message_and_a_tag_run(sample_repo: Sample, cli: Cli) -> None:
    repo = sample_repo("elixir_taskqueue")
    add_test(
        repo,
        "test/task_queue/priority_test.exs",
        """
        defmodule TaskQueue.PriorityTest do
          use ExUnit.Case, async: true

          @tag :wip
          test "urgent jobs jump the queue" do
            {:ok, queue} = TaskQueue.Queue.start_link()
            {:ok, _low} = TaskQueue.Queue.enqueue(queue, fn -> :low end)
            {:ok, urgent} = TaskQueue.Queue.enqueue(queue, fn -> :urgent end)
            assert {:ok, %{id: ^urgent}} = TaskQueue.Queue.checkout(queue)
          end
        end
        """,
    )
    result = cli(["run", "wip", "--json"], repo)
    lines = result.json_lines()
    assert result.code == 1
    assert lines[0]["command"] == "mix test --only wip"
    (failed,) = [line for line in lines if line["event"] == "test"]
    assert failed["nodeid"] == "test/task_queue/priority_test.exs::urgent jobs jump the queue"
    assert (failed["outcome"], failed["markers"]) == ("failed", ["wip"])
    assert "match (=) failed" in failed["longrepr"]
    assert "test/task_queue/priority_test.exs:9" in failed["longrepr"]
    assert lines[-1]["failed"] == 1 and lines[-1]["pytest_exitstatus"] == 2
    plain = cli(["run", "test/task_queue/priority_test.exs"], repo)
    assert (
        "FAILED test/task_queue/priority_test.exs::urgent jobs jump the queue — match (=) failed"
        in plain.stdout
    )


@needs_elixir
def test_affected_runs_are_mix_test_stale(sample_repo: Sample, cli: Cli) -> None:
    repo = sample_repo("elixir_taskqueue")
    first = cli(["run", "--affected", "--json"], repo).json_lines()
    assert first[0]["command"] == "mix test --stale"
    assert first[-1]["passed"] == 18  # first --stale run: everything but the excluded test
    # mix stamps modules with the second they were compiled in; let that second pass, so the
    # next run's baseline is later than every module compiled so far.
    _next_second()
    assert cli(["run", "--affected", "--json"], repo).json_lines()[-1]["selected"] == 0
    # A test file is saved within the same second as that run's baseline: mix alone, comparing
    # whole seconds, would never run it.
    queue_tests = {
        t["nodeid"] for t in first if t["event"] == "test" and "queue_test" in t["nodeid"]
    }
    queue_test = repo / "test/task_queue/queue_test.exs"
    queue_test.write_text(queue_test.read_text() + "# reviewed\n")
    (baseline,) = repo.glob("_build/test/lib/task_queue/.mix/*compile.test_stale")
    written = baseline.stat().st_mtime_ns
    os.utime(queue_test, ns=(written + 1, written + 1))
    tied = cli(["run", "--affected", "--json"], repo).json_lines()
    assert {t["nodeid"] for t in tied if t["event"] == "test"} == queue_tests
    # The agent FSM changes: only the test files that use it (the smoke suite) run again.
    _next_second()
    fsm = repo / "lib/task_queue/agent_fsm.ex"
    fsm.write_text(fsm.read_text().replace("poll_interval: 10,", "poll_interval: 5,"))
    again = cli(["run", "--affected", "--json"], repo).json_lines()
    tests = [line for line in again if line["event"] == "test"]
    assert {t["nodeid"] for t in tests} == SMOKE_TESTS
    assert all(t["reason"].startswith("mix test --stale") for t in tests)


@needs_elixir
def test_a_gate_step_running_mix_test_names_the_failing_test(sample_repo: Sample, cli: Cli) -> None:
    # The seed's CI runs `mix test test/smoke/` in a workflow step: the gate runs that line as
    # it is, and still knows each test (mix test on the gate's PATH reports to gateui).
    repo = sample_repo("elixir_taskqueue")
    add_test(
        repo,
        ".github/workflows/ci.yml",
        """
        on: [pull_request]
        jobs:
          smoke:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: mix test test/smoke/
        """,
    )
    green = cli(["gate", "--json"], repo)
    assert green.code == 0, green.stdout
    assert json.loads(green.stdout)["verdict"] == "pass"
    basic = repo / "test/smoke/basic_test.exs"
    basic.write_text(basic.read_text().replace("&(&1 * &1))", "&(&1 * &1 + 1))", 1))
    git(repo, "commit", "-q", "-am", "break the smoke test")
    red = cli(["gate"], repo)
    assert red.code == 1
    failing = "test/smoke/basic_test.exs::10 tasks complete with a single agent"
    assert f"FAILED {failing} — Assertion with == failed" in red.stdout
    assert f"PR gate: FAIL — Run mix test test/smoke/: exit 2 — 1 failed: {failing}" in red.stdout


@needs_elixir
def test_watch_mode_in_an_elixir_only_repository_reruns_what_mix_finds_stale(
    sample_repo: Sample,
) -> None:
    repo = sample_repo("elixir_taskqueue")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateui", "watch", "--no-tui", "--json"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert proc.stdout is not None

    def cycle_tests() -> set[str]:
        assert proc.stdout is not None
        tests = set()
        for line in proc.stdout:
            data = json.loads(line)
            if data["event"] == "test":
                tests.add(data["nodeid"])
            elif data["event"] == "idle":
                return tests
        raise AssertionError(f"watch ended: {proc.stderr.read() if proc.stderr else ''}")

    try:
        assert len(cycle_tests()) == 18  # the first --stale run: all but the excluded test
        _next_second()  # an edit in a later second than that run (same-second: see above)
        fsm = repo / "lib/task_queue/agent_fsm.ex"
        fsm.write_text(fsm.read_text().replace("poll_interval: 10,", "poll_interval: 5,"))
        assert cycle_tests() == SMOKE_TESTS
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130  # Ctrl-C ends watch: interrupted


@needs_elixir
@pytest.mark.tui
def test_the_tui_shows_and_runs_an_elixir_only_repository(sample_repo: Sample) -> None:
    from textual.pilot import Pilot

    from gateui.tui.app import GateuiApp
    from gateui.tui.widgets.results_table import ResultsTable
    from gateui.tui.widgets.scope_tree import ScopeTree
    from tui_support import discovered, drive, run_finished

    repo = sample_repo("elixir_taskqueue")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        assert app.problem is None
        tree = app.query_one(ScopeTree)
        assert tree.scopes is not None
        assert len(tree.scopes.scope.tests) == 19
        suites = {n.scope.label: len(n.scope.tests) for n in tree.scopes.children}
        assert suites["smoke"] == 11 and suites["test/task_queue"] == 8
        await pilot.press("s")
        await pilot.pause()
        assert app.scope is not None and app.scope.suite == "smoke"
        await pilot.press("a")
        await run_finished(app, pilot)
        rows = list(app.query_one(ResultsTable).rows())
        # `mix test --only smoke`: ExUnit's --only includes the :slow smoke test too.
        assert {r.nodeid for r in rows} == app.scope.tests
        assert app.scope.tests > SMOKE_TESTS  # strictly more: the :slow one
        assert all(r.outcome == "passed" for r in rows)
        smoke = tree.find_node("suite:.:smoke")
        assert smoke is not None and "✓11" in str(smoke.label)

    drive(GateuiApp(repo), scenario)

"""Command suites on the sample repositories: make, a test script, JUnit XML, the gate.

Liveness is shown without timing anything: the command waits for a file that the test creates
only after it has seen the command's earlier results or output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from gateui.core.discovery.discover import load_projects
from gateui.core.plan.run_plan import CommandRun, RunRequest, RunSession, plan_run
from gateui.core.running.events import (
    CommandStarted,
    Event,
    OutputLine,
    RunSummary,
    TestFinished,
)
from helpers import CliResult, git

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]
Sample = Callable[[str], Path]


def commit(repo: Path, files: dict[str, str], executable: tuple[str, ...] = ()) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
        if name in executable:
            path.chmod(0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")


def run_suite(
    repo: Path, request: RunRequest, on_event: Callable[[Event], None] = lambda e: None
) -> list[Event]:
    commands = plan_run(load_projects(repo), request, repo)
    events = []
    for event in RunSession(commands).events():
        on_event(event)
        events.append(event)
    return events


def test_make_target_running_pytest_streams_per_test_results(sample_repo: Sample) -> None:
    repo = sample_repo("strict_markers_backend")
    release = repo / "release"
    commit(
        repo,
        {
            # Fix the marker typo so the suite collects; and a last test that waits until the
            # test above has seen the earlier results arrive (it fails if they never do).
            "backend/tests/api/test_billing_api.py": (
                repo / "backend/tests/api/test_billing_api.py"
            )
            .read_text()
            .replace("intergration", "integration"),
            "backend/tests/domain/test_zz_live.py": f"""
                import pathlib, time

                def test_results_arrived_before_this_one_finished():
                    deadline = time.monotonic() + 60
                    while not pathlib.Path({str(release)!r}).exists():
                        assert time.monotonic() < deadline, "no live results reached gateui"
                        time.sleep(0.02)
            """,
        },
    )

    def release_after_first_result(event: Event) -> None:
        if isinstance(event, TestFinished):
            release.touch()

    events = run_suite(repo, RunRequest(suite="test-unit"), release_after_first_result)
    started = events[0]
    assert isinstance(started, CommandStarted)
    assert (started.command, started.cwd, started.suite) == (
        "make test-unit",
        "backend",
        "test-unit",
    )
    results = [e for e in events if isinstance(e, TestFinished)]
    assert len(results) == 16 and {r.outcome for r in results} == {"passed"}
    assert all(r.nodeid.startswith("backend/tests/domain/") for r in results)
    assert all("unit" in r.markers and r.project == "backend" for r in results)
    summary = events[-1]
    assert isinstance(summary, RunSummary)
    assert (summary.passed, summary.exitstatus, summary.ok) == (16, 0, True)


def test_make_target_as_ci_has_it_reports_the_collection_error(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("strict_markers_backend")
    discovered = json.loads(cli(["discover", "--json"], repo).stdout)
    suites = {s["name"]: s for s in discovered["projects"][0]["suites"]}
    assert suites["test-unit"] == {
        "name": "test-unit",
        "kind": "command",
        "tests": 0,
        "markers": None,
        "paths": [],
        "command": "make test-unit",
        "cwd": "backend",
        "source": "backend/Makefile:8",
    }
    result = cli(["run", "test-unit", "--json"], repo)
    lines = result.json_lines()
    assert result.code == 1
    assert lines[0] == {
        "event": "command",
        "command": "make test-unit",
        "cwd": "backend",
        "suite": "test-unit",
    }
    errors = [line for line in lines if line["event"] == "collection_error"]
    assert [e["where"] for e in errors] == ["backend/tests/api/test_billing_api.py"]
    assert "'intergration' not found in `markers`" in errors[0]["message"]
    assert lines[-1]["pytest_exitstatus"] == 2  # make's status: pytest exited 2


def test_plain_script_streams_text_and_its_exit_code_decides(sample_repo: Sample) -> None:
    repo = sample_repo("web_api_monorepo")
    release = repo / "release"
    commit(
        repo,
        {
            "tools/integration_test.sh": f"""
                #!/bin/sh
                # Checks the deployment scripts; runs no pytest.
                echo "checking 3 scripts"
                echo "waiting for the go-ahead"
                while [ ! -e {release} ]; do sleep 0.02; done
                echo "script 2: FAILED"
                exit "${{EXIT_WITH:-3}}"
            """,
        },
        executable=("tools/integration_test.sh",),
    )
    # The real CLI, read line by line: the release file appears only once "waiting" was shown.
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateui", "run", "integration_test"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.stdout is not None
    shown = []
    for line in proc.stdout:
        shown.append(line.rstrip("\n"))
        if "waiting for the go-ahead" in line:
            release.touch()
    assert proc.wait(timeout=60) == 1, proc.stderr.read() if proc.stderr else ""
    assert shown[:4] == [
        "── ./tools/integration_test.sh",
        "checking 3 scripts",
        "waiting for the go-ahead",
        "script 2: FAILED",
    ]
    assert shown[-1].startswith("no tests ran in ")
    # The exit code decides, both ways.
    events = run_suite(repo, RunRequest(suite="integration_test"))
    summary = events[-1]
    assert isinstance(summary, RunSummary)
    assert (summary.exitstatus, summary.ok, summary.selected) == (3, False, 0)
    assert [e.text for e in events if isinstance(e, OutputLine)][-1] == "script 2: FAILED"
    os.environ["EXIT_WITH"] = "0"
    try:
        summary = run_suite(repo, RunRequest(suite="integration_test"))[-1]
    finally:
        del os.environ["EXIT_WITH"]
    assert isinstance(summary, RunSummary) and summary.ok


def test_the_smoke_gate_script_runs_as_a_suite_with_per_test_results(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("web_api_monorepo")
    discovered = json.loads(cli(["discover", "--json"], repo).stdout)
    assert [(c["name"], c["command"], c["cwd"]) for c in discovered["commands"]] == [
        ("test", "./tools/test.sh", "."),
        ("smoke-backend", "./tools/test.sh --smoke-backend", "."),
    ]
    # Arguments after -- go to the command (the script passes them on to pytest).
    result = cli(["run", "smoke-backend", "--json", "--", "-k", "range"], repo)
    lines = result.json_lines()
    tests = [line for line in lines if line["event"] == "test"]
    assert result.code == 0, result.stderr
    assert len(tests) == 15
    assert all(
        t["nodeid"].startswith("projects/web_api/tests/test_download_range.py::") for t in tests
    )
    assert lines[-1]["passed"] == 15


def test_junit_writing_command_yields_per_test_results(sample_repo: Sample) -> None:
    repo = sample_repo("web_api_monorepo")
    commit(
        repo,
        {
            "pyproject.toml": """
                [tool.gateui.suites.worker-junit]
                # pytest without gateui's plugin (as in a container): the report says more.
                command = "env -u PYTEST_ADDOPTS python -m pytest tests --junitxml=out/r.xml -q"
                cwd = "projects/worker"

                [tool.gateui.suites.external]
                command = "python tools/fake_runner.py"
                junit = "reports/junit.xml"
            """,
            "tools/fake_runner.py": """
                # Another language's test runner: writes JUnit XML, prints its own text.
                import pathlib
                out = pathlib.Path("reports/junit.xml")
                out.parent.mkdir(exist_ok=True)
                out.write_text(
                    '<testsuite><testcase classname="Billing" name="adds vat" time="0.25"/>'
                    '<testcase classname="Billing" name="rounds"><failure message="1 != 2">'
                    'expected 1, got 2</failure></testcase></testsuite>'
                )
                print("2 tests, 1 failure")
                raise SystemExit(1)
            """,
        },
    )
    events = run_suite(repo, RunRequest(suite="worker-junit"))
    results = {e.nodeid: e.outcome for e in events if isinstance(e, TestFinished)}
    worker = "projects/worker/tests"
    assert results == {
        f"{worker}/test_backoff.py::test_backoff_doubles_and_caps": "passed",
        f"{worker}/test_backoff.py::test_job_fails_after_max_retries": "passed",
        f"{worker}/test_runner_smoke.py::test_successful_job": "passed",
        f"{worker}/test_runner_smoke.py::test_flaky_job_is_retried_until_it_succeeds": "passed",
    }
    events = run_suite(repo, RunRequest(suite="external"))
    failed = [e for e in events if isinstance(e, TestFinished) and e.outcome == "failed"]
    assert [(f.nodeid, f.longrepr) for f in failed] == [("Billing::rounds", "expected 1, got 2")]
    summary = events[-1]
    assert isinstance(summary, RunSummary)
    assert (summary.passed, summary.failed, summary.exitstatus) == (1, 1, 1)


def test_commands_run_without_a_shell_unless_the_suite_says_so(sample_repo: Sample) -> None:
    repo = sample_repo("web_api_monorepo")
    commit(
        repo,
        {
            "pyproject.toml": """
                [tool.gateui.suites.plain]
                command = "echo $HOME; touch pwned"

                [tool.gateui.suites.shelled]
                command = "echo shell-$((1 + 1))"
                shell = true
            """,
        },
    )
    projects = load_projects(repo)
    (plain,) = plan_run(projects, RunRequest(suite="plain", extra_args=("; rm -rf x",)), repo)
    assert isinstance(plain, CommandRun)
    assert plain.command == ("echo", "$HOME;", "touch", "pwned", "; rm -rf x")
    text = [e.text for e in run_suite(repo, RunRequest(suite="plain")) if isinstance(e, OutputLine)]
    assert text == ["$HOME; touch pwned"] and not (repo / "pwned").exists()
    text = [
        e.text for e in run_suite(repo, RunRequest(suite="shelled")) if isinstance(e, OutputLine)
    ]
    assert text == ["shell-2"]


def test_a_failing_command_in_the_gate_is_reported_with_its_output_tail(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("web_api_monorepo")
    commit(
        repo,
        {
            "pyproject.toml": """
                [tool.gateui.gate]
                steps = [{ name = "smoke", command = "./tools/test.sh --smoke-backnd" }]
            """,
        },
    )
    result = cli(["gate", "--json"], repo)
    report = json.loads(result.stdout)
    (step,) = report["steps"]
    assert (result.code, step["verdict"], step["exit_code"]) == (1, "fail", 2)
    assert step["reason"] == "exit 2 — usage: tools/test.sh [--smoke-backend [PYTEST_ARGS...]]"
    assert step["output_tail"] == [
        "tools/test.sh: unknown option: --smoke-backnd",
        "usage: tools/test.sh [--smoke-backend [PYTEST_ARGS...]]",
    ]
    plain = cli(["gate"], repo).stdout
    assert (
        "      last 2 line(s) of its output:\n"
        "        tools/test.sh: unknown option: --smoke-backnd\n"
        "        usage: tools/test.sh [--smoke-backend [PYTEST_ARGS...]]\n"
    ) in plain

"""``gateui run`` as a user types it: a real console process over real sample repos."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import CliResult, alive

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]


def test_json_stream_ends_in_a_summary_with_exact_counts(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("faults")
    result = cli(["run", "--json"], repo)
    assert result.code == 0, result.stderr
    events = result.json_lines()
    tests = [e for e in events if e["event"] == "test"]
    assert len(tests) == 5
    assert set(tests[0]) >= {"event", "nodeid", "outcome", "duration_s", "reason"}
    assert tests[0]["nodeid"] == "tests/test_faults.py::test_first"
    summary = events[-1]
    assert summary["event"] == "summary"
    assert {k: summary[k] for k in ("selected", "passed", "failed", "skipped", "errors")} == {
        "selected": 5,
        "passed": 5,
        "failed": 0,
        "skipped": 0,
        "errors": 0,
    }
    assert summary["crashed"] is None
    assert isinstance(summary["duration_s"], float)


def test_failures_exit_1_and_are_named_as_they_happen(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("passrate_backend")
    plain = cli(["run"], repo / "backend")
    assert plain.code == 1
    failed_lines = [line for line in plain.stdout.splitlines() if line.startswith("FAILED ")]
    assert len(failed_lines) == 1
    assert failed_lines[0].startswith("FAILED backend/tests/")
    assert " — " in failed_lines[0]  # the assertion's headline follows the node id
    # Piped output carries no colour codes.
    assert "\x1b[" not in plain.stdout
    assert plain.stdout.rstrip().splitlines()[-1].startswith("59 passed, 1 failed")


def test_a_crash_names_the_test_and_fails(sample_repo: Callable[[str], Path], cli: Cli) -> None:
    repo = sample_repo("faults")
    result = cli(["run", "--json", "--", "-p", "no:faulthandler"], repo, {"GATEUI_FAULT": "segv"})
    assert result.code == 1
    summary = result.json_lines()[-1]
    assert summary["crashed"] == "tests/test_faults.py::test_segfaults"
    plain = cli(["run"], repo, {"GATEUI_FAULT": "exit"})
    assert plain.code == 1
    assert "CRASHED tests/test_faults.py::test_exits_hard" in plain.stdout


def test_suite_marker_and_keyword_select_tests(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("faults")
    smoke = cli(["run", "smoke", "--json"], repo).json_lines()
    assert [e["nodeid"] for e in smoke if e["event"] == "test"] == [
        "tests/test_faults.py::test_first"
    ]
    keyword = cli(["run", "-k", "last or first", "--json"], repo).json_lines()
    assert keyword[-1]["selected"] == 2
    node = cli(["run", "tests/test_faults.py::test_last", "--json"], repo).json_lines()
    assert node[-1]["selected"] == 1


def test_a_suite_in_several_projects_runs_in_each_and_merges(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("web_api_monorepo")
    result = cli(["run", "smoke", "--json"], repo)
    assert result.code == 0, result.stderr
    events = result.json_lines()
    projects = [e["root"] for e in events if e["event"] == "project"]
    assert projects == ["projects/web_api", "projects/worker"]
    nodeids = [e["nodeid"] for e in events if e["event"] == "test"]
    assert {n.split("/tests/")[0] for n in nodeids} == {"projects/web_api", "projects/worker"}
    assert events[-1]["selected"] == len(nodeids) == 6


def test_unknown_suite_is_a_usage_error_listing_known_ones(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("web_api_monorepo")
    result = cli(["run", "smok"], repo)
    assert result.code == 2
    assert "unknown suite 'smok'" in result.stderr
    assert "smoke" in result.stderr


def test_no_tests_collected_fails_deliberately(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("faults")
    result = cli(["run", "-m", "smoke and not smoke", "--json"], repo)
    assert result.code == 1
    assert "no tests were collected" in result.stderr
    assert result.json_lines()[-1]["pytest_exitstatus"] == 5


def test_bad_pytest_arguments_are_a_usage_error_with_pytest_words(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("faults")
    result = cli(["run", "--", "--no-such-option"], repo)
    assert result.code == 2
    assert "--no-such-option" in result.stderr


def test_missing_path_is_a_usage_error_naming_it(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("faults")
    result = cli(["run", "tests/test_nope.py"], repo)
    assert result.code == 2
    assert "tests/test_nope.py: no such file or directory" in result.stderr


def test_terminal_output_has_colour_and_a_live_progress_line(
    sample_repo: Callable[[str], Path],
) -> None:
    repo = sample_repo("faults")
    main_fd, child_fd = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateui", "run"],
        cwd=repo,
        stdin=child_fd,
        stdout=child_fd,
        stderr=child_fd,
        env={**env, "GATEUI_FAULT": ""},
    )
    os.close(child_fd)
    output = b""
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    assert proc.wait(timeout=120) == 0
    os.close(main_fd)
    text = output.decode()
    assert "\x1b[32m5 passed\x1b[0m" in text
    assert "\r" in text  # the progress line is redrawn in place


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupting_gateui_leaves_no_process_behind(
    sample_repo: Callable[[str], Path], tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    repo = sample_repo("faults")
    pid_file = tmp_path / "pids"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateui", "run", "-k", "hangs"],
        cwd=repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "GATEUI_FAULT": "hang", "GATEUI_FAULT_PIDFILE": str(pid_file)},
    )
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, "the hanging test never started"
        time.sleep(0.05)
    pids = [int(p) for p in pid_file.read_text().split()]
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == code
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in pids if alive(pid)] == []


def test_a_suite_combines_with_a_marker_expression(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("demo")
    integration = cli(["run", "integration", "--json"], repo).json_lines()[-1]
    fast = cli(["run", "integration", "-m", "not slow", "--json"], repo).json_lines()[-1]
    slow = cli(["run", "slow", "--json"], repo).json_lines()[-1]
    assert integration["selected"] == 10
    assert slow["selected"] == 1
    assert fast["selected"] == 9

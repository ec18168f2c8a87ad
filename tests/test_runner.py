"""The live runner against real pytest subprocesses: streaming, faults, cancel, no orphans."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gateui.core.common.errors import InterpreterError
from gateui.core.running.events import (
    CollectionFinished,
    Event,
    OutputLine,
    RunSummary,
    SessionFinished,
    SessionStarted,
    TestFinished,
    TestStarted,
)
from gateui.core.running.pytest_process import PytestCommand, PytestProcess
from helpers import alive

pytestmark = pytest.mark.integration


def command(root: Path, *args: str, repo_root: Path | None = None) -> PytestCommand:
    return PytestCommand(
        project_root=root,
        repo_root=repo_root or root,
        interpreter=Path(sys.executable),
        args=args,
    )


def finished(events: list[Event]) -> dict[str, TestFinished]:
    return {e.nodeid: e for e in events if isinstance(e, TestFinished)}


def summary_of(events: list[Event]) -> RunSummary:
    last = events[-1]
    assert isinstance(last, RunSummary)
    return last


def test_events_stream_in_order_with_results(sample_repo: Callable[[str], Path]) -> None:
    root = sample_repo("faults")
    events = list(PytestProcess(command(root)).events())
    kinds = [type(e) for e in events if not isinstance(e, OutputLine)]
    assert kinds[0] is SessionStarted
    assert CollectionFinished in kinds
    assert kinds[-2:] == [SessionFinished, RunSummary]
    results = finished(events)
    assert len(results) == 5
    assert {r.outcome for r in results.values()} == {"passed"}
    first = results["tests/test_faults.py::test_first"]
    assert first.markers == ("smoke",)
    assert first.stdout == "output that belongs to the user\n"
    summary = summary_of(events)
    assert (summary.selected, summary.passed, summary.exitstatus) == (5, 5, 0)
    assert summary.ok


def test_user_output_never_mixes_with_events(sample_repo: Callable[[str], Path]) -> None:
    # -s lets the test print straight to pytest's stdout; the event channel must stay clean.
    root = sample_repo("faults")
    events = list(PytestProcess(command(root, "-s")).events())
    printed = [e.text for e in events if isinstance(e, OutputLine)]
    assert any("output that belongs to the user" in line for line in printed)
    assert summary_of(events).passed == 5


def test_output_larger_than_any_pipe_buffer_is_read_to_its_last_line(tmp_path: Path) -> None:
    # Output is read without a wake-up per write; a test printing megabytes between two events
    # must neither block on a full pipe nor lose the end of what it printed.
    (tmp_path / "test_chatty.py").write_text(
        "def test_chatty():\n"
        "    for i in range(100_000):\n"
        "        print('line', i, 'x' * 60)\n"
        "    print('the very last line')\n"
        "def test_after():\n    pass\n"
    )
    process = PytestProcess(command(tmp_path, "-s", "-p", "no:cacheprovider"))
    events = list(process.events())
    printed = [e.text for e in events if isinstance(e, OutputLine)]
    assert sum("x" * 60 in line for line in printed) == 100_000  # the first follows a file name
    assert any(line.endswith("the very last line") for line in printed)
    assert summary_of(events).passed == 2


def test_each_result_arrives_before_the_next_test_starts(
    sample_repo: Callable[[str], Path],
) -> None:
    root = sample_repo("faults")
    order = [
        (type(e).__name__, e.nodeid)
        for e in PytestProcess(command(root)).events()
        if isinstance(e, TestStarted | TestFinished)
    ]
    assert order[:4] == [
        ("TestStarted", "tests/test_faults.py::test_first"),
        ("TestFinished", "tests/test_faults.py::test_first"),
        ("TestStarted", "tests/test_faults.py::test_exits_hard"),
        ("TestFinished", "tests/test_faults.py::test_exits_hard"),
    ]


def test_a_result_is_delivered_while_the_next_test_still_runs(tmp_path: Path) -> None:
    # The second test waits until gateui has the first one's result: a result held back for
    # the next test's end (not just its start) would never arrive, and the run would time out.
    signal_file = tmp_path / "first-result-seen"
    (tmp_path / "test_live.py").write_text(
        "import pathlib, time\n"
        "def test_first():\n    pass\n"
        "def test_waits_for_gateui():\n"
        f"    flag = pathlib.Path({str(signal_file)!r})\n"
        "    for _ in range(600):\n"
        "        if flag.exists():\n            return\n"
        "        time.sleep(0.05)\n"
        "    raise AssertionError('the first result never reached gateui')\n"
    )
    outcomes = {}
    for event in PytestProcess(command(tmp_path, "-p", "no:cacheprovider")).events():
        if isinstance(event, TestFinished):
            outcomes[event.nodeid] = event.outcome
            signal_file.touch()
    assert outcomes == {
        "test_live.py::test_first": "passed",
        "test_live.py::test_waits_for_gateui": "passed",
    }


def test_the_last_result_survives_a_crash_at_session_end(tmp_path: Path) -> None:
    # Another plugin's session-end hook dies hard: the last test's result was sent already.
    (tmp_path / "conftest.py").write_text(
        "import os\ndef pytest_sessionfinish(session):\n    os._exit(7)\n"
    )
    (tmp_path / "test_end.py").write_text("def test_a():\n    pass\ndef test_b():\n    pass\n")
    events = list(PytestProcess(command(tmp_path, "-p", "no:cacheprovider")).events())
    assert {nodeid: e.outcome for nodeid, e in finished(events).items()} == {
        "test_end.py::test_a": "passed",
        "test_end.py::test_b": "passed",
    }
    summary = summary_of(events)
    assert summary.crashed is None  # no test was running: no test is blamed


@pytest.mark.parametrize(
    ("fault", "victim", "how"),
    [
        ("exit", "test_exits_hard", "exited with code 3"),
        ("segv", "test_segfaults", "killed by SIGSEGV"),
    ],
)
def test_a_dying_test_process_is_a_crash_result_naming_the_test(
    sample_repo: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    victim: str,
    how: str,
) -> None:
    root = sample_repo("faults")
    monkeypatch.setenv("GATEUI_FAULT", fault)
    events = list(PytestProcess(command(root, "-p", "no:faulthandler")).events())
    summary = summary_of(events)
    nodeid = f"tests/test_faults.py::{victim}"
    assert summary.crashed == nodeid
    assert how in summary.crash_message
    assert finished(events)[nodeid].outcome == "failed"
    assert summary.exitstatus is None
    assert not summary.ok


@pytest.mark.usefixtures("with_xdist")
def test_xdist_streams_per_test_and_reports_a_crashed_worker(
    sample_repo: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = sample_repo("faults")
    monkeypatch.setenv("GATEUI_FAULT", "exit")
    events = list(PytestProcess(command(root, "-n", "2", "-p", "no:randomly")).events())
    session = next(e for e in events if isinstance(e, SessionStarted))
    assert session.xdist
    results = finished(events)
    assert len(results) == 5
    # xdist restarts the crashed worker and reports the test as failed; the run carries on.
    assert results["tests/test_faults.py::test_exits_hard"].outcome in ("failed", "error")
    assert results["tests/test_faults.py::test_last"].outcome == "passed"
    assert results["tests/test_faults.py::test_first"].markers == ("smoke",)


def test_cancel_kills_the_whole_process_group(
    sample_repo: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = sample_repo("faults")
    pid_file = tmp_path / "pids"
    monkeypatch.setenv("GATEUI_FAULT", "hang")
    monkeypatch.setenv("GATEUI_FAULT_PIDFILE", str(pid_file))
    process = PytestProcess(command(root, "-k", "hangs"))

    def cancel_when_hanging() -> None:
        while not pid_file.exists() or not pid_file.read_text().strip():
            time.sleep(0.02)
        process.cancel()

    canceller = threading.Thread(target=cancel_when_hanging)
    canceller.start()
    events = list(process.events())
    canceller.join()
    pytest_pid, grandchild_pid = map(int, pid_file.read_text().split())
    summary = summary_of(events)
    assert summary.cancelled
    assert summary.crashed is None
    deadline = time.monotonic() + 10
    while (alive(pytest_pid) or alive(grandchild_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pytest_pid)
    assert not alive(grandchild_pid)


def test_node_ids_are_relative_to_the_repository_root(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("web_api_monorepo")
    project = repo / "projects" / "web_api"
    events = list(PytestProcess(command(project, "-m", "smoke", repo_root=repo)).events())
    results = finished(events)
    assert results
    assert all(n.startswith("projects/web_api/tests/") for n in results)
    assert {r.project for r in results.values()} == {"projects/web_api"}


def test_node_ids_follow_the_rootdir_pytest_reports_and_carry_their_reason(
    sample_repo: Callable[[str], Path],
) -> None:
    # Until the session starts, ids are taken as relative to the project; pytest here reports
    # them relative to the repository (its rootdir), and they must not be re-rooted twice.
    repo = sample_repo("web_api_monorepo")
    project = repo / "projects" / "web_api"
    plain = command(project, f"--rootdir={repo}", repo_root=repo)
    some = "projects/web_api/tests/test_download_range.py"
    run = PytestCommand(
        project_root=plain.project_root,
        repo_root=plain.repo_root,
        interpreter=plain.interpreter,
        args=plain.args,
        reasons={some: "changed: web_api/download.py"},
        default_reason="everything",
    )
    events = list(PytestProcess(run).events())
    session = next(e for e in events if isinstance(e, SessionStarted))
    assert Path(session.rootdir) == repo
    started = [e for e in events if isinstance(e, TestStarted)]
    results = finished(events)
    assert results and sorted(results) == sorted(e.nodeid for e in started)
    ids_and_paths = [(e.nodeid, e.path) for e in started]
    ids_and_paths += [(r.nodeid, r.path) for r in results.values()]
    for nodeid, path in ids_and_paths:
        assert nodeid.startswith("projects/web_api/tests/test_"), nodeid
        assert path == nodeid.split("::")[0], (nodeid, path)
    reasons = {r.reason for n, r in results.items() if n.startswith(some + "::")}
    assert reasons == {"changed: web_api/download.py"}
    others = {r.reason for n, r in results.items() if not n.startswith(some + "::")}
    assert others == {"everything"}
    assert {r.project for r in results.values()} == {"projects/web_api"}


def test_missing_pytest_is_a_clear_error_naming_the_interpreter(tmp_path: Path) -> None:
    venv = tmp_path / "bare"
    import venv as venv_module

    venv_module.create(venv, with_pip=False)
    interpreter = venv / "bin" / "python"
    (tmp_path / "test_x.py").write_text("def test_x(): pass\n")
    bare = PytestCommand(tmp_path, tmp_path, interpreter)
    with pytest.raises(InterpreterError, match=r"bare/bin/python: pytest is not installed"):
        list(PytestProcess(bare).events())


def test_a_missing_interpreter_is_a_clear_error(tmp_path: Path) -> None:
    missing = PytestCommand(tmp_path, tmp_path, tmp_path / "nope" / "python")
    with pytest.raises(InterpreterError, match="interpreter not found"):
        list(PytestProcess(missing).events())


def test_plugin_writes_to_a_named_file_channel(
    sample_repo: Callable[[str], Path], tmp_path: Path
) -> None:
    # For commands that close inherited descriptors (tox, some make setups) the channel is a path.
    import json
    import subprocess

    from gateui.core.running.pytest_process import plugin_environment

    root = sample_repo("faults")
    channel = tmp_path / "events.jsonl"
    env = plugin_environment(os.environ, str(channel), "the-key")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "gateui_events", "-q"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    lines = channel.read_text().splitlines()
    assert all(line.startswith("the-key {") for line in lines)
    kinds = [json.loads(line.partition(" ")[2])["e"] for line in lines]
    # Loaded before any conftest, the plugin says so first; then the session.
    assert kinds[:2] == ["plugin_loaded", "session_start"]
    assert kinds.count("test") == 5
    assert kinds[-1] == "session_finish"
    assert '"e":' not in result.stdout

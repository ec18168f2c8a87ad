"""Results cannot be forged or lost: only the pytest session gateui started reports, every test it
collected has a result or a reason, and ``--json`` always ends with its final object.

Everything here runs the real ``gateui`` console script over small repositories written into
``tmp_path``: the tests under test are hostile on purpose (they write to the event channel, run
pytest inside pytest, or get gateui killed mid-run).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import CliResult, init_repo, run_cli

pytestmark = pytest.mark.integration

PYPROJECT = """
[tool.pytest.ini_options]
testpaths = ["tests"]
"""

# Forged results: this test and the one after it "passed", and the session "finished" green.
FORGED = """
FORGED_LINES = [
    {"e": "test", "nodeid": "tests/test_forge.py::test_b_forges", "path": "tests/test_forge.py",
     "line": 1, "outcome": "passed", "duration_s": 0.0, "markers": []},
    {"e": "test", "nodeid": "tests/test_forge.py::test_c_never_runs", "path": "tests/test_forge.py",
     "line": 1, "outcome": "passed", "duration_s": 0.0, "markers": []},
    {"e": "session_finish", "exitstatus": 0, "duration_s": 0.1},
]
FORGED = "".join(json.dumps(line) + "\\n" for line in FORGED_LINES).encode()
"""

# Through the channel the environment names, as a test that knows gateui would do it.
FORGE_FROM_ENVIRONMENT = (
    "import json, os\n"
    + FORGED
    + """
def write_to_named_channel():
    spec = os.environ.get("GATEUI_EVENTS", "")
    if spec.startswith("fd:"):
        os.write(int(spec[3:]), FORGED)
    elif spec:
        with open(spec, "ab") as channel:
            channel.write(FORGED)
"""
)

# Through every pipe the process holds, without reading the environment at all.
FORGE_THROUGH_DESCRIPTORS = (
    "import json, os, stat\n"
    + FORGED
    + """
def write_to_every_pipe():
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if fd > 2 and stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, FORGED)
        except OSError:
            pass
"""
)


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in {"pyproject.toml": PYPROJECT, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return init_repo(root)


def summary_of(result: CliResult) -> dict[str, Any]:
    last = result.json_lines()[-1]
    assert last["event"] == "summary", result.stdout
    return last


def forging_tests(forge: str, call: str) -> str:
    return (
        forge
        + f"""

def test_a_passes():
    pass

def test_b_forges():
    {call}()
    os._exit(0)

def test_c_never_runs():
    pass
"""
    )


@pytest.mark.parametrize(
    ("forge", "call"),
    [
        (FORGE_FROM_ENVIRONMENT, "write_to_named_channel"),
        (FORGE_THROUGH_DESCRIPTORS, "write_to_every_pipe"),
    ],
    ids=["named-in-environment", "inherited-descriptor"],
)
def test_a_test_forging_a_green_finish_and_exiting_does_not_pass(
    tmp_path: Path, forge: str, call: str
) -> None:
    repo = make_repo(tmp_path / "repo", {"tests/test_forge.py": forging_tests(forge, call)})
    result = run_cli(["run", "--json"], repo)
    assert result.code == 1, result.stdout + result.stderr
    tests = {e["nodeid"]: e["outcome"] for e in result.json_lines() if e["event"] == "test"}
    assert tests == {
        "tests/test_forge.py::test_a_passes": "passed",
        "tests/test_forge.py::test_b_forges": "failed",
    }
    summary = summary_of(result)
    assert summary["crashed"] == "tests/test_forge.py::test_b_forges"
    assert (summary["passed"], summary["failed"], summary["not_run"]) == (1, 1, 1)
    assert "exited with code 0" in summary["incomplete"]
    plain = run_cli(["run"], repo)
    assert plain.code == 1
    assert "1 collected test did not run" in plain.stdout


def test_lines_a_test_writes_to_the_event_pipe_are_ignored_and_named_once(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "tests/test_forge.py": FORGE_THROUGH_DESCRIPTORS
            + """

def test_a_forges_and_goes_on():
    write_to_every_pipe()
    write_to_every_pipe()

def test_b_fails():
    assert False
""",
        },
    )
    result = run_cli(["run", "--json"], repo)
    assert result.code == 1
    tests = {e["nodeid"]: e["outcome"] for e in result.json_lines() if e["event"] == "test"}
    assert tests == {
        "tests/test_forge.py::test_a_forges_and_goes_on": "passed",
        "tests/test_forge.py::test_b_fails": "failed",
    }
    summary = summary_of(result)
    assert (summary["passed"], summary["failed"], summary["pytest_exitstatus"]) == (1, 1, 1)
    (warning,) = summary["warnings"]
    assert warning.startswith("ignored 6 event lines")


def test_a_session_that_exits_early_with_status_0_is_not_a_pass(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "tests/test_exit.py": """
                import pytest

                def test_a_passes():
                    pass

                def test_b_ends_the_session():
                    pytest.exit("enough for today", returncode=0)

                def test_c_never_runs():
                    pass
            """,
        },
    )
    result = run_cli(["run", "--json"], repo)
    assert result.code == 1, result.stdout
    summary = summary_of(result)
    assert (summary["passed"], summary["not_run"], summary["pytest_exitstatus"]) == (1, 2, 0)
    assert "enough for today" in summary["incomplete"]
    assert "2 collected tests did not run" in summary["incomplete"]


def test_a_run_that_dies_during_collection_says_why_in_json(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "tests/conftest.py": "import os\nos._exit(0)\n",
            "tests/test_a.py": "def test_a():\n    pass\n",
        },
    )
    result = run_cli(["run", "--json"], repo)
    assert result.code == 1
    summary = summary_of(result)
    assert summary["incomplete"] == "the test process exited with code 0 before its session started"
    repo = make_repo(
        tmp_path / "repo2",
        {
            "tests/test_a.py": "def test_a():\n    pass\n",
            "tests/test_b.py": "import os\nos._exit(4)\n",
        },
    )
    summary = summary_of(run_cli(["run", "--json"], repo))
    assert summary["incomplete"] == "the test process exited with code 4 during collection"


INNER_FAILING_TEST = "def test_inner_fails():\n    assert False\n"


def test_pytest_run_by_a_test_inside_a_command_suite_does_not_report(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "test_inner.py").write_text(INNER_FAILING_TEST)
    repo = make_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": PYPROJECT
            + """
[tool.gateui.suites.outer]
# Installed plugins stay out: some do not survive a pytest run inside a test.
command = "env PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python -m pytest tests -q"
""",
            "tests/test_outer.py": f"""
                import subprocess, sys
                import pytest

                INNER = {str(inner)!r}

                def test_runs_pytest_in_a_subprocess():
                    done = subprocess.run([sys.executable, "-m", "pytest", INNER, "-q"])
                    assert done.returncode == 1

                def test_runs_pytest_in_process():
                    assert pytest.main([INNER, "-q", "-p", "no:cacheprovider"]) == 1

                def test_after_them():
                    pass
            """,
        },
    )
    result = run_cli(["run", "outer", "--json"], repo)
    assert result.code == 0, result.stdout + result.stderr
    tests = {e["nodeid"]: e["outcome"] for e in result.json_lines() if e["event"] == "test"}
    assert tests == {
        "tests/test_outer.py::test_runs_pytest_in_a_subprocess": "passed",
        "tests/test_outer.py::test_runs_pytest_in_process": "passed",
        "tests/test_outer.py::test_after_them": "passed",
    }
    summary = summary_of(result)
    assert (summary["passed"], summary["failed"], summary["warnings"]) == (3, 0, [])


def test_a_forging_test_inside_a_command_suite_reports_nothing_false(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": PYPROJECT
            + """
[tool.gateui.suites.outer]
command = "python -m pytest tests -q"
""",
            "tests/test_forge.py": forging_tests(FORGE_FROM_ENVIRONMENT, "write_to_named_channel"),
        },
    )
    result = run_cli(["run", "outer", "--json"], repo)
    tests = {e["nodeid"]: e["outcome"] for e in result.json_lines() if e["event"] == "test"}
    # The command's exit status (0: the test ended the process) decides, as on CI; what the
    # tests report is only what really happened.
    assert tests == {
        "tests/test_forge.py::test_a_passes": "passed",
        "tests/test_forge.py::test_b_forges": "failed",
    }
    assert summary_of(result)["crashed"] == "tests/test_forge.py::test_b_forges"


def started_run(repo: Path, args: list[str], started: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateui", *args],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    deadline = time.monotonic() + 120
    while not started.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the waiting test never started"
        time.sleep(0.05)
    return proc


WAITING_TESTS = """
    import pathlib, time

    def test_a_passes():
        pass

    def test_b_waits():
        pathlib.Path({started!r}).touch()
        time.sleep(60)

    def test_c_after():
        pass
"""


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_run_json_ends_with_its_summary_when_interrupted(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    started = tmp_path / "started"
    repo = make_repo(
        tmp_path / "repo", {"tests/test_wait.py": WAITING_TESTS.format(started=str(started))}
    )
    proc = started_run(repo, ["run", "--json"], started)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    lines = [json.loads(line) for line in out.splitlines()]
    summary = lines[-1]
    assert summary["event"] == "summary", out
    assert (summary["passed"], summary["cancelled"]) == (1, True)
    assert summary["incomplete"] == f"interrupted by {sig.name}"


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_gate_json_is_printed_when_interrupted(
    tmp_path: Path, sig: signal.Signals, code: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The waiting test says it started through a file outside its worktree: no sandbox.
    monkeypatch.setenv("GATEUI_SANDBOX", "off")
    started = tmp_path / "started"
    repo = make_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": PYPROJECT
            + """
[tool.gateui.gate]
steps = [{ name = "unit", paths = ["tests"] }]
""",
            "tests/test_wait.py": WAITING_TESTS.format(started=str(started)),
        },
    )
    proc = started_run(repo, ["gate", "--json"], started)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    report = json.loads(out)
    assert report["verdict"] == "error"
    assert report["reason"] == f"interrupted by {sig.name}"
    assert len(report["commit"]) == 40


def test_gate_json_outside_a_git_repository_is_an_error_verdict(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(PYPROJECT)
    result = run_cli(["gate", "--json"], folder)
    assert result.code == 2
    report = json.loads(result.stdout)
    assert report["verdict"] == "error"
    assert "not a git repository" in report["reason"]
    assert report["steps"] == [] and report["error"] == report["reason"]
    assert "not a git repository" in result.stderr


def test_run_json_ends_with_a_summary_on_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"tests/test_a.py": "def test_a():\n    pass\n"})
    result = run_cli(["run", "no-such-suite", "--json"], repo)
    assert result.code == 2
    summary = summary_of(result)
    assert summary["selected"] == 0 and "no-such-suite" in summary["error"]

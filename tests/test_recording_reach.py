"""What the recorder sees, on every interpreter: a test of many calls in full, functions run in
threads a test starts, a test run while another profiler holds the thread, and a test that
takes the recorder's hook away (left unrecorded, so selected by what it imports).

Real git repositories, the real CLI in a subprocess, real pytest runs; an edit after a recorded
run, then ``run --affected`` shows what the recording held.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import CliResult
from helpers import steps_repo as make_steps_repo

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]

STEPS = (
    "def step(total):\n    return total + 1\n\n\n"
    "def count(n):\n    total = 0\n    for _ in range(n):\n        total = step(total)\n"
    "    return total\n\n\n"
    'def name():\n    return "steps"\n'
)


def steps_repo(tmp_path: Path, tests: str, conftest: str = "") -> Path:
    return make_steps_repo(tmp_path / "repo", STEPS, tests, conftest)


def affected_after(cli: Cli, repo: Path, old: str, new: str) -> dict[str, str]:
    """Record a full run, make the edit, and return node id → reason of the affected run."""
    assert cli(["run"], repo).code == 0
    path = repo / "heavy" / "steps.py"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    result = cli(["run", "--affected", "--json"], repo)
    return {str(e["nodeid"]): str(e["reason"]) for e in result.json_lines() if e["event"] == "test"}


def test_a_test_of_many_calls_is_recorded_in_full(tmp_path: Path, cli: Cli) -> None:
    repo = steps_repo(
        tmp_path,
        "from heavy.steps import count, name\n\n\n"
        "def test_counts_far():\n    assert count(200_000) == 200_000\n\n\n"
        'def test_names():\n    assert name() == "steps"\n',
    )
    # test_counts_far made 200,000 calls, and none of them was to name().
    reasons = affected_after(cli, repo, 'return "steps"', 'return "step" + "s"')
    assert reasons == {"tests/test_steps.py::test_names": "executed heavy.steps.name (changed)"}


def in_a_thread(test: str, call: str, result: str) -> str:
    """The source of a test that runs ``call`` in a thread it starts, and checks ``result``."""
    return (
        f"def {test}():\n    done = []\n"
        f"    worker = threading.Thread(target=lambda: done.append({call}))\n"
        f"    worker.start()\n    worker.join()\n    assert done == [{result}]\n\n\n"
    )


@pytest.mark.parametrize(
    ("call", "result", "old", "new", "expected"),
    [
        # What the thread ran is the test's: a change of it selects the test.
        (
            "step(1)",
            "2",
            "return total + 1",
            "return 1 + total",
            {"tests/test_steps.py::test_threaded": "executed heavy.steps.step (changed)"},
        ),
        # 200,000 calls are recorded in full (a trace function gave up on them, leaving the test
        # to be selected by its imports): a change of what it never called does not select it.
        (
            "count(200_000)",
            "200_000",
            'return "steps"',
            'return "step" + "s"',
            {"tests/test_steps.py::test_names": "executed heavy.steps.name (changed)"},
        ),
    ],
    ids=["what-it-ran", "200000-calls"],
)
def test_what_a_thread_the_test_started_ran_is_recorded(
    tmp_path: Path, cli: Cli, call: str, result: str, old: str, new: str, expected: dict[str, str]
) -> None:
    repo = steps_repo(
        tmp_path,
        "import threading\n\nfrom heavy.steps import count, name, step\n\n\n"
        + in_a_thread("test_threaded", call, result)
        + 'def test_names():\n    assert name() == "steps"\n',
    )
    assert affected_after(cli, repo, old, new) == expected


LINGER = "\n\ndef linger(flag):\n    while not flag.wait(0.01):\n        pass\n    return 1\n"


def test_a_thread_still_running_is_its_starting_tests_dependency_only(
    tmp_path: Path, cli: Cli
) -> None:
    # The thread is still in linger() when its test ends, and when the next test ends.
    repo = make_steps_repo(
        tmp_path / "repo",
        STEPS + LINGER,
        "import threading\n\nfrom heavy.steps import linger, name\n\n"
        "FLAG = threading.Event()\n\n\n"
        "def test_leaves_a_thread_running():\n"
        "    threading.Thread(target=linger, args=(FLAG,), daemon=True).start()\n\n\n"
        'def test_names():\n    assert name() == "steps"\n',
    )
    reasons = affected_after(cli, repo, "    return 1\n", "    return 2 - 1\n")
    assert reasons == {
        "tests/test_steps.py::test_leaves_a_thread_running": "executed heavy.steps.linger (changed)"
    }


def test_threads_a_profiler_of_the_session_starts_with_its_own_hook_keep_it_and_are_recorded(
    tmp_path: Path, cli: Cli
) -> None:
    repo = steps_repo(
        tmp_path,
        "import threading\n\nfrom heavy.steps import name, step\n\n\n"
        + in_a_thread("test_threaded", "step(1)", "2")
        + "def test_the_sessions_hook_is_in_place():\n"
        '    assert getattr(threading.getprofile(), "__name__", "") == "sessions_hook"\n'
        '    assert name() == "steps"\n',
        # A profiling plugin's stand-in: every thread starts with its profile function.
        conftest="import threading\n\n\n"
        "def sessions_hook(frame, event, arg):\n    return None\n\n\n"
        "def pytest_configure(config):\n    threading.setprofile(sessions_hook)\n",
    )
    reasons = affected_after(cli, repo, "return total + 1", "return 1 + total")
    assert reasons == {"tests/test_steps.py::test_threaded": "executed heavy.steps.step (changed)"}


def test_a_test_run_while_another_profiler_holds_the_thread_is_recorded(
    tmp_path: Path, cli: Cli
) -> None:
    repo = steps_repo(
        tmp_path,
        "from heavy.steps import count, name\n\n\n"
        "def test_counts():\n    assert count(10) == 10\n\n\n"
        'def test_names():\n    assert name() == "steps"\n',
        # A profiling plugin's stand-in: a profile function on the main thread all session.
        conftest="import sys\n\n\n"
        "def pytest_configure(config):\n    sys.setprofile(lambda frame, event, arg: None)\n",
    )
    reasons = affected_after(cli, repo, "return total + 1", "return 1 + total")
    assert reasons == {"tests/test_steps.py::test_counts": "executed heavy.steps.step (changed)"}


def test_a_test_that_takes_the_recorders_hook_away_is_selected_by_its_imports(
    tmp_path: Path, cli: Cli
) -> None:
    repo = steps_repo(
        tmp_path,
        "import sys\n\nfrom heavy.steps import name, step\n\n\n"
        "def test_takes_the_hook():\n"
        "    # What a profiler's or tracer's own tests do: install theirs, then run code.\n"
        "    sys.setprofile(None)\n    sys.settrace(None)\n    assert step(1) == 2\n\n\n"
        "def test_steps_too():\n    assert step(2) == 3\n\n\n"
        'def test_names():\n    assert name() == "steps"\n',
    )
    reasons = affected_after(cli, repo, "return total + 1", "return 1 + total")
    executed = "executed heavy.steps.step (changed)"
    assert reasons.pop("tests/test_steps.py::test_steps_too") == executed
    # Python 3.12+ records through sys.monitoring, which the test cannot switch off.
    assert reasons in (
        {"tests/test_steps.py::test_takes_the_hook": executed},
        {
            "tests/test_steps.py::test_takes_the_hook": (
                "not fully recorded; imports heavy.steps (changed)"
            )
        },
    )

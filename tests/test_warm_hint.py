"""``gateui run`` starts the warm process of the project its last run went to before it plans the
run, and forks the run from it: the same outcomes as a cold run, no process left behind, a cold
run where the guess was wrong, and no early start where a warm process was refused until what
the refusal depended on changes."""

from __future__ import annotations

import json
import marshal
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gateui.core.running.warm_hint import hint_path, read
from helpers import (
    alive,
    gateui_run_in_a_slow_test,
    init_repo,
    run_cli,
    throwaway_venv,
    write_repo,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only"),
]

PARENT_PROBE = """
import os

def test_parent():
    parent = os.getppid()
    with open(f"/proc/{parent}/cmdline", "rb") as handle:
        warm = b"gateui_warm.py" in handle.read()
    with open(os.environ["GATEUI_TEST_PARENTS"], "a") as handle:
        handle.write(f"{parent} {int(warm)}\\n")

def test_fails():
    assert 1 == 2
"""


def note_of(repo: Path) -> dict[str, Any]:
    note = read(repo)
    assert note is not None, "no readable note of the last run"
    return note


def last_parent(record: Path) -> tuple[int, bool]:
    """The last run's test process's parent, and whether it was a warm process."""
    pid, warm = record.read_text().splitlines()[-1].split()
    return int(pid), warm == "1"


def outcomes(stdout: str) -> dict[str, str]:
    events = [json.loads(line) for line in stdout.splitlines()]
    return {e["nodeid"]: e["outcome"] for e in events if e.get("event") == "test"}


def gone(pid: int) -> bool:
    deadline = time.monotonic() + 30  # against a hang only
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def warm_log(repo: Path) -> list[str]:
    log = repo / ".gateui" / "warm.log"
    return log.read_text().splitlines() if log.exists() else []


def test_the_next_run_forks_from_a_warm_process_it_started_and_leaves_none(
    tmp_path: Path,
) -> None:
    repo = init_repo(write_repo(tmp_path / "repo", {"test_probe.py": PARENT_PROBE}))
    record = tmp_path / "parents"
    env = {"GATEUI_TEST_PARENTS": str(record)}
    first = run_cli(["run", "--json"], repo, env)
    assert first.code == 1, first.stderr
    assert not last_parent(record)[1]  # no run before it: cold
    assert note_of(repo)["project_root"] == str(repo)
    second = run_cli(["run", "--json"], repo, env)
    assert second.code == 1, second.stderr
    parent, warm = last_parent(record)
    assert warm
    assert (
        outcomes(second.stdout)
        == outcomes(first.stdout)
        == {
            "test_probe.py::test_parent": "passed",
            "test_probe.py::test_fails": "failed",
        }
    )
    assert gone(parent)
    assert "warm" not in second.stdout + second.stderr  # nothing to say when it works


def test_a_run_of_another_project_starts_cold_and_stops_the_early_process(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    for name in ("alpha", "beta"):
        write_repo(repo / name, {f"test_{name}.py": PARENT_PROBE})
    init_repo(repo)
    record = tmp_path / "parents"
    env = {"GATEUI_TEST_PARENTS": str(record)}
    assert run_cli(["run", "alpha"], repo, env).code == 1
    assert note_of(repo)["project_root"] == str(repo / "alpha")
    ran = run_cli(["run", "beta"], repo, env)
    assert ran.code == 1, ran.stderr
    assert not last_parent(record)[1]  # the early process was alpha's: beta's run is cold
    started = [line for line in warm_log(repo) if " warm process " in line]
    assert len(started) == 1 and str(repo / "alpha") in started[0]
    assert gone(int(started[0].split(" warm process ")[1].split()[0]))
    assert note_of(repo)["project_root"] == str(repo / "beta")
    ran = run_cli(["run", "beta"], repo, env)
    assert ran.code == 1, ran.stderr
    assert last_parent(record)[1]


def test_a_refused_warm_process_is_not_started_early_again_until_its_reason_changes(
    tmp_path: Path,
) -> None:
    python, site = throwaway_venv(tmp_path / "venv")
    (site / "threadlib.py").write_text(
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(3600,), name='poller', daemon=True).start()\n"
    )
    repo = init_repo(
        write_repo(
            tmp_path / "repo",
            {"test_uses.py": "import threadlib\n\ndef test_uses():\n    pass\n"},
        )
    )
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(f'[tool.gateui]\npython = "{python}"\n\n[tool.pytest.ini_options]\n')

    def refusals() -> int:
        return sum("thread is alive after the preload" in line for line in warm_log(repo))

    # The first run learns that the tests import threadlib; the second starts a warm process
    # early, which preloads it, is refused, and the run starts cold without a word about it.
    for _ in range(2):
        ran = run_cli(["run"], repo)
        assert ran.code == 0, ran.stderr
    assert refusals() == 1
    assert "warm" not in ran.stdout + ran.stderr
    assert "refused" in note_of(repo)
    ran = run_cli(["run"], repo)
    assert ran.code == 0, ran.stderr
    assert refusals() == 1  # remembered: no warm process started for nothing
    # The pytest configuration changes: worth another try (refused again: threadlib is there).
    pyproject.write_text(pyproject.read_text() + 'addopts = "-q"\n')
    ran = run_cli(["run"], repo)
    assert ran.code == 0, ran.stderr
    assert refusals() == 2


def test_warm_false_starts_no_warm_process_early(tmp_path: Path) -> None:
    repo = init_repo(write_repo(tmp_path / "repo", {"test_probe.py": PARENT_PROBE}))
    (repo / "pyproject.toml").write_text("[tool.gateui]\nwarm = false\n")
    record = tmp_path / "parents"
    env = {"GATEUI_TEST_PARENTS": str(record)}
    for _ in range(2):
        assert run_cli(["run"], repo, env).code == 1
        assert not last_parent(record)[1]
    assert not warm_log(repo)


def test_an_interrupted_run_leaves_no_early_warm_process(tmp_path: Path) -> None:
    repo, proc, _ = gateui_run_in_a_slow_test(tmp_path)
    try:
        servers = [line for line in warm_log(repo) if " warm process " in line]
        assert len(servers) == 1
        server = int(servers[0].split(" warm process ")[1].split()[0])
        assert alive(server)
        # For this run only: not offered to other gateui processes (it ends with this run).
        assert not list((repo / ".gateui" / "warm").glob("*.up.json"))
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    finally:
        proc.kill()
    assert gone(server)


def test_a_module_only_a_plugin_imported_is_not_preloaded_for_runs_without_it(
    tmp_path: Path,
) -> None:
    """What a run imports depends on the plugins it loads: a run with a plugin turned on teaches
    the warm process its imports, and runs without that plugin neither preload them nor lose the
    list of the runs that have it."""
    probe = (
        "import os, sys\n\n"
        "def test_probe():\n"
        "    with open(f'/proc/{os.getppid()}/cmdline', 'rb') as handle:\n"
        "        warm = b'gateui_warm.py' in handle.read()\n"
        "    with open(os.environ['GATEUI_TEST_PARENTS'], 'a') as handle:\n"
        "        handle.write(f\"{int(warm)} {int('wave' in sys.modules)}\\n\")\n"
    )
    repo = init_repo(write_repo(tmp_path / "repo", {"test_probe.py": probe}))
    plugins = write_repo(tmp_path / "plugins", {"wave_plugin.py": "import wave\n"})
    record = tmp_path / "parents"
    base = {"GATEUI_TEST_PARENTS": str(record), "PYTHONPATH": str(plugins)}
    with_plugin = {**base, "PYTEST_ADDOPTS": "-p wave_plugin"}
    without_plugin = {**base, "PYTEST_ADDOPTS": ""}

    def probe_run(env: dict[str, str]) -> tuple[bool, bool]:
        assert run_cli(["run"], repo, env).code == 0
        warm, wave_loaded = record.read_text().splitlines()[-1].split()
        return warm == "1", wave_loaded == "1"

    assert probe_run(with_plugin) == (False, True)  # cold: it learns the plugin's imports
    assert probe_run(with_plugin) == (True, True)
    assert probe_run(without_plugin) == (True, False)
    assert probe_run(without_plugin) == (True, False)
    assert probe_run(with_plugin) == (True, True)


def damaged_notes(repo: str, python: str) -> dict[str, bytes]:
    good = {"version": 1, "project_root": repo, "interpreter": python, "env": {}, "warm": True}
    good["pyproject"] = [(f"{repo}/pyproject.toml", -1, -1)]
    return {
        "not-marshal": b"{not marshal",
        "a-list": marshal.dumps([1, 2]),
        "wrong-type": marshal.dumps({**good, "project_root": 1}),
        "env-not-text": marshal.dumps({**good, "env": {"A": 1}}),
        "refused-not-stamps": marshal.dumps({**good, "refused": 5}),
        "no-pyproject-stamp": marshal.dumps({**good, "pyproject": []}),
        "another-version": marshal.dumps({**good, "version": 99}),
    }


@pytest.mark.parametrize("damage", list(damaged_notes("", "")))
def test_a_damaged_note_of_the_last_run_is_ignored_and_replaced(
    tmp_path: Path, damage: str
) -> None:
    repo = init_repo(write_repo(tmp_path / "repo", {"test_a.py": "def test_a():\n    pass\n"}))
    note = hint_path(repo)
    note.parent.mkdir(parents=True, exist_ok=True)
    intact = {"version": 1, "project_root": str(repo), "interpreter": sys.executable, "env": {}}
    stamp = [(str(repo / "pyproject.toml"), -1, -1)]
    note.write_bytes(marshal.dumps({**intact, "warm": True, "pyproject": stamp}))
    assert read(repo) is not None  # what each damage below departs from
    note.write_bytes(damaged_notes(str(repo), sys.executable)[damage])
    assert read(repo) is None
    result = run_cli(["run"], repo)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert note_of(repo)["project_root"] == str(repo)

"""A full recorded run records again only what may have changed: the tests the change can
affect, the tests that failed last time, and tests without a recording here; the others keep
theirs (a test left unrecorded stays so until the change can affect it).

Real git repositories, the real CLI in a subprocess, real pytest. Whether a test was recorded
again is read from the store itself: its stored rows are removed first, and a test recorded
again has them back. A conftest makes pytest wait, before the first test, until gateui's list of
current recordings has arrived (in a real run the list only saves work, so nothing waits for
it; here it must be there for the outcome to be certain).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gateui.core.discovery.discover import load_projects
from gateui.core.plan.run_plan import RunRequest, plan_run
from gateui.core.running._record_skip import RecordSkipFeed
from gateui.core.running.pytest_process import PytestProcess
from gateui.core.running.warm import WarmPool
from gateui.core.selection.bookkeeping import Bookkeeping
from gateui.core.selection.depstore import DepStore
from gateui.core.selection.kept_recordings import (
    recorded_full_run,
)
from helpers import CliResult, edit_once, git
from helpers import steps_repo as make_steps_repo

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]

STEPS = "def f():\n    return 1\n\n\ndef g():\n    return 2\n"
TESTS = (
    "import os\n\nfrom heavy.steps import f, g\n\n\n"
    'def test_f():\n    assert f() == 1 and not os.environ.get("MAKE_F_FAIL")\n\n\n'
    "def test_g():\n    assert g() == 2\n"
)
WAIT_FOR_THE_LIST = """
import time


def pytest_collection_finish(session):
    recorder = session.config.pluginmanager.get_plugin("gateui-recorder")
    waited = 0.0
    while recorder is not None and recorder.skip_fd is not None and waited < 120:
        recorder._read_skip()
        time.sleep(0.01)
        waited += 0.01
"""
F = "tests/test_steps.py::test_f"
G = "tests/test_steps.py::test_g"
PROBE = "kept_since_marked"


def recorded_files(repo: Path) -> dict[str, dict[str, str]]:
    """Node id → {file: blob} of what the store holds for each test."""
    db = sqlite3.connect(repo / ".gateui" / "deps.sqlite")
    try:
        rows = db.execute(
            "SELECT n.text, f.text, b.text FROM executed e JOIN names n ON n.id = e.nodeid "
            "JOIN names f ON f.id = e.file JOIN names b ON b.id = e.blob"
        ).fetchall()
    finally:
        db.close()
    found: dict[str, dict[str, str]] = {}
    for nodeid, file, blob in rows:
        found.setdefault(nodeid, {})[file] = blob
    return found


def mark_every_recording(repo: Path) -> None:
    """Give every stored test a marker it does not have: a test recorded again gets its real
    markers back, a test left alone keeps this one. (Selection reads stored markers only to
    find a smoke suite, so the mark changes nothing it decides.)"""
    db = sqlite3.connect(repo / ".gateui" / "deps.sqlite")
    with db:
        db.execute("UPDATE tests SET markers = ?", (json.dumps([PROBE]),))
    db.close()


def recorded_again(repo: Path) -> set[str]:
    db = sqlite3.connect(repo / ".gateui" / "deps.sqlite")
    try:
        rows = db.execute(
            "SELECT n.text, t.markers FROM tests t JOIN names n ON n.id = t.nodeid"
        ).fetchall()
    finally:
        db.close()
    return {nodeid for nodeid, markers in rows if PROBE not in json.loads(markers)}


@pytest.fixture
def repo(tmp_path: Path, cli: Cli) -> Path:
    root = make_steps_repo(tmp_path / "repo", STEPS, TESTS, WAIT_FOR_THE_LIST)
    assert cli(["run"], root).code == 0
    assert set(recorded_files(root)) == {F, G}
    return root


def test_an_unchanged_tree_records_nothing_again(repo: Path, cli: Cli) -> None:
    mark_every_recording(repo)
    assert cli(["run"], repo).code == 0
    assert recorded_again(repo) == set()


def test_an_edit_records_again_only_the_tests_it_can_affect(repo: Path, cli: Cli) -> None:
    before = recorded_files(repo)
    mark_every_recording(repo)
    edit_once(repo, "heavy/steps.py", "return 2", "return 1 + 1")
    assert cli(["run"], repo).code == 0
    assert recorded_again(repo) == {G}
    after = recorded_files(repo)
    assert after[F] == before[F]
    new_blob = git(repo, "hash-object", "heavy/steps.py").strip()
    assert after[G]["heavy/steps.py"] == new_blob != before[G]["heavy/steps.py"]


def test_a_committed_edit_records_again_the_tests_that_ran_the_old_version(
    repo: Path, cli: Cli
) -> None:
    # git sees no change against HEAD; the recordings name the version before the commit.
    edit_once(repo, "heavy/steps.py", "return 2", "return 1 + 1")
    git(repo, "commit", "-qam", "g computes")
    mark_every_recording(repo)
    assert cli(["run"], repo).code == 0
    assert recorded_again(repo) == {G}


def test_a_file_changed_only_since_a_kept_recording_is_not_said_to_be_a_git_change(
    repo: Path, cli: Cli
) -> None:
    """test_f keeps its recording of steps.py before the commit (f did not change): every later
    affected run sees that version drift, on a tree git calls clean, and says so apart."""
    edit_once(repo, "heavy/steps.py", "return 2", "return 1 + 1")
    git(repo, "commit", "-qam", "g computes")
    assert cli(["run"], repo).code == 0
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    header = cli(["run", "--affected"], repo).stdout.splitlines()[0]
    assert header == "changed: nothing; since last recorded: heavy/steps.py → selected: nothing"
    edit_once(repo, "tests/test_steps.py", "== 2", "== 1 + 1")
    header = cli(["run", "--affected"], repo).stdout.splitlines()[0]
    assert header.startswith(
        "changed: tests/test_steps.py; since last recorded: heavy/steps.py → selected: "
    ), header


def test_a_test_that_failed_last_time_is_recorded_again(repo: Path, cli: Cli) -> None:
    # No file changes: test_f fails for a reason outside the repository, then passes again.
    assert cli(["run"], repo, {"MAKE_F_FAIL": "1"}).code == 1
    mark_every_recording(repo)
    assert cli(["run"], repo).code == 0
    assert recorded_again(repo) == {F}


def test_a_test_left_unrecorded_stays_so_until_the_change_can_affect_it(
    repo: Path, cli: Cli
) -> None:
    # As if test_g's threads had made too many calls to trace: its row says "unrecorded".
    db = sqlite3.connect(repo / ".gateui" / "deps.sqlite")
    with db:
        db.execute(
            "UPDATE tests SET recorded = 0 WHERE nodeid = (SELECT id FROM names WHERE text = ?)",
            (G,),
        )
    db.close()
    mark_every_recording(repo)
    assert cli(["run"], repo).code == 0
    assert recorded_again(repo) == set()
    edit_once(repo, "heavy/steps.py", "return 2", "return 1 + 1")
    assert cli(["run"], repo).code == 0
    assert recorded_again(repo) == {G}
    db = sqlite3.connect(repo / ".gateui" / "deps.sqlite")
    (recorded,) = db.execute(
        "SELECT t.recorded FROM tests t JOIN names n ON n.id = t.nodeid WHERE n.text = ?", (G,)
    ).fetchone()
    db.close()
    assert recorded == 1


def test_a_new_test_is_recorded(repo: Path, cli: Cli) -> None:
    mark_every_recording(repo)
    path = repo / "tests" / "test_steps.py"
    path.write_text(path.read_text() + "\n\ndef test_new():\n    assert f() + g() == 3\n")
    assert cli(["run"], repo).code == 0
    assert recorded_again(repo) == {"tests/test_steps.py::test_new"}


def plugin_run(repo: Path, skip: bytes) -> dict[str, bool]:
    """pytest with the plugin recording, the record-skip pipe holding ``skip``: test → whether
    its result carried dependencies."""
    events = repo / "events.jsonl"
    read_fd, write_fd = os.pipe()
    os.write(write_fd, skip)
    os.close(write_fd)
    plugin_dir = Path(__file__).resolve().parents[1] / "src" / "gateui" / "pytest_plugin"
    env = {
        **os.environ,
        "PYTHONPATH": str(plugin_dir),
        "GATEUI_EVENTS": str(events),
        "GATEUI_RECORD": str(repo),
        "GATEUI_RECORD_SKIP": f"fd:{read_fd}",
    }
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "gateui_events", "-p", "no:cacheprovider", "-q"],
        cwd=repo,
        env=env,
        pass_fds=(read_fd,),
        capture_output=True,
        check=True,
        timeout=120,
    )
    os.close(read_fd)
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    return {e["nodeid"]: "deps" in e for e in lines if e["e"] == "test"}


def test_the_plugin_skips_recording_only_the_listed_tests_of_a_whole_list(
    tmp_path: Path,
) -> None:
    repo = make_steps_repo(tmp_path / "repo", STEPS, TESTS)
    assert plugin_run(repo, b"tests/test_steps.py::test_f\n.") == {F: False, G: True}
    # A list cut short (no last line) skips nothing.
    assert plugin_run(repo, b"tests/test_steps.py::test_f\n") == {F: True, G: True}
    assert plugin_run(repo, b"") == {F: True, G: True}


RECORDER_PROBE = """
import os
import sys

hooks_added = []
sys.addaudithook(lambda event, args: event == "sys.addaudithook" and hooks_added.append(1))


def pytest_sessionfinish(session):
    recorder = session.config.pluginmanager.get_plugin("gateui-recorder")
    with open(os.environ["RECORDER_PROBE"], "w") as handle:
        handle.write("registered" if recorder is not None else "gone")
        handle.write(f" {len(hooks_added)} audit hook(s) added")
"""


def test_a_session_whose_tests_all_keep_their_recordings_drops_the_recorders_hooks_and_audit_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the whole list there before the first test, a session that records nothing calls
    none of the recorder's per-test hooks, and adds no audit hook (called for every audited
    event of the process); one test to record keeps them, and adds it."""
    repo = make_steps_repo(tmp_path / "repo", STEPS, TESTS)
    (repo / "conftest.py").write_text(RECORDER_PROBE)
    probe = tmp_path / "probe"
    monkeypatch.setenv("RECORDER_PROBE", str(probe))
    assert plugin_run(repo, f"{F}\n{G}\n.".encode()) == {F: False, G: False}
    assert probe.read_text() == "gone 0 audit hook(s) added"
    assert plugin_run(repo, f"{F}\n.".encode()) == {F: False, G: True}
    assert probe.read_text() == "registered 1 audit hook(s) added"


def test_a_run_forked_from_a_warm_process_records_again_only_what_the_edit_affects(
    repo: Path,
) -> None:
    mark_every_recording(repo)
    edit_once(repo, "heavy/steps.py", "return 2", "return 1 + 1")
    projects = load_projects(repo)
    store = DepStore(repo)
    commands, over = recorded_full_run(
        plan_run(projects, RunRequest(), repo), repo, projects, store
    )
    books = Bookkeeping(repo, store)
    try:
        with WarmPool(repo) as pool:
            (command,) = commands
            process = PytestProcess(command, warm=pool)
            for event in process.events():
                books.handle(event)
            assert process.forked
        books.save()
    finally:
        over()
        store.close()
    assert recorded_again(repo) == {G}


def test_a_first_run_records_everything_and_a_later_one_keeps_what_is_current(
    tmp_path: Path, cli: Cli
) -> None:
    root = make_steps_repo(tmp_path / "repo", STEPS, TESTS)
    projects = load_projects(root)
    store = DepStore(root)
    try:
        first, over = recorded_full_run(
            plan_run(projects, RunRequest(), root), root, projects, store
        )
        over()
        assert [c.kept_recordings for c in first] == [None]
        assert all(c.env["GATEUI_RECORD"] == str(root) for c in first)
        assert cli(["run"], root).code == 0
        later, over = recorded_full_run(
            plan_run(projects, RunRequest(), root), root, projects, store
        )
        try:
            (command,) = later
            assert command.kept_recordings is not None
            assert sorted(command.kept_recordings.current(recorded_env(root))) == [F, G]
        finally:
            over()
    finally:
        store.close()


def recorded_env(repo: Path) -> str:
    db = sqlite3.connect(repo / ".gateui" / "deps.sqlite")
    try:
        (env,) = {
            e for (e,) in db.execute("SELECT n.text FROM tests t JOIN names n ON n.id = t.env")
        }
    finally:
        db.close()
    return str(env)


def test_a_full_run_in_the_tui_records_again_only_what_the_edit_affects(
    repo: Path,
) -> None:
    from textual.pilot import Pilot

    from gateui.tui.app import GateuiApp
    from tui_support import drive, run_everything

    mark_every_recording(repo)
    edit_once(repo, "heavy/steps.py", "return 2", "return 1 + 1")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        assert (await run_everything(app, pilot)).passed == 2

    drive(GateuiApp(repo), scenario)
    assert recorded_again(repo) == {G}


def test_a_kept_recording_still_selects_its_test_when_a_later_edit_breaks_it(
    repo: Path, cli: Cli
) -> None:
    # test_g keeps the recording of the first run (steps.py as committed) through a run after
    # an edit of f; a later edit of g must still select test_g, and only it.
    edit_once(repo, "heavy/steps.py", "return 1\n", "value = 1\n    return value\n")
    mark_every_recording(repo)
    assert cli(["run"], repo).code == 0
    assert recorded_again(repo) == {F}
    edit_once(repo, "heavy/steps.py", "return 2", "return 3")
    result = cli(["run", "--affected", "--json"], repo)
    ran = {str(e["nodeid"]): str(e["outcome"]) for e in result.json_lines() if e["event"] == "test"}
    assert ran == {G: "failed"}


class _ManyCurrent:
    """Current recordings for 5,000 tests with long names (≈ 300 KB of list)."""

    def prepare(self) -> None:
        pass

    def current(self, env: str) -> list[str]:
        return [
            f"tests/test_module_{i % 50:03d}.py::test_a_long_descriptive_name_{i:06d}"
            for i in range(5000)
        ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pipe sizes are Linux's")
def test_the_whole_list_of_thousands_of_tests_waits_in_the_pipe_for_the_plugin() -> None:
    """The plugin reads the list without waiting, when collection ends: a list that did not fit in
    the pipe came only as the first tests ran, and every test paid for the recorder's hooks."""
    feed = RecordSkipFeed(_ManyCurrent())
    reader = os.dup(feed.child_fd)  # the plugin's end, as pytest would hold it
    try:
        feed.started()
        feed.session_started("env", "")
        assert feed._thread is not None
        feed._thread.join(timeout=30)  # against a hang only: nothing reads meanwhile
        assert not feed._thread.is_alive()
        data = b""
        while chunk := os.read(reader, 1 << 20):
            data += chunk
    finally:
        os.close(reader)
        feed.close()
    lines = data.decode().split("\n")
    assert len(data) > 1 << 16 and lines[-1] == "." and len(lines) == 5001

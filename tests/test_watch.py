"""Watch mode: scripted changes for the cycle logic, real file events for the filters."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from gateui.core.discovery.discover import load_projects
from gateui.core.running.events import TestFinished
from gateui.core.watch.session import CycleFinished, CycleStarted, Idle, WatchEvent, WatchSession
from helpers import CliResult, git

pytestmark = pytest.mark.integration

WAIT_S = 60  # generous: a guard against hanging, never a measurement


def no_watcher(root: Path, stop: threading.Event) -> Iterable[set[str]]:
    return []


class Watching:
    """Runs a WatchSession's generator in a thread; the test reads its events in order."""

    def __init__(self, session: WatchSession) -> None:
        self.session = session
        self.events: queue.Queue[WatchEvent | BaseException] = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for event in self.session.events():
                self.events.put(event)
        except BaseException as exc:
            self.events.put(exc)

    def next(self, kind: type) -> WatchEvent:
        """The next event of ``kind`` (earlier events of other kinds are passed over)."""
        while True:
            event = self.events.get(timeout=WAIT_S)
            if isinstance(event, BaseException):
                raise event
            if isinstance(event, kind):
                return event

    def until(self, kind: type) -> Iterator[WatchEvent]:
        """Every event up to and including the next ``kind``."""
        while True:
            event = self.events.get(timeout=WAIT_S)
            if isinstance(event, BaseException):
                raise event
            yield event
            if isinstance(event, kind):
                return

    def stop(self) -> None:
        self.session.stop()
        self.thread.join(timeout=WAIT_S)
        assert not self.thread.is_alive()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def lab(sample_repo: Callable[[str], Path], cli: Callable[..., CliResult]) -> Path:
    repo = sample_repo("selection_lab")
    assert cli(["run"], repo).code == 0
    return repo


def test_an_edit_during_a_run_is_never_lost(lab: Path) -> None:
    session = WatchSession(load_projects(lab), source=no_watcher, initial=False)
    watching = Watching(session)
    try:
        watching.next(Idle)
        slowpath = lab / "src" / "lab" / "slowpath.py"
        edit(slowpath, "return seconds", "return seconds + 0")
        session.inject([str(slowpath)])
        first = watching.next(CycleStarted)
        assert isinstance(first, CycleStarted) and first.tests == 3
        done = watching.next(TestFinished)
        assert isinstance(done, TestFinished)
        util = lab / "src" / "lab" / "util.py"
        edit(util, "return x / 2", "return x * 0.5")
        session.inject([str(util)])
        interrupted = watching.next(CycleFinished)
        assert isinstance(interrupted, CycleFinished) and interrupted.interrupted
        second = watching.next(CycleStarted)
        assert isinstance(second, CycleStarted) and second.carried_over == 3
        ran = {
            e.nodeid: e.reason for e in watching.until(CycleFinished) if isinstance(e, TestFinished)
        }
        slow = {
            "tests/test_slow.py::test_slow_one",
            "tests/test_slow.py::test_slow_two",
            "tests/test_slow.py::test_slow_three",
        }
        # The union: the slow tests the interrupted run still owed, and the new edit's test;
        # the one that had finished keeps its result and does not run again.
        assert set(ran) == (slow - {done.nodeid}) | {"tests/test_util.py::test_halve"}
        assert ran["tests/test_util.py::test_halve"] == "executed lab.util.halve (changed)"
        # (The owed tests' own recordings still predate the slowpath edit, so the new
        # selection names that reason itself; the carried-over part is the safety net.)
        for nodeid in slow - {done.nodeid}:
            assert ran[nodeid] == "executed lab.slowpath.work (changed)"
    finally:
        watching.stop()


def test_swap_files_and_ignored_paths_never_trigger_a_run(lab: Path) -> None:
    session = WatchSession(load_projects(lab), initial=False)
    watching = Watching(session)
    try:
        watching.next(Idle)
        package = lab / "src" / "lab"
        (package / ".util.py.swp").write_text("swap")
        (package / "4913").write_text("")
        (package / "util.py~").write_text("backup")
        (package / ".#util.py").write_text("lock")
        (lab / ".gateui" / "scratch").write_text("state")
        pycache = package / "__pycache__"
        pycache.mkdir(exist_ok=True)
        (pycache / "util.cpython-311.pyc").write_bytes(b"\0")
        (lab / ".venv").mkdir()  # listed in the sample's .gitignore
        (lab / ".venv" / "junk.py").write_text("x = 1\n")
        # A real edit last: the first cycle must name it alone.
        edit(package / "util.py", "return x / 2", "return x * 0.5")
        cycle = watching.next(CycleStarted)
        assert isinstance(cycle, CycleStarted)
        assert cycle.changed == ("src/lab/util.py",)
        watching.next(CycleFinished)
    finally:
        watching.stop()


def test_a_burst_of_a_thousand_writes_is_one_run(lab: Path) -> None:
    session = WatchSession(load_projects(lab), initial=False)
    watching = Watching(session)
    try:
        watching.next(Idle)
        burst = lab / "generated"
        burst.mkdir()
        for index in range(1000):
            (burst / f"item_{index}.txt").write_text(str(index))
        cycle = watching.next(CycleStarted)
        assert isinstance(cycle, CycleStarted)
        assert len(cycle.changed) == 1000
        watching.next(CycleFinished)
        # Nothing else is pending: the next thing the session does is wait.
        nxt = watching.events.get(timeout=WAIT_S)
        assert isinstance(nxt, Idle)
    finally:
        watching.stop()


@pytest.mark.parametrize("files", [3, 30])
def test_a_branch_switch_is_one_run(lab: Path, files: int) -> None:
    """A real ``git checkout``: a few files (under the burst size, so the short quiet time
    applies) or many; either way one cycle, then idle."""
    git(lab, "checkout", "-q", "-b", "feature")
    sources = [lab / "src" / "lab" / name for name in ("util.py", "render.py", "extra.py")]
    for path in sources[:files]:
        path.write_text(path.read_text() + "\n# on the feature branch\n")
    for index in range(files - len(sources)):
        (lab / "src" / "lab" / f"data_{index}.txt").write_text(f"{index}\n")
    git(lab, "add", "-A")
    git(lab, "commit", "-q", "-m", "feature")
    git(lab, "checkout", "-q", "main")
    session = WatchSession(load_projects(lab), initial=False)
    watching = Watching(session)
    try:
        watching.next(Idle)
        git(lab, "checkout", "-q", "feature")
        cycle = watching.next(CycleStarted)
        assert isinstance(cycle, CycleStarted)
        assert len(cycle.changed) == files
        watching.next(CycleFinished)
        nxt = watching.events.get(timeout=WAIT_S)
        assert isinstance(nxt, Idle)
    finally:
        watching.stop()


def test_watch_no_tui_streams_cycles_as_json(lab: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateui", "watch", "--no-tui", "--json"],
        cwd=lab,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert proc.stdout is not None
    try:
        import json

        def next_event(kind: str) -> dict[str, object]:
            assert proc.stdout is not None
            for line in proc.stdout:
                data: dict[str, object] = json.loads(line)
                if data["event"] == kind:
                    return data
            raise AssertionError(f"stream ended before a {kind!r} event")

        next_event("idle")
        edit(lab / "src" / "lab" / "util.py", "return x / 2", "return x * 0.5")
        cycle = next_event("cycle")
        assert cycle["changed"] == ["src/lab/util.py"]
        assert cycle["selected_tests"] == 1
        test = next_event("test")
        assert test["nodeid"] == "tests/test_util.py::test_halve"
        assert test["reason"] == "executed lab.util.halve (changed)"
        summary = next_event("summary")
        assert summary["passed"] == 1
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=WAIT_S) == 130  # interrupted, as the exit-code table says


def test_cancelling_a_cycle_keeps_watching(lab: Path) -> None:
    session = WatchSession(load_projects(lab), source=no_watcher, initial=False)
    watching = Watching(session)
    try:
        watching.next(Idle)
        slowpath = lab / "src" / "lab" / "slowpath.py"
        edit(slowpath, "return seconds", "return seconds + 0")
        session.inject([str(slowpath)])
        watching.next(TestFinished)
        session.cancel_cycle()
        finished = watching.next(CycleFinished)
        assert isinstance(finished, CycleFinished)
        assert finished.summary.cancelled and not finished.interrupted
        watching.next(Idle)
        util = lab / "src" / "lab" / "util.py"
        edit(util, "return x / 2", "return x * 0.5")
        session.inject([str(util)])
        cycle = watching.next(CycleStarted)
        assert isinstance(cycle, CycleStarted) and cycle.carried_over == 0
    finally:
        watching.stop()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("src/lab/util.py", False),
        ("src/lab/.util.py.swp", True),
        ("src/lab/4913", True),
        ("src/lab/util.py~", True),
        ("pytest-cache-files-9cbvmer1", True),
        ("pytest-cache-files-9cbvmer1/.gitignore", True),
        ("pkg.egg-info/PKG-INFO", True),
        ("node_modules/x/index.js", True),
        ("docs/notes.txt", False),
    ],
)
def test_ignored_names(path: str, ignored: bool) -> None:
    from gateui.core.watch.session import is_ignored_name

    assert is_ignored_name(path) is ignored

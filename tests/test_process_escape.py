"""A test's leftovers never hang gateui, and never outlive it.

Each kind of escaping process (``tests/samples/escaping``: a forgotten background child run with
``-s``, a double-forked daemon, a server in a new session, one in a new process group) runs under
``gateui run``, ``gateui watch``, the TUI and ``gateui gate``: the command returns (a generous
timeout guards against a hang, it measures nothing) and no process it started is left. Processes
are found by an environment tag the probe sets, which every descendant inherits whatever session
or group it moves to. ``kill -9`` of gateui mid-run and mid-gate leaves nothing running either, and
the next gate removes the killed one's worktree and temporary folders.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.pilot import Pilot

from gateui.tui.app import GateuiApp
from helpers import git
from tui_support import discovered, drive, run_finished, wait_until

WAIT_S = 60  # generous: a guard against hanging, never a measurement
KINDS = ["background", "daemon", "session", "group"]
TAG = "GATEUI_PROBE_TAG"
GATE_STEPS = '\n[tool.gateui.gate]\nsteps = [{ name = "probe", command = "python -m pytest" }]\n'


def tagged(value: str, besides: frozenset[int] = frozenset()) -> list[int]:
    """Live processes whose environment holds ``GATEUI_PROBE_TAG=value`` (this one excluded)."""
    needle = f"{TAG}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in besides | {os.getpid()}:
            continue
        try:
            stat = (entry / "stat").read_bytes()
            if stat[stat.rindex(b")") + 2 :].split()[0] == b"Z":
                continue
            environ = (entry / "environ").read_bytes()
        except (OSError, ValueError):
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def gone(value: str) -> list[int]:
    """What is still tagged once the processes had every chance to die (polled, bounded)."""
    deadline = time.monotonic() + WAIT_S
    while (left := tagged(value)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def not_git(pids: list[int]) -> list[str]:
    commands = []
    for pid in pids:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0] != b"git":
            commands.append(b" ".join(argv).decode(errors="replace"))
    return commands


def lasting_besides_git(value: str, besides: frozenset[int]) -> list[str]:
    """Tagged processes other than git helpers that stay (polled, bounded): a helper gateui is
    starting carries gateui's own command line between fork and exec, and is gone at once."""
    deadline = time.monotonic() + 2.0
    while (left := not_git(tagged(value, besides))) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@dataclass
class Probe:
    repo: Path
    tag: str
    temp: Path
    kind: str

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONDONTWRITEBYTECODE": "1",
            TAG: self.tag,
            "PROBE_ESCAPE": self.kind,
            "PYTEST_ADDOPTS": "-s",
            "TMPDIR": str(self.temp),
            **extra,
        }

    def gateui(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gateui", *args],
            cwd=self.repo,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=WAIT_S,
        )

    def start(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "gateui", *args],
            cwd=self.repo,
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )


@pytest.fixture(params=KINDS)
def probe(
    request: pytest.FixtureRequest, sample_repo: Callable[[str], Path], tmp_path: Path
) -> Iterator[Probe]:
    temp = tmp_path / "tmp"
    temp.mkdir()
    made = Probe(sample_repo("escaping"), f"probe-{uuid.uuid4().hex}", temp, request.param)
    try:
        yield made
    finally:
        # A failing case must not leave its leftovers to the rest of the suite.
        for pid in tagged(made.tag):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.integration
def test_run_returns_and_leaves_nothing(probe: Probe) -> None:
    done = probe.gateui("run", "--no-record")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert tagged(probe.tag) == []


class Lines:
    """A process's JSON lines, read in a thread so that a hang is a timeout, not a hang."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        stdout = proc.stdout

        def read() -> None:
            for line in stdout:
                self.lines.put(line)

        threading.Thread(target=read, daemon=True).start()

    def next(self, kind: str) -> dict[str, object]:
        while True:
            data: dict[str, object] = json.loads(self.lines.get(timeout=WAIT_S))
            if data["event"] == kind:
                return data


@pytest.mark.integration
def test_watch_cycles_end_and_later_edits_run(probe: Probe) -> None:
    proc = probe.start("watch", "--no-tui", "--json", "--no-record")
    lines = Lines(proc)
    test_file = probe.repo / "tests" / "test_escape.py"
    try:
        lines.next("idle")
        for edit in range(2):
            test_file.write_text(test_file.read_text() + f"# edit {edit}\n")
            lines.next("cycle")
            summary = lines.next("summary")
            assert summary["passed"] == 1
            # gateui itself, and the git helpers it keeps for the session, are still there.
            assert lasting_besides_git(probe.tag, besides=frozenset({proc.pid})) == []
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=WAIT_S) == 130  # Ctrl-C, as the exit-code table says
    assert tagged(probe.tag) == []


@pytest.mark.tui
def test_tui_run_ends_and_quit_leaves_nothing(
    probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in probe.env().items():
        if name != "TMPDIR":
            monkeypatch.setenv(name, value)

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        await pilot.press("a")
        await run_finished(app, pilot, timeout=WAIT_S)
        assert app.runs.current is not None and app.runs.current.tally.summary is not None
        assert app.runs.current.tally.summary.passed == 1
        assert tagged(probe.tag) == []
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, WAIT_S, "the app to exit")

    drive(GateuiApp(probe.repo), scenario)
    assert tagged(probe.tag) == []


def declare_gate(repo: Path) -> None:
    with (repo / "pyproject.toml").open("a") as handle:
        handle.write(GATE_STEPS)
    git(repo, "commit", "-qam", "gate")


@pytest.mark.integration
def test_gate_returns_and_leaves_nothing(probe: Probe) -> None:
    declare_gate(probe.repo)
    done = probe.gateui("gate", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["verdict"] == "pass"
    assert tagged(probe.tag) == []


def wait_for_file(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not (path.exists() and path.read_text()):
        assert proc.poll() is None, "gateui ended before the test started its leftover"
        assert time.monotonic() < deadline, f"{path} was never written"
        time.sleep(0.05)


@pytest.mark.integration
def test_kill_9_of_gateui_run_takes_the_tests_and_their_children(
    probe: Probe, tmp_path: Path
) -> None:
    pidfile = tmp_path / "leftover.pid"
    proc = probe.start("run", "--no-record", PROBE_HANG="1", PROBE_PIDFILE=str(pidfile))
    try:
        wait_for_file(pidfile, proc)
        assert len(tagged(probe.tag, besides=frozenset({proc.pid}))) >= 2  # pytest, leftover
    finally:
        proc.kill()
        proc.wait()
    assert gone(probe.tag) == []


def worktrees(repo: Path) -> list[str]:
    listing = git(repo, "worktree", "list", "--porcelain")
    return [line for line in listing.splitlines() if line.startswith("worktree ")]


@pytest.mark.integration
@pytest.mark.parametrize("probe", ["session"], indirect=True)
def test_kill_9_mid_gate_then_the_next_gate_cleans_up(probe: Probe, tmp_path: Path) -> None:
    declare_gate(probe.repo)
    (probe.repo / "untracked.txt").write_text("the work tree differs: the gate uses a worktree\n")
    pidfile = tmp_path / "leftover.pid"
    # The step reports its leftover's pid in a file outside its worktree: no read-only sandbox.
    proc = probe.start(
        "gate", "--json", PROBE_HANG="1", PROBE_PIDFILE=str(pidfile), GATEUI_SANDBOX="off"
    )
    try:
        wait_for_file(pidfile, proc)
    finally:
        proc.kill()
        proc.wait()
    assert gone(probe.tag) == []
    # What the killed gate could not remove: its worktree and its temporary folders.
    assert len(worktrees(probe.repo)) == 2
    assert any(p.name.startswith("gateui-gate-") for p in probe.temp.iterdir())

    done = probe.gateui("gate", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert worktrees(probe.repo) == [f"worktree {probe.repo.resolve()}"]
    assert [p.name for p in probe.temp.iterdir() if p.name.startswith("gateui-")] == []
    assert tagged(probe.tag) == []

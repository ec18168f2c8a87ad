"""Helpers for the TUI tests: run the app headless, wait for it, make synthetic events."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from textual.pilot import Pilot

from gateui.core.running.events import (
    CollectionFinished,
    Event,
    RunSummary,
    SessionStarted,
    TestFinished,
)
from gateui.tui.app import GateuiApp

SIZE = (140, 40)
FIXED_CLOCK: Callable[[], float] = lambda: 1000.0  # noqa: E731 - no time on screen in snapshots

Scenario = Callable[[GateuiApp, Pilot[int]], Awaitable[None]]


def drive(app: GateuiApp, scenario: Scenario, size: tuple[int, int] = SIZE) -> None:
    """Run ``app`` headless under the Pilot and play ``scenario`` on it."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            try:
                await scenario(app, pilot)
            except AssertionError as failure:
                # What the app logged (a worker's failure among it) says why a run ended early.
                log = "\n".join(app.messages) or "(nothing)"
                raise AssertionError(f"{failure}\n-- the app's log:\n{log}") from failure

    asyncio.run(main())


async def wait_until(
    pilot: Pilot[int], condition: Callable[[], bool], timeout: float = 60.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


async def discovered(app: GateuiApp, pilot: Pilot[int]) -> None:
    await wait_until(
        pilot, lambda: app.discovery.discovered or app.problem is not None, what="discovery"
    )
    await pilot.pause()


async def run_finished(app: GateuiApp, pilot: Pilot[int], timeout: float = 90.0) -> None:
    """Wait until the current run's summary is on screen (every event absorbed)."""
    await wait_until(
        pilot,
        lambda: app.runs.current is not None and not app.runs.current.active,
        timeout,
        "the run to finish",
    )
    await pilot.pause()


async def run_everything(app: GateuiApp, pilot: Pilot[int]) -> RunSummary:
    """Once the tests are discovered, run them all (``a``) and return the run's summary."""
    await discovered(app, pilot)
    await pilot.press("a")
    await run_finished(app, pilot)
    summary = app.runs.current.tally.summary if app.runs.current else None
    assert summary is not None
    return summary


def result(
    nodeid: str,
    outcome: str = "passed",
    duration: float = 0.012,
    longrepr: str = "",
    **extra: str,
) -> TestFinished:
    path = nodeid.split("::")[0]
    return TestFinished(
        nodeid=nodeid,
        path=path,
        line=3,
        outcome=outcome,
        duration_s=duration,
        markers=("unit",),
        longrepr=longrepr,
        **extra,  # type: ignore[arg-type]
    )


def synthetic_run(count: int, every_failure: int = 0, summary: bool = True) -> Iterator[Event]:
    """A run's worth of events: ``count`` results (every ``every_failure``-th one failing)."""
    yield SessionStarted("8.4.2", "python", "3.11", "/repo", None, False, ())
    yield CollectionFinished(count, 0)
    failed = 0
    for index in range(count):
        module = index // 50
        failing = every_failure and index % every_failure == every_failure - 1
        failed += bool(failing)
        yield result(
            f"tests/unit/test_mod_{module}.py::test_case_{index}",
            "failed" if failing else "passed",
            0.001 * (index % 7 + 1),
            longrepr=FAILURE_TEXT if failing else "",
        )
    if summary:
        status = 1 if failed else 0
        yield RunSummary(count, count - failed, failed, 0, 0, None, 1.0, exitstatus=status)


FAILURE_TEXT = """def test_isbn10_converts_to_isbn13():
>       assert to_isbn13("0-201-61622-X") == "9780201616224"
E       AssertionError: assert '9780201616220' == '9780201616224'
E
E         - 9780201616224
E         ?             ^
E         + 9780201616220
E         ?             ^

tests/unit/test_isbn.py:29: AssertionError"""


def write_hanging_repo(root: Path) -> Path:
    """A repository whose second test records its pid (and a child's) and then hangs."""
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (root / "tests" / "test_hang.py").write_text(
        "import os, subprocess, sys, time\n\n"
        "def test_quick():\n    pass\n\n"
        "def test_hang():\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "    with open(os.environ['GATEUI_TEST_PIDFILE'], 'w') as handle:\n"
        "        handle.write(f'{os.getpid()} {child.pid}')\n"
        "    time.sleep(120)\n"
    )
    return root


class ScriptedChanges:
    """A watch source the test drives: ``change(path)`` is one batch from the watcher."""

    def __init__(self) -> None:
        self._batches: queue.Queue[set[str]] = queue.Queue()

    def __call__(self, repo_root: Path, stop: threading.Event) -> Iterator[set[str]]:
        while not stop.is_set():
            try:
                yield self._batches.get(timeout=0.05)
            except queue.Empty:
                continue

    def change(self, *paths: Path) -> None:
        self._batches.put({str(p) for p in paths})

"""How the TUI absorbs a flood of results: 20,000 synthetic ``TestFinished`` events streamed into
the real app, headless, through the same path a run takes (thread worker → bounded buffer →
throttled drains → the Line-API results table).

Arms, each in a fresh subprocess (so peak memory is the arm's own), run in turn per round:

  gateui     GateuiApp.play(events) — what `gateui` does with a run's events
  datatable  the baseline a first version would write: the same events as rows of Textual's
             DataTable, added with add_rows in batches of 500 from the UI thread

Measured per arm:
  absorb_s    from the first event handed over to the last row (and the summary) on screen
  max_gap_ms  the largest gap between two screen refreshes while the events stream
              (App._display calls: the compositor rendered an update; headless, so nothing is
              written to a terminal); target ≤ 100 ms
  loop_ms     the largest delay of a 10 ms timer on the UI's event loop in the same window
  block_ms    the longest single callback on the UI's event loop in the window (a drain, a
              screen update...): the UI's own work, without the time the OS gave to other
              processes (on a busy machine the gaps above include that time too)
  cpu_share   process CPU time / wall time over the window (1.0 = a whole core)
  peak_mb     peak RSS of the process (getrusage ru_maxrss); target ≤ 300 MB

Usage: .venv/bin/python bench/tui_stream.py [--events 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _util import command_line, table

SIZE = (140, 40)
FAILURE = (
    "def test_x():\n>       assert compute(2) == 5\nE       assert 4 == 5\n\n"
    "tests/test_x.py:3: AssertionError"
)


def synthetic(count: int) -> Iterator[Any]:
    from gateui.core.running.events import CollectionFinished, RunSummary, TestFinished

    yield CollectionFinished(count, 0)
    failed = 0
    for index in range(count):
        failing = index % 100 == 99
        failed += failing
        yield TestFinished(
            nodeid=f"tests/unit/pkg{index % 40}/test_mod_{index // 50}.py::test_case_{index}",
            path=f"tests/unit/pkg{index % 40}/test_mod_{index // 50}.py",
            line=index % 300 + 1,
            outcome="failed" if failing else "passed",
            duration_s=0.001 * (index % 9),
            markers=("unit",),
            longrepr=FAILURE if failing else "",
        )
    yield RunSummary(count, count - failed, failed, 0, 0, None, 1.0, exitstatus=1)


class Probe:
    """Timestamps of screen refreshes and of a 10 ms loop timer; durations of loop callbacks."""

    def __init__(self) -> None:
        self.refreshes: list[float] = []
        self.ticks: list[float] = []
        self.blocks: list[tuple[float, float]] = []
        self.cpu_start = 0.0
        self._install_block_timer()

    def _install_block_timer(self) -> None:
        original = asyncio.events.Handle._run
        blocks = self.blocks

        # Its parameter is named ``self`` like the method it replaces, so its type matches.
        def timed(self: asyncio.events.Handle) -> None:
            began = time.perf_counter()
            original(self)
            blocks.append((began, time.perf_counter() - began))

        # Replacing a method on the class is the point here (every callback the loop runs is
        # timed); mypy flags any assignment to a method.
        asyncio.events.Handle._run = timed  # type: ignore[method-assign]

    def max_gap(self, stamps: list[float], start: float, end: float) -> float:
        inside = [start, *(t for t in stamps if start <= t <= end), end]
        return max(b - a for a, b in itertools.pairwise(inside))


def instrument(app: Any, probe: Probe) -> None:
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            probe.refreshes.append(time.perf_counter())
        original(screen, renderable)

    app._display = display


async def arm_gateui(count: int, repo: Path) -> dict[str, float]:
    from gateui.tui.app import GateuiApp
    from gateui.tui.widgets.results_table import ResultsTable

    app = GateuiApp(repo, repo_label="bench", cursor_blink=False)
    probe = Probe()
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot, lambda: app.discovery.discovered or app.problem is not None)
        instrument(app, probe)
        app.set_interval(0.01, lambda: probe.ticks.append(time.perf_counter()))
        results = app.query_one(ResultsTable)
        probe.cpu_start = time.process_time()
        start = time.perf_counter()
        run = app.play(synthetic(count), "bench")
        while results.total_rows < count or run.active:
            await asyncio.sleep(0.001)
        end = time.perf_counter()
        await pilot.pause()
        assert results.total_rows == count
    return _figures(probe, start, end)


async def arm_datatable(count: int, repo: Path) -> dict[str, float]:
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from gateui.core.running.events import TestFinished

    class Baseline(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def on_mount(self) -> None:
            self.query_one(DataTable).add_columns("status", "test", "duration", "why")

    app = Baseline()
    probe = Probe()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        instrument(app, probe)
        app.set_interval(0.01, lambda: probe.ticks.append(time.perf_counter()))
        data = app.query_one(DataTable)
        probe.cpu_start = time.process_time()
        start = time.perf_counter()
        batch: list[tuple[Text, str, str, str]] = []
        for event in synthetic(count):
            if isinstance(event, TestFinished):
                status = Text(event.outcome, style="red" if event.outcome == "failed" else "green")
                batch.append((status, event.nodeid, f"{event.duration_s * 1000:.0f} ms", ""))
            if len(batch) == 500:
                data.add_rows(batch)
                batch = []
                await asyncio.sleep(0)  # let the screen refresh between batches
        data.add_rows(batch)
        while data.row_count < count:
            await asyncio.sleep(0.001)
        await pilot.pause()  # DataTable measures new rows when idle: part of absorbing them
        end = time.perf_counter()
    return _figures(probe, start, end)


async def _settle(pilot: Any, condition: Any) -> None:
    deadline = time.monotonic() + 60
    while not condition() and time.monotonic() < deadline:
        await pilot.pause(0.02)


def _figures(probe: Probe, start: float, end: float) -> dict[str, float]:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time() - probe.cpu_start
    blocks = [length for began, length in probe.blocks if start <= began <= end]
    return {
        "absorb_s": end - start,
        "max_gap_ms": probe.max_gap(probe.refreshes, start, end) * 1000,
        "loop_ms": probe.max_gap(probe.ticks, start, end) * 1000,
        "block_ms": max(blocks, default=0.0) * 1000,
        "cpu_share": cpu / (end - start),
        "refreshes": float(len([t for t in probe.refreshes if start <= t <= end])),
        "peak_mb": peak_kb / 1024,
    }


def run_arm(name: str, count: int) -> dict[str, float]:
    """One arm in a fresh interpreter; its figures as JSON on stdout."""
    with tempfile.TemporaryDirectory(prefix="gateui-bench-tui-") as tmp:
        result = subprocess.run(
            [sys.executable, __file__, "--arm", name, "--events", str(count), "--repo", tmp],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 round of 500 events: a smoke check")
    parser.add_argument("--arm", choices=("gateui", "datatable"), help=argparse.SUPPRESS)
    parser.add_argument("--repo", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.arm:
        arm = arm_gateui if args.arm == "gateui" else arm_datatable
        figures = asyncio.run(arm(args.events, Path(args.repo)))
        print(json.dumps(figures))
        return
    if args.quick:
        args.events, args.rounds = 500, 1
    arms = ("gateui", "datatable")
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in arms}
    for _ in range(args.rounds):
        for name in arms:
            rounds[name].append(run_arm(name, args.events))
    print(f"# {command_line()}")
    print(f"# {args.events} events, {args.rounds} rounds, nproc={os.cpu_count()}, medians")
    keys = ("absorb_s", "max_gap_ms", "loop_ms", "block_ms", "cpu_share", "refreshes", "peak_mb")
    rows = []
    for name in arms:
        medians = {k: statistics.median(r[k] for r in rounds[name]) for k in keys}
        worst_gap = max(r["max_gap_ms"] for r in rounds[name])
        rows.append(
            [
                name,
                f"{medians['absorb_s']:.2f}",
                f"{medians['max_gap_ms']:.0f} (worst {worst_gap:.0f})",
                f"{medians['loop_ms']:.0f}",
                f"{medians['block_ms']:.0f}",
                f"{medians['cpu_share']:.2f}",
                f"{medians['refreshes']:.0f}",
                f"{medians['peak_mb']:.0f}",
            ]
        )
    header = [
        "arm",
        "absorb s",
        "max refresh gap ms",
        "max loop delay ms",
        "longest UI callback ms",
        "CPU share",
        "refreshes",
        "peak MB",
    ]
    print(table(header, rows))
    ours = statistics.median(r["absorb_s"] for r in rounds["gateui"])
    base = statistics.median(r["absorb_s"] for r in rounds["datatable"])
    print(f"\nabsorb time gateui / datatable: {ours / base:.2f}")


if __name__ == "__main__":
    main()

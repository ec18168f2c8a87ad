"""SVG snapshots of the TUI's main screens (``pytest --snapshot-update`` accepts a change).

Deterministic: fixed terminal size, a fixed clock (no elapsed times), no blinking cursor, a stable
repository label instead of the temporary path, and synthetic results with fixed durations built
from the demo repository's real test ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from gateui.core.events import CollectionFinished, Event, RunSummary, TestFinished, TestStarted
from gateui.tui.app import GateuiApp
from gateui.tui.widgets.results_table import ResultsTable
from tui_support import FAILURE_TEXT, FIXED_CLOCK, SIZE, discovered, wait_until

pytestmark = pytest.mark.tui

SnapCompare = Callable[..., bool]


def make_app(repo: Path) -> GateuiApp:
    return GateuiApp(repo, repo_label="bookshelf", clock=FIXED_CLOCK, cursor_blink=False)


def demo_results(app: GateuiApp, finished: bool) -> Iterator[Event]:
    """The demo's tests, the ISBN-10 ones failing; without a summary when ``finished`` is False
    (the run is still going, the next test has started)."""
    tests = [t for report in app.reports for t in report.tests]
    yield CollectionFinished(len(tests), 0)
    shown = tests if finished else tests[: len(tests) * 2 // 3]
    failed = 0
    for index, test in enumerate(shown):
        failing = "isbn10" in test.nodeid
        failed += failing
        yield TestFinished(
            nodeid=test.nodeid,
            path=test.path,
            line=test.line,
            outcome="failed" if failing else "passed",
            duration_s=0.004 + 0.001 * (index % 5),
            markers=test.markers,
            longrepr=FAILURE_TEXT if failing else "",
            stdout="checking 0-201-61622-X\n" if failing else "",
        )
    if finished:
        yield RunSummary(len(shown), len(shown) - failed, failed, 0, 0, None, 0.4, exitstatus=1)
    else:
        nxt = tests[len(shown)]
        yield TestStarted(nxt.nodeid, nxt.path, nxt.line)


async def settle(app: GateuiApp, pilot: Pilot[int]) -> None:
    app.animation_level = "none"
    await discovered(app, pilot)


def play(finished: bool, keys: tuple[str, ...] = ()) -> Callable[[Pilot[int]], object]:
    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, GateuiApp)
        await settle(app, pilot)
        events = list(demo_results(app, finished))
        app.play(events, "unit", "in unit")
        expected = sum(isinstance(e, TestFinished) for e in events)
        await wait_until(pilot, lambda: app.query_one(ResultsTable).total_rows == expected)
        if finished:
            await wait_until(
                pilot, lambda: app.current_run is not None and not app.current_run.active
            )
            app.query_one(ResultsTable).focus()
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
            await pilot.pause()

    return run_before


def test_main_screen_after_discovery(
    snap_compare: SnapCompare, sample_repo: Callable[[str], Path]
) -> None:
    app = make_app(sample_repo("demo"))

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_main_screen_mid_run(snap_compare: SnapCompare, sample_repo: Callable[[str], Path]) -> None:
    app = make_app(sample_repo("demo"))
    assert snap_compare(app, terminal_size=SIZE, run_before=play(finished=False))


def test_failure_detail(snap_compare: SnapCompare, sample_repo: Callable[[str], Path]) -> None:
    app = make_app(sample_repo("demo"))
    run_before = play(finished=True, keys=("enter",))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare: SnapCompare, sample_repo: Callable[[str], Path]) -> None:
    app = make_app(sample_repo("demo"))

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before, press=["question_mark"])

"""SVG snapshots of the TUI's main screens (``pytest --snapshot-update`` accepts a change).

Deterministic: fixed terminal size, a fixed clock (no elapsed times), no blinking cursor, a stable
repository label instead of the temporary path, and synthetic results with fixed durations built
from the demo repository's real test ids (for the gate: its real gate, with made-up outcomes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from gateui.core.gate.check import CheckEvent, CheckFinished, CheckStarted, GateReport
from gateui.core.gate.infer import load_gate
from gateui.core.gate.model import (
    WORKTREE,
    StepOutcome,
    StepResult,
    gate_verdict,
    judge,
    not_run_result,
)
from gateui.core.gate.run import StepEvent, StepFinished, StepStarted
from gateui.core.gate.sources import DirSource
from gateui.core.running.events import (
    CollectionFinished,
    Event,
    RunSummary,
    TestFinished,
    TestStarted,
)
from gateui.tui.app import GateuiApp
from gateui.tui.widgets.results_table import ResultsTable
from tui_support import FAILURE_TEXT, FIXED_CLOCK, SIZE, discovered, wait_until

pytestmark = pytest.mark.tui

SnapCompare = Callable[..., bool]
COMMIT = "8f3e1a86fad7" + "0" * 28
BROKEN = (
    "tests/unit/test_isbn.py::test_valid_isbn10[0-201-61622-X]",
    "tests/unit/test_isbn.py::test_valid_isbn10[0140449264]",
)


def make_app(repo: Path) -> GateuiApp:
    return GateuiApp(repo, repo_label="bookshelf", clock=FIXED_CLOCK, cursor_blink=False)


def demo_results(app: GateuiApp, finished: bool) -> Iterator[Event]:
    """The demo's tests, the ISBN-10 ones failing; without a summary when ``finished`` is False
    (the run is still going, the next test has started)."""
    tests = [t for report in app.discovery.reports for t in report.tests]
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
        table = app.query_one(ResultsTable)
        await wait_until(pilot, lambda: table.total_rows == expected)
        if not finished:
            # Mid-run the table follows the newest results (it scrolls after the refresh that
            # sized it): the picture is of that, not of the moment before. On a loaded machine
            # that refresh can come after the last result was drawn, so the picture asks for
            # the tail itself until the table is there: what is checked here is the picture.

            def at_tail() -> bool:
                table.scroll_end(animate=False, immediate=True, x_axis=False)
                return table.is_vertical_scroll_end

            await wait_until(pilot, at_tail, what="the tail")
        if finished:
            await wait_until(
                pilot, lambda: app.runs.current is not None and not app.runs.current.active
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


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 45)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_failures_at_common_sizes(
    snap_compare: SnapCompare, sample_repo: Callable[[str], Path], size: tuple[int, int]
) -> None:
    """A finished run with failures, where most terminals are: the tree narrower at 80 and 120
    columns, node ids shortened in the middle, the failures counted on the status line."""
    app = make_app(sample_repo("demo"))
    assert snap_compare(app, terminal_size=size, run_before=play(finished=True))


def synthetic_gate(repo: Path) -> Iterator[CheckEvent]:
    """A check of the demo's real (inferred) gate with made-up outcomes, fixed durations and a
    fixed commit: the smoke step passes, the unit step fails on two ISBN-10 tests. Reasons and the
    verdict are the core's own judgement of those outcomes."""
    definition = load_gate(DirSource(repo), repo, "main", None)
    yield CheckStarted(COMMIT, "f" * 40, "HEAD", WORKTREE, definition, repo)
    results: list[StepResult] = []
    for index, step in enumerate(definition.steps):
        if not step.runs_locally:
            result = not_run_result(step)
        else:
            yield StepStarted(index, step)
            outcome = StepOutcome(exit_code=0, passed=4, had_test_events=True, duration_s=1.25)
            if "unit" in step.command:
                outcome = StepOutcome(
                    exit_code=1,
                    passed=36,
                    failed=2,
                    skipped=2,
                    had_test_events=True,
                    failed_tests=list(BROKEN),
                    duration_s=2.5,
                )
                for nodeid in BROKEN:
                    yield StepEvent(
                        index,
                        step,
                        TestFinished(
                            nodeid,
                            "tests/unit/test_isbn.py",
                            12,
                            "failed",
                            0.01,
                            longrepr=FAILURE_TEXT,
                        ),
                    )
            _, pytest, args = step.command.partition("pytest ")
            outcome.reproduce = f"python -m pytest {args}" if pytest else step.command
            result = judge(step, outcome, {})
        results.append(result)
        yield StepFinished(index, result)
    verdict, reason = gate_verdict(results)
    report = GateReport(
        verdict, reason, COMMIT, "f" * 40, "HEAD", definition, results, checked_in=WORKTREE
    )
    report.duration_s = 3.75
    yield CheckFinished(report)


def test_gate_screen(snap_compare: SnapCompare, sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")
    app = make_app(repo)

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(app, pilot)
        gate = app.play_gate(list(synthetic_gate(repo)))
        await wait_until(pilot, lambda: gate.done.is_set() and not gate.view.running)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare: SnapCompare, sample_repo: Callable[[str], Path]) -> None:
    app = make_app(sample_repo("demo"))

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before, press=["question_mark"])

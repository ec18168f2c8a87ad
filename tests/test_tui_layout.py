"""The TUI at 80 by 24 and 120 by 40: what must stay in view, the keys that make room (t, l, esc),
the keys offered only where they do something (s, u, i), and watch mode across manual runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_tui_snapshots import synthetic_gate
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static, TabbedContent
from textual.widgets._footer import FooterKey, FooterLabel

from gateui.core.plan.run_plan import RunRequest
from gateui.core.running.events import CollectionFinished, Event, RunSummary, TestFinished
from gateui.tui.app import GateuiApp
from gateui.tui.model import RunTally
from gateui.tui.screens.gate import GateScreen
from gateui.tui.screens.help import HelpScreen
from gateui.tui.widgets.filter_input import FilterInput
from gateui.tui.widgets.header import GateHeader
from gateui.tui.widgets.results_table import ResultsTable
from gateui.tui.widgets.run_status import Totals, totals_content
from gateui.tui.widgets.scope_tree import ScopeTree
from gateui.wording import short_nodeid
from tui_support import (
    FAILURE_TEXT,
    discovered,
    drive,
    run_finished,
    synthetic_run,
    wait_until,
)

pytestmark = pytest.mark.tui

BUG = ("return isbn[9] == isbn10_check_digit", "return isbn[9] != isbn10_check_digit")
LONG = "tests/unit/loans/test_loans.py::test_overdue_fee_is_charged_per_day"


# -- node ids shortened in the middle ------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (80, LONG),
        (len(LONG), LONG),
        (58, "tests/…/test_loans.py::test_overdue_fee_is_charged_per_day"),
        (52, "…/test_loans.py::test_overdue_fee_is_charged_per_day"),
        (48, "…t_loans.py::test_overdue_fee_is_charged_per_day"),
        (38, "…::test_overdue_fee_is_charged_per_day"),
        (30, "…::test_overdue_…arged_per_day"),
    ],
)
def test_node_ids_are_shortened_in_the_middle(width: int, expected: str) -> None:
    shortened = short_nodeid(LONG, width)
    assert shortened == expected
    assert len(shortened) <= width


@pytest.mark.unit
@pytest.mark.parametrize("width", [40, 33, 30])
@pytest.mark.parametrize(
    "params", [("returned0-fine0", "returned1-fine1"), ("3-days-late", "30-days-late")]
)
def test_the_rows_of_a_parametrized_test_stay_told_apart(
    width: int, params: tuple[str, str]
) -> None:
    ids = [f"tests/unit/test_loans.py::test_fine_for_late_return[{p}]" for p in params]
    shortened = [short_nodeid(nodeid, width) for nodeid in ids]
    assert shortened[0] != shortened[1]
    assert all(len(s) <= width and s.startswith("…::test_fine") for s in shortened), shortened


@pytest.mark.unit
def test_classes_go_before_the_file_and_the_test_name() -> None:
    nodeid = "tests/unit/test_isbn.py::TestIsbn10::test_valid[0-201-61622-X]"
    assert short_nodeid(nodeid, 52) == "…/test_isbn.py::…::test_valid[0-201-61622-X]"


# -- the status line's counts ----------------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize("width", [60, 20, 12, 9])
def test_the_failures_fit_any_width(width: int) -> None:
    tally = RunTally("unit")
    tally.counts.update({"passed": 140, "failed": 3, "skipped": 2})
    text = totals_content(tally, width).plain
    assert "✗3" in text
    assert len(text) <= max(width, len("145 ✗3"))
    if width >= 60:
        assert text.startswith("145  ✗3 failed  ✓140 passed  ○2 skipped")


# -- the main screen at 80 and 120 columns --------------------------------------------------------
def demo_run(app: GateuiApp, reason: str = "") -> Iterator[Event]:
    """The demo's tests, its ISBN-10 ones failing; ``reason`` on each result when given."""
    tests = [t for report in app.discovery.reports for t in report.tests]
    yield CollectionFinished(len(tests), 0)
    failed = 0
    for test in tests:
        failing = "isbn10" in test.nodeid
        failed += failing
        yield TestFinished(
            nodeid=test.nodeid,
            path=test.path,
            line=test.line,
            outcome="failed" if failing else "passed",
            duration_s=0.004,
            longrepr=FAILURE_TEXT if failing else "",
            reason=reason,
        )
    yield RunSummary(len(tests), len(tests) - failed, failed, 0, 0, None, 0.4, exitstatus=1)


def row_text(results: ResultsTable, y: int) -> str:
    return "".join(segment.text for segment in results.render_line(y))


def fits(app: GateuiApp, widget_region_right: int) -> bool:
    return widget_region_right <= app.size.width


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_main_screen_fits(sample_repo: Callable[[str], Path], size: tuple[int, int]) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        app.play(list(demo_run(app)), "unit", "in unit")
        await run_finished(app, pilot)
        results = app.query_one(ResultsTable)
        # The tree leaves the results most of the width.
        assert app.query_one("#left").outer_size.width <= (25 if size[0] == 80 else 31)
        # The failures are counted on the status line, in full view.
        totals = app.query_one(Totals)
        assert "✗4" in str(totals.render())
        assert fits(app, totals.region.right)
        # The "why" column says nothing here (every result is "in unit"): it is not there.
        assert "why" not in row_text(results, 0)
        # A failure's row keeps its file (or the end of it) and its test name.
        assert all("::test_" in row_text(results, y) for y in (1, 2, 3, 4))
        assert any(".py::test_valid_isbn10[" in row_text(results, y) for y in (1, 2, 3, 4))
        # Every key the footer shows is in view.
        footer: list[Widget] = [w for w in app.screen.query(FooterKey) if w.display]
        footer += list(app.screen.query(FooterLabel))
        assert footer and all(fits(app, w.region.right) and w.region.width for w in footer)
        keys = {w.key for w in footer if isinstance(w, FooterKey)}
        assert {"a", "f", "question_mark", "q"} <= keys
        assert ("t" in keys) == (size[0] >= 100)  # narrow: the help lists it

    drive(GateuiApp(repo), scenario, size)


def test_the_why_column_shows_when_results_have_reasons(
    sample_repo: Callable[[str], Path],
) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        app.play(list(demo_run(app, reason="imports isbn.py")), "affected", "")
        await run_finished(app, pilot)
        results = app.query_one(ResultsTable)
        assert results.shows_reasons
        assert "why" in row_text(results, 0)
        assert "imports isbn.py" in row_text(results, 1)

    drive(GateuiApp(repo), scenario, (120, 40))


def test_t_folds_the_tree_away_and_back(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        app.play(list(demo_run(app)), "unit", "in unit")
        await run_finished(app, pilot)
        results = app.query_one(ResultsTable)
        before = results.size.width
        await pilot.press("t")
        await pilot.pause()
        assert not app.query_one("#left").display
        assert results.size.width > before + 20
        assert ".py::" in row_text(results, 1)
        await pilot.press("t")
        await pilot.pause()
        assert app.query_one("#left").display
        assert results.size.width == before

    drive(GateuiApp(repo), scenario, (80, 24))


def test_l_switches_between_detail_and_log(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        tabs = app.query_one("#bottom", TabbedContent)
        assert tabs.active == "detail-tab"
        await pilot.press("l")
        await pilot.pause()
        assert tabs.active == "log-tab"
        await pilot.press("l")
        await pilot.pause()
        assert tabs.active == "detail-tab"

    drive(GateuiApp(repo), scenario, (80, 24))


@pytest.mark.parametrize("focus", ["#results", "#tree"])
def test_esc_clears_the_filter_from_anywhere(
    sample_repo: Callable[[str], Path], focus: str
) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        app.play(list(synthetic_run(200, every_failure=50)), "synthetic")
        await run_finished(app, pilot)
        results = app.query_one(ResultsTable)
        await pilot.press("slash", *"_19", "enter")  # kept; the focus is back on the table
        await pilot.pause()
        assert results.row_count == 11
        app.query_one(focus).focus()
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert results.row_count == 200
        assert results.filter_text == ""
        assert not app.query_one(FilterInput).has_class("-visible")
        assert "filter" not in str(app.query_one("#results-title").render())

    drive(GateuiApp(repo), scenario, (80, 24))


def test_esc_shrinks_the_detail_before_it_clears_the_filter(
    sample_repo: Callable[[str], Path],
) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        app.play(list(synthetic_run(200, every_failure=50)), "synthetic")
        await run_finished(app, pilot)
        results = app.query_one(ResultsTable)
        await pilot.press("slash", *"_19", "enter", "down", "enter")
        await pilot.pause()
        assert app.query_one("#centre").has_class("-detail")
        await pilot.press("escape")
        await pilot.pause()
        assert not app.query_one("#centre").has_class("-detail")
        assert results.row_count == 11
        await pilot.press("escape")
        await pilot.pause()
        assert results.row_count == 200

    drive(GateuiApp(repo), scenario)


# -- s, u and i only where the suites are --------------------------------------------------------
def footer_text(app: GateuiApp) -> str:
    keys = [w.key for w in app.screen.query(FooterKey) if w.display]
    labels = [str(w.render()) for w in app.screen.query(FooterLabel)]
    return " ".join(keys + labels)


def test_scope_keys_are_offered_only_where_such_suites_exist(tmp_path: Path) -> None:
    from helpers import init_repo

    repo = tmp_path / "plain"
    (repo / "tests" / "unit").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (repo / "tests" / "unit" / "test_a.py").write_text("def test_a():\n    pass\n")
    init_repo(repo)

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        await wait_until(pilot, lambda: app.query_one(ScopeTree).has_suite("unit"))
        await pilot.pause()
        keys = [w.key for w in app.screen.query(FooterKey) if w.display]
        assert "u" in keys
        assert "s" not in keys and "i" not in keys
        # The results area, before any run, offers the same keys.
        idle = str(app.query_one("#empty", Static).render())
        assert "scope to unit" in idle
        assert "smoke" not in idle and "integration" not in idle
        # s has no suite to go to: it does nothing (and says nothing).
        tree = app.query_one(ScopeTree)
        await pilot.press("home", "s")
        await pilot.pause()
        assert app.scope is not None and app.scope.key == "repo"
        await pilot.press("u")
        await pilot.pause()
        assert app.scope is not None and app.scope.suite == "tests/unit"
        assert tree.has_suite("unit") and not tree.has_suite("smoke")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-body").render())
        assert "scope to the unit suite" in text
        assert "smoke" not in text and "integration" not in text

    drive(GateuiApp(repo), scenario, (80, 24))


def test_the_demo_offers_all_three_scope_keys(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        await pilot.pause()
        keys = [w.key for w in app.screen.query(FooterKey) if w.display]
        assert {"s", "u", "i"} <= set(keys)
        assert "scope" in footer_text(app)

    drive(GateuiApp(repo), scenario, (80, 24))


# -- the help and the gate in 80 by 24 ------------------------------------------------------------
def test_help_and_gate_screens_fit_80_by_24(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        box = app.screen.query_one("#help")
        assert box.region.right <= 80 and box.region.bottom <= 24
        body = app.screen.query_one("#help-body")
        # All of it is in view: nothing to scroll to.
        assert body.outer_size.height <= box.scrollable_content_region.height
        assert body.outer_size.width <= box.scrollable_content_region.width
        await pilot.press("escape")
        gate = app.play_gate(list(synthetic_gate(repo)))
        await wait_until(pilot, lambda: gate.done.is_set() and not gate.view.running)
        await pilot.pause()
        assert isinstance(app.screen, GateScreen)
        box = app.screen.query_one("#gate-box")
        assert box.region.right <= 80 and box.region.bottom <= 24
        verdict = app.screen.query_one("#gate-verdict")
        assert verdict.region.height >= 1 and "would fail" in str(verdict.render())

    drive(GateuiApp(repo), scenario, (80, 24))


# -- watch mode across manual runs ----------------------------------------------------------------
def test_after_a_a_save_still_starts_a_watch_cycle(sample_repo: Callable[[str], Path]) -> None:
    """Real file events (watchfiles): ``a`` pauses watch mode for its run, then it goes on."""
    repo = sample_repo("demo")
    source = repo / "src" / "bookshelf" / "isbn.py"

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        header = app.query_one(GateHeader)

        def watch_label() -> str:
            return str(header.query_one("#watch").render())

        await wait_until(pilot, lambda: watch_label() == "watch on", what="watch mode")
        await wait_until(pilot, lambda: any("no test is affected" in m for m in app.messages))
        await pilot.press("s", "a")
        await wait_until(pilot, lambda: app.runs.current is not None)
        manual = app.runs.current
        assert manual is not None and manual.label == "smoke"
        if manual.active:
            assert watch_label() == "watch paused for this run"
        await run_finished(app, pilot)
        await wait_until(pilot, lambda: watch_label() == "watch on", what="watch mode again")
        assert any("watch mode on again" in m for m in app.messages)
        # The resumed session's first look at the tree: nothing changed since the run.
        await wait_until(pilot, lambda: sum("no test is affected" in m for m in app.messages) >= 2)
        source.write_text(source.read_text().replace(BUG[0], BUG[1]))
        await wait_until(
            pilot,
            lambda: (
                app.runs.current is not manual
                and app.runs.current is not None
                and app.runs.current.label.startswith("watch · isbn.py")
            ),
            90,
            "a watch cycle after the save",
        )
        await pilot.press("w")
        await pilot.pause()
        assert watch_label() == "watch off"

    smoke = RunRequest(suite="smoke")
    drive(GateuiApp(repo, watch=True, watch_request=smoke), scenario)


def test_w_while_paused_turns_watch_mode_off(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        header = app.query_one(GateHeader)
        await wait_until(pilot, lambda: app.watcher.on, what="watch mode")
        events = list(synthetic_run(20, summary=False))
        run = app.play(events, "synthetic")
        await pilot.pause()
        assert "paused" in str(header.query_one("#watch").render())
        await pilot.press("w")
        await pilot.pause()
        assert str(header.query_one("#watch").render()) == "watch off"
        run.buffer.put(RunSummary(20, 20, 0, 0, 0, None, 0.1, exitstatus=0))
        app.post_message(app.runs.ResultsReady(run.id))
        await run_finished(app, pilot)
        await pilot.pause(0.2)
        assert not app.watcher.on
        assert str(header.query_one("#watch").render()) == "watch off"

    drive(GateuiApp(repo, watch=True, watch_request=RunRequest(suite="smoke")), scenario)

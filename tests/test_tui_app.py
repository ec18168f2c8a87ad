"""The TUI driven through the Pilot, on real repositories with real pytest runs: every key, the
fix-and-rerun cycle, empty states, and quitting without leaving a test process behind."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from textual.pilot import Pilot

from gateui.core.plan.run_plan import RunRequest
from gateui.core.running.events import Event
from gateui.tui.app import GateuiApp
from gateui.tui.controllers.runs import ActiveRun
from gateui.tui.screens.help import HelpScreen
from gateui.tui.widgets.detail import DetailView
from gateui.tui.widgets.header import GateHeader
from gateui.tui.widgets.results_table import ResultsTable
from gateui.tui.widgets.run_status import Totals, totals_content
from gateui.tui.widgets.scope_tree import ScopeTree
from helpers import alive, init_repo, write_repo
from tui_support import (
    FAILURE_TEXT,
    ScriptedChanges,
    discovered,
    drive,
    result,
    run_finished,
    synthetic_run,
    wait_until,
    write_hanging_repo,
)

pytestmark = pytest.mark.tui

BUG = ("return isbn[9] == isbn10_check_digit", "return isbn[9] != isbn10_check_digit")


def table(app: GateuiApp) -> ResultsTable:
    return app.query_one(ResultsTable)


def break_isbn10(repo: Path) -> Path:
    source = repo / "src" / "bookshelf" / "isbn.py"
    source.write_text(source.read_text().replace(*BUG))
    return source


def test_discovery_fills_the_tree_and_the_header(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        tree = app.query_one(ScopeTree)
        assert tree.scopes is not None
        suites = {n.scope.label: len(n.scope.tests) for n in tree.scopes.children}
        assert suites["unit"] == 30
        assert suites["smoke"] == 4
        assert suites["tests/integration"] == 10
        assert len(tree.scopes.scope.tests) == 44
        integration = tree.scopes.find("suite:.:integration")
        assert integration is not None
        assert [c.scope.label for c in integration.children] == ["slow"]
        header = app.query_one(GateHeader)
        assert "main" in str(header.query_one("#branch").render())
        assert header.gate_state == "unknown"
        assert any("discovered 44 tests" in m for m in app.messages)

    drive(GateuiApp(repo), scenario)


def test_scope_keys_then_a_runs_just_that_suite(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        for key, suite in (("u", "unit"), ("i", "integration"), ("s", "smoke")):
            await pilot.press(key)
            await pilot.pause()
            assert app.scope is not None and app.scope.suite == suite
        await pilot.press("a")
        await run_finished(app, pilot)
        run = app.runs.current
        assert run is not None and run.tally.summary is not None
        assert run.tally.summary.ok
        assert table(app).total_rows == 4
        assert {r.nodeid.split("::")[0] for r in table(app).rows()} == {"tests/smoke/test_smoke.py"}
        assert all(r.outcome == "passed" for r in table(app).rows())
        # The tree shows the last run's counts; the store is on disk for the next session.
        tree = app.query_one(ScopeTree)
        smoke = tree.find_node("suite:.:smoke")
        assert smoke is not None and "✓4" in str(smoke.label)
        await wait_until(pilot, lambda: (repo / ".gateui" / "results.json").exists())

    drive(GateuiApp(repo), scenario)


def test_fix_cycle_failure_traceback_then_rerun_failed_goes_green(
    sample_repo: Callable[[str], Path],
) -> None:
    repo = sample_repo("demo")
    source = break_isbn10(repo)

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        await pilot.press("s", "a")
        await run_finished(app, pilot)
        results = table(app)
        failures = [r for r in results.rows() if r.outcome in ("failed", "error")]
        assert failures, "the broken ISBN check fails tests"
        # Failures are pinned on top and the first one is shown with its traceback.
        assert results.row(0).outcome in ("failed", "error")
        assert results.cursor == 0
        detail = app.query_one(DetailView)
        assert detail.event is results.row(0)
        shown = str(detail.query_one("#detail-body").render())
        assert "traceback" in shown and "isbn" in shown
        # Fix the file, rerun what failed: only those tests run, and they pass.
        source.write_text(source.read_text().replace(BUG[1], BUG[0]))
        await pilot.press("f")
        await run_finished(app, pilot)
        rerun = table(app).rows()
        assert {r.nodeid for r in rerun} == {r.nodeid for r in failures}
        assert all(r.outcome == "passed" for r in rerun)
        assert all(r.reason == "" for r in rerun)
        assert table(app).default_reason == "failed last run"
        assert app.runs.current is not None and app.runs.current.tally.summary is not None
        assert app.runs.current.tally.summary.ok
        smoke = app.query_one(ScopeTree).find_node("suite:.:smoke")
        assert smoke is not None and "✗" not in str(smoke.label)

    drive(GateuiApp(repo), scenario)


def test_watch_cycle_edit_shows_the_failure_then_the_fix_goes_green(
    sample_repo: Callable[[str], Path],
) -> None:
    repo = sample_repo("demo")
    changes = ScriptedChanges()
    source = repo / "src" / "bookshelf" / "isbn.py"

    async def cycle(app: GateuiApp, pilot: Pilot[int], after: int) -> ActiveRun:
        await wait_until(
            pilot,
            lambda: (
                app.runs.current is not None
                and app.runs.current.id > after
                and not app.runs.current.active
            ),
            90,
            "a watch cycle",
        )
        await pilot.pause()
        assert app.runs.current is not None
        return app.runs.current

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        header = app.query_one(GateHeader)
        await wait_until(pilot, lambda: "watch on" in str(header.query_one("#watch").render()))
        # The tree is clean: the first cycle finds nothing to run.
        await wait_until(pilot, lambda: any("no test is affected" in m for m in app.messages))
        break_isbn10(repo)
        changes.change(source)
        broken = await cycle(app, pilot, 0)
        assert broken.label.startswith("watch · isbn.py")
        rows = table(app).rows()
        assert rows and all(r.reason for r in rows)
        assert rows[0].outcome in ("failed", "error")
        detail = str(app.query_one(DetailView).query_one("#detail-body").render())
        assert "traceback" in detail
        source.write_text(source.read_text().replace(BUG[1], BUG[0]))
        changes.change(source)
        fixed = await cycle(app, pilot, broken.id)
        assert fixed.tally.summary is not None and fixed.tally.summary.ok
        assert {r.nodeid for r in table(app).rows()} >= {
            r.nodeid for r in rows if r.outcome in ("failed", "error")
        }
        await pilot.press("w")
        assert "watch off" in str(header.query_one("#watch").render())

    smoke = RunRequest(suite="smoke")
    drive(GateuiApp(repo, watch=True, watch_request=smoke, watch_source=changes), scenario)


def test_r_runs_only_the_affected_tests_with_their_reasons(
    sample_repo: Callable[[str], Path],
) -> None:
    repo = sample_repo("demo")
    search = repo / "src" / "bookshelf" / "search.py"

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        await pilot.press("s", "a")  # records what each smoke test executes
        await run_finished(app, pilot)
        assert table(app).total_rows == 4
        # A change inside one function's body: only the tests that executed it are affected.
        search.write_text(search.read_text().replace("points += 3", "points += 1 + 2"))
        await pilot.press("r")
        await run_finished(app, pilot)
        rows = table(app).rows()
        assert [r.nodeid for r in rows] == [
            "tests/smoke/test_smoke.py::test_add_search_borrow_return"
        ]
        assert "search" in rows[0].reason

    drive(GateuiApp(repo), scenario)


async def run_all(app: GateuiApp, pilot: Pilot[int]) -> None:
    await discovered(app, pilot)
    await pilot.press("a")
    await run_finished(app, pilot)


def test_pytests_warnings_are_counted_and_each_kind_logged_once(tmp_path: Path) -> None:
    old = (
        "import warnings\n\n\n"
        "def old():\n"
        "    warnings.warn('old() is deprecated', DeprecationWarning, stacklevel=2)\n\n\n"
        "def test_a():\n"
        "    for _ in range(3):\n"
        "        old()\n\n\n"
        "def test_b():\n"
        "    pass\n"
    )
    repo = init_repo(write_repo(tmp_path, {"test_old.py": old}))

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await run_all(app, pilot)
        run = app.runs.current
        assert run is not None and run.tally.summary is not None
        assert run.tally.summary.pytest_warnings == 3
        assert "⚠3" in str(app.query_one(Totals).render())
        assert "✓2 passed  ⚠3 warnings" in str(totals_content(run.tally))  # when wide enough
        assert any(m.endswith("0 skipped, 3 warnings") for m in app.messages)
        logged = [m for m in app.messages if "DeprecationWarning" in m]
        assert logged == ["warning in test_old.py::test_a: DeprecationWarning: old() is deprecated"]

    drive(GateuiApp(repo), scenario)


def test_a_warning_raised_at_collection_is_logged_with_its_place_in_the_repository(
    tmp_path: Path,
) -> None:
    imported = (
        "import warnings\n\nwarnings.warn('set at import', UserWarning)\n\n\n"
        "def test_a():\n    pass\n"
    )
    repo = init_repo(write_repo(tmp_path, {"test_imported.py": imported}))

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await run_all(app, pilot)
        logged = [m for m in app.messages if "UserWarning" in m]
        # No test raised it: it is named by its place, as pytest's summary names it.
        assert logged == ["warning in test_imported.py:3: UserWarning: set at import"]

    drive(GateuiApp(repo), scenario)


def test_filter_enter_detail_and_escape(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        events = list(synthetic_run(200, every_failure=50))
        app.play(events, "synthetic")
        await run_finished(app, pilot)
        results = table(app)
        assert results.total_rows == 200
        await pilot.press("slash")
        await pilot.press(*"_19")
        await pilot.pause()
        assert results.row_count == 11
        assert all("_19" in r.nodeid for r in results.rows())
        await pilot.press("enter")  # keep the filter, back to the table
        assert results.has_focus
        assert "filter '_19'" in str(app.query_one("#results-title").render())
        await pilot.press("slash", "escape")  # esc clears it
        await pilot.pause()
        assert results.row_count == 200
        # enter on a row: its detail, enlarged; esc gives the space back.
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.query_one("#centre").has_class("-detail")
        detail = app.query_one(DetailView)
        assert detail.has_focus and detail.event is results.row(1)
        await pilot.press("escape")
        assert not app.query_one("#centre").has_class("-detail")

    drive(GateuiApp(repo), scenario)


def test_e_opens_the_failing_line_in_the_editor(
    sample_repo: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = sample_repo("demo")
    calls = tmp_path / "editor-args"
    editor = tmp_path / "fake-editor"
    editor.write_text(f'#!/bin/sh\necho "$@" > {calls}\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        app.play(
            [result("tests/unit/test_isbn.py::test_x", "failed", longrepr=FAILURE_TEXT)], "one"
        )
        await wait_until(pilot, lambda: table(app).total_rows == 1)
        await pilot.press("e")
        await wait_until(pilot, calls.exists, 30, "the editor")

    drive(GateuiApp(repo), scenario)
    assert calls.read_text().split() == ["+29", str(repo / "tests" / "unit" / "test_isbn.py")]


def test_help_screen(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-body").render())
        for word in ("affected", "watch", "gate", "cancel", "$EDITOR", "quit"):
            assert word in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        # No check of the gate was asked for (tests/test_tui_gate.py has g): the badge waits.
        assert app.query_one(GateHeader).gate_state == "unknown"

    drive(GateuiApp(repo), scenario)


def _pids(pidfile: Path) -> list[int]:
    return [int(p) for p in pidfile.read_text().split()] if pidfile.exists() else []


def test_x_cancels_the_run_and_its_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write_hanging_repo(tmp_path / "hang")
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("GATEUI_TEST_PIDFILE", str(pidfile))

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: len(_pids(pidfile)) == 2, what="the hanging test")
        await pilot.press("x")
        await run_finished(app, pilot, timeout=30)
        assert app.runs.current is not None and app.runs.current.tally.summary is not None
        assert app.runs.current.tally.summary.cancelled
        await wait_until(pilot, lambda: not any(alive(p) for p in _pids(pidfile)), 10)

    drive(GateuiApp(repo), scenario)


def test_q_during_a_run_leaves_no_process_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write_hanging_repo(tmp_path / "hang")
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("GATEUI_TEST_PIDFILE", str(pidfile))
    pytest_pid: list[int] = []

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: len(_pids(pidfile)) == 2, what="the hanging test")
        pytest_pid.append(_pids(pidfile)[0])
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, 15, "the app to exit")

    drive(GateuiApp(repo), scenario)
    pids = _pids(pidfile)
    # The pytest process led its own process group: the whole group is gone.
    assert [p for p in pids if alive(p)] == []
    assert live_group_members(pytest_pid[0]) == []


def live_group_members(pgid: int) -> list[int]:
    """Processes of process group ``pgid`` that still run (zombies waiting for a reaper that is
    not us do not count: they are dead)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def test_empty_state_when_there_are_no_tests(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    (repo / "README.md").write_text("nothing here\n")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        text = str(app.query_one("#empty").render())
        assert "No tests found" in text and "test_*.py" in text
        branch = str(app.query_one(GateHeader).query_one("#branch").render())
        assert branch == "not a git repository"
        assert any("not a git repository" in m for m in app.messages)

    drive(GateuiApp(repo), scenario)


def test_empty_state_when_the_interpreter_has_no_pytest(tmp_path: Path) -> None:
    repo = tmp_path / "nopytest"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (repo / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    # A virtual environment without pytest, where gateui looks for the project's interpreter.
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")],
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        text = str(app.query_one("#empty").render())
        assert "pytest cannot run here" in text
        assert "pip install pytest" in text

    drive(GateuiApp(repo), scenario)


def test_a_flood_of_results_is_absorbed_in_batches(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")
    drains: list[int] = []

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        original = app._absorb

        def counting(run: ActiveRun, events: Sequence[Event]) -> None:
            drains.append(len(events))
            original(run, events)

        app._absorb = counting  # type: ignore[method-assign]
        app.play(synthetic_run(5000, every_failure=1000), "flood")
        await run_finished(app, pilot)
        results = table(app)
        assert results.total_rows == 5000
        assert [r.outcome for r in results.rows()[:5]] == ["failed"] * 5
        assert app.runs.current is not None
        assert app.runs.current.tally.counts == {"passed": 4995, "failed": 5}

    drive(GateuiApp(repo), scenario)
    # Far fewer UI updates than results: the UI took them in chunks.
    assert len(drains) < 100
    assert sum(drains) == 5000 + 3


def test_a_run_that_breaks_ends_cancelled_and_logs_where_it_broke(
    sample_repo: Callable[[str], Path],
) -> None:
    repo = sample_repo("demo")

    def breaking_stream() -> Iterator[Event]:
        yield from synthetic_run(30, summary=False)
        raise RuntimeError("the stream broke")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        run = app.play(breaking_stream(), "breaks")
        await wait_until(pilot, lambda: run.tally.summary is not None, what="the run's end")
        assert run.tally.summary is not None and run.tally.summary.cancelled
        assert table(app).total_rows == 30  # what arrived before it broke stays
        log = "\n".join(app.messages)
        assert "gateui bug in run: RuntimeError('the stream broke')" in log
        # The traceback a report needs: the line that raised.
        assert "Traceback (most recent call last)" in log
        assert 'raise RuntimeError("the stream broke")' in log

    drive(GateuiApp(repo), scenario)

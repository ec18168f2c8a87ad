"""The PR gate in the TUI, driven through the Pilot on real repositories: ``g`` on the demo (its
gate is inferred from .github/workflows/ci.yml), a commit that would fail, the background check
of a clean HEAD that anything the user starts cancels, and quitting during a check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from gateui.tui.app import GateuiApp
from gateui.tui.controllers.gate import ActiveGate
from gateui.tui.gate_view import RUNNING
from gateui.tui.screens.gate import GateScreen
from gateui.tui.widgets.header import GateHeader
from helpers import alive, git, init_repo
from tui_support import discovered, drive, run_finished, wait_until, write_hanging_repo

pytestmark = pytest.mark.tui

RUN_HERE = ["Lint", "Smoke tests", "Unit and integration tests"]
BROKEN_TEST = "tests/unit/test_isbn.py::test_valid_isbn10[0-201-61622-X]"


def badge(app: GateuiApp) -> str:
    return app.query_one(GateHeader).gate_state


def gate_of(app: GateuiApp) -> ActiveGate:
    assert app.gates.current is not None
    return app.gates.current


def screen_text(app: GateuiApp) -> str:
    screen = app.screen
    assert isinstance(screen, GateScreen)
    return "\n".join(str(s.render()) for s in screen.query("Static"))


async def verdict(
    app: GateuiApp, pilot: Pilot[int], seen: set[tuple[str, str]] | None = None
) -> None:
    """Wait for the current check's verdict, noting each (step, state) the screen went through."""

    def over() -> bool:
        gate = app.gates.current
        if gate is None:
            return False
        if seen is not None:
            seen.update((r.name, r.state) for r in gate.view.rows)
            states = {r.name: r.state for r in gate.view.rows}
            if states.get(RUN_HERE[1]) == "pass" and states.get(RUN_HERE[2]) in (
                "waiting",
                RUNNING,
            ):
                seen.add(("streamed", "yes"))
        return gate.done.is_set() and not gate.view.running

    await wait_until(pilot, over, 120, "the gate's verdict")
    await pilot.pause()


def test_g_checks_head_step_by_step_and_passes(sample_repo: Callable[[str], Path]) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await pilot.press("g")
        assert isinstance(app.screen, GateScreen)
        assert badge(app) == "running"
        seen: set[tuple[str, str]] = set()
        await verdict(app, pilot, seen)
        assert badge(app) == "passing"
        view = gate_of(app).view
        assert [r.name for r in view.rows if r.runs_locally] == RUN_HERE
        assert all(r.state == "pass" for r in view.rows if r.runs_locally)
        assert {r.state for r in view.rows if not r.runs_locally} == {"skipped"}
        # Steps streamed: one was on screen as running, and the first finished before the last.
        assert (RUN_HERE[1], RUNNING) in seen and ("streamed", "yes") in seen
        text = screen_text(app)
        assert "PR gate: passing" in text
        assert "✓ Smoke tests" in text and "exit 0 — 4 passed" in text
        assert "reproduce:" in text and "-m smoke" in text
        assert "Not run here" in text and "Install — not run locally" in text
        # The job's Python (setup-python 3.12) is a leg: the screen says what it ran on.
        assert list(view.legs) == ["Python 3.12"]
        assert "◆ Python 3.12 leg: Python 3.12." in text and "; environment " in text
        assert any("PR gate: passing on HEAD" in m for m in app.messages)
        # esc hides the screen; g checks again: the tree was verified, the cache answers.
        await pilot.press("escape")
        assert not isinstance(app.screen, GateScreen)
        await pilot.press("g")
        await verdict(app, pilot)
        assert gate_of(app).view.cached
        assert badge(app) == "passing"
        assert "from the cache" in screen_text(app)

    drive(GateuiApp(repo), scenario)


def test_a_commit_that_breaks_a_test_would_fail_naming_step_and_test(
    sample_repo: Callable[[str], Path],
) -> None:
    repo = sample_repo("demo")
    test_file = repo / "tests" / "unit" / "test_isbn.py"
    source = test_file.read_text()
    assert "    assert is_valid_isbn10(isbn)" in source
    test_file.write_text(
        source.replace("assert is_valid_isbn10(isbn)", "assert not is_valid_isbn10(isbn)")
    )
    git(repo, "commit", "-qam", "break the ISBN-10 test")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await pilot.press("g")
        await verdict(app, pilot)
        assert badge(app) == "would fail"
        rows = {r.name: r for r in gate_of(app).view.rows}
        assert rows["Smoke tests"].state == "pass"
        failing = rows["Unit and integration tests"]
        assert failing.state == "fail"
        assert BROKEN_TEST in [nodeid for nodeid, _ in failing.failing]
        text = screen_text(app)
        assert "PR gate: would fail — Unit and integration tests" in text
        assert BROKEN_TEST in text and "AssertionError" in text
        assert any("would fail" in m and BROKEN_TEST in m for m in app.messages)

    drive(GateuiApp(repo), scenario)


def test_background_check_of_a_clean_head_sets_the_badge_and_a_cancels_it(
    sample_repo: Callable[[str], Path],
) -> None:
    repo = sample_repo("demo")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        # Nothing pressed: once discovery is done, the idle app checks HEAD in the background.
        await wait_until(
            pilot,
            lambda: (
                app.gates.current is not None
                and any(r.state == RUNNING for r in app.gates.current.view.rows)
            ),
            60,
            "the background check to run a step",
        )
        first = gate_of(app)
        assert first.background
        assert badge(app) == "running"
        assert not isinstance(app.screen, GateScreen)  # low-key: the badge only
        await pilot.press("s", "a")
        await wait_until(pilot, first.done.is_set, 15, "the background check to stop")
        await pilot.pause()
        assert first.view.cancelled
        assert badge(app) != "running"
        await run_finished(app, pilot)
        # Idle again: the check starts over and its verdict lands on the badge.
        await wait_until(pilot, lambda: badge(app) == "passing", 120, "the badge to pass")
        assert gate_of(app) is not first and gate_of(app).background
        assert not isinstance(app.screen, GateScreen)

    drive(GateuiApp(repo, precompute_gate=True), scenario)


def _pids(pidfile: Path) -> list[int]:
    # The hanging test writes "pytest's pid, its child's pid" once both run.
    return [int(p) for p in pidfile.read_text().split()] if pidfile.exists() else []


def test_x_cancels_a_gate_check_and_q_during_one_leaves_no_process_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The steps report their pids in a file outside their worktree: no read-only sandbox.
    monkeypatch.setenv("GATEUI_SANDBOX", "off")
    repo = write_hanging_repo(tmp_path / "hang")
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: python -m pytest\n"
    )
    init_repo(repo)
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("GATEUI_TEST_PIDFILE", str(pidfile))
    left: list[int] = []

    async def hanging(app: GateuiApp, pilot: Pilot[int]) -> list[int]:
        pidfile.unlink(missing_ok=True)
        await pilot.press("g")
        assert isinstance(app.screen, GateScreen)
        await wait_until(pilot, lambda: len(_pids(pidfile)) == 2, 60, "the hanging test")
        return _pids(pidfile)

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        first = await hanging(app, pilot)
        await pilot.press("x")  # on the gate screen: cancel the check
        await wait_until(pilot, gate_of(app).done.is_set, 15, "the check to stop")
        await pilot.pause()
        assert gate_of(app).view.cancelled
        assert "PR gate: cancelled" in screen_text(app)
        assert badge(app) == "unknown"
        await wait_until(pilot, lambda: not any(alive(p) for p in first), 10, "its processes")
        await pilot.press("escape")
        left.extend(await hanging(app, pilot))
        await pilot.press("escape", "q")  # quit while the check runs
        await wait_until(pilot, lambda: not app.is_running, 15, "the app to exit")

    drive(GateuiApp(repo), scenario)
    assert left and [p for p in left if alive(p)] == []


def test_outside_git_the_gate_is_unknown_and_says_why(tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        await discovered(app, pilot)
        await pilot.press("g")
        await verdict(app, pilot)
        assert badge(app) == "unknown"
        assert "cannot evaluate — not a git repository" in screen_text(app)
        assert any("not a git repository: the PR gate checks a commit" in m for m in app.messages)

    drive(GateuiApp(repo, precompute_gate=True), scenario)

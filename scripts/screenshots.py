"""Regenerate screenshots/*.svg from the real app on a fresh copy of the demo repository.

    .venv/bin/python scripts/screenshots.py [--png]

Real runs, not mock-ups: the demo repository is copied and committed (as `gateui demo` does),
then a commit lifts the cap on library fines, so one unit test fails; the app (with its
background gate check on, as `gateui` runs it) runs every test for real and checks the PR gate
of that commit. The screens: the main screen mid-run, a failure's detail, the gate's result,
and the help screen, at 120 by 40 and again at 80 by 24 (``-80`` names: the narrow layout);
and, where Elixir is installed, the ExUnit sample's smoke suite run.
``--png`` also writes PNGs next to the SVGs, with ``rsvg-convert``
(Debian's librsvg2-bin) or ``cairosvg`` when one is installed.

Take them on a quiet machine: the status line and the gate's steps show real durations.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from gateui.demo import make_demo_repo
from gateui.tui.app import GateuiApp
from gateui.tui.screens.gate import GateScreen
from gateui.tui.widgets.header import GateHeader
from gateui.tui.widgets.results_table import ResultsTable

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (120, 40)
NARROW = (80, 24)
"""Most terminals are 80 to 120 columns wide: the screenshots show both ends."""
# A plausible slip: the fine is no longer capped. One unit test fails (its traceback names no
# temporary path); the smoke tests, which check a small fine, still pass.
BUG = (
    "return min(MAX_FINE, FINE_PER_DAY * self.days_overdue(today))",
    "return FINE_PER_DAY * self.days_overdue(today)",
)


async def wait_until(
    pilot: Pilot[int], condition: Callable[[], bool], timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.02)


def save(app: GateuiApp, name: str, suffix: str = "") -> Path:
    path = OUT / f"{name}{suffix}.svg"
    title = f"gateui — {name.replace('-', ' ')}" + (f" ({app.size.width}x{app.size.height})")
    path.write_text(app.export_screenshot(title=title))
    print(f"wrote {path.relative_to(OUT.parent)}")
    return path


async def shoot(repo: Path, size: tuple[int, int], suffix: str = "") -> list[Path]:
    app = GateuiApp(repo, repo_label="~/src/bookshelf", cursor_blink=False, precompute_gate=True)
    shots: list[Path] = []
    async with app.run_test(size=size) as pilot:
        app.animation_level = "none"
        header = app.query_one(GateHeader)
        await wait_until(pilot, lambda: app.discovery.discovered)
        # Main screen mid-run: the whole repository, results streaming in (the background
        # gate check that discovery started gives way to the run).
        await pilot.press("a")
        table = app.query_one(ResultsTable)
        await wait_until(pilot, lambda: table.total_rows >= 24)
        shots.append(save(app, "main-mid-run", suffix))
        await wait_until(
            pilot, lambda: app.runs.current is not None and not app.runs.current.active
        )
        # Idle again: the background check of HEAD puts its verdict on the badge.
        await wait_until(pilot, lambda: header.gate_state not in ("unknown", "running"))
        # A failure's detail: the first failure selected, enter enlarges the detail.
        table.focus()
        await pilot.pause()
        if table.cursor is None:
            table.select_first_failure()
        await pilot.press("enter")
        await pilot.pause(0.3)
        shots.append(save(app, "failure-detail", suffix))
        await pilot.press("escape")
        # g: the PR gate of HEAD, step by step, with its verdict.
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, GateScreen))
        await wait_until(
            pilot, lambda: app.gates.current is not None and not app.gates.current.view.running
        )
        await pilot.pause(0.3)
        shots.append(save(app, "gate-result", suffix))
        await pilot.press("escape")
        # Help.
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        shots.append(save(app, "help", suffix))
        await pilot.press("escape", "q")
    return shots


async def shoot_exunit(repo: Path) -> list[Path]:
    """An Elixir-only repository (the ExUnit sample): its folders and tags as suites, and the
    smoke suite run through ``mix test`` with per-test results."""
    app = GateuiApp(repo, repo_label="~/src/task_queue", cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        app.animation_level = "none"
        await wait_until(pilot, lambda: app.discovery.discovered)
        await pilot.press("s", "a")
        await wait_until(
            pilot, lambda: app.runs.current is not None and not app.runs.current.active
        )
        await pilot.pause(0.3)
        shot = save(app, "exunit-smoke")
        await pilot.press("q")
    return [shot]


def exunit_repo() -> Path | None:
    """A committed copy of the ExUnit sample, or None where Elixir is not installed."""
    if shutil.which("mix") is None:
        print("no mix on PATH: the ExUnit screenshot is skipped", file=sys.stderr)
        return None
    sample = OUT.parent / "tests" / "samples" / "elixir_taskqueue"
    repo = Path(tempfile.mkdtemp(prefix="gateui-shot-")) / "task_queue"
    shutil.copytree(sample, repo, ignore=shutil.ignore_patterns("_build", "deps"))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    commit(repo, "task queue")
    return repo


def to_png(svg: Path) -> Path | None:
    png = svg.with_suffix(".png")
    # librsvg drops leading spaces of <text> runs unless whitespace is preserved.
    fixed = svg.read_text().replace("<svg class=", '<svg xml:space="preserve" class=', 1)
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False) as handle:
        handle.write(fixed)
    try:
        if shutil.which("rsvg-convert"):
            subprocess.run(["rsvg-convert", "-w", "1600", handle.name, "-o", str(png)], check=True)
            return png
        try:
            # Through importlib: mypy's verdict on the import would depend on whether cairosvg
            # (untyped, optional) happens to be installed.
            cairosvg = importlib.import_module("cairosvg")
        except ImportError:
            print("no rsvg-convert or cairosvg: PNGs skipped", file=sys.stderr)
            return None
        cairosvg.svg2png(url=handle.name, write_to=str(png), output_width=1600)
        return png
    finally:
        Path(handle.name).unlink()


def commit(repo: Path, message: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {
        "GIT_AUTHOR_NAME": "gateui demo",
        "GIT_AUTHOR_EMAIL": "demo@gateui.invalid",
        "GIT_COMMITTER_NAME": "gateui demo",
        "GIT_COMMITTER_EMAIL": "demo@gateui.invalid",
    }
    subprocess.run(["git", "commit", "-qam", message], cwd=repo, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--png", action="store_true", help="also write PNGs")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    repo = make_demo_repo()
    try:
        source = repo / "src" / "bookshelf" / "loans.py"
        text = source.read_text()
        assert BUG[0] in text, "the demo's loans.py changed: pick another bug"
        source.write_text(text.replace(*BUG))
        commit(repo, "Fines: charge every day overdue")
        shots = asyncio.run(shoot(repo, SIZE))
        shots += asyncio.run(shoot(repo, NARROW, "-80"))
    finally:
        shutil.rmtree(repo.parent, ignore_errors=True)
    elixir = exunit_repo()
    if elixir is not None:
        try:
            shots += asyncio.run(shoot_exunit(elixir))
        finally:
            shutil.rmtree(elixir.parent, ignore_errors=True)
    if args.png:
        for svg in shots:
            png = to_png(svg)
            if png is not None:
                print(f"wrote {png.relative_to(OUT.parent)}")


if __name__ == "__main__":
    main()

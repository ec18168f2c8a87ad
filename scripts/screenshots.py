"""Regenerate screenshots/*.svg from the real app on a fresh copy of the demo repository.

    .venv/bin/python scripts/screenshots.py [--png]

Real runs, not mock-ups: the demo repository is copied and committed (as `gateui demo` does),
one ISBN check is broken so some tests fail, and the app runs the unit suite for real. The
screens: the main screen mid-run, a failure's detail, and the help screen (the gate's result
joins them once the gate is wired into the TUI). ``--png`` also writes PNGs next to the SVGs,
with ``rsvg-convert`` (Debian's librsvg2-bin) or ``cairosvg`` when one is installed.
"""

from __future__ import annotations

import argparse
import asyncio
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
from gateui.tui.widgets.results_table import ResultsTable

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (150, 42)
BUG = ("return isbn[9] == isbn10_check_digit", "return isbn[9] != isbn10_check_digit")


async def wait_until(
    pilot: Pilot[int], condition: Callable[[], bool], timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.02)


def save(app: GateuiApp, name: str) -> Path:
    path = OUT / f"{name}.svg"
    path.write_text(app.export_screenshot(title=f"gateui — {name.replace('-', ' ')}"))
    print(f"wrote {path.relative_to(OUT.parent)}")
    return path


async def shoot(repo: Path) -> list[Path]:
    app = GateuiApp(repo, repo_label="~/src/bookshelf", cursor_blink=False)
    shots: list[Path] = []
    async with app.run_test(size=SIZE) as pilot:
        app.animation_level = "none"
        await wait_until(pilot, lambda: app.discovered)
        # Main screen mid-run: the whole repository, results streaming in.
        await pilot.press("a")
        table = app.query_one(ResultsTable)
        await wait_until(pilot, lambda: table.total_rows >= 24)
        shots.append(save(app, "main-mid-run"))
        await wait_until(pilot, lambda: app.current_run is not None and not app.current_run.active)
        # A failure's detail: the first failure selected, enter enlarges the detail.
        table.focus()
        await pilot.pause()
        if table.cursor is None:
            table.select_first_failure()
        await pilot.press("enter")
        await pilot.pause(0.3)
        shots.append(save(app, "failure-detail"))
        await pilot.press("escape")
        # Help.
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        shots.append(save(app, "help"))
        await pilot.press("escape", "q")
    return shots


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
            import cairosvg  # type: ignore[import-not-found]
        except ImportError:
            print("no rsvg-convert or cairosvg: PNGs skipped", file=sys.stderr)
            return None
        cairosvg.svg2png(url=handle.name, write_to=str(png), output_width=1600)
        return png
    finally:
        Path(handle.name).unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--png", action="store_true", help="also write PNGs")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    repo = make_demo_repo()
    try:
        source = repo / "src" / "bookshelf" / "isbn.py"
        source.write_text(source.read_text().replace(*BUG))
        shots = asyncio.run(shoot(repo))
    finally:
        shutil.rmtree(repo.parent, ignore_errors=True)
    if args.png:
        for svg in shots:
            png = to_png(svg)
            if png is not None:
                print(f"wrote {png.relative_to(OUT.parent)}")


if __name__ == "__main__":
    main()

"""Every benchmark still runs: its ``--quick`` mode, end to end, on this machine.

The figures are not judged here (timings belong in docs/benchmarks.md, never in assertions); a
benchmark whose code rotted against the code it measures fails here instead of on the day
someone needs its numbers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[1] / "bench"
# Modules that benchmarks import (and every module whose name starts with "_"): they are not
# benchmarks themselves.
LIBRARIES = {"selection_kit.py", "scenario_kit.py", "real_projects.py"}
BENCHMARKS = sorted(
    p.name for p in BENCH.glob("*.py") if p.name not in LIBRARIES and not p.name.startswith("_")
)


def test_every_benchmark_has_a_quick_mode() -> None:
    assert BENCHMARKS, "no benchmark found"
    without = [name for name in BENCHMARKS if "--quick" not in (BENCH / name).read_text()]
    assert without == []


@pytest.mark.parametrize("name", BENCHMARKS)
def test_quick_mode_runs_to_the_end(name: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / name), "--quick"],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a hang, not a speed limit
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.strip(), "a benchmark prints its figures"

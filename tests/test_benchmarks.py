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


def test_the_median_interval_is_the_order_statistics_of_the_sign_test() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from _util import median_interval, target_verdict
    finally:
        sys.path.remove(str(BENCH))
    # The tabled 95% intervals of the median: n=10 → 2nd..9th, n=20 → 6th..15th values.
    assert median_interval([float(v) for v in range(10, 0, -1)]) == (2.0, 9.0)
    assert median_interval([float(v) for v in range(1, 21)]) == (6.0, 15.0)
    assert median_interval([1.0, 3.0, 2.0]) == (1.0, 3.0)  # too few for more than the range
    ratios = [1.00, 1.01, 1.02, 1.03, 1.04, 1.02, 1.01, 1.00, 1.03, 1.02]
    assert target_verdict(ratios, 1.05).startswith("met")
    assert target_verdict(ratios, 0.99).startswith("MISSED")
    assert target_verdict(ratios, 1.02).startswith("cannot tell")
    assert target_verdict(ratios[:5], 1.05).startswith("cannot tell: too few rounds")

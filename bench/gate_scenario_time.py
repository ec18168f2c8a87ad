"""The gate's time against the same steps typed by hand in a fresh clone (target: ratio <= 1.1),
on scenarios of the corpus (tests/gate_scenarios).

Each round, arms alternate on the same built repository (branch ``feature``, its ``.venv`` the
scenario's tool environment):

    by hand   ``git clone`` into a fresh folder, then each ``run:`` step the gate also runs, with
              the runner's semantics (bench/ci_by_hand.py: ``bash -e`` per step, runner
              environment, ``needs`` order, each job in its own copy of the clone, as each job
              starts on a new runner), leaving out the ``pip install`` steps the gate leaves to
              the environment
    gate      ``gateui gate --json --no-cache`` (its temporary worktree, sandbox and all)
    baseline  with ``--baseline PYTHON``: the same, by the gateui that interpreter imports (a
              copy of another commit), in the same rounds

gateui's own modules are compiled to bytecode first, as an installed gateui has them (the arms run
with PYTHONDONTWRITEBYTECODE=1 to keep the repositories clean, which would otherwise make every
check compile gateui from source). The first round is a warm-up and is discarded (``--quick``:
scripts-test-pass, one round, no warm-up: a smoke check whose figures are not read). Reported:
median wall seconds per arm and the median of the per-round ratios gate / by hand.

    .venv/bin/python bench/gate_scenario_time.py [--rounds 5] [--baseline PYTHON] [NAME ...]
    .venv/bin/python bench/gate_scenario_time.py --quick
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import command_line, machine, median, table
from ci_by_hand import ci_verdict
from gate_agreement import GATEUI_PYTHON, run_gate
from gate_fixed_cost import compile_gateui
from scenario_kit import DEFAULT_PYTHON, Scenario, build, scenarios, tools_python

DEFAULT = [
    "scripts-test-pass",
    "make-test-pass",
    "passrate-file-pass",
    "lint-types-needs-pass",
    "monorepo-workdirs-pass",
]
QUICK = "scripts-test-pass"
RATIO_TARGET = 1.1


def by_hand_seconds(repo: Path, scenario: Scenario) -> float:
    def tools(version: str) -> Path:
        return tools_python(scenario.tools if version == DEFAULT_PYTHON else "legs", version)

    started = time.perf_counter()
    verdict = ci_verdict(repo, tools, skip_installs=True)
    elapsed = time.perf_counter() - started
    if verdict.verdict != scenario.expected:
        raise RuntimeError(f"{scenario.name}: by hand gave {verdict.verdict}")
    return elapsed


def gate_seconds(repo: Path, scenario: Scenario, python: Path = GATEUI_PYTHON) -> float:
    seconds, report = run_gate(repo, python)
    if report.get("verdict") != scenario.expected:
        raise RuntimeError(f"{scenario.name}: the gate said {report.get('verdict')}")
    return seconds


def measure(
    scenario: Scenario, rounds: int, base: Path, baseline: Path | None, warm_up: int = 1
) -> list[str]:
    repo = build(scenario, base / scenario.name, tools_python(scenario.local))
    hand: list[float] = []
    gate: list[float] = []
    ratios: list[float] = []
    before: list[float] = []
    before_ratios: list[float] = []
    for index in range(rounds + warm_up):
        by_hand = by_hand_seconds(repo, scenario)
        gated = gate_seconds(repo, scenario)
        earlier = gate_seconds(repo, scenario, baseline) if baseline is not None else 0.0
        if index < warm_up:
            continue
        hand.append(by_hand)
        gate.append(gated)
        ratios.append(gated / by_hand)
        before.append(earlier)
        before_ratios.append(earlier / by_hand)
    ratio = median(ratios)
    verdict = "meets" if ratio <= RATIO_TARGET else "MISSES"
    row = [scenario.name, f"{median(hand):.2f}", f"{median(gate):.2f}", f"{ratio:.2f}"]
    if baseline is not None:
        row += [f"{median(before):.2f}", f"{median(before_ratios):.2f}"]
    return [*row, f"target ≤ {RATIO_TARGET}: {verdict}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK}, one round, no warm-up: a smoke check"
    )
    parser.add_argument("--baseline", type=Path, help="a baseline gateui's python: a third arm")
    args = parser.parse_args()
    chosen = scenarios(args.names or DEFAULT)
    warm_up = 1
    if args.quick:
        # The cheapest of the defaults (one short pytest step): the check is what is smoked.
        chosen, args.rounds, warm_up = scenarios(args.names[:1] or [QUICK]), 1, 0
    package = Path(__file__).resolve().parent.parent / "src" / "gateui"
    subprocess.run([str(GATEUI_PYTHON), "-m", "compileall", "-q", str(package)], check=True)
    if args.baseline is not None:
        compile_gateui(args.baseline)
    print(f"# {command_line()}")
    print(f"# {machine()}")
    print(f"# {args.rounds} rounds after {warm_up} warm-up round(s), arms alternating")
    print("# load average at start: " + " ".join(f"{v:.1f}" for v in os.getloadavg()) + "\n")
    with tempfile.TemporaryDirectory(prefix="gateui-bench-scenario-") as folder:
        rows = [measure(s, args.rounds, Path(folder), args.baseline, warm_up) for s in chosen]
    head = ["scenario", "by hand s", "gate s", "ratio (median)"]
    if args.baseline is not None:
        head += ["baseline gate s", "baseline ratio"]
    print(table([*head, "note"], rows))
    print("\n# load average at end: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()

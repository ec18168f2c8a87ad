"""What one ``gateui gate`` check costs besides its steps, against a baseline gateui, on scenarios
of the corpus (tests/gate_scenarios).

Each round runs ``gateui gate --json --no-cache`` once per arm, arms alternating, on the same
built repository: this checkout's gateui, and the gateui importable by ``--baseline PYTHON`` (an
interpreter whose ``gateui`` is another version, for instance an export of main with a
``.pth`` to it). Per arm, medians of:

    wall        the check, start to exit
    CPU         user + system time of the check and every process it started
    fixed       wall minus the steps' own durations (as the report gives them): start-up,
                imports, git, the worktree, the sandbox, the guards — the cost per check

Both arms' modules are compiled to bytecode first, as an installed gateui has them. The first
round is a warm-up and is discarded (not in ``--quick``, whose figures are not read).

    .venv/bin/python bench/gate_fixed_cost.py --baseline /path/to/python [--rounds 7] [NAME ...]
    .venv/bin/python bench/gate_fixed_cost.py --quick     # this checkout against itself, once,
                                                          # on scripts-test-pass, no warm-up
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import command_line, machine, median, table
from gate_agreement import GATEUI_PYTHON, run_gate
from scenario_kit import build, scenarios, tools_python

DEFAULT = ["make-test-pass", "scripts-test-pass", "lint-types-needs-pass"]
QUICK = "scripts-test-pass"


def check(python: Path, repo: Path) -> tuple[float, float, float]:
    """One check: (wall, CPU of the process tree, wall minus the steps' durations)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, report = run_gate(repo, python)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if report.get("verdict") not in ("pass", "fail"):
        raise RuntimeError(f"{python}: {report.get('verdict')}: {report.get('reason')}")
    steps = sum(float(step["duration_s"]) for step in report["steps"])
    return wall, cpu, wall - steps


def compile_gateui(python: Path) -> None:
    code = (
        "import compileall, gateui, os;"
        " compileall.compile_dir(os.path.dirname(gateui.__file__), quiet=2)"
    )
    subprocess.run([str(python), "-c", code], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument(
        "--baseline", type=Path, default=GATEUI_PYTHON, help="the baseline's python"
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK}, one round, no warm-up: a smoke check"
    )
    args = parser.parse_args()
    chosen = scenarios(args.names or DEFAULT)
    warm_up = 1
    if args.quick:
        # The cheapest of the defaults (one short pytest step): the check is what is smoked.
        chosen, args.rounds, warm_up = scenarios(args.names[:1] or [QUICK]), 1, 0
    arms = {"baseline": args.baseline, "this checkout": GATEUI_PYTHON}
    for python in arms.values():
        compile_gateui(python)
    print(f"# {command_line()}")
    print(f"# {machine()}")
    print(f"# {args.rounds} rounds after {warm_up} warm-up round(s), arms alternating")
    print("# load average at start: " + " ".join(f"{v:.1f}" for v in os.getloadavg()) + "\n")
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="gateui-bench-fixed-") as folder:
        for scenario in chosen:
            repo = build(scenario, Path(folder) / scenario.name, tools_python(scenario.local))
            seen: dict[str, list[tuple[float, float, float]]] = {arm: [] for arm in arms}
            for index in range(args.rounds + warm_up):
                for arm, python in arms.items():
                    measured = check(python, repo)
                    if index >= warm_up:
                        seen[arm].append(measured)
            for arm, runs in seen.items():
                wall, cpu, fixed = (median([run[i] for run in runs]) for i in range(3))
                rows.append([scenario.name, arm, f"{wall:.2f}", f"{cpu:.2f}", f"{fixed:.2f}"])
    print(table(["scenario", "arm", "wall s", "CPU s", "fixed s (wall - steps)"], rows))
    print("\n# load average at end: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()

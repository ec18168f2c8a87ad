"""How often ``gateui gate`` says what CI says, over the scenario corpus (tests/gate_scenarios).

Each scenario is built as a real repository (branch ``feature`` into ``main``, the user's
``.venv`` linked to the scenario's ``local`` tool environment), ``gateui gate --json
--no-cache`` is run in it, and its verdict is compared with the recorded CI verdict (found by
``bench/ci_by_hand.py``). Outcomes:

    agree          the gate's verdict is CI's
    partial        the gate says partial, naming what it could not reproduce and why: an
                   explained disagreement (not counted as agreement)
    FALSE PASS     the gate says pass where CI fails: the one outcome the gate must never give
    false fail     the gate says fail where CI passes
    error          the gate could not evaluate

Agreement is agree / scenarios. Scenarios of an area still being built elsewhere (``legs``:
matrix legs on other interpreters) are listed but kept out of the rate.

    .venv/bin/python bench/gate_agreement.py [NAME ...] [-j 2]
    .venv/bin/python bench/gate_agreement.py --quick      # four scenarios: a smoke check
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scenario_kit import Scenario, build, scenarios, tools_python

GATEUI_PYTHON = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "python"
AGREE, PARTIAL, FALSE_PASS, FALSE_FAIL, ERROR = (
    "agree",
    "partial",
    "FALSE PASS",
    "false fail",
    "error",
)


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    gate: str
    reason: str
    outcome: str
    seconds: float
    report: dict[str, Any]


def gate_env() -> dict[str, str]:
    """The user's environment, less what would make gateui or pytest behave differently here
    (a CI flag, GitHub's variables, gateui's own settings)."""
    dropped = ("CI", "PYTEST_ADDOPTS", "PYTHONPATH", "VIRTUAL_ENV")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in dropped and not k.startswith(("GITHUB_", "GATEUI_", "RUNNER_", "GIT_"))
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_gate(repo: Path, python: Path = GATEUI_PYTHON) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = subprocess.run(
        [str(python), "-m", "gateui", "gate", "--json", "--no-cache"],
        cwd=repo,
        env=gate_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,  # a guard against a hang
    )
    elapsed = time.perf_counter() - started
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        report = {"verdict": "error", "reason": (result.stderr or result.stdout).strip()[-500:]}
    return elapsed, report


def classify(expected: str, report: dict[str, Any]) -> str:
    verdict = str(report.get("verdict"))
    if verdict == expected:
        return AGREE
    if verdict == "partial" and report.get("not_reproduced"):
        return PARTIAL
    if verdict == "pass":
        return FALSE_PASS
    if verdict == "fail":
        return FALSE_FAIL
    return ERROR


def gate_scenario(scenario: Scenario) -> Outcome:
    if scenario.expected is None:
        raise SystemExit(f"{scenario.name}: no recorded CI verdict (bench/ci_by_hand.py --record)")
    with tempfile.TemporaryDirectory(prefix="gate-scenario-") as folder:
        repo = build(scenario, Path(folder) / scenario.name, tools_python(scenario.local))
        seconds, report = run_gate(repo)
    reason = str(report.get("reason", ""))
    return Outcome(
        scenario,
        str(report.get("verdict")),
        reason,
        classify(scenario.expected, report),
        seconds,
        report,
    )


def why_partial(report: dict[str, Any]) -> str:
    return "; ".join(f"{i['name']}: {i['why']}" for i in report.get("not_reproduced", []))


def summary(outcomes: list[Outcome]) -> list[str]:
    counted = outcomes
    agreed = sum(o.outcome == AGREE for o in counted)
    lines = [f"agreement: {agreed}/{len(counted)} = {100 * agreed / max(1, len(counted)):.1f}%"]
    for kind in (PARTIAL, FALSE_PASS, FALSE_FAIL, ERROR):
        names = [o.scenario.name for o in counted if o.outcome == kind]
        lines.append(f"{kind}: {len(names)}" + (f" ({', '.join(names)})" if names else ""))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="scenarios gated at once")
    parser.add_argument("--quick", action="store_true", help="four scenarios: a smoke check")
    args = parser.parse_args()
    chosen = scenarios(args.names or None)
    if args.quick:
        quick = {"scripts-test-fail", "trigger-closed-only", "runner-files-pass", "invalid-yaml"}
        chosen = [s for s in chosen if s.name in quick]
    print(f"# {' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}")
    print("# load average at start: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(gate_scenario, chosen))
    print(f"\n| scenario | area | CI | gate | outcome | s | gate's reason |\n|{'---|' * 7}")
    for o in outcomes:
        reason = why_partial(o.report) if o.outcome == PARTIAL else o.reason
        area = o.scenario.area
        print(
            f"| {o.scenario.name} | {area} | {o.scenario.expected} | {o.gate} | {o.outcome} |"
            f" {o.seconds:.1f} | {reason[:110].replace('|', '/')} |"
        )
    print()
    print("\n".join(summary(outcomes)))
    print("# load average at end: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()

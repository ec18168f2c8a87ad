"""The gate on a workflow of independent CPU-bound jobs: jobs at the same time against one after
another, and against the same steps typed by hand in a fresh clone.

A generated repository whose workflow has ``--jobs`` independent jobs, each running its own pytest
file of CPU-bound tests (``--seconds`` of work per job on one core), and a last job that
``needs`` them all (a quick pytest). Each round, arms alternate on it:

    by hand    ``git clone`` into a fresh folder, then each job's step in turn, each job after the
               first in its own copy of the clone (bench/ci_by_hand.py), as a user types them
    in turn    ``gateui gate --json --no-cache`` with ``concurrent_jobs = 1`` (one job after
               another)
    at once    the same with the default (as many jobs at once as CPUs)
    baseline   with ``--baseline PYTHON``: the gate of the gateui that interpreter imports

The setting is committed in the repository's ``pyproject.toml`` per arm, on two branches of the
same tree otherwise. The first round is a warm-up and is discarded; medians of the rounds, and
ratios as the median of per-round ratios to *by hand*.

    .venv/bin/python bench/gate_jobs_at_once.py [--rounds 3] [--jobs 2] [--seconds 2]
    .venv/bin/python bench/gate_jobs_at_once.py --quick  # one round of 0.1 s jobs, no warm-up
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import command_line, machine, median, table
from ci_by_hand import ci_verdict
from gate_agreement import GATEUI_PYTHON, run_gate
from gate_fixed_cost import compile_gateui
from scenario_kit import git, tools_python

CPU_TEST = """
import time


def spin(seconds):
    end = time.process_time() + seconds
    n = 0
    while time.process_time() < end:
        n += 1
    return n


def test_work_{index}_a():
    assert spin({half}) > 0


def test_work_{index}_b():
    assert spin({half}) > 0
"""


def workflow(jobs: int) -> str:
    lines = ["name: ci", "on: pull_request", "jobs:"]
    for index in range(jobs):
        lines += [
            f"  work{index}:",
            "    runs-on: ubuntu-latest",
            "    steps:",
            "      - uses: actions/checkout@v4",
            f"      - run: python -m pytest -q -p no:cacheprovider tests/test_work_{index}.py",
        ]
    needs = ", ".join(f"work{index}" for index in range(jobs))
    lines += [
        "  report:",
        f"    needs: [{needs}]",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "      - run: python -m pytest -q -p no:cacheprovider tests/test_quick.py",
    ]
    return "\n".join(lines) + "\n"


def make_repo(folder: Path, jobs: int, seconds: float) -> Path:
    """The repository: branch ``at-once`` (default setting), ``in-turn`` (``concurrent_jobs =
    1``), both pull requests into ``main``; its ``.venv`` is the corpus's tool environment."""
    repo = folder / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(workflow(jobs))
    for index in range(jobs):
        text = CPU_TEST.format(index=index, half=seconds / 2)
        (repo / "tests" / f"test_work_{index}.py").write_text(textwrap.dedent(text).lstrip())
    (repo / "tests" / "test_quick.py").write_text("def test_quick():\n    assert True\n")
    (repo / "pyproject.toml").write_text('[project]\nname = "r"\nversion = "0"\n')
    (repo / ".gitignore").write_text(".venv\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    remote = folder / "repo.git"
    git(folder, "clone", "-q", "--bare", str(repo), str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "fetch", "-q", "origin")
    git(repo, "checkout", "-q", "-b", "at-once")
    git(repo, "commit", "-q", "--allow-empty", "-m", "the pull request")
    git(repo, "checkout", "-q", "-b", "in-turn")
    with (repo / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n[tool.gateui.gate]\nconcurrent_jobs = 1\n")
    git(repo, "commit", "-q", "-am", "one job at a time")
    python = tools_python("ci")
    (repo / ".venv").symlink_to(python.parent.parent, target_is_directory=True)
    return repo


def gate_seconds(repo: Path, branch: str, python: Path = GATEUI_PYTHON) -> float:
    git(repo, "checkout", "-q", branch)
    seconds, report = run_gate(repo, python)
    if report.get("verdict") != "pass":
        raise RuntimeError(f"the gate said {report.get('verdict')}: {report.get('reason')}")
    return seconds


def hand_seconds(repo: Path) -> float:
    git(repo, "checkout", "-q", "at-once")
    started = time.perf_counter()
    verdict = ci_verdict(repo, lambda version: tools_python("ci", version), skip_installs=True)
    elapsed = time.perf_counter() - started
    if verdict.verdict != "pass":
        raise RuntimeError(f"by hand gave {verdict.verdict}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="independent CPU-bound jobs")
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU seconds per job")
    parser.add_argument("--baseline", type=Path, help="a baseline gateui's python: an arm")
    parser.add_argument(
        "--quick", action="store_true", help="one round of 0.1 s jobs, no warm-up: a smoke check"
    )
    args = parser.parse_args()
    warm_up = 1
    if args.quick:
        # A smoke check: every arm once; its figures are not read, so nothing to warm up.
        args.rounds, args.seconds, warm_up = 1, 0.1, 0
    compile_gateui(GATEUI_PYTHON)
    if args.baseline is not None:
        compile_gateui(args.baseline)
    print(f"# {command_line()}")
    print(f"# {machine()}; os.cpu_count() = {os.cpu_count()}")
    print(f"# {args.jobs} jobs of {args.seconds:g} CPU s, then one that needs them;")
    print(f"# {args.rounds} rounds after {warm_up} warm-up round(s), arms alternating")
    print("# load average at start: " + " ".join(f"{v:.1f}" for v in os.getloadavg()) + "\n")
    arms: dict[str, list[float]] = {"by hand": [], "gate, in turn": [], "gate, at once": []}
    if args.baseline is not None:
        arms["baseline gate"] = []
    with tempfile.TemporaryDirectory(prefix="gateui-bench-jobs-") as folder:
        repo = make_repo(Path(folder), args.jobs, args.seconds)
        for index in range(args.rounds + warm_up):
            measured = {
                "by hand": hand_seconds(repo),
                "gate, in turn": gate_seconds(repo, "in-turn"),
                "gate, at once": gate_seconds(repo, "at-once"),
            }
            if args.baseline is not None:
                measured["baseline gate"] = gate_seconds(repo, "at-once", args.baseline)
            if index >= warm_up:
                for arm, seconds in measured.items():
                    arms[arm].append(seconds)
    hand = arms["by hand"]
    rows = []
    for arm, runs in arms.items():
        ratios = [run / by_hand for run, by_hand in zip(runs, hand, strict=True)]
        rows.append([arm, f"{median(runs):.2f}", f"{median(ratios):.2f}"])
    print(table(["arm", "wall s (median)", "vs by hand (median ratio)"], rows))
    print("\n# load average at end: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()

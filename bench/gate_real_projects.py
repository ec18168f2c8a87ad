"""The gate's time against the same steps typed by hand in a fresh clone (target: ratio <= 1.1),
on real open-source projects with a realistic CI workflow.

Each project is its pinned sdist with its tests (bench/real_projects.py), made a fresh git
repository: branch ``main`` (the sdist, plus the two files below), branch ``feature`` one commit
on top (the pull request: a line added to the README), ``origin`` a bare clone beside it,
fetched. Two files are added to the base commit, as a project keeps them:

    requirements-ci.txt          the test dependencies, pinned (the pins of real_projects.py)
    .github/workflows/ci.yml     on ``pull_request`` to main: a ``lint`` job (setup-python of the
                                 local Python, ``pip install ruff==…``, the project's ruff
                                 commands) and a ``tests`` job that ``needs: lint`` (setup-python,
                                 ``pip install -r requirements-ci.txt`` and ``pip install -e .``,
                                 then ``python -m pytest`` with the project's usual options)

(printed in full with the figures). How the gate gets the environment for the steps, as in any
user's repository with such a workflow: a job that sets up a Python with actions/setup-python and
installs with pip is a matrix leg, whose steps run in a virtualenv gateui builds with the job's
own install lines and keeps under ``~/.cache/gateui/legs`` keyed by the interpreter, the install
lines and the files they install from (``_leg_spec``, ``_leg_env``, ``_legs``). The first check
builds the two environments (lint, tests) from the package index; each later check reuses them,
and the project's editable install (``pip install -e .`` of a project that builds no code:
hatchling, flit, setuptools here) is pointed at the check's new worktree without pip
(``_editable_repoint``), and the gate's tests run on the same pins as the by-hand arm's.
formulaic's ``[tool.hatch.build.hooks.vcs]`` writes a version file into the checkout at
install: the file is kept with the environment and put into each new worktree, so formulaic is
repointed too (until 2026-12-06 it was installed again at every check, 3.8 s).

The gate arm's ``XDG_CACHE_HOME`` is the benchmark's own
(``GATE_CACHE``), so other checks on the machine never prune these environments between rounds;
a measured round in which one was built fails the benchmark. ``[tool.gateui] python`` (written
by ``configure``: the project's pinned venv) is what the gate uses for jobs without a leg; here
every job has one.

Arms, in turn each round, their order rotating (the first round is a warm-up, discarded; it
also builds the leg environments on a first run):

    plain     the workflow's test command alone (``python -m pytest …``, ``-q``) in a copy of
              the sdist, in the project's pinned venv: the suite's own time

    by hand   ``git clone`` into a fresh folder, then each ``run:`` step with the runner's
              semantics (bench/ci_by_hand.py: ``bash -e`` per step, the runner's environment,
              ``needs`` order, each job in its own copy of the clone), the pip install steps left
              out (``skip_installs``): the project's pinned venv, with ruff added, plays the
              environment setup-python and the installs leave
    gate      ``gateui gate --json --no-cache`` (its temporary worktree, leg environments,
              sandbox and all)

The by-hand verdict is CI's verdict; the gate's must equal it in every round, else the benchmark
fails (the gate's report is kept in a temporary folder, named in the error). Reported per
project: the medians of the three arms, the ``run:`` steps' own time in each of the two CI arms
(by hand: timed around each step; gate: its report's ``duration_s``; gate - steps is the gate's
fixed cost per check) and the median of the per-round ratios gate / by hand. gateui's
modules are compiled first, as gate_scenario_time.py does. Without the package index (a first
run that must download an sdist or build an environment) the benchmark says so and stops,
exit 0.

    .venv/bin/python bench/gate_real_projects.py [--rounds 3] [NAME ...]
    .venv/bin/python bench/gate_real_projects.py --quick     # marshmallow-sqlalchemy, one round
                                                             # (its warm-up runs the gate alone)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import command_line, machine, median, table
from ci_by_hand import ci_verdict
from gate_agreement import GATEUI_PYTHON, gate_env
from real_projects import PROJECTS, configure, prepare
from scenario_kit import DEFAULT_PYTHON, git
from selection_kit import CACHE

RATIO_TARGET = 1.1
GATE_CACHE = CACHE / "gate-real-projects"
"""The gate arm's ``XDG_CACHE_HOME``: its kept leg environments (gateui keeps the 12 most
recently used) are this benchmark's alone, never pruned by other checks on the machine between
rounds. pip's own cache stays the user's (``PIP_CACHE_DIR``)."""
RUFF = "ruff==0.1.15"
"""The linter of the projects' day (starlette 0.37.2 pins it in its requirements.txt)."""


@dataclass(frozen=True)
class GatedProject:
    lint: tuple[str, ...]
    """The lint job's commands (each its own step)."""
    test: str
    """The test step's command."""
    expected: str = "pass"
    note: str = ""
    """Why the test command differs from the project's plain one, if it does."""


GATED = {
    "starlette": GatedProject(
        lint=("ruff format --check --diff starlette tests", "ruff check starlette tests"),
        # Its scripts/check and scripts/test, less mypy and coverage (not pinned here).
        test=(
            "python -m pytest"
            " --deselect tests/test_staticfiles.py::"
            "test_staticfiles_with_invalid_dir_permissions_returns_401"
        ),
        note=(
            "deselected: test_staticfiles_with_invalid_dir_permissions_returns_401 (2 cases),"
            " which fails when run as root (root reads a folder whatever its permissions);"
            " GitHub's runner user is not root"
        ),
    ),
    "flask-sqlalchemy": GatedProject(
        lint=("ruff check src tests",),
        test="python -m pytest -v --tb=short",  # its tox.ini's test command
    ),
    "mizani": GatedProject(
        lint=("ruff check .",),
        test="python -m pytest",  # its addopts: --pyargs --doctest-modules (coverage left out)
    ),
    "formulaic": GatedProject(
        lint=("ruff check formulaic --select E9,F63,F7,F82",),
        test="python -m pytest",
    ),
    "marshmallow-sqlalchemy": GatedProject(
        lint=("ruff check .", "ruff format --check ."),
        test="python -m pytest",
    ),
}
DEFAULT = ["starlette", "formulaic", "flask-sqlalchemy", "mizani"]
QUICK = "marshmallow-sqlalchemy"


def workflow(project: GatedProject) -> str:
    lint = "".join(f"      - run: {command}\n" for command in project.lint)
    return f"""name: CI
on:
  pull_request:
    branches: [main]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{DEFAULT_PYTHON}"
      - run: python -m pip install {RUFF}
{lint}  tests:
    needs: lint
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{DEFAULT_PYTHON}"
      - name: Install dependencies
        run: |
          python -m pip install -r requirements-ci.txt
          python -m pip install -e .
      - name: Run tests
        run: {project.test}
"""


class IndexUnreachable(Exception):
    """What a first run needs from the package index could not be fetched."""


def project_python(name: str) -> tuple[Path, Path]:
    """The sdist's tree and its pinned venv's python, with ruff added (the by-hand arm's lint
    job runs it from there, as the gate's lint leg runs it from its own environment)."""
    try:
        tree, python = prepare(name)
    except subprocess.CalledProcessError as exc:
        raise IndexUnreachable(f"{name}: {' '.join(map(str, exc.cmd))} failed") from exc
    if not (python.parent / "ruff").exists():
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", RUFF],
            capture_output=True,
            text=True,
            check=False,
        )
        if installed.returncode != 0:
            raise IndexUnreachable(f"{name}: pip install {RUFF}: {installed.stderr[-300:]}")
    return tree, python


def build(name: str, tree: Path, python: Path, dest: Path) -> Path:
    """The project as a repository with a pull request open: branch ``feature`` into ``main``."""
    shutil.copytree(tree, dest)
    configure(dest, name, python, warm=False)
    (dest / "requirements-ci.txt").write_text("\n".join(PROJECTS[name].pins) + "\n")
    workflows = dest / ".github" / "workflows"
    # Some sdists ship their upstream workflows (starlette: a 3.8-3.12 matrix of its scripts;
    # mizani): replaced by the one measured here, whose environment is pinned.
    shutil.rmtree(workflows, ignore_errors=True)
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(workflow(GATED[name]))
    with (dest / ".gitignore").open("a", encoding="utf-8") as ignore:
        ignore.write("\n__pycache__/\n.pytest_cache/\n*.egg-info/\nbuild/\n")
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", f"{name} as released")
    git(dest, "checkout", "-q", "-b", "feature")
    readme = next(p for p in sorted(dest.glob("README*")))
    with readme.open("a", encoding="utf-8") as out:
        out.write("\nA line the pull request adds.\n")
    git(dest, "commit", "-q", "-am", "the pull request")
    remote = dest.with_name(dest.name + ".git")
    git(dest.parent, "clone", "-q", "--bare", str(dest), str(remote))
    git(dest, "remote", "add", "origin", str(remote))
    git(dest, "fetch", "-q", "origin")
    return dest


class PlainSuite:
    """The plain pytest run of the project's tests (the workflow's test command, ``-q``), in a
    copy of the sdist configured as the repository is, in its pinned venv: the suite's own
    time, measured in the same rounds as the arms."""

    def __init__(self, tree: Path, name: str, python: Path, test: str, folder: Path) -> None:
        self.copy = folder / f"{name}-plain"
        shutil.copytree(tree, self.copy)
        configure(self.copy, name, python, warm=False)
        self.argv = [str(python), *test.split()[1:], "-q", "-p", "no:cacheprovider"]

    def seconds(self) -> float:
        started = time.perf_counter()
        subprocess.run(self.argv, cwd=self.copy, env=gate_env(), capture_output=True, check=False)
        return time.perf_counter() - started


def by_hand_seconds(repo: Path, name: str, python: Path) -> tuple[float, float, str]:
    """The by-hand wall time, the sum of its ``run:`` steps' own times, and CI's verdict."""

    def tools(version: str) -> Path:
        if version != DEFAULT_PYTHON:
            raise RuntimeError(f"{name}: the workflow asks for Python {version}")
        return python

    started = time.perf_counter()
    verdict = ci_verdict(repo, tools, skip_installs=True)
    elapsed = time.perf_counter() - started
    if verdict.verdict != GATED[name].expected:
        log = "\n".join(verdict.log[-30:])
        raise RuntimeError(f"{name}: by hand gave {verdict.verdict}, not the expected:\n{log}")
    return elapsed, sum(verdict.seconds.values()), verdict.verdict


def gate_seconds(repo: Path, name: str, expected: str) -> tuple[float, float, dict[str, Any]]:
    """The gate's wall time, the sum of its steps' own times, and its report."""
    env = gate_env()
    env["XDG_CACHE_HOME"] = str(GATE_CACHE)
    env["PIP_CACHE_DIR"] = str(Path.home() / ".cache" / "pip")
    started = time.perf_counter()
    result = subprocess.run(
        [str(GATEUI_PYTHON), "-m", "gateui", "gate", "--json", "--no-cache"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,  # a guard against a hang (a first run builds the environments)
    )
    seconds = time.perf_counter() - started
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        report = {"verdict": "error", "reason": (result.stderr or result.stdout).strip()[-500:]}
    unbuilt = [str(leg["not_run"]) for leg in report.get("legs") or () if leg.get("not_run")]
    if report.get("verdict") == "partial" and any("cannot be built" in u for u in unbuilt):
        raise IndexUnreachable(f"{name}: {unbuilt[0]}")
    if report.get("verdict") != expected:
        kept = Path(tempfile.mkdtemp(prefix=f"gateui-bench-real-{name}-")) / "report.json"
        kept.write_text(json.dumps(report, indent=1))
        raise RuntimeError(
            f"{name}: the gate said {report.get('verdict')} where CI says {expected}:"
            f" {report.get('reason', '')} (its report: {kept})"
        )
    steps = sum(float(s.get("duration_s") or 0.0) for s in steps_of(report))
    return seconds, steps, report


def steps_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in report.get("steps") or () if isinstance(s, dict)]


def legs_line(name: str, report: dict[str, Any]) -> str:
    parts = []
    for number, leg in enumerate(report.get("legs") or (), 1):
        environment = leg.get("environment") or {}
        state = "reused" if environment.get("reused") else "built"
        project = f", project {environment['project']}" if environment.get("project") else ""
        spent = f" ({environment.get('seconds', 0):.2f} s)"
        parts.append(f"{number}. {leg.get('label')}: {state}{project}{spent}")
    return f"# {name}: leg environments in the last check: " + ("; ".join(parts) or "none")


def measure(name: str, rounds: int, base: Path, quick: bool = False) -> tuple[list[str], str]:
    tree, python = project_python(name)
    gated = GATED[name]
    plain = PlainSuite(tree, name, python, gated.test, base)
    repo = build(name, tree, python, base / name)
    suite: list[float] = []
    hand: list[float] = []
    hand_steps: list[float] = []
    gate: list[float] = []
    steps: list[float] = []
    ratios: list[float] = []
    report: dict[str, Any] = {}
    per_step: dict[str, list[float]] = {}
    for index in range(rounds + 1):
        # The arms in turn, their order rotating each round.
        arms = ["plain", "hand", "gate"]
        arms = arms[index % 3 :] + arms[: index % 3]
        if quick and index == 0:
            arms = ["gate"]  # a smoke check: its warm-up only builds the leg environments
        for arm in arms:
            if arm == "plain":
                plain_s = plain.seconds()
            elif arm == "hand":
                by_hand, hand_steps_s, verdict = by_hand_seconds(repo, name, python)
            else:
                gated_s, steps_s, report = gate_seconds(repo, name, gated.expected)
        if index == 0:
            continue  # warm-up (and, on a first run, the leg environments' build)
        legs = report.get("legs") or ()
        built = [leg for leg in legs if not (leg.get("environment") or {}).get("reused")]
        if built:
            raise RuntimeError(f"{name}: a leg environment was built in a measured round")
        suite.append(plain_s)
        hand.append(by_hand)
        hand_steps.append(hand_steps_s)
        gate.append(gated_s)
        steps.append(steps_s)
        ratios.append(gated_s / by_hand)
        for step in steps_of(report):
            per_step.setdefault(str(step.get("name")), []).append(
                float(step.get("duration_s") or 0.0)
            )
    ratio = median(ratios)
    row = [
        name,
        f"{median(suite):.2f}",
        f"{median(hand):.2f}",
        f"{median(hand_steps):.2f}",
        f"{median(gate):.2f}",
        f"{median(steps):.2f}",
        f"{median([g - s for g, s in zip(gate, steps, strict=True)]):.2f}",
        f"{ratio:.2f}",
        verdict,
        f"target ≤ {RATIO_TARGET}: {'meets' if ratio <= RATIO_TARGET else 'MISSES'}",
    ]
    each = "; ".join(
        f"{step} {median(times):.2f}" for step, times in per_step.items() if any(times)
    )
    lines = [
        legs_line(name, report),
        f"# {name}: the gate's steps that ran, median s: {each}",
        f"# {name}: per round gate / by hand: " + " ".join(f"{r:.2f}" for r in ratios),
    ]
    print(f"# {name}: " + " | ".join(row), flush=True)
    return row, "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"projects (default: {' '.join(DEFAULT)})")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK}, one round")
    args = parser.parse_args()
    chosen = [QUICK] if args.quick else (args.names or DEFAULT)
    if args.quick:
        args.rounds = 1
    unknown = [n for n in chosen if n not in GATED]
    if unknown:
        parser.error(f"no such project: {', '.join(unknown)} (known: {', '.join(GATED)})")
    package = Path(__file__).resolve().parent.parent / "src" / "gateui"
    subprocess.run([str(GATEUI_PYTHON), "-m", "compileall", "-q", str(package)], check=True)
    print(f"# {command_line()}")
    print(f"# {machine()}")
    print(f"# {args.rounds} rounds after one warm-up round, arms alternating")
    print("# load average at start: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))
    for name in chosen:
        print(f"\n# {name}: .github/workflows/ci.yml")
        print("\n".join(f"#   {line}" for line in workflow(GATED[name]).splitlines()))
        if GATED[name].note:
            print(f"# {name}: {GATED[name].note}")
    print()
    rows: list[list[str]] = []
    legs: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="gateui-bench-real-gate-") as folder:
            for name in chosen:
                row, line = measure(name, args.rounds, Path(folder), args.quick)
                rows.append(row)
                legs.append(line)
    except IndexUnreachable as exc:
        print(f"# skipped: the package index is unreachable ({exc})")
        return
    head = ["project", "pytest s", "by hand s", "its steps s", "gate s", "its steps s"]
    head += ["gate - steps s"]
    print(table([*head, "ratio (median)", "verdict (CI = gate)", "note"], rows))
    print("\n".join(["", *legs]))
    print("\n# load average at end: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()

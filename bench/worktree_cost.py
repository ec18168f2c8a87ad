"""The cost of the gate's temporary worktree on a large repository.

A generated repository of --files small files (default 20,000) in --folders folders, one commit.
Arms alternate within each round, each one creating a detached worktree of HEAD in a fresh
temporary folder and removing it again:
  git        ``git worktree add --detach`` then ``git worktree remove --force`` (git's default,
             serial checkout)
  gateui     ``gateui.core.gate.gitops.detached_worktree`` entered and left (what every gate does)
  per job    what each job after a check's first costs: its fresh checkout made by the check's
             own ``JobCheckouts`` (a worktree, and the checkout's projects listed) on the job's
             first step, and removed after its last
Reported: median seconds for create and remove, per arm; and what listing a fresh checkout's
files costs (``repo_files``, three ``git ls-files``, against ``checkout_files``, one), per round.

With --checks, what a job costs a whole check on that repository: ``gateui gate --no-cache`` of
two commits whose workflow runs the same two steps (``sleep --step-s`` each), in one job and in
two jobs, arms alternating, one warm-up round; the difference is what the second job's own
checkout adds to the check (made in the background while the first job runs).

    .venv/bin/python bench/worktree_cost.py [--files 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _util import command_line, git_commit_all, machine, median, table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from gateui.core.discovery.discover import load_projects
from gateui.core.gate._job_checkouts import Checkout, JobCheckouts
from gateui.core.gate._runner_env import PullRequest
from gateui.core.gate.check import CheckoutMaker
from gateui.core.gate.gitops import Git, detached_worktree
from gateui.core.gate.model import KIND_SHELL, GateStep
from gateui.core.layout.projects import checkout_files, repo_files


def generate(repo: Path, files: int, folders: int) -> None:
    per_folder = max(1, files // folders)
    for index in range(files):
        folder = repo / f"pkg{index // per_folder}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"module_{index}.py").write_text(f"VALUE = {index}\n" * 20)
    git_commit_all(repo)
    # 20,000 loose objects: the next commit would start an automatic `git gc` in the background,
    # racing the arms for the machine. Packed once, here.
    subprocess.run(["git", "-C", str(repo), "gc", "-q"], check=True)


def time_git(repo: Path) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-wt-") as parent:
        path = Path(parent) / "checkout"
        started = time.perf_counter()
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "add", "-q", "--detach", str(path), "HEAD"],
            check=True,
        )
        created = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "remove", "--force", str(path)], check=True
        )
        return created, time.perf_counter() - started


def time_gateui(repo: Path) -> tuple[float, float]:
    git = Git(repo)
    commit = git.commit_of("HEAD")
    started = time.perf_counter()
    with detached_worktree(git, commit) as path:
        created = time.perf_counter() - started
        assert (path / "pkg0").is_dir()
        started = time.perf_counter()
    return created, time.perf_counter() - started


def time_per_job(repo: Path) -> tuple[float, float]:
    git = Git(repo)
    commit = git.commit_of("HEAD")
    maker = CheckoutMaker(
        git, commit, repo, load_projects(repo), Path(sys.executable), PullRequest("main", "x", "")
    )
    first = Checkout(repo, repo, maker.user_projects, Path(sys.executable))
    maker.listing = checkout_files(repo)  # as the check's own worktree lists it, once
    steps = [
        GateStep(f"job {n}", "true", ".", "bench", KIND_SHELL, True, job=f"j{n}") for n in (1, 2)
    ]
    with (
        tempfile.TemporaryDirectory(prefix="bench-wt-scratch-") as scratch,
        JobCheckouts(first, maker.new, steps, Path(scratch)) as places,
    ):
        places.place_for(steps[0])  # the check's own worktree: nothing made
        started = time.perf_counter()
        place = places.place_for(steps[1])
        created = time.perf_counter() - started
        assert (place.checkout.root / "pkg0").is_dir() and places.made == 1
        started = time.perf_counter()
        places.step_done(1, steps[1])
        removed = time.perf_counter() - started
        assert not place.checkout.root.exists()
    return created, removed


# The steps differ in words (equal steps of two jobs would be run once for both).
ONE_JOB = """on: pull_request
jobs:
  both:
    runs-on: ubuntu-latest
    steps:
      - run: sleep {s} && echo first
      - run: sleep {s} && echo second
"""
TWO_JOBS = """on: pull_request
jobs:
  first:
    runs-on: ubuntu-latest
    steps:
      - run: sleep {s} && echo first
  second:
    runs-on: ubuntu-latest
    steps:
      - run: sleep {s} && echo second
"""


def commit_workflow(repo: Path, text: str, branch: str) -> None:
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "-B", branch, "main"], check=True)
    workflow = repo / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(text)
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    for argv in (
        ["add", "-A"],
        [*identity, "commit", "-q", "-m", branch],
    ):
        subprocess.run(["git", "-C", str(repo), *argv], check=True)


def time_checks(repo: Path, rounds: int, step_s: float) -> list[list[str]]:
    commit_workflow(repo, ONE_JOB.format(s=step_s), "one-job")
    commit_workflow(repo, TWO_JOBS.format(s=step_s), "two-jobs")
    gateui = Path(sys.executable).parent / "gateui"
    walls: dict[str, list[float]] = {"one-job": [], "two-jobs": []}
    for index in range(rounds + 1):
        for branch in walls:
            argv = [str(gateui), "gate", "--json", "--no-cache", branch]
            started = time.perf_counter()
            done = subprocess.run(argv, cwd=repo, capture_output=True, check=False)
            elapsed = time.perf_counter() - started
            report = json.loads(done.stdout or b"{}")
            ran = [s for s in report.get("steps", []) if s.get("verdict") == "pass"]
            if done.returncode != 0 or len(ran) != 2:
                raise SystemExit(f"{branch}: exit {done.returncode}\n{done.stdout.decode()}")
            if index:
                walls[branch].append(elapsed)
    extra = [two - one for one, two in zip(walls["one-job"], walls["two-jobs"], strict=True)]
    return [
        ["one job, 2 steps", f"{median(walls['one-job']):.2f}", ""],
        ["two jobs, 1 step each", f"{median(walls['two-jobs']):.2f}", ""],
        ["the second job's cost", f"{median(extra):.2f}", "median of per-round differences"],
    ]


def time_listing(repo: Path) -> tuple[float, float]:
    started = time.perf_counter()
    full = repo_files(repo)
    walked = time.perf_counter() - started
    started = time.perf_counter()
    tracked = checkout_files(repo)
    assert tracked == full  # a clean checkout: the same files
    return walked, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--folders", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2,000 files, 1 round")
    parser.add_argument("--checks", action="store_true", help="also time whole checks")
    parser.add_argument("--step-s", type=float, default=3.0, help="each step's sleep (--checks)")
    args = parser.parse_args()
    if args.quick:
        args.files, args.rounds = 2_000, 1
    figures: dict[str, list[tuple[float, float]]] = {"git": [], "gateui": [], "per job": []}
    listings: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-wt-repo-") as folder:
        repo = Path(folder) / "repo"
        repo.mkdir()
        generate(repo, args.files, args.folders)
        for _ in range(args.rounds):
            figures["git"].append(time_git(repo))
            figures["gateui"].append(time_gateui(repo))
            figures["per job"].append(time_per_job(repo))
            listings.append(time_listing(repo))
        checks = time_checks(repo, args.rounds, args.step_s) if args.checks else []
    rows = []
    for arm, runs in figures.items():
        rows.append(
            [
                arm,
                f"{median([c for c, _ in runs]):.2f}",
                f"{median([r for _, r in runs]):.2f}",
            ]
        )
    print(command_line())
    print("load average at end: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))
    print(f"{args.files} files in {args.folders} folders, {args.rounds} round(s); {machine()}")
    print(table(["arm", "create s (median)", "remove s (median)"], rows))
    print(
        f"\nlisting a checkout's files: repo_files {median([a for a, _ in listings]):.3f} s,"
        f" checkout_files {median([b for _, b in listings]):.3f} s (median)"
    )
    if checks:
        print(f"\n`gateui gate --no-cache`, steps of `sleep {args.step_s:g}`:\n")
        print(table(["check", "wall s (median)", "note"], checks))


if __name__ == "__main__":
    main()

"""The PR gate's costs: a pre-push on an already verified tree, and a cold gate against the same
steps run by hand.

1. Pre-push, cache hit (target: the hook costs at most 0.5 s). The web_api monorepo sample with
   gateui's hook installed and a bare remote; ``gateui gate`` verifies HEAD once. Then, round by
   round, a new branch pointing at that same commit is pushed three ways:
     hook       ``git push origin HEAD:refs/heads/bN`` with the hook (the gate answers from the
                verdict cache: same tree, same gate, same interpreter)
     no-verify  ``git push --no-verify`` of another new branch (git without any hook)
     hook-only  the hook's program alone, ``python -m gateui.hook_entry origin URL``, fed the
                line git would write on its stdin
   Reported: medians, and the hook's cost as the median of per-round (hook minus no-verify).

2. Cold gate vs by hand (target: median ratio at most 1.1). Arms alternate within each round;
   the first round is a warm-up and is discarded:
     by-hand    the gate's step commands, typed by hand in the checkout
     clone      ``git clone`` of the repository into a fresh folder, then the same commands
                there (the issue's "by hand in a fresh clone"; the clone's time included)
     gate       ``gateui gate --no-cache`` on a clean work tree (the commit is checked out into
                a temporary worktree, as always: each job in a fresh one)
     worktree   ``gateui gate --no-cache`` with an untracked file in the work tree (the same
                check; kept to show that a dirty tree costs nothing more; only for the sample)
   On two repositories: the web_api monorepo sample (one step, ``./tools/test.sh
   --smoke-backend``: 26 tests), and a generated repository whose CI workflow runs
   ``python -m pytest -p no:cacheprovider`` over --tests trivial tests. The generated one runs
   on a virtualenv with pytest alone (``[tool.gateui] python``), typed by hand with the same: the
   gate never passes the user's PYTEST_ADDOPTS to a step, so in gateui's own environment its
   pytest would load gateui's development plugins that the by-hand arm turns off.

    .venv/bin/python bench/gate_bench.py [--rounds 7] [--tests 3000]
    .venv/bin/python bench/gate_bench.py --quick   # 1 round of 20 tests, no warm-up: a smoke check
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _interpreters import lean_pytest_venv, use_interpreter
from _util import (
    GATEUI,
    PYTHON,
    bench_env,
    command_line,
    generate_repo,
    git_commit_all,
    machine,
    median,
    table,
    time_command,
)

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "samples" / "web_api_monorepo"
HOOK_TARGET_S = 0.5
RATIO_TARGET = 1.1
_IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def env() -> dict[str, str]:
    base = {
        k: v
        for k, v in bench_env().items()
        if not k.startswith("GIT_") and k not in ("CI", "GATEUI_SKIP")
    }
    # `python` in the sample's script is the interpreter gateui uses for it: the same for both.
    base["PATH"] = f"{PYTHON.parent}{os.pathsep}{base.get('PATH', '')}"
    return base | _IDENTITY


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=env(), check=True, capture_output=True, text=True
    ).stdout


def wall(argv: Sequence[str], cwd: Path, rc: int = 0, stdin: bytes | None = None) -> float:
    if stdin is None:
        return time_command(argv, cwd, env(), check_rc=rc).wall_s
    started = time.perf_counter()
    result = subprocess.run(
        list(argv), cwd=cwd, env=env(), input=stdin, capture_output=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != rc:
        raise RuntimeError(f"exit {result.returncode}: {argv}\n{result.stderr.decode()}")
    return elapsed


def sample_repo(base: Path) -> Path:
    repo = base / "web_api_monorepo"
    shutil.copytree(SAMPLE, repo, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    git_commit_all(repo)
    return repo


def generated_repo(base: Path, tests: int) -> Path:
    repo = base / "generated"
    generate_repo(repo, modules=max(1, tests // 50), tests_per_module=50, total_tests=tests)
    workflow = repo / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  tests:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: pip install pytest\n"
        "      - run: python -m pytest -p no:cacheprovider\n"
    )
    git_commit_all(repo)
    return repo


# -- 1. pre-push on a verified tree ----------------------------------------------------------
def bench_prepush(base: Path, rounds: int, warm_up: int = 1) -> list[list[str]]:
    repo = sample_repo(base)
    remote = base / "remote.git"
    git(base, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    subprocess.run(
        [str(GATEUI), "hook", "install"], cwd=repo, env=env(), check=True, capture_output=True
    )
    first = subprocess.run([str(GATEUI), "gate"], cwd=repo, env=env(), capture_output=True)
    if first.returncode != 0:
        raise RuntimeError(f"the sample's gate should pass:\n{first.stdout.decode()}")
    head = git(repo, "rev-parse", "HEAD").strip()
    line = f"refs/heads/x {head} refs/heads/x {'0' * len(head)}\n".encode()
    hook, plain, alone, cost = [], [], [], []
    for index in range(rounds + warm_up):
        with_hook = wall(["git", "push", "-q", "origin", f"HEAD:refs/heads/h{index}"], repo)
        without = wall(
            ["git", "push", "-q", "--no-verify", "origin", f"HEAD:refs/heads/n{index}"], repo
        )
        only = wall(
            [str(PYTHON), "-m", "gateui.hook_entry", "origin", str(remote)], repo, stdin=line
        )
        if index < warm_up:
            continue
        hook.append(with_hook)
        plain.append(without)
        alone.append(only)
        cost.append(with_hook - without)
    verdict = "meets" if median(cost) <= HOOK_TARGET_S else "MISSES"
    return [
        ["git push, hook, verified tree", f"{median(hook):.3f}", ""],
        ["git push --no-verify", f"{median(plain):.3f}", ""],
        ["hook program alone (cache hit)", f"{median(alone):.3f}", ""],
        [
            "hook's cost (per-round hook minus no-verify)",
            f"{median(cost):.3f}",
            f"target ≤ {HOOK_TARGET_S} s: {verdict}",
        ],
    ]


# -- 2. cold gate vs by hand ------------------------------------------------------------------
def compare(
    name: str,
    repo: Path,
    by_hand: Sequence[str],
    rounds: int,
    worktree: bool,
    warm_up: int = 1,
) -> list[list[str]]:
    """Wall-clock and CPU (user + system of every process) medians, and per-round ratios."""
    gate = [str(GATEUI), "gate", "--no-cache"]
    arms = ["by-hand", "clone", "gate", *(["worktree"] if worktree else [])]
    clones = Path(tempfile.mkdtemp(prefix="gateui-bench-clones-"))
    in_clone = [
        "bash",
        "-c",
        'git clone -q "$0" "$1" && cd "$1" && exec "${@:2}"',
        str(repo),
        "",
        *by_hand,
    ]
    walls: dict[str, list[float]] = {arm: [] for arm in arms}
    cpus: dict[str, list[float]] = {arm: [] for arm in arms}
    ratios: dict[str, list[float]] = {arm: [] for arm in arms}
    clone_ratios: dict[str, list[float]] = {arm: [] for arm in arms}
    """Against the fresh clone."""
    marker = repo / "untracked-bench-file.txt"
    for index in range(rounds + warm_up):
        clone = clones / f"round-{index}"
        in_clone[4] = str(clone)
        measured = {
            "by-hand": time_command(by_hand, repo, env()),
            "clone": time_command(in_clone, repo, env()),
            "gate": time_command(gate, repo, env()),
        }
        shutil.rmtree(clone, ignore_errors=True)
        if worktree:
            marker.write_text("makes the work tree dirty: gate checks out the commit\n")
            measured["worktree"] = time_command(gate, repo, env())
            marker.unlink()
        if index < warm_up:
            continue
        for arm, timing in measured.items():
            walls[arm].append(timing.wall_s)
            cpus[arm].append(timing.cpu_s)
            ratios[arm].append(timing.wall_s / measured["by-hand"].wall_s)
            clone_ratios[arm].append(timing.wall_s / measured["clone"].wall_s)
    shutil.rmtree(clones, ignore_errors=True)
    rows = []
    labels = {
        "by-hand": "by hand (in the checkout)",
        "clone": "by hand in a fresh clone",
        "gate": "gateui gate (clean tree)",
        "worktree": "gateui gate (dirty tree)",
    }
    for arm in arms:
        ratio = median(ratios[arm])
        clone_ratio = median(clone_ratios[arm])
        cpu_ratio = median(cpus[arm]) / median(cpus["by-hand"])
        note = ""
        if arm == "gate":
            note = f"target ≤ {RATIO_TARGET} (fresh clone): " + (
                "meets" if clone_ratio <= RATIO_TARGET else "MISSES"
            )
        rows.append(
            [
                name,
                labels[arm],
                f"{median(walls[arm]):.3f}",
                f"{ratio:.2f}",
                f"{clone_ratio:.2f}",
                f"{median(cpus[arm]):.3f}",
                f"{cpu_ratio:.2f}",
                note,
            ]
        )
    return rows


def bench_cold(base: Path, rounds: int, tests: int, warm_up: int = 1) -> list[list[str]]:
    sample = sample_repo(base / "cold")
    rows = compare(
        "web_api sample (26 tests)",
        sample,
        ["./tools/test.sh", "--smoke-backend"],
        rounds,
        worktree=True,
        warm_up=warm_up,
    )
    generated = generated_repo(base / "cold", tests)
    lean = lean_pytest_venv()
    use_interpreter(generated, lean)
    rows += compare(
        f"generated ({tests} tests)",
        generated,
        [str(lean), "-m", "pytest", "-p", "no:cacheprovider"],
        rounds,
        worktree=False,
        warm_up=warm_up,
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tests", type=int, default=3000)
    parser.add_argument(
        "--quick", action="store_true", help="1 round of 20 tests, no warm-up: a smoke check"
    )
    args = parser.parse_args()
    warm_up = 1
    if args.quick:
        # Every arm of both parts once; a smoke check's figures are not read: no warm-up.
        args.rounds, args.tests, warm_up = 1, 20, 0
    with tempfile.TemporaryDirectory(prefix="gateui-bench-gate-") as folder:
        base = Path(folder)
        print(f"# {command_line()}")
        print(f"# {machine()}")
        print(f"# {args.rounds} rounds after {warm_up} warm-up round(s)")
        print("# load average at start: " + " ".join(f"{v:.1f}" for v in os.getloadavg()) + "\n")
        print("## pre-push on a verified tree (seconds, median)\n")
        prepush = bench_prepush(base / "push", args.rounds, warm_up)
        print(table(["arm", "median s", "note"], prepush))
        print("\n## cold gate vs the same steps by hand (median seconds; ratio: per round)\n")
        print(
            table(
                [
                    "repository",
                    "arm",
                    "wall s",
                    "vs checkout",
                    "vs fresh clone",
                    "CPU s",
                    "CPU ratio (vs checkout)",
                    "note",
                ],
                bench_cold(base, args.rounds, args.tests, warm_up),
            )
        )
        print("\n# load average at end: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()

"""What the warm process ``gateui run`` starts for itself saves: a run with it against the same run
cold, and both against plain pytest on the same tests.

``gateui run`` starts the warm process of the project its last run went to before it plans the run
(``core.running.warm_hint``), and forks the run from it. Arms, in turn within each round (the
first round a warm-up, discarded), same interpreter (gateui's venv), ``-p no:cacheprovider``,
PYTHONDONTWRITEBYTECODE=1 and gateui's development plugins off (``bench_env``), output discarded:

  pytest        python -m pytest -p no:cacheprovider
  gateui        gateui run [--no-record] -C REPO -- -p no:cacheprovider: the note of the last
                run is there (the previous arm's run wrote it), so its warm process starts early
  gateui-cold   the same after removing the note (untimed): the run starts cold, as a
                repository's first run does

Repositories: the demo (44 tests, ≈ 1 s) and a generated one of 5,000 trivial tests
(``--tests N``). Reported per repository and arm: median wall and CPU seconds (the command and
every descendant it waited for, the warm process included) and the median per-round ratios to
pytest. ``--record`` measures the default ``gateui run`` (recording on; an unchanged tree
records nothing again) instead of ``--no-record``.

``--quick``: the demo only, two rounds.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _interpreters import compile_gateui
from _util import (
    GATEUI,
    NO_CACHE,
    PYTHON,
    Timing,
    bench_env,
    command_line,
    forget_warm_hint,
    generate_repo,
    git_commit_all,
    load_average,
    machine,
    median,
    source_fingerprint,
    table,
    time_command,
)
from selection_kit import DEMO, fresh_git_copy

ARMS = ("pytest", "gateui", "gateui-cold")


def measure(repo: Path, rounds: int, record: bool) -> dict[str, list[Timing]]:
    env = bench_env()
    gateui = [str(GATEUI), "run", *([] if record else ["--no-record"]), "-C", str(repo)]
    argv = {
        "pytest": [str(PYTHON), "-m", "pytest", *NO_CACHE],
        "gateui": [*gateui, "--", *NO_CACHE],
        "gateui-cold": [*gateui, "--", *NO_CACHE],
    }
    samples: dict[str, list[Timing]] = {arm: [] for arm in ARMS}
    for index in range(rounds):
        row = {}
        for arm in ARMS:
            if arm == "gateui-cold":
                forget_warm_hint(repo)
            row[arm] = time_command(argv[arm], repo, env)
        cells = "  ".join(f"{k}={v.wall_s:.3f}s/{v.cpu_s:.3f}cpu" for k, v in row.items())
        label = "warm-up, discarded" if index == 0 else f"round {index}"
        print(f"  {label}: {cells}  [{load_average()}]", flush=True)
        if index:
            for arm, timing in row.items():
                samples[arm].append(timing)
    return samples


def report(name: str, samples: dict[str, list[Timing]]) -> list[list[str]]:
    base = samples["pytest"]
    rows = []
    for arm in ARMS:
        runs = samples[arm]
        wall = median([t.wall_s / b.wall_s for t, b in zip(runs, base, strict=True)])
        cpu = median([t.cpu_s / b.cpu_s for t, b in zip(runs, base, strict=True)])
        rows.append(
            [
                name,
                arm,
                f"{median([t.wall_s for t in runs]):.3f}",
                f"{wall:.3f}",
                f"{median([t.cpu_s for t in runs]):.3f}",
                f"{cpu:.3f}",
            ]
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the demo only, two rounds")
    parser.add_argument("--rounds", type=int, help="rounds including the warm-up (default 9)")
    parser.add_argument("--tests", type=int, default=5000, help="generated tests (default 5000)")
    parser.add_argument("--record", action="store_true", help="gateui run with recording on")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 9)
    print(f"command: {command_line()}")
    print(f"machine: {machine()}")
    print(f"gateui: {source_fingerprint()}")
    print(f"at start: {load_average()}")
    compile_gateui(PYTHON)
    tmp = Path(tempfile.mkdtemp(prefix="gateui-bench-warm-start-"))
    repos = {"demo": fresh_git_copy(DEMO, tmp / "demo")}
    if not args.quick:
        per_module = 100
        generate_repo(tmp / "generated", max(1, args.tests // per_module), per_module)
        git_commit_all(tmp / "generated")
        repos[f"generated {args.tests}"] = tmp / "generated"
    rows = []
    for name, repo in repos.items():
        print(f"repo {name}: {repo}")
        rows += report(name, measure(repo, rounds, args.record))
    print()
    print(
        table(
            ["repository", "arm", "wall median s", "wall ratio", "CPU median s", "CPU ratio"],
            rows,
        )
    )
    print("(ratios: median over rounds of arm / pytest in the same round)")
    print(f"at end: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

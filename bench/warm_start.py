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
  gateui-no-record  (only with ``--arms``) ``gateui run --no-record`` with its warm process
                whatever ``--record`` says: beside ``--record``'s ``gateui``, what recording
                costs on an unchanged tree, in the same rounds

Repositories: the demo (44 tests, ≈ 1 s) and a generated one of 5,000 trivial tests
(``--tests N``). Reported per repository and arm: median wall and CPU seconds (the command and
every descendant it waited for, the warm process included) and the median per-round ratios to
pytest. ``--record`` measures the default ``gateui run`` (recording on; an unchanged tree
records nothing again) instead of ``--no-record``.

Every other round runs the arms in reverse. Each ratio comes with a 95% interval of its median,
and the verdict on the target (streaming ≤ 1.05; with ``--record`` ≤ 1.15, or ≤ 1.05 on Python
3.12+) is ``met``, ``MISSED`` or ``cannot tell``.

``--python BASE``: the tests run by a benchmark virtualenv made from BASE (``--pytest`` pins its
pytest), which gateui's arms reach through ``[tool.gateui] python``. ``--demo-only``: no
generated repository. ``--quick``: the demo only, two rounds. ``--arms A,B``: only these gateui
arms (pytest always runs).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _interpreters import (
    add_interpreter_options,
    bench_venv,
    compile_gateui,
    has_monitoring,
    use_interpreter,
)
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
    median_interval,
    source_fingerprint,
    table,
    target_verdict,
    time_command,
)
from selection_kit import DEMO, fresh_git_copy

ARMS = ("pytest", "gateui", "gateui-cold")
GATEUI_ARMS = ("gateui", "gateui-cold", "gateui-no-record")
STREAMING_TARGET = 1.05


def measure(
    repo: Path, rounds: int, record: bool, python: Path, arms: tuple[str, ...] = ARMS
) -> dict[str, list[Timing]]:
    env = bench_env()
    gateui = [str(GATEUI), "run", *([] if record else ["--no-record"]), "-C", str(repo)]
    argv = {
        "pytest": [str(python), "-m", "pytest", *NO_CACHE],
        "gateui": [*gateui, "--", *NO_CACHE],
        "gateui-cold": [*gateui, "--", *NO_CACHE],
        "gateui-no-record": [str(GATEUI), "run", "--no-record", "-C", str(repo), "--", *NO_CACHE],
    }
    samples: dict[str, list[Timing]] = {arm: [] for arm in arms}
    for index in range(rounds):
        row = {}
        # Every other round in reverse: no arm always runs after the same one. The note of the
        # last run's project that the warm arms start their warm process from is written by any
        # gateui run, and gateui-cold removes it first.
        for arm in arms if index % 2 == 0 else arms[::-1]:
            if arm == "gateui-cold":
                forget_warm_hint(repo)
            elif arm != "pytest" and not (repo / ".gateui" / "warm" / "run-hint.marshal").exists():
                time_command(argv[arm], repo, env)  # untimed: leaves the note
            row[arm] = time_command(argv[arm], repo, env)
        row = {arm: row[arm] for arm in arms}
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
    for arm, runs in samples.items():
        walls = [t.wall_s / b.wall_s for t, b in zip(runs, base, strict=True)]
        cpu = median([t.cpu_s / b.cpu_s for t, b in zip(runs, base, strict=True)])
        rows.append(
            [
                name,
                arm,
                f"{median([t.wall_s for t in runs]):.3f}",
                f"{median(walls):.3f}",
                "{:.3f}..{:.3f}".format(*median_interval(walls)),
                f"{median([t.cpu_s for t in runs]):.3f}",
                f"{cpu:.3f}",
            ]
        )
    return rows


def verdicts(name: str, samples: dict[str, list[Timing]], target: float) -> list[str]:
    base = samples["pytest"]
    lines = []
    for arm in (a for a in samples if a != "pytest"):
        goal = STREAMING_TARGET if arm == "gateui-no-record" else target
        walls = [t.wall_s / b.wall_s for t, b in zip(samples[arm], base, strict=True)]
        lines.append(f"{name}, {arm}, wall ratio <= {goal}: {target_verdict(walls, goal)}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the demo only, two rounds")
    parser.add_argument("--rounds", type=int, help="rounds including the warm-up (default 9)")
    parser.add_argument("--tests", type=int, default=5000, help="generated tests (default 5000)")
    parser.add_argument("--record", action="store_true", help="gateui run with recording on")
    parser.add_argument("--demo-only", action="store_true", help="no generated repository")
    parser.add_argument(
        "--arms",
        help=f"gateui arms to run, of {','.join(GATEUI_ARMS)} (default: gateui,gateui-cold)",
    )
    add_interpreter_options(parser, "pytest==8.4.2")
    args = parser.parse_args()
    arms = ARMS
    if args.arms:
        chosen = tuple(args.arms.split(","))
        unknown = [arm for arm in chosen if arm not in GATEUI_ARMS]
        if unknown:
            parser.error(f"--arms: unknown arm {unknown[0]!r} (known: {', '.join(GATEUI_ARMS)})")
        arms = ("pytest", *chosen)
    rounds = args.rounds or (2 if args.quick else 9)
    python = PYTHON if args.python is None else bench_venv(args.python, args.pytest)
    # The targets of a gateui run against pytest: streaming alone <= 1.05; with recording
    # <= 1.15, and <= 1.05 where the recorder has sys.monitoring (3.12+).
    target = 1.15 if args.record and not has_monitoring(python) else STREAMING_TARGET
    print(f"command: {command_line()}")
    print(f"machine: {machine()}")
    print(f"gateui: {source_fingerprint()}")
    print(f"tests run by: {python}")
    print(f"at start: {load_average()}")
    compile_gateui(*{PYTHON, python})
    tmp = Path(tempfile.mkdtemp(prefix="gateui-bench-warm-start-"))
    repos = {"demo": fresh_git_copy(DEMO, tmp / "demo")}
    if not args.quick and not args.demo_only:
        per_module = 100
        generate_repo(tmp / "generated", max(1, args.tests // per_module), per_module)
        git_commit_all(tmp / "generated")
        repos[f"generated {args.tests}"] = tmp / "generated"
    if args.python is not None:
        for repo in repos.values():
            use_interpreter(repo, python)
    rows, lines = [], []
    for name, repo in repos.items():
        print(f"repo {name}: {repo}")
        samples = measure(repo, rounds, args.record, python, arms)
        rows += report(name, samples)
        lines += verdicts(name, samples, target)
    print()
    header = ["repository", "arm", "wall median s", "wall ratio", "95% interval"]
    print(table([*header, "CPU median s", "CPU ratio"], rows))
    print("(ratios: median over rounds of arm / pytest in the same round)")
    print("\n".join(lines))
    print(f"at end: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

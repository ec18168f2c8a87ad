"""Two parts of what ``gateui run`` costs over plain pytest, each against another gateui.

``start``: the CPU of a pytest start with gateui's event plugin (``python -m pytest -p
gateui_events -p no:cacheprovider -q`` on a one-test repository, ``PYTHONPATH`` the plugin's
folder, events to /dev/null, PYTHONDONTWRITEBYTECODE=1 as in every benchmark and gate step): what
the plugin adds to every start, assertion rewriting included.

``parent``: gateui's own CPU in ``gateui run --no-record`` (a wrapper runs ``gateui.cli.main``
in-process and reads ``getrusage(RUSAGE_SELF)``: pytest, the guard and git are children, not
counted), on a one-test repository (the fixed cost: start-up, imports, planning, saving) and on
5,000 generated trivial tests (plus what every test's events cost gateui).

Each arm's source is the ``src`` folder of a gateui (this one, and ``--baseline SRC``, for
instance ``git archive`` of an older commit), put first on PYTHONPATH of the same interpreter;
both are byte-compiled first, as an install does. Arms alternate within each round; reported:
median and minimum CPU per arm, and the median of per-round differences.

    .venv/bin/python bench/run_parts.py --baseline /tmp/base/src
    .venv/bin/python bench/run_parts.py --quick      # a smoke check of the benchmark
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from _util import (
    NO_CACHE,
    PYTHON,
    bench_env,
    command_line,
    generate_repo,
    git_commit_all,
    load_average,
    machine,
    median,
    table,
)

SOURCE = Path(__file__).resolve().parent.parent / "src"

_PARENT_WRAPPER = """
import json, os, resource, sys
from gateui.cli.main import main
code = main(sys.argv[2:])
me = resource.getrusage(resource.RUSAGE_SELF)
with open(sys.argv[1], "w") as handle:
    json.dump({"code": code, "cpu_s": me.ru_utime + me.ru_stime}, handle)
"""


def start_cpu(src: Path, repo: Path) -> float:
    """CPU seconds of one pytest start with ``src``'s event plugin."""
    env = bench_env(
        {"PYTHONPATH": str(src / "gateui" / "pytest_plugin"), "GATEUI_EVENTS": os.devnull}
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    argv = [str(PYTHON), "-m", "pytest", "-p", "gateui_events", *NO_CACHE, "-q"]
    subprocess.run(argv, cwd=repo, env=env, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def parent_cpu(src: Path, repo: Path, work: Path) -> float:
    """gateui's own CPU seconds in one ``gateui run --no-record`` with ``src``'s gateui."""
    out = work / "rusage.json"
    argv = [str(PYTHON), "-c", _PARENT_WRAPPER, str(out), "run", "--no-record", "-C", str(repo)]
    env = bench_env({"PYTHONPATH": str(src)})
    subprocess.run([*argv, "--", *NO_CACHE], env=env, stdout=subprocess.DEVNULL, check=True)
    measured = json.loads(out.read_text())
    if measured["code"] != 0:
        raise RuntimeError(f"gateui run exited {measured['code']} in {repo}")
    return float(measured["cpu_s"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, metavar="SRC", help="another gateui's src")
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds per part")
    parser.add_argument("--quick", action="store_true", help="2 rounds, 200 generated tests")
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    arms = {"this": SOURCE}
    if args.baseline is not None:
        arms["baseline"] = args.baseline.resolve()
    print(f"command: {command_line()}")
    print(f"machine: {machine()}")
    print(f"at start: {load_average()}")
    for src in arms.values():
        subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(src)], check=True)
    work = Path(tempfile.mkdtemp(prefix="gateui-bench-parts-"))
    one = work / "one"
    one.mkdir()
    (one / "test_one.py").write_text("def test_one():\n    pass\n")
    git_commit_all(one)
    many = work / "many"
    total = generate_repo(many, *((2, 100) if args.quick else (50, 100)))
    git_commit_all(many)

    parts: dict[str, Callable[[Path], float]] = {
        "pytest start with the plugin (1 test)": lambda src: start_cpu(src, one),
        "gateui parent, run --no-record (1 test)": lambda src: parent_cpu(src, one, work),
        f"gateui parent, run --no-record ({total} tests)": lambda src: parent_cpu(src, many, work),
    }
    rows = []
    for part, measure in parts.items():
        cpu: dict[str, list[float]] = {name: [] for name in arms}
        for _ in range(rounds + 1):  # the first round warms up and is discarded
            for name, src in arms.items():
                cpu[name].append(measure(src))
        for name in arms:
            values = [v * 1000 for v in cpu[name][1:]]
            row = [part, name, f"{median(values):.1f}", f"{min(values):.1f}", ""]
            if name == "this" and "baseline" in cpu:
                pairs = zip(cpu["this"][1:], cpu["baseline"][1:], strict=True)
                row[-1] = f"{median([(t - b) * 1000 for t, b in pairs]):+.1f}"
            rows.append(row)
        print(f"  {part}: done, {load_average()}", flush=True)
    print(f"\n{rounds} measured rounds (+1 warm-up) per part, arms alternating")
    header = ["part", "gateui", "CPU median ms", "CPU min ms", "this - baseline, median ms"]
    print(table(header, rows))
    print(f"at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

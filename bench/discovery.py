"""Discovery time on a large generated repository: gateui's static scan, ``gateui discover``,
and pytest's own ``--collect-only`` as the baseline.

The repository: 3,000 modules holding 20,000 trivial tests in nested packages
(``tests/unit/pkgN/test_mod_M.py``, ``tests/integration/pkgN/...``), markers registered in
pyproject.toml, applied with decorators and module-level ``pytestmark``, committed to git.

Arms, run in turn within each repetition (after one untimed warm-up round that also checks that
every arm finds every test):

  static       in a fresh interpreter: ``load_projects`` + ``static_scan.scan_project`` timed
               in-process (imports excluded and reported apart); ``static_view`` (the scan plus
               suites, what ``gateui discover`` runs first) timed too
  discover     gateui discover --json REPO (end to end, the console script)
  collect      python -m pytest --collect-only -q -p no:cacheprovider (pytest alone)
  collect+plugin
               gateui's exact child command (``-p gateui_events --collect-only -qq``, items
               asked for) with events written to /dev/null: pytest plus the plugin, no gateui

All with PYTHONDONTWRITEBYTECODE=1 and PYTEST_ADDOPTS=-p no:cacheprovider (``gateui discover``
takes no pytest arguments, so the environment is how both arms get it).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _util import (
    GATEUI,
    NO_CACHE,
    PYTHON,
    Timing,
    bench_env,
    command_line,
    generate_repo,
    git_commit_all,
    load_average,
    machine,
    median,
    source_fingerprint,
    table,
    time_command,
)

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "src" / "gateui" / "pytest_plugin"

_STATIC_SNIPPET = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from gateui.core.discovery.discover import load_projects, static_view
from gateui.core.layout.static_scan import scan_project
imported = time.perf_counter()
repo = Path(sys.argv[1])
projects = load_projects(repo)
loaded = time.perf_counter()
scans = [scan_project(p.root, p.pytest_config, p.nested) for p in projects]
scanned = time.perf_counter()
views = [static_view(p) for p in projects]
viewed = time.perf_counter()
print(json.dumps({
    "import_s": imported - started,
    "load_projects_s": loaded - imported,
    "scan_s": scanned - loaded,
    "static_view_s": viewed - scanned,
    "projects": len(projects),
    "tests": sum(len(s.tests) for s in scans),
    "files": sum(len(s.files) for s in scans),
}))
"""

_PROFILE_SNIPPET = """
import cProfile, json, sys
from pathlib import Path
from gateui.core.discovery.discover import Discovery, collect_project, find_repo_root, load_projects
from gateui.core.discovery.discover import static_view
from gateui.cli.discover_printer import discovery_json

def discover():
    repo = find_repo_root(Path(sys.argv[2]))
    projects = load_projects(repo)
    views = [static_view(p) for p in projects]
    # gateui runs collect_project in a thread pool, which cProfile cannot see: call it here.
    reports = [collect_project(view.project, scan) for view, scan in views]
    return json.dumps(discovery_json(Discovery(repo, tuple(reports))), indent=2)

cProfile.run("discover()", sys.argv[1])
"""


def arms(repo: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    env = bench_env({"PYTEST_ADDOPTS": " ".join(NO_CACHE)})
    plugin_env = {
        **env,
        "PYTHONPATH": str(PLUGIN_DIR),
        "GATEUI_EVENTS": "/dev/null",
        "GATEUI_COLLECT_ITEMS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    collect = [str(PYTHON), "-m", "pytest", "--collect-only", "-q", *NO_CACHE]
    plugin = [str(PYTHON), "-m", "pytest", "-p", "gateui_events", "--collect-only", "-qq"]
    return {
        "discover": ([str(GATEUI), "discover", "--json", str(repo)], env),
        "collect": (collect, env),
        "collect+plugin": (plugin, plugin_env),
    }


def run_static(repo: Path) -> dict[str, float]:
    result = subprocess.run(
        [str(PYTHON), "-c", _STATIC_SNIPPET, str(repo)],
        env=bench_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, float] = json.loads(result.stdout)
    return data


def warm_up_and_check(
    repo: Path, the_arms: dict[str, tuple[list[str], dict[str, str]]], expected: int
) -> None:
    """One untimed round that also proves each arm sees every test."""
    static = run_static(repo)
    argv, env = the_arms["discover"]
    out = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, check=True)
    project = json.loads(out.stdout)["projects"][0]
    argv, env = the_arms["collect"]
    collected = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, check=True)
    last = collected.stdout.strip().splitlines()[-1]
    argv, env = the_arms["collect+plugin"]
    subprocess.run(argv, cwd=repo, env=env, capture_output=True, check=True)
    problems = []
    if static["tests"] != expected:
        problems.append(f"static scan found {static['tests']}")
    if project["tests"] != expected or project["collection_errors"]:
        problems.append(f"discover: {project['tests']} tests, {project['collection_errors']}")
    if not last.startswith(f"{expected} tests collected"):
        problems.append(f"pytest --collect-only said {last!r}")
    if problems:
        raise SystemExit("sanity check failed: " + "; ".join(problems))
    print(f"  warm-up ok: static, discover and pytest each found {expected} tests")


def profile(repo: Path, out: Path, top: int = 25) -> None:
    import pstats

    argv = [str(PYTHON), "-c", _PROFILE_SNIPPET, str(out), str(repo)]
    print(f"\nprofile (cmd_discover's steps in one thread): {shlex.join(argv[:2])} ...")
    env = bench_env({"PYTEST_ADDOPTS": " ".join(NO_CACHE)})
    subprocess.run(argv, cwd=repo, env=env, stdout=subprocess.DEVNULL, check=True)
    stats = pstats.Stats(str(out))
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, one repetition: a smoke check")
    parser.add_argument("--reps", type=int, default=3, help="timed repetitions (default 3)")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="also cProfile discovery")
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    args = parser.parse_args()
    modules, tests, packages = (30, 200, 4) if args.quick else (3000, 20000, 60)
    if args.quick:
        args.reps = 1

    print(f"command: {command_line()}")
    print(f"machine: {machine()}")
    fingerprint = source_fingerprint()
    print(f"gateui: {fingerprint}")
    print(f"at start: {load_average()}")
    tmp = Path(tempfile.mkdtemp(prefix="gateui-bench-discovery-"))
    repo = tmp / "repo"
    total = generate_repo(repo, modules, 0, packages=packages, total_tests=tests)
    git_commit_all(repo)
    print(f"repo: {repo} ({modules} modules in {packages} packages, {total} tests)")
    the_arms = arms(repo)
    snippet = [str(PYTHON), "-c", "<load_projects + scan_project>", str(repo)]
    print(f"arm static: {shlex.join(snippet)}")
    for name, (argv, _) in the_arms.items():
        print(f"arm {name}: {shlex.join(argv)}")
    warm_up_and_check(repo, the_arms, total)

    static_runs: list[dict[str, float]] = []
    times: dict[str, list[Timing]] = {name: [] for name in the_arms}
    for rep in range(1, args.reps + 1):
        static_runs.append(run_static(repo))
        for name, (argv, env) in the_arms.items():
            times[name].append(time_command(argv, repo, env))
        cells = [f"{k}={v[-1].wall_s:.3f}s/{v[-1].cpu_s:.3f}cpu" for k, v in times.items()]
        scan = static_runs[-1]["load_projects_s"] + static_runs[-1]["scan_s"]
        print(f"  rep {rep}: static={scan:.3f}s  " + "  ".join(cells), flush=True)

    def static_median(key: str) -> float:
        return median([run[key] for run in static_runs])

    scan_total = median([r["load_projects_s"] + r["scan_s"] for r in static_runs])
    print(f"\n{total} tests in {modules} modules, {args.reps} repetitions, medians")
    print(
        table(
            ["static step (in-process)", "median s"],
            [
                [
                    "import gateui.core.discovery.discover (+ static_scan)",
                    f"{static_median('import_s'):.3f}",
                ],
                [
                    "load_projects (git ls-files, configs)",
                    f"{static_median('load_projects_s'):.3f}",
                ],
                ["scan_project", f"{static_median('scan_s'):.3f}"],
                ["(a) load_projects + scan_project", f"{scan_total:.3f}"],
                ["static_view (scan again + suites)", f"{static_median('static_view_s'):.3f}"],
            ],
        )
    )
    print()
    base_wall = [t.wall_s for t in times["collect"]]
    base_cpu = [t.cpu_s for t in times["collect"]]
    rows = []
    for name, label in (
        ("discover", "(b) gateui discover --json"),
        ("collect", "(c) pytest --collect-only -q"),
        ("collect+plugin", "pytest + gateui plugin, -qq, items"),
    ):
        walls = [t.wall_s for t in times[name]]
        cpus = [t.cpu_s for t in times[name]]
        wall_ratio = median([w / b for w, b in zip(walls, base_wall, strict=True)])
        cpu_ratio = median([c / b for c, b in zip(cpus, base_cpu, strict=True)])
        rows.append(
            [
                label,
                f"{median(walls):.3f}",
                f"{min(walls):.3f}..{max(walls):.3f}",
                f"{wall_ratio:.3f}",
                f"{median(cpus):.3f}",
                f"{cpu_ratio:.3f}",
            ]
        )
    header = ["arm", "wall median s", "wall min..max s", "wall / (c)", "CPU median s", "CPU / (c)"]
    print(table(header, rows))
    print("(ratios: median over repetitions of arm / (c) in the same repetition)")
    if args.profile:
        profile(repo, args.profile)
    print(f"at end: {load_average()}")
    if source_fingerprint() != fingerprint:
        print(f"WARNING: gateui's source changed during the run (now {source_fingerprint()})")
    if args.keep:
        print(f"kept: {repo}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

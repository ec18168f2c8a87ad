# ruff: noqa: E501  (tables and generated source read better unwrapped)
"""Recording overhead: a full run with dependency recording (``gateui run``, recording is on by
default) against plain ``python -m pytest`` on the same tests.

Arms, run in turn within each round, every other round in reverse (A B C D E, E D C B A, ...; one
plain pytest run first as a warm-up, discarded), same interpreter (gateui's venv python), ``-p no:cacheprovider``,
PYTHONDONTWRITEBYTECODE=1, output to /dev/null:

  pytest            python -m pytest -p no:cacheprovider
  plugin            the same plus gateui's event plugin (-p gateui_events), events to /dev/null,
                    no recording: what streaming costs inside pytest
  plugin+record     the same with GATEUI_RECORD set: the recorder inside pytest (call-only
                    sys.settrace on 3.11), without gateui's parent process
  gateui-no-record  gateui run --no-record -C REPO -- -p no:cacheprovider
  gateui-record-all gateui run -C REPO -- -p no:cacheprovider after removing the dependency
                    store (untimed): every test records, as in a repository's first run
  gateui-cold       gateui run -C REPO -- -p no:cacheprovider after removing the note of the
                    last run's project (untimed): no warm process started early, pytest cold
  gateui            the same command on the tree as the last arm left it (records: plugin +
                    parent process writing the dependency database; tests whose recordings are
                    current are not recorded again, so on an unchanged tree none is)

Repositories: the demo repository (44 tests, 0.6 s of them deliberately sleeping) and a
generated repository of 2,000 tests calling into a package (``calc``: loops, small classes,
functions calling each other; see selection_kit.generate_call_repo).

Reported per arm: median wall seconds, median CPU seconds (user+sys of the command and its
children), and the median of per-round ratios to ``pytest`` for both; then the dependency store's
size after the last recorded run, per 10,000 tests. Targets (issue 14): ``gateui`` / ``pytest``
≤ 1.15 on Python 3.11, ≤ 1.05 where ``sys.monitoring`` exists (3.12+), judged from the 95%
interval of the median wall ratio (met / MISSED / cannot tell, as in ``run_overhead.py``);
store ≤ 10 MB per 10,000 tests.

``--arms A,B`` keeps only these arms (``pytest`` always runs): fewer arms, more rounds in the same
time. ``--corpus-only`` leaves out the demo and the generated repository.

``--corpus NAMES`` adds projects of ``bench/real_projects.py`` (each its pinned sdist with its
tests and a venv of its pinned test dependencies, made from ``--python`` when given, gateui's
arms pointed at it through ``[tool.gateui] python``; warm processes on, as a user has them).

``--python BASE`` runs the tests with a benchmark virtualenv made from BASE (``--pytest`` pins its
pytest, 9.2.0 by default); the gateui arms reach it through ``[tool.gateui] python``, committed in
each repository. ``--real`` adds real projects from pinned sdists (``_interpreters.REAL_PROJECTS``),
downloaded once into the bench cache. gateui's own source is byte-compiled first, as an install
does (the arms run with PYTHONDONTWRITEBYTECODE=1 to keep the repositories clean).

``--profile`` (automatic when the generated repo's gateui/pytest CPU ratio is above 1.15): one
in-process pytest run under cProfile with -p gateui_events, GATEUI_RECORD and GATEUI_EVENTS set
(PYTHONPATH=src/gateui/pytest_plugin), and the top functions of the plugin's module and overall;
then, because cProfile cannot see trace functions nor audit hooks called from them, a census of
the audit events a recorded run raises, and in-process CPU of recorder variants patched in the
benchmark's subprocess only (no audit hook; a trace function without audited operations).
"""

from __future__ import annotations

import argparse
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _interpreters import (
    REAL_PROJECTS,
    add_interpreter_options,
    bench_venv,
    compile_gateui,
    has_monitoring,
    real_project,
    use_interpreter,
)
from _util import chosen_arms, forget_recordings, forget_warm_hint, target_verdict
from real_projects import PROJECTS, configure, prepare
from selection_kit import (
    DEMO,
    GATEUI,
    NO_CACHE,
    PLUGIN_DIR,
    PYTHON,
    bench_env,
    command_line,
    fresh_git_copy,
    gateui_revision,
    generate_call_repo,
    load_average,
    machine,
    median,
    table,
)

ARMS = (
    "pytest",
    "plugin",
    "plugin+record",
    "gateui-no-record",
    "gateui-record-all",
    "gateui-cold",
    "gateui",
)
TARGET = 1.15


# The interpreter of the pytest arms; ``--python`` replaces it by a benchmark virtualenv (the
# gateui arms then reach it through ``[tool.gateui] python`` in each repository).
TARGET_PYTHON = PYTHON
MONITORED = hasattr(sys, "monitoring")


def argv_env(arm: str, repo: Path, python: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """``python``: the tests' interpreter (default ``TARGET_PYTHON``), a project's own venv whose
    pytest plugins all belong to it (gateui's development plugins are not turned off there);
    gateui's arms find it in the repository's ``[tool.gateui] python``."""
    pytest = [str(python or TARGET_PYTHON), "-m", "pytest", *NO_CACHE, "-q"]
    plugin_env = {"PYTHONPATH": str(PLUGIN_DIR), "GATEUI_EVENTS": os.devnull}
    extra: dict[str, str] = {}
    if arm == "plugin":
        pytest, extra = [*pytest, "-p", "gateui_events"], plugin_env
    elif arm == "plugin+record":
        pytest, extra = [*pytest, "-p", "gateui_events"], {**plugin_env, "GATEUI_RECORD": str(repo)}
    elif arm == "gateui-no-record":
        pytest = [str(GATEUI), "run", "--no-record", "-C", str(repo), "--", *NO_CACHE]
    elif arm != "pytest":
        pytest = [str(GATEUI), "run", "-C", str(repo), "--", *NO_CACHE]
    env = bench_env(extra)
    if python is not None:
        env.pop("PYTEST_ADDOPTS", None)
    return pytest, env


def timed(
    argv: Sequence[str], cwd: Path, env: dict[str, str], expected: int = 0
) -> tuple[float, float]:
    """Wall and CPU seconds of one run, which must exit with ``expected``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != expected:
        raise RuntimeError(f"exit {result.returncode} (expected {expected}): {' '.join(argv)}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(
    repo: Path, rounds: int, python: Path | None = None, arms: Sequence[str] = ARMS
) -> dict[str, list[tuple[float, float]]]:
    samples: dict[str, list[tuple[float, float]]] = {arm: [] for arm in arms}
    warm_argv, warm_env = argv_env("pytest", repo, python)
    # Warm-up, discarded. A real project may have tests that fail in this environment: every
    # arm must then end as plain pytest did.
    expected = subprocess.run(
        warm_argv, cwd=repo, env=warm_env, capture_output=True, check=False
    ).returncode
    if expected not in (0, 1):
        raise RuntimeError(f"plain pytest exited {expected} in {repo}: {' '.join(warm_argv)}")
    for index in range(rounds):
        # Every other round in reverse: no arm always runs after the same one.
        for arm in arms if index % 2 == 0 else arms[::-1]:
            argv, env = argv_env(arm, repo, python)
            if arm == "gateui-record-all":
                forget_recordings(repo)
            elif arm == "gateui-cold":
                forget_warm_hint(repo)
            samples[arm].append(timed(argv, repo, env, expected))
    return samples


def report(
    name: str, tests: int, samples: dict[str, list[tuple[float, float]]]
) -> tuple[list[list[str]], dict[str, tuple[float, float]]]:
    rows = []
    ratios: dict[str, tuple[float, float]] = {}
    base = samples["pytest"]
    for arm in samples:
        walls = [w for w, _ in samples[arm]]
        cpus = [c for _, c in samples[arm]]
        wall_ratio = median([w / b[0] for (w, _), b in zip(samples[arm], base, strict=True)])
        cpu_ratio = median([c / b[1] for (_, c), b in zip(samples[arm], base, strict=True)])
        ratios[arm] = (wall_ratio, cpu_ratio)
        rows.append(
            [
                name if arm == "pytest" else "",
                f"{tests}" if arm == "pytest" else "",
                arm,
                f"{median(walls):.2f}",
                f"{wall_ratio:.2f}",
                f"{median(cpus):.2f}",
                f"{cpu_ratio:.2f}",
            ]
        )
    return rows, ratios


PROFILE_RUNNER = r"""
import cProfile, os, sys
import pytest
out = sys.argv[1]
prof = cProfile.Profile()
prof.enable()
code = pytest.main(["-p", "no:cacheprovider", "-q", "-p", "gateui_events"])
prof.disable()
prof.dump_stats(out)
sys.exit(int(code))
"""

# In-process variants of the recorder, patched in this subprocess only (gateui is not modified):
#   record            as shipped
#   no-audit-hook     sys.addaudithook made a no-op before the plugin loads: no file reads
#                     recorded, and no Python call per audited event
# (A third variant, a tracer that reads frame.f_code once and calls no id(), is what ships now.)
VARIANT_RUNNER = r"""
import collections, os, sys, time
mode = sys.argv[1]
os.environ["GATEUI_EVENTS"] = os.devnull
if mode != "off":
    os.environ["GATEUI_RECORD"] = os.getcwd()
import gateui_events as ge
if mode == "no-audit-hook":
    sys.addaudithook = lambda hook: None
census = collections.Counter()
if mode == "census":
    os.environ["GATEUI_RECORD"] = os.getcwd()
    sys.addaudithook(lambda event, args: census.__setitem__(event, census[event] + 1))
import pytest
started = time.process_time()
code = pytest.main(["-p", "no:cacheprovider", "-q", "-p", "gateui_events"])
print("CPU", time.process_time() - started)
for event, count in census.most_common(6):
    print("AUDIT", event, count)
sys.exit(int(code))
"""
VARIANTS = ("off", "record", "no-audit-hook")


def run_variant(repo: Path, runner: Path, mode: str) -> tuple[float, list[tuple[str, int]]]:
    env = bench_env({"PYTHONPATH": str(PLUGIN_DIR)})
    out = subprocess.run(
        [str(PYTHON), str(runner), mode],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = next(float(line.split()[1]) for line in out.splitlines() if line.startswith("CPU "))
    audit = [
        (line.split()[1], int(line.split()[2]))
        for line in out.splitlines()
        if line.startswith("AUDIT ")
    ]
    return cpu, audit


def profile(repo: Path, work: Path, tests: int, rounds: int) -> None:
    stats_file = work / "record.prof"
    runner = work / "profile_runner.py"
    runner.write_text(PROFILE_RUNNER)
    env = bench_env(
        {"PYTHONPATH": str(PLUGIN_DIR), "GATEUI_EVENTS": os.devnull, "GATEUI_RECORD": str(repo)}
    )
    subprocess.run(
        [str(PYTHON), str(runner), str(stats_file)],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    stats = pstats.Stats(str(stats_file))
    total = stats.total_tt  # type: ignore[attr-defined]
    entries = []
    for (filename, line, func), (_, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        entries.append((tt, ct, nc, f"{Path(filename).name}:{line}({func})", filename))
    print(
        f"\n## cProfile of one in-process recorded run ({tests} generated tests), total {total:.2f} s"
    )
    print("(cProfile does not see the trace function, nor audit hooks called from inside it:")
    print(" Python runs those with profiling off. Read the shares, not the seconds.)\n")
    plugin = [e for e in entries if "gateui_events" in e[4]]
    rows = [
        [name, str(nc), f"{tt:.3f}", f"{ct:.3f}", f"{100 * tt / total:.1f}%"]
        for tt, ct, nc, name, _ in sorted(plugin, reverse=True)[:8]
    ]
    print("Plugin functions by own time:\n")
    print(table(["function", "calls", "own s", "cumulative s", "share of run"], rows))
    rows = [
        [name, str(nc), f"{tt:.3f}", f"{100 * tt / total:.1f}%"]
        for tt, ct, nc, name, _ in sorted(entries, reverse=True)[:8]
    ]
    print("\nAll functions by own time:\n")
    print(table(["function", "calls", "own s", "share of run"], rows))

    variant_runner = work / "variant_runner.py"
    variant_runner.write_text(VARIANT_RUNNER)
    _, census = run_variant(repo, variant_runner, "census")
    print(
        f"\n## Audit events during one recorded run ({tests} tests; each one is a Python call into"
    )
    print("the recorder's audit hook, which only wants 'open')\n")
    print(
        table(
            ["audit event", "count", "per test"],
            [[e, str(c), f"{c / tests:.0f}"] for e, c in census],
        )
    )
    cpus: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for _ in range(rounds):
        for variant in VARIANTS:
            cpus[variant].append(run_variant(repo, variant_runner, variant)[0])
    base = cpus["off"]
    print(
        f"\n## Recorder variants, in-process pytest CPU seconds ({rounds} alternating rounds, medians)\n"
    )
    rows = []
    for variant in VARIANTS:
        ratio = median([c / b for c, b in zip(cpus[variant], base, strict=True)])
        rows.append([variant, f"{median(cpus[variant]):.2f}", f"{ratio:.2f}"])
    print(
        table(
            ["variant (plugin loaded in all)", "CPU s", "ratio to plugin without recording"], rows
        )
    )


def summary_parts(ratios: dict[str, tuple[float, float]], gateui_walls: list[float]) -> list[str]:
    """One repository's verdict and the ratios behind it, for the arms that ran."""
    parts = []
    if "gateui" in ratios:
        wall, cpu = ratios["gateui"]
        limit = 1.05 if MONITORED else TARGET
        # From the interval of the median wall ratio: a few rounds decide nothing.
        verdict = target_verdict(gateui_walls, limit)
        parts.append(f"gateui/pytest wall {wall:.2f}, CPU {cpu:.2f}; target ≤ {limit}: {verdict}")
    if "plugin" in ratios and "plugin+record" in ratios:
        wall = ratios["plugin+record"][0] / ratios["plugin"][0]
        cpu = ratios["plugin+record"][1] / ratios["plugin"][1]
        parts.append(
            f"recording inside pytest alone (plugin+record/plugin): wall {wall:.2f}, CPU {cpu:.2f}"
        )
    for arm, what in (
        ("gateui-no-record", "streaming alone"),
        ("gateui-record-all", "every test recorded"),
        ("gateui-cold", "no warm process"),
    ):
        if arm in ratios:
            wall, cpu = ratios[arm]
            parts.append(f"{what} ({arm}/pytest): wall {wall:.2f}, CPU {cpu:.2f}")
    return parts


def _version(python: Path) -> str:
    return subprocess.run(
        [str(python), "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def store_size(repo: Path) -> list[str]:
    """The dependency store after the last recorded run: recorded tests, bytes (database plus
    its write-ahead log), and MB per 10,000 tests."""
    import sqlite3

    folder = repo / ".gateui"
    size = sum(p.stat().st_size for p in folder.glob("deps.sqlite*") if p.is_file())
    with sqlite3.connect(folder / "deps.sqlite") as db:
        (tests,) = db.execute("SELECT COUNT(*) FROM tests").fetchone()
    per_10k = size / 1e6 * 10_000 / tests if tests else 0.0
    return [str(tests), str(size), f"{per_10k:.1f}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 round, 20 generated tests, no profile: a smoke check",
    )
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--arms", help=f"only these arms, comma-separated, of {', '.join(ARMS[1:])} (pytest runs)"
    )
    parser.add_argument(
        "--corpus-only", action="store_true", help="no demo, no generated repository"
    )
    parser.add_argument("--tests", type=int, default=None, help="generated tests (default 2000)")
    parser.add_argument("--profile", action="store_true", help="always run the cProfile step")
    parser.add_argument("--no-profile", action="store_true", help="never run the cProfile step")
    add_interpreter_options(parser, "pytest==9.2.0")
    parser.add_argument(
        "--real",
        action="store_true",
        help="also the real projects (pinned sdists, downloaded once)",
    )
    parser.add_argument(
        "--corpus",
        metavar="NAMES",
        help="also these projects of bench/real_projects.py (comma-separated), each with its "
        "pinned test dependencies, in a venv made from --python (default: this interpreter)",
    )
    args = parser.parse_args()
    unknown = [n for n in (args.corpus or "").split(",") if n and n not in PROJECTS]
    if unknown:
        parser.error(f"--corpus: unknown project {unknown[0]!r} (known: {', '.join(PROJECTS)})")
    try:
        arms = chosen_arms(args.arms, ARMS)
    except ValueError as exc:
        parser.error(str(exc))
    if args.corpus_only and not args.corpus:
        parser.error("--corpus-only needs --corpus")
    global TARGET_PYTHON, MONITORED
    if args.python is not None:
        TARGET_PYTHON = bench_venv(args.python, args.pytest)
        MONITORED = has_monitoring(TARGET_PYTHON)
    rounds = args.rounds or (1 if args.quick else 4)
    tests = args.tests or (20 if args.quick else 2000)
    work = Path(tempfile.mkdtemp(prefix="gateui-recording-overhead-"))
    print(f"# {command_line()}")
    print(
        f"# {machine()}; {gateui_revision()}; tests run by {TARGET_PYTHON} ({_version(TARGET_PYTHON)}); sys.monitoring: {MONITORED}"
    )
    print(f"# at start: {load_average()}")
    try:
        compile_gateui(TARGET_PYTHON)
        demo = fresh_git_copy(DEMO, work / "demo")
        source = work / "calls-source"
        count = generate_call_repo(source, tests=tests)
        calls = fresh_git_copy(source, work / "calls")
        all_rows: list[list[str]] = []
        results = {}
        repos = [("demo", demo, 44), (f"generated ({count} tests)", calls, count)]
        if args.corpus_only:
            repos = []
        if args.real:
            for project in REAL_PROJECTS:
                repos.append(
                    (
                        f"{project} ({REAL_PROJECTS[project][0]})",
                        real_project(project, work / project),
                        0,
                    )
                )
        if args.python is not None:
            for _, repo, _ in repos:
                use_interpreter(repo, TARGET_PYTHON)
        # Projects of the warm-runner corpus, each with its own pinned test dependencies in a
        # venv of its own (made from this interpreter).
        corpus_python: dict[Path, Path] = {}
        for project in [n for n in (args.corpus or "").split(",") if n]:
            tree, python = prepare(project, args.python)
            copy = work / f"{project}-source"
            shutil.copytree(tree, copy)
            # Warm processes as a user has them (on): a `gateui run` starts its own early.
            configure(copy, project, python)
            repo = fresh_git_copy(copy, work / project)
            corpus_python[repo] = python
            compile_gateui(python)
            repos.append((f"{project} ({PROJECTS[project].sdist})", repo, 0))
        sizes = []
        gateui_walls: dict[str, list[float]] = {}
        for name, repo, n in repos:
            clock = time.perf_counter()
            samples = measure(repo, rounds, corpus_python.get(repo), arms)
            size = store_size(repo)
            # A real project's tests are counted by what the last recorded run stored.
            rows, ratios = report(name, n or int(size[0]), samples)
            all_rows += rows
            results[name] = ratios
            gateui_walls[name] = [
                w / b[0]
                for (w, _), b in zip(samples.get("gateui", []), samples["pytest"], strict=False)
            ]
            sizes.append([name, *size])
            print(
                f"# {name}: {rounds} rounds in {time.perf_counter() - clock:.0f} s; {load_average()}",
                flush=True,
            )
        print()
        print(
            table(
                [
                    "repo",
                    "tests",
                    "arm",
                    "wall s (median)",
                    "wall ratio",
                    "CPU s (median)",
                    "CPU ratio",
                ],
                all_rows,
            )
        )
        print()
        for name, ratios in results.items():
            print(f"# {name}: " + "; ".join(summary_parts(ratios, gateui_walls[name])))
        target = 1.05 if MONITORED else TARGET
        print(f"# target for gateui/pytest with recording on this interpreter: ≤ {target}")
        print()
        print(table(["repo", "recorded tests", "store bytes", "MB per 10,000 tests"], sizes))
        print(f"# at end: {load_average()}")
        generated = results.get(f"generated ({count} tests)", {}).get("gateui", (0.0, 0.0))
        if args.profile or (generated[1] > TARGET and not args.quick and not args.no_profile):
            profile(calls, work, count, 2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

# ruff: noqa: E501  (tables and generated source read better unwrapped)
"""Feedback latency: from a file write to the first result, ``gateui watch`` against plain pytest
started by hand on the same tests.

Setup: a fresh git copy of a repository with a recorded full run (``gateui run``), then
``gateui watch --no-tui --json -C REPO -- -p no:cacheprovider`` is started once and its stdout
read line by line in a thread, each line timestamped (time.perf_counter) as it arrives.

Each edit inserts a new statement at the top of one function's body (rotating over a few
functions in different files), so that it is a real change of that function and selects the
tests that executed it. Per edit, alternating:

  gateui   write the file (t0) → the first ``{"event": "test", ...}`` line on watch's stdout (t1).
           Also: t0 → the ``cycle`` header (change seen, debounced, selected).
  pytest   ``python -m pytest -v -p no:cacheprovider <the node ids that cycle ran>`` with
           PYTHONUNBUFFERED=1, spawned at t0 (the moment a person would have typed it, with no
           time for typing) → its first result line on stdout (`` PASSED``/``FAILED``/...).

Each repository is measured twice, each arm on its own fresh copy: ``gateui watch`` with its warm
test process (runs forked from a process that has pytest and the tests' libraries imported), and
cold (``[tool.gateui] warm = false`` committed in the copy). The pytest-by-hand baseline runs
alternately with each arm's edits.

Medians over the edits (default 9; --quick 1); targets: warm gateui / pytest ≤ 0.6 on the demo,
cold gateui / pytest ≤ 1.1.
Repositories: the demo repository (bookshelf, 44 tests), the generated re-export repository
(440 tests; see selection_kit.generate_reexport_repo), and real projects from the package index
(bench/real_projects.py: pinned sdists and test dependencies, cached under ~/.cache/gateui-bench).
``--repos`` picks some. ``--no-record``: watch mode records nothing, to tell what recording adds
to the first result.

The warm target on a real project, ≤ 0.3, holds where its test imports take ≥ 0.5 s (issue 14):
after the warm arm, the benchmark measures them (bench/_import_cost.py) — the modules plain pytest
imported from the standard library and site-packages on the very tests the edits ran (one more
run of its own, untimed), imported in a fresh interpreter of the project's environment, beyond a
bare interpreter start, median of alternating rounds (default 5; --quick 1) — and says whether the
target applies.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _import_cost import ImportCost, import_cost, imported_by_pytest, preload_list, write_lister
from real_projects import PROJECTS, configure, prepare
from selection_kit import (
    DEMO,
    GATEUI,
    NO_CACHE,
    PROBE_MODULE,
    PYTHON,
    bench_env,
    command_line,
    fresh_git_copy,
    gateui_events,
    gateui_revision,
    generate_reexport_repo,
    load_average,
    machine,
    median,
    table,
    write_probe,
)

# (file, the function's ``def`` line): the edit goes right after it.
EDIT_TARGETS = {
    "demo": [
        ("src/bookshelf/loans.py", "def due_date(start: date, days: int = LOAN_DAYS) -> date:\n"),
        ("src/bookshelf/search.py", "def tokenize(text: str) -> list[str]:\n"),
        ("src/bookshelf/isbn.py", "def format_isbn13(isbn: str) -> str:\n"),
    ],
    "gen": [
        ("src/genpkg/mod_07.py", "def f_07_a(x):\n"),
        ("src/genpkg/mod_21.py", "def f_21_b(x, offset=21):\n"),
        ("src/genpkg/mod_33.py", "def f_33_c(x):\n"),
    ],
    "flask-sqlalchemy": [
        ("src/flask_sqlalchemy/model.py", "def camel_to_snake_case(name: str) -> str:\n"),
        (
            "src/flask_sqlalchemy/record_queries.py",
            "def get_recorded_queries() -> list[_QueryInfo]:\n",
        ),
        ("src/flask_sqlalchemy/model.py", "def should_set_tablename(cls: type) -> bool:\n"),
    ],
    "marshmallow-sqlalchemy": [
        ("src/marshmallow_sqlalchemy/convert.py", "def _has_default(column):\n"),
        ("src/marshmallow_sqlalchemy/fields.py", "def get_primary_keys(model):\n"),
        ("src/marshmallow_sqlalchemy/convert.py", "def _is_auto_increment(column):\n"),
    ],
    "formulaic": [
        ("formulaic/transforms/lag.py", "def lag(data: Any, k: int = 1) -> Any:\n"),
        (
            "formulaic/transforms/hashed.py",
            "def md5_to_int(s: str) -> int:  # pragma: no cover; branched code\n",
        ),
        (
            "formulaic/utils/calculus.py",
            "def _factor_symbols(factor: Factor, use_sympy: bool = False) -> set[str]:\n",
        ),
    ],
    "matplotlib-scalebar": [
        ("matplotlib_scalebar/dimension.py", "    def to_latex(self, units):\n"),
        ("matplotlib_scalebar/scalebar.py", "def _validate_legend_loc(loc):\n"),
        ("matplotlib_scalebar/dimension.py", "    def calculate_preferred(self, value, units):\n"),
    ],
    "mizani": [
        ("mizani/labels.py", 'def ordinal(n: float, prefix="", suffix="", big_mark=""):\n'),
        ("mizani/utils.py", "def get_timezone(x: Sequence[datetime]) -> tzinfo | None:\n"),
        (
            "mizani/palettes.py",
            "def xkcd_palette(colors: Sequence[str]) -> Sequence[RGBHexColor]:\n",
        ),
    ],
    "starlette": [
        ("starlette/requests.py", "def cookie_parser(cookie_string: str) -> dict[str, str]:\n"),
        (
            "starlette/authentication.py",
            "def has_required_scope(conn: HTTPConnection, scopes: typing.Sequence[str]) -> bool:\n",
        ),
        ("starlette/formparsers.py", "def _user_safe_decode(src: bytes, codec: str) -> str:\n"),
    ],
}
RESULT_LINE = re.compile(r" (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")
TARGETS = {"warm": 0.6, "cold": 1.1}
WARM_TARGET_HEAVY = 0.3
"""Warm target on real projects whose test imports take ≥ 0.5 s (issue 14)."""
HEAVY_IMPORTS_S = 0.5
"""The test imports (by hand, beyond a bare interpreter) from which WARM_TARGET_HEAVY applies."""
REPOSITORIES = ("demo", "gen", *PROJECTS)


BYTECODE = [False]
"""``--bytecode``: let both arms write and use ``__pycache__`` (as a user's pytest does)."""
NO_RECORD = [False]
"""``--no-record``: watch mode records nothing (the full run before it still does, so selection
works): what recording costs a watch run's first result."""


def arm_env(extra: dict[str, str]) -> dict[str, str]:
    env = bench_env(extra)
    if BYTECODE[0]:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


class LineReader:
    """Timestamps every stdout line of a process as it arrives."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[tuple[float, str | None]] = queue.Queue()
        self.thread = threading.Thread(target=self._pump, args=(proc,), daemon=True)
        self.thread.start()

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.put((time.perf_counter(), line))
        self.lines.put((time.perf_counter(), None))

    def next(self, timeout: float) -> tuple[float, str | None]:
        return self.lines.get(timeout=timeout)


def wait_event(reader: LineReader, name: str, timeout: float = 120) -> tuple[float, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        at, line = reader.next(max(0.1, deadline - time.monotonic()))
        if line is None:
            raise RuntimeError(f"gateui watch ended while waiting for {name!r}")
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event.get("event") == name:
            return at, event


def drain(reader: LineReader, quiet: float) -> list[dict[str, Any]]:
    """Read until nothing arrives for ``quiet`` seconds."""
    seen: list[dict[str, Any]] = []
    while True:
        try:
            _, line = reader.next(quiet)
        except queue.Empty:
            return seen
        if line is None:
            return seen
        with contextlib.suppress(json.JSONDecodeError):
            seen.append(json.loads(line))


def edit(repo: Path, target: tuple[str, str], number: int) -> tuple[float, float]:
    """Insert ``_edit = number`` at the top of the function (a method's too: indented one level
    below its ``def``); (perf_counter, time.time) at the write."""
    path = repo / target[0]
    text = path.read_text()
    marker = "_edit = "
    lines = text.split("\n")
    text = "\n".join(line for line in lines if not line.lstrip().startswith(marker))
    if text.count(target[1]) != 1:
        raise RuntimeError(f"{target}: def line not found exactly once")
    indent = target[1][: len(target[1]) - len(target[1].lstrip())] + "    "
    new = text.replace(target[1], f"{target[1]}{indent}{marker}{number}\n")
    started, wall = time.perf_counter(), time.time()
    path.write_text(new)
    return started, wall


def probe_times(path: Path) -> dict[str, float]:
    """process_start, configured_at, first_result_at (time.time) from the probe's file."""
    found: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            item = json.loads(line)
            for key in ("process_start", "configured_at", "first_result_at"):
                if key in item and key not in found and item[key] is not None:
                    found[key] = item[key]
    return found


def plain_pytest(
    repo: Path, nodeids: list[str], probe: Path, out: Path, python: Path = PYTHON
) -> dict[str, float]:
    """Spawn ``pytest -v`` on ``nodeids``: seconds to its first result line, and the probe's
    view from inside (process start, pytest_configure, first result)."""
    if out.exists():
        out.unlink()
    env = arm_env(
        {"PYTHONUNBUFFERED": "1", "PYTHONPATH": str(probe), "GATEUI_BENCH_PROBE": str(out)}
    )
    started, wall = time.perf_counter(), time.time()
    proc = subprocess.Popen(
        [str(python), "-m", "pytest", "-v", *NO_CACHE, "-p", PROBE_MODULE, *nodeids],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )
    reader = LineReader(proc)
    first = None
    while True:
        at, line = reader.next(120)
        if line is None:
            break
        if first is None and RESULT_LINE.search(line):
            first = at
    proc.wait()
    if first is None:
        raise RuntimeError(f"pytest printed no result line for {nodeids[:3]}")
    inside = probe_times(out)
    return {
        "total": first - started,
        "to_start": inside.get("process_start", wall) - wall,
        "to_configured": inside.get("configured_at", wall) - wall,
        "to_first": inside.get("first_result_at", wall) - wall,
    }


def measure(
    name: str, repo: Path, edits: int, probe: Path, warm: bool = True, python: Path = PYTHON
) -> list[dict[str, Any]]:
    """Per edit, alternating: gateui watch's cycle, then plain pytest on the same node ids."""
    if not warm:
        pyproject = repo / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        if "\nwarm = true\n" in text:  # a real project's copy (real_projects.configure)
            pyproject.write_text(text.replace("\nwarm = true\n", "\nwarm = false\n"))
        else:
            with pyproject.open("a", encoding="utf-8") as handle:
                handle.write("\n[tool.gateui]\nwarm = false\n")
        subprocess.run(
            [
                "git",
                "-c",
                "user.name=bench",
                "-c",
                "user.email=bench@invalid",
                "commit",
                "-qam",
                "cold",
            ],
            cwd=repo,
            check=True,
        )
    events = gateui_events(repo, [])  # the recorded full run
    assert any(e.get("event") == "summary" for e in events)
    watch_probe = repo.parent / f"{name}-watch-probe.jsonl"
    env = arm_env(
        {
            "PYTHONPATH": str(probe),
            "PYTEST_ADDOPTS": f"-p {PROBE_MODULE}",
            "GATEUI_BENCH_PROBE": str(watch_probe),
        }
    )
    proc = subprocess.Popen(
        [
            str(GATEUI),
            "watch",
            "--no-tui",
            "--json",
            *(["--no-record"] if NO_RECORD[0] else []),
            "-C",
            str(repo),
            "--",
            *NO_CACHE,
        ],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
        start_new_session=True,
    )
    reader = LineReader(proc)
    samples = []
    try:
        wait_event(reader, "idle", timeout=120)
        drain(reader, 0.5)
        targets = EDIT_TARGETS[name]
        for number in range(edits):
            target = targets[number % len(targets)]
            if watch_probe.exists():
                watch_probe.unlink()
            t0, wall0 = edit(repo, target, number)
            t_cycle, _ = wait_event(reader, "cycle")
            t_first, first = wait_event(reader, "test")
            rest = drain(reader, 0.6)
            ran = [first, *(e for e in rest if e.get("event") == "test")]
            # In gateui's run order (failed first, then fastest first): pytest runs command-line
            # node ids in the order given, so both start with the same test.
            nodeids = list(dict.fromkeys(e["nodeid"] for e in ran))
            inside = probe_times(watch_probe)
            baseline = plain_pytest(
                repo, nodeids, probe, repo.parent / f"{name}-pytest-probe.jsonl", python
            )
            samples.append(
                {
                    "edit": f"{target[0]}:{target[1].strip().split('(')[0][4:]}",
                    "gateui": t_first - t0,
                    "cycle": t_cycle - t0,
                    "child_start": inside.get("process_start", wall0) - wall0,
                    "child_configured": inside.get("configured_at", wall0) - wall0,
                    "child_first": inside.get("first_result_at", wall0) - wall0,
                    "nodeids": nodeids,
                    "later_cycles": sum(1 for e in rest if e.get("event") == "cycle"),
                    "pytest": baseline,
                }
            )
        return samples
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def measure_imports(
    name: str, repo: Path, python: Path, samples: list[dict[str, Any]], work: Path, rounds: int
) -> ImportCost:
    """The test imports of each set of tests the edits ran (by hand) and of the warm preload
    list."""
    sets = list(dict.fromkeys(tuple(s["nodeids"]) for s in samples))
    lister = write_lister(work / "lister")
    by_hand = [
        imported_by_pytest(
            repo,
            python,
            list(nodeids),
            lister,
            work / f"{name}-imports.json",
            arm_env({}),
            NO_CACHE,
        )
        for nodeids in sets
    ]
    return import_cost(
        python, by_hand, preload_list(repo), work / f"{name}-import-cost", arm_env({}), rounds
    )


def warm_fallbacks(repo: Path) -> list[str]:
    """What gateui's warm-process log says about runs that started cold (a warm arm whose runs
    were not forked measured a cold start)."""
    log = repo / ".gateui" / "warm.log"
    if not log.exists():
        return ["no warm-process log: no run was forked"]
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if "start cold" in line or "starts cold" in line]


def warm_target(name: str, arm: str, cost: ImportCost | None) -> float | None:
    """The ratio target of an arm; None where none applies (a real project whose test imports
    are under HEAVY_IMPORTS_S)."""
    if arm == "cold":
        return TARGETS["cold"]
    if name in ("demo", "gen"):
        return TARGETS["warm"]
    if cost is None or cost.by_hand_s < HEAVY_IMPORTS_S:
        return None
    return WARM_TARGET_HEAVY


def describe_imports(name: str, cost: ImportCost) -> str:
    heavy = cost.by_hand_s >= HEAVY_IMPORTS_S
    target = (
        f"the ≤ {WARM_TARGET_HEAVY} target applies"
        if heavy
        else f"under {HEAVY_IMPORTS_S} s, the ≤ {WARM_TARGET_HEAVY} target does not apply"
    )
    if name in ("demo", "gen"):
        target = f"its target is ≤ {TARGETS['warm']}"
    preload = (
        f"{1000 * cost.preload_s:.0f} ms ({cost.preload_modules} modules)"
        if cost.preload_s is not None
        else "none recorded"
    )
    return (
        f"# {name}: test imports by hand {1000 * cost.by_hand_s:.0f} ms for the lightest of "
        f"{cost.by_hand_sets} sets of tests ({cost.by_hand_modules} modules; the heaviest "
        f"{1000 * cost.by_hand_max_s:.0f} ms; pytest alone {1000 * cost.pytest_s:.0f} ms), warm "
        f"preload list {preload}, beyond a bare interpreter ({1000 * cost.bare_s:.0f} ms)"
        f"{f'; {cost.failed} names not importable, skipped' if cost.failed else ''}: {target}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="1 edit, 1 import round, demo repository only"
    )
    parser.add_argument("--edits", type=int, default=None)
    parser.add_argument(
        "--repos",
        default=None,
        help=f"comma-separated, of {', '.join(REPOSITORIES)} (default: all; --quick: demo)",
    )
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="both arms write and read __pycache__ (default: PYTHONDONTWRITEBYTECODE=1 in both)",
    )
    parser.add_argument(
        "--no-record",
        action="store_true",
        help="gateui watch --no-record (the recorded full run before it is unchanged)",
    )
    parser.add_argument(
        "--import-rounds",
        type=int,
        default=5,
        help="rounds of the test-import timing per project (--quick: 1)",
    )
    args = parser.parse_args()
    BYTECODE[0] = args.bytecode
    NO_RECORD[0] = args.no_record
    # A smoke check: every arm, table and verdict once; its figures are not read.
    edits = args.edits or (1 if args.quick else 9)
    chosen = (args.repos or ("demo" if args.quick else ",".join(REPOSITORIES))).split(",")
    unknown = sorted(set(chosen) - set(REPOSITORIES))
    if unknown:
        parser.error(f"--repos: unknown {', '.join(unknown)} (known: {', '.join(REPOSITORIES)})")
    work = Path(tempfile.mkdtemp(prefix="gateui-latency-"))
    print(f"# {command_line()}")
    print(f"# {machine()}; {gateui_revision()}")
    print(f"# at start: {load_average()}")
    import_rounds = 1 if args.quick else args.import_rounds
    rows: list[list[str]] = []
    breakdown: list[list[str]] = []
    summary: list[list[str]] = []
    verdicts: list[str] = []
    try:
        repos: list[tuple[str, Path, Path]] = []
        if "demo" in chosen:
            repos.append(("demo", fresh_git_copy(DEMO, work / "demo"), PYTHON))
        if "gen" in chosen:
            source = work / "gen-source"
            generate_reexport_repo(source)
            repos.append(("gen", fresh_git_copy(source, work / "gen"), PYTHON))
        for name in PROJECTS:
            if name in chosen:
                tree, python = prepare(name)
                copy = work / f"{name}-source"
                shutil.copytree(tree, copy)
                configure(copy, name, python)
                repos.append((name, fresh_git_copy(copy, work / name), python))
        probe = write_probe(work / "probe")
        arms = []
        for name, repo, python in repos:
            cold_copy = fresh_git_copy(repo, work / f"{name}-cold")
            arms.append((name, "warm", repo, True, python))
            arms.append((name, "cold", cold_copy, False, python))
        costs: dict[str, ImportCost] = {}
        for name, arm, repo, warm, python in arms:
            samples = measure(name, repo, edits, probe, warm, python)
            if warm:
                for line in dict.fromkeys(warm_fallbacks(repo)):
                    verdicts.append(f"# {name} (warm): WARNING: runs started cold: {line}")
                    print(verdicts[-1], flush=True)
                costs[name] = measure_imports(name, repo, python, samples, work, import_rounds)
                verdicts.append(describe_imports(name, costs[name]))
                print(verdicts[-1], flush=True)
            target = warm_target(name, arm, costs.get(name))
            project = name
            name = f"{name} ({arm})"
            for sample in samples:
                rows.append(
                    [
                        name,
                        sample["edit"],
                        str(len(sample["nodeids"])),
                        f"{1000 * sample['cycle']:.0f}",
                        f"{1000 * sample['gateui']:.0f}",
                        f"{1000 * sample['pytest']['total']:.0f}",
                        f"{sample['gateui'] / sample['pytest']['total']:.3f}",
                    ]
                )

            def ms(values: list[float]) -> str:
                return (
                    f"{abs(1000 * median(values)):.0f}"
                    if abs(median(values)) < 0.0005
                    else f"{1000 * median(values):.0f}"
                )

            breakdown.append(
                [
                    name,
                    "gateui watch",
                    ms([s["cycle"] for s in samples]),
                    ms([s["child_start"] for s in samples]),
                    ms([s["child_configured"] - s["child_start"] for s in samples]),
                    ms([s["child_first"] - s["child_configured"] for s in samples]),
                    ms([s["gateui"] - s["child_first"] for s in samples]),
                    ms([s["gateui"] for s in samples]),
                ]
            )
            breakdown.append(
                [
                    name,
                    "plain pytest",
                    "-",
                    ms([s["pytest"]["to_start"] for s in samples]),
                    ms([s["pytest"]["to_configured"] - s["pytest"]["to_start"] for s in samples]),
                    ms([s["pytest"]["to_first"] - s["pytest"]["to_configured"] for s in samples]),
                    ms([s["pytest"]["total"] - s["pytest"]["to_first"] for s in samples]),
                    ms([s["pytest"]["total"] for s in samples]),
                ]
            )
            ratio = median([s["gateui"] / s["pytest"]["total"] for s in samples])
            extra = sum(sample["later_cycles"] for sample in samples)
            if extra:
                verdicts.append(f"# {name}: WARNING: {extra} extra watch cycle(s) after an edit")
            if target is None:
                verdict = (
                    f"no target: test imports {1000 * costs[project].by_hand_s:.0f} ms "
                    f"< {1000 * HEAVY_IMPORTS_S:.0f} ms"
                )
            else:
                verdict = f"target ≤ {target}: {'MET' if ratio <= target else 'MISSED'}"
            verdicts.append(
                f"# {name}: median write→first result gateui {ms([s['gateui'] for s in samples])} ms, "
                f"plain pytest {ms([s['pytest']['total'] for s in samples])} ms; median ratio "
                f"{ratio:.3f} ({verdict})"
            )
            cost = costs.get(project)
            summary.append(
                [
                    name,
                    f"{1000 * cost.by_hand_s:.0f} to {1000 * cost.by_hand_max_s:.0f}"
                    if cost
                    else "-",
                    f"{1000 * cost.pytest_s:.0f}" if cost else "-",
                    f"{1000 * cost.preload_s:.0f}" if cost and cost.preload_s is not None else "-",
                    ms([s["gateui"] for s in samples]),
                    ms([s["pytest"]["total"] for s in samples]),
                    f"{ratio:.3f}",
                    "none (imports < 0.5 s)"
                    if target is None
                    else f"≤ {target}: {'met' if ratio <= target else 'missed'}",
                ]
            )
            print(f"# {name}: {edits} edits done; {load_average()}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(
        table(
            [
                "repo",
                "edited function",
                "tests run",
                "write→cycle ms",
                "gateui write→first result ms",
                "pytest start→first result ms",
                "ratio",
            ],
            rows,
        )
    )
    print()
    print("Medians, ms from the write (gateui) or from the spawn (pytest); the child's times come")
    print("from a probe plugin loaded in both (PYTEST_ADDOPTS for gateui's child), /proc for the")
    print("process start (10 ms resolution):")
    print()
    print(
        table(
            [
                "repo",
                "arm",
                "change seen + selected (cycle line)",
                "pytest process started",
                "start → pytest_configure",
                "configure → first result (in pytest)",
                "result → line read",
                "total",
            ],
            breakdown,
        )
    )
    print()
    print(
        "Per repository and arm, medians: test imports (by hand: what plain pytest imported on "
        "those tests from the standard library and site-packages; preload: the warm process's "
        "list), ms beyond a bare interpreter; write → first result:"
    )
    print()
    print(
        table(
            [
                "repo (arm)",
                "test imports by hand ms (lightest to heaviest set)",
                "of which pytest alone ms",
                "warm preload list ms",
                "gateui ms",
                "plain pytest ms",
                "ratio",
                "target",
            ],
            summary,
        )
    )
    print()
    for line in verdicts:
        print(line)
    print(f"# at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

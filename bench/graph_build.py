# ruff: noqa: E501  (tables and generated source read better unwrapped)
"""Import-graph build and warm re-selection on a generated repository of 3,000 Python files.

In-process on purpose (these are library functions, not a command): gateui's own venv python.

1. Build: ``ImportGraph(repo, layouts_for(...), repo_files(repo))`` from scratch (a fresh
   instance each time, so every file is read and parsed; the OS page cache is warm after the
   first build), and ``Selector(...)`` construction (the same plus the project list and the map),
   alternating, ``--rounds`` times; medians. Target (issue 3): ≤ 2 s for 3,000 modules.
2. Re-selection after one edit, with a warm Selector (what watch mode does per save): a recorded
   full run exists (``gateui run`` once), then per round one function body is edited (a new
   statement in ``fK``, which some tests call) and the time of ``selector.refresh([path])`` + ``selector.select(changes,
   envs)`` is measured, with ``changes`` = that one path (as watch mode passes it). Also timed
   separately: ``repo_files`` (git ls-files) and ``graph.update`` alone. Target: ≤ 50 ms.

The tree: 30 packages x 80 modules under ``src/big`` whose ``__init__`` re-exports their
modules, each module importing its sibling (relative), the same module of the previous package
(absolute) and, under ``if TYPE_CHECKING``, the top package; 568 test files importing one module
each; a root conftest (see selection_kit.generate_graph_repo).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from selection_kit import (
    command_line,
    fresh_git_copy,
    gateui_events,
    gateui_revision,
    generate_graph_repo,
    load_average,
    machine,
    median,
    table,
)

from gateui.core.discovery.discover import Project, load_projects
from gateui.core.layout.projects import repo_files
from gateui.core.running.results import ResultsStore
from gateui.core.selection._import_graph import ImportGraph, ProjectLayout, layouts_for
from gateui.core.selection.changes import ChangeSet, changed_files
from gateui.core.selection.depstore import DepStore
from gateui.core.selection.selector import ProjectSelection, Selector, environment_key

BUILD_TARGET_S = 2.0
RESELECT_TARGET_MS = 50.0

T = TypeVar("T")


def layouts(repo: Path, projects: list[Project]) -> list[ProjectLayout]:
    return layouts_for(
        repo, [(p.root, p.pytest_config.pythonpath if p.pytest_config else ()) for p in projects]
    )


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    gc.collect()
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 files, 1 round: a smoke check")
    parser.add_argument("--modules", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--no-record", action="store_true", help="skip the recorded full run")
    args = parser.parse_args()
    # A smoke check's 300 files still give each of the 30 packages a few modules (8).
    modules = args.modules or (300 if args.quick else 3000)
    rounds = args.rounds or (1 if args.quick else 7)
    work = Path(tempfile.mkdtemp(prefix="gateui-graph-build-"))
    print(f"# {command_line()}")
    print(f"# {machine()}; {gateui_revision()}")
    print(f"# at start: {load_average()}")
    try:
        source = work / "source"
        written = generate_graph_repo(source, modules=modules)
        repo = fresh_git_copy(source, work / "repo")
        projects = load_projects(repo)
        lays = layouts(repo, projects)
        files = repo_files(repo)
        py_files = sum(1 for f in files if str(f).endswith(".py"))
        print(
            f"# {written} Python files generated ({py_files} listed by git), {len(projects)} project(s)"
        )

        # -- 1. build -----------------------------------------------------------------------
        graph_s, graph_cpu, selector_s, files_s = [], [], [], []
        store = DepStore(repo)
        results = ResultsStore.load(repo)
        edges = 0
        for _ in range(rounds):
            t, listed = timed(lambda: repo_files(repo))
            files_s.append(t)
            cpu0 = time.process_time()
            t, graph = timed(partial(ImportGraph, repo, lays, listed))
            graph_cpu.append(time.process_time() - cpu0)
            graph_s.append(t)
            edges = sum(len(v) for v in graph.edges.values())
            t, _ = timed(lambda: Selector(repo, projects, store, results))
            selector_s.append(t)
        store.close()
        print(f"# graph: {edges} edges")

        # -- 2. warm re-selection -----------------------------------------------------------
        recorded = 0
        if not args.no_record:
            clock = time.perf_counter()
            # python -m gateui: the same sys.executable as this process (see gateui_events).
            events = gateui_events(repo, [], timeout=900, as_module=True)
            summary = next(e for e in events if e.get("event") == "summary")
            recorded = summary["selected"]
            print(
                f"# recorded full run: {recorded} tests in {time.perf_counter() - clock:.1f} s (gateui run)"
            )
        store = DepStore(repo)
        results = ResultsStore.load(repo)
        selector = Selector(repo, projects, store, results)
        envs = {p.root: environment_key(p.interpreter) for p in projects}
        selector.select(ChangeSet(frozenset()), envs)  # warm: prints cached, env keys known
        per_pkg = (modules * 8 // 10) // 30
        # Modules some test imports and calls: test_T calls fK of p(T % 30)/m(T % per_pkg).
        spots = [(t % 30, t % per_pkg) for t in (5, 47, 101, 150)]
        targets = [f"src/big/p{p:02d}/m{k:03d}.py" for p, k in spots]
        reselect_ms, refresh_ms, select_ms, update_ms, listing_ms, selected = [], [], [], [], [], []
        for index in range(rounds):
            rel = targets[index % len(targets)]
            path = repo / rel
            text = path.read_text()
            marker = f"    y = x + 0  # edit {index}\n"
            k = int(rel[-6:-3])
            path.write_text(text.replace(f"def f{k}(x):\n", f"def f{k}(x):\n{marker}", 1))
            changes = ChangeSet(frozenset({rel}))
            gc.collect()
            t0 = time.perf_counter()
            selector.refresh([rel])
            t1 = time.perf_counter()
            selection = selector.select(changes, envs)
            t2 = time.perf_counter()
            reselect_ms.append(1000 * (t2 - t0))
            refresh_ms.append(1000 * (t1 - t0))
            select_ms.append(1000 * (t2 - t1))
            chosen = selection.projects[0]
            selected.append(
                "whole"
                if chosen.whole
                else str(len(chosen.nodeids) + len(chosen.prefixes) + len(chosen.files))
            )
            # The pieces of refresh, timed on their own right after.
            t, listed = timed(lambda: repo_files(repo))
            listing_ms.append(1000 * t)
            t, _ = timed(partial(selector.graph.update, listed, [rel]))
            update_ms.append(1000 * t)
        # Over-selection check: an edit to a function of a module no test executed, selected
        # as watch mode passes changes (no base commit) and as ``run --affected`` does (git).
        unexecuted = next(
            f"src/big/p{p:02d}/m{k:03d}.py"
            for p in range(3, 30)
            for k in range(1, per_pkg)
            if not any(t % 30 == p and t % per_pkg == k for t in range(recorded or 1))
        )
        path = repo / unexecuted
        k = int(unexecuted[-6:-3])
        path.write_text(
            path.read_text().replace(f"def f{k}(x):\n", f"def f{k}(x):\n    y = x\n", 1)
        )
        selector.refresh([unexecuted])
        watch_like = selector.select(ChangeSet(frozenset({unexecuted})), envs).projects[0]
        head = changed_files(repo).base
        git_like = selector.select(ChangeSet(frozenset({unexecuted}), head), envs).projects[0]

        def size(chosen: ProjectSelection) -> str:
            return "whole" if chosen.whole else str(len(chosen.reasons()))

        unexecuted_note = (
            f"# edit of f{k} in {unexecuted} (no test executed that module): selected test files/tests "
            f"with watch-style changes (no base) {size(watch_like)}, with git changes (base HEAD) "
            f"{size(git_like)}; first reason: {next(iter(watch_like.reasons().values()), '-')}"
        )
        store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    build = median(graph_s)
    print()
    print(
        table(
            ["step", "median", "min", "max", "target", "verdict"],
            [
                [
                    "git ls-files (repo_files)",
                    f"{1000 * median(files_s):.0f} ms",
                    f"{1000 * min(files_s):.0f} ms",
                    f"{1000 * max(files_s):.0f} ms",
                    "",
                    "",
                ],
                [
                    f"ImportGraph build ({py_files} files)",
                    f"{build:.2f} s",
                    f"{min(graph_s):.2f} s",
                    f"{max(graph_s):.2f} s",
                    f"≤ {BUILD_TARGET_S:g} s",
                    "MET"
                    if build <= BUILD_TARGET_S
                    else f"MISSED by {build - BUILD_TARGET_S:.2f} s",
                ],
                [
                    "  the same, CPU seconds (process_time)",
                    f"{median(graph_cpu):.2f} s",
                    f"{min(graph_cpu):.2f} s",
                    f"{max(graph_cpu):.2f} s",
                    f"≤ {BUILD_TARGET_S:g} s",
                    "MET" if median(graph_cpu) <= BUILD_TARGET_S else "MISSED",
                ],
                [
                    "Selector(...) construction",
                    f"{median(selector_s):.2f} s",
                    f"{min(selector_s):.2f} s",
                    f"{max(selector_s):.2f} s",
                    f"≤ {BUILD_TARGET_S:g} s",
                    "MET" if median(selector_s) <= BUILD_TARGET_S else "MISSED",
                ],
                [
                    "re-selection after one edit (refresh + select)",
                    f"{median(reselect_ms):.0f} ms",
                    f"{min(reselect_ms):.0f} ms",
                    f"{max(reselect_ms):.0f} ms",
                    f"≤ {RESELECT_TARGET_MS:g} ms",
                    "MET"
                    if median(reselect_ms) <= RESELECT_TARGET_MS
                    else f"MISSED ({median(reselect_ms) / RESELECT_TARGET_MS:.1f}x the target)",
                ],
                [
                    "  of which refresh([path])",
                    f"{median(refresh_ms):.0f} ms",
                    f"{min(refresh_ms):.0f} ms",
                    f"{max(refresh_ms):.0f} ms",
                    "",
                    "",
                ],
                [
                    "    repo_files alone",
                    f"{median(listing_ms):.0f} ms",
                    f"{min(listing_ms):.0f} ms",
                    f"{max(listing_ms):.0f} ms",
                    "",
                    "",
                ],
                [
                    "    graph.update alone",
                    f"{median(update_ms):.0f} ms",
                    f"{min(update_ms):.0f} ms",
                    f"{max(update_ms):.0f} ms",
                    "",
                    "",
                ],
                [
                    "  of which select(...)",
                    f"{median(select_ms):.0f} ms",
                    f"{min(select_ms):.0f} ms",
                    f"{max(select_ms):.0f} ms",
                    "",
                    "",
                ],
            ],
        )
    )
    print()
    print(f"# tests selected per edit (recorded {recorded} tests): {', '.join(selected)}")
    print(unexecuted_note)
    print(f"# {rounds} rounds; at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

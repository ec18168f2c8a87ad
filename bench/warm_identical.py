"""Warm runs give what cold runs give: the whole suite of real projects, run cold and forked from a
warm process, every outcome compared (node id → outcome).

    .venv/bin/python bench/warm_identical.py [--repos flask-sqlalchemy,starlette,demo]
    .venv/bin/python bench/warm_identical.py --quick     # the demo only (nothing downloaded)

Per repository (a fresh git copy; real projects from bench/real_projects.py, pinned): one cold
run (``PytestProcess`` without a pool, as ``gateui run`` starts pytest), then two warm runs with
a ``WarmPool`` (the first teaches the warm process what the tests import, the second forks from
a process that has all of it loaded), then a last cold run (so a flaky test shows as cold against
cold). Each run's outcomes, exit status and counts are compared with the first cold run's; any
difference is listed by node id. Exit 1 when a warm run differs where the two cold runs agree.

This drives gateui's running core in-process on purpose (the pool is what watch mode and the TUI
hold); the processes are the real ones: the project's interpreter, the warm server, the forks.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from real_projects import PROJECTS, configure, prepare
from selection_kit import DEMO, PYTHON, command_line, fresh_git_copy, load_average, machine

from gateui.core.running.events import RunSummary, TestFinished
from gateui.core.running.pytest_process import PytestCommand, PytestProcess
from gateui.core.running.warm import WarmPool

REPOSITORIES = ("demo", *PROJECTS)


def run(
    root: Path, python: Path, pool: WarmPool | None
) -> tuple[dict[str, str], RunSummary, bool, float]:
    process = PytestProcess(
        PytestCommand(
            project_root=root, repo_root=root, interpreter=python, args=("-p", "no:cacheprovider")
        ),
        warm=pool,
    )
    outcomes: dict[str, str] = {}
    summary: RunSummary | None = None
    started = time.perf_counter()
    for event in process.events():
        if isinstance(event, TestFinished):
            outcomes[event.nodeid] = event.outcome
        elif isinstance(event, RunSummary):
            summary = event
    assert summary is not None
    return outcomes, summary, process.forked, time.perf_counter() - started


def differences(base: dict[str, str], other: dict[str, str]) -> list[str]:
    found = []
    for nodeid in sorted(set(base) | set(other)):
        if base.get(nodeid) != other.get(nodeid):
            found.append(f"{nodeid}: {base.get(nodeid, 'absent')} → {other.get(nodeid, 'absent')}")
    return found


def counts(summary: RunSummary) -> tuple[int | None, int, int, int, int]:
    return (summary.exitstatus, summary.passed, summary.failed, summary.skipped, summary.errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", default=None, help=f"of {', '.join(REPOSITORIES)} (default all)")
    parser.add_argument("--quick", action="store_true", help="the demo repository only")
    args = parser.parse_args()
    chosen = (args.repos or ("demo" if args.quick else ",".join(REPOSITORIES))).split(",")
    unknown = sorted(set(chosen) - set(REPOSITORIES))
    if unknown:
        parser.error(f"--repos: unknown {', '.join(unknown)} (known: {', '.join(REPOSITORIES)})")
    print(f"# {command_line()}")
    print(f"# {machine()}")
    print(f"# at start: {load_average()}")
    work = Path(tempfile.mkdtemp(prefix="gateui-warm-identical-"))
    failed = False
    try:
        for name in chosen:
            if name == "demo":
                repo, python = fresh_git_copy(DEMO, work / "demo"), PYTHON
            else:
                tree, python = prepare(name)
                copy = work / f"{name}-source"
                shutil.copytree(tree, copy)
                configure(copy, name, python)
                repo = fresh_git_copy(copy, work / name)
            cold, cold_summary, _, cold_s = run(repo, python, None)
            with WarmPool(repo) as pool:
                warm_runs = [run(repo, python, pool) for _ in range(2)]
                notes = pool.take_notes()
            cold_again, _, _, _ = run(repo, python, None)
            flaky = set(differences(cold, cold_again))
            print(
                f"\n## {name}: {len(cold)} tests; cold {counts(cold_summary)} in {cold_s:.2f} s"
                + (f"; cold twice differs: {sorted(flaky)}" if flaky else "")
            )
            for index, (outcomes, summary, forked, seconds) in enumerate(warm_runs, 1):
                diff = [d for d in differences(cold, outcomes) if d not in flaky]
                same_counts = counts(summary) == counts(cold_summary)
                verdict = "IDENTICAL" if not diff and same_counts and forked else "DIFFERENT"
                if not forked:
                    verdict += " (not forked: " + "; ".join(notes or ("no warm process",)) + ")"
                print(
                    f"warm run {index}: forked={forked}, {len(outcomes)} outcomes, "
                    f"{counts(summary)} in {seconds:.2f} s: {verdict}"
                )
                for line in diff[:20]:
                    print(f"  {line}")
                failed = failed or verdict != "IDENTICAL"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n# at end: {load_average()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

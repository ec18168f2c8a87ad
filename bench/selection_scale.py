# ruff: noqa: E501  (tables read better unwrapped)
"""How long selection takes to judge a change of 20,000 files: cost follows the change, not the tree.

In-process on purpose (``plan_affected`` is a library function): gateui's own venv python.

A generated repository (``--modules`` source modules, one test file each, a recorded full run),
then two changes of ``--files`` files each, judged by ``plan_affected`` exactly as
``gateui run --affected`` does it (git's view of the change, the selector built from scratch,
the selection, the pytest commands); ``--rounds`` rounds each, medians:

1. **venv**: a virtual environment created inside the repository and not git-ignored
   (``pyvenv.cfg`` plus ``--files`` files under ``site-packages``, some of them test files of
   installed packages). Expected: nothing selected, the venv left out as one folder.
2. **branch**: a branch switch that changed ``--files`` project files (data files under
   ``data/``, committed on another branch and checked out). Expected: judged without a
   per-file database query or per-file scan of the tests.

The time covers what ``gateui run --affected`` does before pytest starts: the tree listed
(once), the projects loaded, the change judged and the commands built (the interpreter's
environment key is asked once per process and cached, as in the CLI).
"""

from __future__ import annotations

import argparse
import gc
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from selection_kit import command_line, gateui_revision, git, load_average, machine

from gateui.core.discovery.discover import load_projects
from gateui.core.layout.projects import repo_files
from gateui.core.plan.run_plan import RunRequest
from gateui.core.running.results import ResultsStore
from gateui.core.selection.affected import plan_affected
from gateui.core.selection.depstore import DepStore
from gateui.core.selection.selector import forget_environment_keys


def generate(repo: Path, modules: int) -> None:
    (repo / "src" / "app").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["src"]\n'
    )
    (repo / ".gitignore").write_text("__pycache__/\n.gateui/\n")
    (repo / "src" / "app" / "__init__.py").write_text("")
    for index in range(modules):
        (repo / "src" / "app" / f"m{index}.py").write_text(
            f"def f{index}(x):\n    return x + {index}\n"
        )
        (repo / "tests" / f"test_m{index}.py").write_text(
            f"from app.m{index} import f{index}\n\n\ndef test_f{index}():\n    assert f{index}(0) == {index}\n"
        )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")


def record(repo: Path) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "gateui", "run", "--json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise SystemExit(f"recording run failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def make_venv(repo: Path, files: int) -> None:
    venv = repo / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n")
    site = venv / "lib" / "python3.11" / "site-packages"
    per_package = 50
    for package in range(files // per_package):
        folder = site / f"pkg{package}" / ("tests" if package % 10 == 0 else "impl")
        folder.mkdir(parents=True)
        for index in range(per_package):
            name = f"test_{index}.py" if package % 10 == 0 else f"mod{index}.py"
            (folder / name).write_text("import not_installed_here\n")


def make_branch(repo: Path, files: int) -> None:
    git(repo, "checkout", "-q", "-b", "bulk")
    data = repo / "data"
    for index in range(files):
        folder = data / f"d{index // 500}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"item{index}.json").write_text(f'{{"n": {index}}}\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "bulk data")
    git(repo, "checkout", "-q", "main")
    # Back to main and onto the branch again: the working tree now differs from the recording's
    # base by the whole bulk, which `--since main` measures as the branch's change.
    git(repo, "checkout", "-q", "bulk")


def judge(repo: Path, since: str | None) -> tuple[float, float, int, int, int]:
    """Seconds to judge the change as ``gateui run --affected`` does (the tree listed, the
    projects loaded, the interpreter asked for its environment key, ``plan_affected``), the
    CPU seconds of it (this process and its children: git, the interpreter), changed paths,
    selected entries, paths left out."""
    store = DepStore(repo)
    results = ResultsStore.load(repo)
    work = Path(tempfile.mkdtemp(prefix="gateui-scale-work-"))
    try:
        forget_environment_keys()  # a command asks once; so does each round
        gc.collect()
        cpu = _cpu()
        started = time.perf_counter()
        listing = repo_files(repo)
        projects = load_projects(repo, listing)
        plan = plan_affected(
            projects, RunRequest(), store, results, work, since, record=False, files=listing
        )
        elapsed = time.perf_counter() - started
        cpu = _cpu() - cpu
    finally:
        store.close()
        shutil.rmtree(work, ignore_errors=True)
    tests, files = plan.counts
    return (
        elapsed,
        cpu,
        len(plan.selection.changes.paths),
        tests + files,
        len(plan.selection.changes.left_out),
    )


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 files, 50 modules, 2 rounds")
    parser.add_argument("--files", type=int, default=None)
    parser.add_argument("--modules", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    files = args.files or (2000 if args.quick else 20000)
    modules = args.modules or (50 if args.quick else 300)
    rounds = args.rounds or (2 if args.quick else 5)
    work = Path(tempfile.mkdtemp(prefix="gateui-selection-scale-"))
    print(f"# {command_line()}")
    print(f"# {machine()}; {gateui_revision()}")
    print(f"# at start: {load_average()}")
    try:
        repo = work / "repo"
        repo.mkdir()
        generate(repo, modules)
        record(repo)
        rows = []
        make_venv(repo, files)
        timings = [judge(repo, None) for _ in range(rounds)]
        seconds = statistics.median(t[0] for t in timings)
        cpu = statistics.median(t[1] for t in timings)
        _, _, changed, selected, left_out = timings[-1]
        rows.append(("venv", seconds, cpu, changed, selected, left_out))
        shutil.rmtree(repo / ".venv")
        make_branch(repo, files)
        timings = [judge(repo, "main") for _ in range(rounds)]
        seconds = statistics.median(t[0] for t in timings)
        cpu = statistics.median(t[1] for t in timings)
        _, _, changed, selected, left_out = timings[-1]
        rows.append(("branch", seconds, cpu, changed, selected, left_out))
        print(
            f"# {modules} source modules and test files; a change of {files} files; {rounds} rounds, medians"
        )
        print(
            "| change | judged in s (wall) | CPU s | changed project files | selected | left out (folders) |"
        )
        print("|---|---|---|---|---|---|")
        for name, secs, cpu_s, changed, selected, left_out in rows:
            print(f"| {name} | {secs:.3f} | {cpu_s:.3f} | {changed} | {selected} | {left_out} |")
        print(f"# at end: {load_average()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

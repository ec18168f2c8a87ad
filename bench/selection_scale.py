# ruff: noqa: E501  (tables read better unwrapped)
"""How long selection takes to judge a change of 20,000 files: cost follows the change, not the tree.

Each judgement runs ``plan_affected`` in a fresh interpreter (gateui's own venv python), as a
command would; ``--against REF`` judges with gateui's ``src`` at REF too (``git archive``),
alternating with this tree round by round.

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
(once), the projects loaded, the interpreter asked for its environment key (once per
command, as in the CLI), the change judged and the commands built.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _util import command_line, load_average, machine
from selection_kit import ROOT, gateui_revision, git


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


# One judgement, in a fresh interpreter as a command would be, by the gateui whose ``src`` is on
# PYTHONPATH. An older gateui (``--against``) had no ``files`` argument: it listed by itself.
_ARM = """
import gc, inspect, json, resource, shutil, sys, tempfile, time
from pathlib import Path
from gateui.core.discovery.discover import load_projects
from gateui.core.layout.projects import repo_files
from gateui.core.plan.run_plan import RunRequest
from gateui.core.running.results import ResultsStore
from gateui.core.selection.affected import plan_affected
from gateui.core.selection.depstore import DepStore

def cpu():
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

repo, since = Path(sys.argv[1]), (sys.argv[2] or None)
store, results, work = DepStore(repo), ResultsStore.load(repo), Path(tempfile.mkdtemp())
gc.collect()
started_cpu, started = cpu(), time.perf_counter()
if "files" in inspect.signature(plan_affected).parameters:
    listing = repo_files(repo)
    projects = load_projects(repo, listing)
    plan = plan_affected(projects, RunRequest(), store, results, work, since, record=False, files=listing)
else:
    projects = load_projects(repo)
    plan = plan_affected(projects, RunRequest(), store, results, work, since, record=False)
wall, used = time.perf_counter() - started, cpu() - started_cpu
tests, files = plan.counts
print(json.dumps([wall, used, len(plan.selection.changes.paths), tests + files, len(plan.selection.changes.left_out)]))
store.close()
shutil.rmtree(work, ignore_errors=True)
"""


def judge(src: Path, repo: Path, since: str | None) -> tuple[float, float, int, int, int]:
    """Judge the change as ``gateui run --affected`` does before pytest starts (the tree
    listed, the projects loaded, the interpreter asked for its environment key,
    ``plan_affected``) with the gateui in ``src``: wall seconds, CPU seconds (the process and
    its children: git, the interpreter), changed paths, selected entries, paths left out."""
    result = subprocess.run(
        [sys.executable, "-c", _ARM, str(repo), since or ""],
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    wall, cpu, changed, selected, left_out = json.loads(result.stdout.strip().splitlines()[-1])
    return float(wall), float(cpu), int(changed), int(selected), int(left_out)


def archived_src(ref: str, dest: Path) -> Path:
    """gateui's ``src`` at ``ref``, unpacked into ``dest`` (the baseline arm)."""
    archive = subprocess.run(
        ["git", "archive", ref, "src"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 files, 50 modules, 2 rounds")
    parser.add_argument("--files", type=int, default=None)
    parser.add_argument("--modules", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--against", help="also judge with gateui at this git ref, alternating")
    args = parser.parse_args()
    files = args.files or (2000 if args.quick else 20000)
    modules = args.modules or (50 if args.quick else 300)
    rounds = args.rounds or (2 if args.quick else 5)
    work = Path(tempfile.mkdtemp(prefix="gateui-selection-scale-"))
    print(f"# {command_line()}")
    print(f"# {machine()}; {gateui_revision()}")
    print(f"# at start: {load_average()}")
    try:
        arms = [("this tree", ROOT / "src")]
        if args.against:
            arms.insert(0, (args.against, archived_src(args.against, work)))
        repo = work / "repo"
        repo.mkdir()
        generate(repo, modules)
        record(repo)
        rows = []
        for change in ("venv", "branch"):
            if change == "venv":
                make_venv(repo, files)
            else:
                shutil.rmtree(repo / ".venv")
                make_branch(repo, files)
            since = None if change == "venv" else "main"
            timings: dict[str, list[tuple[float, float, int, int, int]]] = {n: [] for n, _ in arms}
            for _name, src in arms:
                judge(src, repo, since)  # warm-up: page cache, git's index
            for _ in range(rounds):
                for name, src in arms:  # alternating
                    timings[name].append(judge(src, repo, since))
            for name, _ in arms:
                runs = timings[name]
                _, _, changed, selected, left_out = runs[-1]
                rows.append(
                    (
                        change,
                        name,
                        statistics.median(t[0] for t in runs),
                        statistics.median(t[1] for t in runs),
                        changed,
                        selected,
                        left_out,
                    )
                )
        print(
            f"# {modules} source modules and test files; a change of {files} files; {rounds} rounds, medians"
        )
        print(
            "| change | gateui | judged in s (wall) | CPU s | changed project files | selected | left out (folders) |"
        )
        print("|---|---|---|---|---|---|---|")
        for change, name, secs, cpu_s, changed, selected, left_out in rows:
            print(
                f"| {change} | {name} | {secs:.3f} | {cpu_s:.3f} | {changed} | {selected} | {left_out} |"
            )
        print(f"# at end: {load_average()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

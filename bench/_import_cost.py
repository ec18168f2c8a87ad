"""What a project's tests cost in imports: the modules a plain pytest run of some tests imported
from outside the repository (the standard library and site-packages: what gateui's warm process
may preload), and the wall time of importing them in a fresh interpreter of the project's
environment, beyond a bare interpreter start.

Issue 14's ≤ 0.3 target for the warm runner holds "where the test imports take ≥ 0.5 s": this
measures that condition instead of assuming it. Two lists are timed:

  by hand   the modules plain ``python -m pytest <node ids>`` had imported by the end of its run
            (a lister plugin, in a run of its own that is not timed), for each distinct set of
            tests the edits ran: what typing pytest by hand pays for on those very tests, pytest
            itself included (the lightest set decides whether the condition holds);
  preload   the list gateui's event plugin recorded for the warm process (``.gateui/warm/``,
            the union over the recorded runs: every test of the suite), with ``pytest`` first, as
            the warm process imports it.

Each is imported by ``python -c`` (one ``importlib.import_module`` per name, in the recorded
order, failures counted and skipped, warnings off), alternating with a bare ``python -c pass``
and ``python -c "import pytest"`` in every round; the figure is the median over the rounds of
(list minus bare), in the same round.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LISTER_MODULE = "gateui_bench_imports"
LISTER_SOURCE = '''
"""Writes to $GATEUI_BENCH_IMPORTS the modules this session imported from the standard library
or a site-packages folder (not the repository's own, no conftest), in import order."""
import json, os, sys


def pytest_unconfigure(config):
    out = os.environ.get("GATEUI_BENCH_IMPORTS")
    if not out:
        return
    root = os.path.realpath(str(config.rootpath)) + os.sep
    stdlib = tuple(
        os.path.realpath(p) + os.sep for p in {sys.base_prefix, sys.base_exec_prefix, sys.prefix}
    )
    names = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or name == __name__ or name.endswith("__main__"):
            continue
        if "conftest" in name.split("."):
            continue
        path = os.path.realpath(file)
        parts = path.split(os.sep)
        if "site-packages" in parts or "dist-packages" in parts:
            names.append(name)
        elif not path.startswith(root) and path.startswith(stdlib):
            names.append(name)
    with open(out, "w") as fh:
        json.dump(names, fh)
'''

IMPORTER = """
import importlib, json, sys, warnings
warnings.simplefilter("ignore")
failed = 0
for name in json.load(open(sys.argv[1])):
    if name in sys.modules:
        continue
    try:
        importlib.import_module(name)
    except BaseException:
        failed += 1
print(failed)
"""


@dataclass(frozen=True)
class ImportCost:
    by_hand_s: float
    """Importing what plain pytest imported on one edit's tests, beyond a bare interpreter
    (median over rounds): the lightest of the edits' sets of tests (the condition holds for
    every edit only if it holds for this one)."""
    by_hand_max_s: float
    """The same for the heaviest set."""
    by_hand_sets: int
    """Distinct sets of tests the edits ran."""
    pytest_s: float
    """``import pytest`` alone, beyond a bare interpreter (median)."""
    preload_s: float | None
    """Importing the warm process's recorded list, beyond a bare interpreter (median)."""
    bare_s: float
    """A bare ``python -c pass`` (median)."""
    by_hand_modules: int
    """Modules of the lightest set's list."""
    preload_modules: int
    failed: int
    """Names of any list that did not import in a fresh interpreter (skipped), most in a run."""


def write_lister(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{LISTER_MODULE}.py").write_text(LISTER_SOURCE)
    return folder


def imported_by_pytest(
    repo: Path,
    python: Path,
    nodeids: Sequence[str],
    lister: Path,
    out: Path,
    env: Mapping[str, str],
    pytest_args: Sequence[str] = (),
) -> list[str]:
    """The outside modules a plain pytest run of ``nodeids`` had imported by its end."""
    if out.exists():
        out.unlink()
    run_env = {**env, "PYTHONPATH": str(lister), "GATEUI_BENCH_IMPORTS": str(out)}
    subprocess.run(
        [str(python), "-m", "pytest", "-q", *pytest_args, "-p", LISTER_MODULE, *nodeids],
        cwd=repo,
        env=run_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    if not out.exists():
        raise RuntimeError(f"the import lister wrote nothing for {list(nodeids)[:3]} in {repo}")
    names: list[str] = json.loads(out.read_text())
    return names


def preload_list(repo: Path) -> list[str]:
    """The modules gateui recorded for the warm process of ``repo`` (one project, one
    interpreter), ``pytest`` first as the warm process imports it; empty if none was recorded."""
    folder = repo / ".gateui" / "warm"
    files = [p for p in sorted(folder.glob("*.json")) if not p.name.endswith(".up.json")]
    names: list[str] = []
    for path in files:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        names += [n for n in loaded if isinstance(n, str)]
    return list(dict.fromkeys(["pytest", *names])) if names else []


def _timed(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    result = subprocess.run(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    lines = result.stdout.split()
    return elapsed, int(lines[-1]) if lines else 0


def import_cost(
    python: Path,
    by_hand: list[list[str]],
    preload: list[str],
    folder: Path,
    env: Mapping[str, str],
    rounds: int,
) -> ImportCost:
    """Median import times of each by-hand list, of the preload list and of pytest alone, each
    beyond a bare interpreter started in the same round; arms alternate within a round."""
    folder.mkdir(parents=True, exist_ok=True)
    lists = {f"by_hand_{i}": names for i, names in enumerate(by_hand)}
    lists["preload"] = preload
    arms: dict[str, list[str]] = {
        "bare": [str(python), "-c", "pass"],
        "pytest": [str(python), "-c", "import pytest"],
    }
    for name, names in lists.items():
        if names:
            file = folder / f"{name}.json"
            file.write_text(json.dumps(names))
            arms[name] = [str(python), "-c", IMPORTER, str(file)]
    beyond: dict[str, list[float]] = {name: [] for name in arms if name != "bare"}
    bare: list[float] = []
    failed = 0
    for _ in range(rounds):
        times = {}
        for name, argv in arms.items():
            times[name], failures = _timed(argv, folder, env)
            failed = max(failed, failures)
        bare.append(times["bare"])
        for name in beyond:
            beyond[name].append(times[name] - times["bare"])
    medians = {name: statistics.median(values) for name, values in beyond.items()}
    sets = {name: medians[name] for name in medians if name.startswith("by_hand_")}
    lightest = min(sets, key=sets.__getitem__) if sets else ""
    return ImportCost(
        by_hand_s=sets[lightest] if sets else 0.0,
        by_hand_max_s=max(sets.values()) if sets else 0.0,
        by_hand_sets=len(sets),
        pytest_s=medians["pytest"],
        preload_s=medians.get("preload"),
        bare_s=statistics.median(bare),
        by_hand_modules=len(lists[lightest]) if sets else 0,
        preload_modules=len(preload),
        failed=failed,
    )

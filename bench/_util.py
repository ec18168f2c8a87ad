"""Shared helpers for gateui's benchmarks: generated test repositories, timing, machine facts.

Nothing here imports gateui: the benchmarks drive gateui the way a user does (its console
script in a subprocess), except where a script measures an in-process function on purpose.
"""

from __future__ import annotations

import hashlib
import math
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

VENV = Path(__file__).resolve().parent.parent / ".venv"
# The interpreter that runs both arms: gateui's own venv python (gateui picks ``sys.executable``
# for a generated repository, which has no .venv of its own).
PYTHON = VENV / "bin" / "python"
GATEUI = VENV / "bin" / "gateui"
NO_CACHE = ("-p", "no:cacheprovider")
MARKERS = ("slow", "db", "smoke")


def generate_repo(
    dest: Path,
    modules: int,
    tests_per_module: int,
    *,
    packages: int = 0,
    total_tests: int | None = None,
) -> int:
    """Write a pytest repository of trivial tests into ``dest``; return the number of tests.

    ``packages == 0``: flat ``tests/test_mod_N.py``. Otherwise modules are spread over
    ``packages`` nested packages (``tests/unit/pkgN/test_mod_M.py`` and ``tests/integration/...``,
    each with an ``__init__.py``). ``total_tests`` overrides ``tests_per_module``: the tests are
    spread as evenly as possible (some modules get one more).

    Markers ``slow``, ``db`` and ``smoke`` are registered; every 10th test is ``@pytest.mark.slow``,
    every 7th module carries ``pytestmark = pytest.mark.db`` and module 0 is ``smoke``.
    """
    dest.mkdir(parents=True, exist_ok=True)
    markers = ",\n".join(f'    "{m}: generated marker {m}"' for m in MARKERS)
    (dest / "pyproject.toml").write_text(
        '[project]\nname = "bench-repo"\nversion = "0"\n\n'
        "[tool.pytest.ini_options]\n"
        'testpaths = ["tests"]\n'
        "markers = [\n" + markers + ",\n]\n"
    )
    (dest / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    tests_dir = dest / "tests"
    tests_dir.mkdir(exist_ok=True)
    if packages:
        (tests_dir / "__init__.py").write_text("")
    per_module = [tests_per_module] * modules
    if total_tests is not None:
        base, extra = divmod(total_tests, modules)
        per_module = [base + (1 if i < extra else 0) for i in range(modules)]
    written = 0
    for index, count in enumerate(per_module):
        folder = _module_folder(tests_dir, index, packages)
        (folder / f"test_mod_{index}.py").write_text(_module_source(index, count, written))
        written += count
    return written


def _module_folder(tests_dir: Path, index: int, packages: int) -> Path:
    if not packages:
        return tests_dir
    package = index % packages
    group = "unit" if package % 2 == 0 else "integration"
    folder = tests_dir / group / f"pkg{package}"
    if not folder.is_dir():
        folder.mkdir(parents=True)
        (tests_dir / group / "__init__.py").write_text("")
        (folder / "__init__.py").write_text("")
    return folder


def _module_source(index: int, count: int, first: int) -> str:
    lines = ["import pytest", ""]
    if index == 0:
        lines += ["pytestmark = pytest.mark.smoke", ""]
    elif index % 7 == 0:
        lines += ["pytestmark = pytest.mark.db", ""]
    for n in range(first, first + count):
        lines.append("")
        if n % 10 == 0:
            lines.append("@pytest.mark.slow")
        lines += [f"def test_{n}():", f"    assert {n} == {n}", ""]
    return "\n".join(lines)


def forget_warm_hint(repo: Path) -> None:
    """Remove the note of the last run's project (``core.running.warm_hint``): the next
    ``gateui run`` starts no warm process early, and starts cold, as a repository's first run
    does (it writes the note again)."""
    (repo / ".gateui" / "warm" / "run-hint.marshal").unlink(missing_ok=True)


def forget_recordings(repo: Path) -> None:
    """Remove gateui's dependency store (with its write-ahead log): the next run records every
    test, as a repository's first run does."""
    for path in (repo / ".gateui").glob("deps.sqlite*"):
        path.unlink()


_GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def git_commit_all(repo: Path) -> None:
    """``git init`` and commit everything (gateui lists files with ``git ls-files``)."""
    env = {**os.environ, **_GIT_ENV}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, env=env, check=True)
    commit_everything(repo, "generated benchmark repository")


def commit_everything(repo: Path, message: str) -> None:
    """Commit every change of ``repo``'s working tree."""
    env = {**os.environ, **_GIT_ENV}
    for argv in (["git", "add", "-A"], ["git", "commit", "-q", "-m", message]):
        subprocess.run(argv, cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)


DEV_PLUGINS_OFF = "-p no:textual-snapshot -p no:syrupy -p no:anyio"
"""pytest plugins of gateui's development environment (its snapshot tests) that a project's
environment would not have: in every arm they would add the same 0.45 s of imports to each pytest
start (Textual's app among them), flattering every ratio against plain pytest."""


def bench_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for every arm: no bytecode written, nothing inherited that changes pytest
    (PYTEST_ADDOPTS, PYTHONPATH) or its output (PYTHONUNBUFFERED, which gateui sets for its own
    child anyway: that is part of what is measured), no gateui channel or selection, and none of
    gateui's development plugins (``DEV_PLUGINS_OFF``)."""
    dropped = ("PYTEST_ADDOPTS", "PYTHONPATH", "PYTHONUNBUFFERED", "NO_COLOR")
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("GATEUI_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    env["PYTEST_ADDOPTS"] = f"{DEV_PLUGINS_OFF} {env.get('PYTEST_ADDOPTS', '')}".strip()
    return env


@dataclass(frozen=True)
class Timing:
    wall_s: float
    """Wall-clock seconds (time.perf_counter around subprocess.run)."""
    cpu_s: float
    """User + system CPU seconds of the command and every descendant it waited for
    (getrusage(RUSAGE_CHILDREN) deltas): far less sensitive than wall time to other load."""


def time_command(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None, check_rc: int = 0
) -> Timing:
    """Time one run, output discarded; fails loudly on an unexpected exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else bench_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != check_rc:
        raise RuntimeError(f"exit {result.returncode} (expected {check_rc}): {shlex.join(argv)}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(elapsed, cpu)


def chosen_arms(spec: str | None, available: Sequence[str]) -> list[str]:
    """``--arms A,B``: those of ``available`` (pytest always), in ``available``'s order; every
    arm without it. ``ValueError`` names an arm that is not there."""
    if not spec:
        return list(available)
    wanted = {"pytest", *spec.split(",")}
    unknown = wanted - set(available)
    if unknown:
        raise ValueError(f"--arms: no arm {', '.join(sorted(unknown))} here")
    return [arm for arm in available if arm in wanted]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def median_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """A confidence interval of the median that assumes nothing of the distribution: the r-th
    smallest and r-th largest values, r the largest with P(B < r) <= (1 - confidence) / 2 for
    B ~ Binomial(n, 1/2) (the whole range when n is too small for more). On a machine whose speed
    drifts from run to run, this is what a ratio can honestly be said to be."""
    ordered = sorted(values)
    n = len(ordered)
    alpha = 1 - confidence

    def at_most(j: int) -> float:
        return float(sum(math.comb(n, i) for i in range(j + 1)) / 2**n)

    r = 1
    while r < n // 2 and 2 * at_most(r) <= alpha:
        r += 1
    return ordered[r - 1], ordered[n - r]


def target_verdict(ratios: Sequence[float], target: float) -> str:
    """``met``, ``MISSED`` or ``cannot tell``, from the 95% interval of the median ratio."""
    low, high = median_interval(ratios)
    span = f"median {median(ratios):.3f}, 95% interval {low:.3f}..{high:.3f}, n={len(ratios)}"
    if 2 / 2 ** len(ratios) > 0.05:  # even the whole range covers the median less often
        return f"cannot tell: too few rounds for a 95% interval (median {median(ratios):.3f})"
    if high <= target:
        return f"met ({span})"
    if low > target:
        return f"MISSED ({span})"
    return f"cannot tell: the interval holds {target} ({span})"


def machine() -> str:
    """nproc, Python and pytest versions of the interpreter both arms run."""
    probe = "import platform, pytest; print(platform.python_version(), pytest.__version__)"
    python_version, pytest_version = subprocess.run(
        [str(PYTHON), "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    return (
        f"nproc={os.cpu_count()}, Python {python_version}, pytest {pytest_version}, "
        f"{platform.system()} {platform.release()}"
    )


def source_fingerprint() -> str:
    """Which gateui was measured: HEAD, and a hash of the working tree's ``src`` (other people
    edit it while benchmarks run; a fingerprint that changes during a run taints its figures)."""
    root = VENV.parent
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    digest = hashlib.sha1()
    for path in sorted((root / "src").rglob("*.py")):
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    return (
        f"HEAD {head}{' + uncommitted src changes' if dirty else ''}, src {digest.hexdigest()[:10]}"
    )


def load_average() -> str:
    """The 1/5/15-minute load averages: on a shared 2-core machine, read wall times with them."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} (nproc={os.cpu_count()})"


def command_line() -> str:
    """How this script was invoked, to print next to its figures."""
    return shlex.join([sys.executable, *sys.argv])


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A small Markdown table (pastes straight into docs/benchmarks.md)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)

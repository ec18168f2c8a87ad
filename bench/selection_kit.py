# ruff: noqa: E501  (tables and generated source read better unwrapped)
"""Shared helpers for the affected-selection benchmarks (selection_quality, recording_overhead,
latency_feedback, graph_build): fresh git copies, a result probe plugin, the pytest-testmon venv,
generated repositories, tables and machine facts.

Nothing here imports gateui: the benchmarks drive gateui as a user does (its console script in a
subprocess), except graph_build.py, which measures in-process functions on purpose.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Re-exported: the selection benchmarks import these from here along with the kit's own helpers.
from _util import GATEUI as GATEUI
from _util import NO_CACHE as NO_CACHE
from _util import PYTHON as PYTHON
from _util import VENV as VENV
from _util import bench_env as bench_env
from _util import command_line as command_line
from _util import load_average as load_average
from _util import machine as machine
from _util import median as median
from _util import table as table

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "samples"
DEMO = ROOT / "src" / "gateui" / "demo" / "sample_repo"
PLUGIN_DIR = ROOT / "src" / "gateui" / "pytest_plugin"
CACHE = Path(os.environ.get("GATEUI_BENCH_CACHE", Path.home() / ".cache" / "gateui-bench"))
TESTMON_VENV = CACHE / "testmon-venv"
TESTMON_PINS = ("pytest==8.4.2", "pytest-testmon==2.2.0")

# -- environment ---------------------------------------------------------------------------------


def git(repo: Path, *argv: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    }
    result = subprocess.run(
        ["git", *argv], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout


def fresh_git_copy(source: Path, dest: Path) -> Path:
    """Copy ``source`` (a tree without .git) to ``dest``, ``git init`` it and commit everything."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", ".gateui", ".git"))
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "benchmark copy")
    return dest


def ensure_testmon() -> Path:
    """A throwaway venv with pytest 8 and pytest-testmon (never gateui's own venv)."""
    python = TESTMON_VENV / "bin" / "python"
    probe = "import testmon, pytest; print(pytest.__version__)"
    if (
        python.exists()
        and subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0
    ):
        return python
    CACHE.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(TESTMON_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *TESTMON_PINS], check=True)
    return python


def testmon_version(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-m", "pip", "show", "pytest-testmon"], capture_output=True, text=True
    ).stdout
    return next((line.split()[-1] for line in out.splitlines() if line.startswith("Version")), "?")


# -- a probe plugin: which tests ran, with which outcome ----------------------------------------

PROBE_MODULE = "gateui_bench_probe"
PROBE_SOURCE = '''
"""Writes one JSON line per test that ran (node id, outcome) to $GATEUI_BENCH_PROBE,
and one per collection error; for the latency benchmark also wall-clock timestamps (time.time):
the process start (from /proc), pytest_configure, and the first result."""
import json, os, time

_OUT = os.environ.get("GATEUI_BENCH_PROBE")
_state = {}
_first = [None]


def _process_start():
    try:
        with open("/proc/self/stat") as fh:
            ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
        now = time.time()
        return now - (uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except Exception:
        return None


def _write(obj):
    if _OUT:
        with open(_OUT, "a") as fh:
            fh.write(json.dumps(obj) + "\\n")


def pytest_configure(config):
    _write({"process_start": _process_start(), "configured_at": time.time()})


def pytest_runtest_logreport(report):
    outcome = _state.get(report.nodeid, "passed")
    if report.failed:
        outcome = "xpassed-strict" if hasattr(report, "wasxfail") else "failed"
    elif report.skipped and outcome == "passed":
        outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
    _state[report.nodeid] = outcome
    if report.when == "teardown":
        if _first[0] is None:
            _first[0] = time.time()
            _write({"first_result_at": _first[0]})
        _write({"nodeid": report.nodeid, "outcome": _state.pop(report.nodeid)})


def pytest_collectreport(report):
    if report.failed:
        _write({"nodeid": report.nodeid, "outcome": "collect-error"})
'''


def write_probe(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{PROBE_MODULE}.py").write_text(PROBE_SOURCE)
    return folder


def run_probed(
    python: Path, cwd: Path, args: Sequence[str], probe_dir: Path, out: Path, timeout: float = 400
) -> dict[str, str]:
    """Run ``python -m pytest ARGS -p probe`` in ``cwd``; return node id → outcome."""
    if out.exists():
        out.unlink()
    env = bench_env({"PYTHONPATH": str(probe_dir), "GATEUI_BENCH_PROBE": str(out)})
    subprocess.run(
        [str(python), "-m", "pytest", *args, "-p", PROBE_MODULE, "-q"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
    results: dict[str, str] = {}
    if out.exists():
        for line in out.read_text().splitlines():
            item = json.loads(line)
            if "nodeid" in item:
                results[item["nodeid"]] = item["outcome"]
    return results


def gateui_events(
    repo: Path,
    args: Sequence[str],
    timeout: float = 400,
    as_module: bool = False,
    pytest_args: Sequence[str] = NO_CACHE,
) -> list[dict[str, Any]]:
    """``gateui run ARGS --json -C repo -- PYTEST_ARGS`` (``-p no:cacheprovider`` unless told):
    the JSON events.

    ``as_module``: ``python -m gateui`` instead of the console script. For a repository without
    its own venv gateui runs the tests with its own ``sys.executable``, which is ``.venv/bin/python3``
    under the console script and ``.venv/bin/python`` under ``python -m``, and the recording's
    environment key includes that path: in-process code must record the same way it selects."""
    launcher = [str(PYTHON), "-m", "gateui"] if as_module else [str(GATEUI)]
    result = subprocess.run(
        [*launcher, "run", *args, "--json", "-C", str(repo), "--", *pytest_args],
        cwd=repo,
        env=bench_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    events = []
    for line in result.stdout.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    if result.returncode not in (0, 1):
        raise RuntimeError(
            f"gateui run {' '.join(args)} exited {result.returncode}: {result.stderr[-2000:]}"
        )
    return events


FAILING = ("failed", "error", "collect-error", "xpassed-strict")

# -- generated repositories ----------------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def generate_reexport_repo(dest: Path, modules: int = 40) -> int:
    """A src-layout package ``genpkg`` whose ``__init__`` re-exports every module, a root
    conftest that imports it, and one test file per module (11 tests each). Return the test count.

    Each ``genpkg/mod_NN.py`` has a module constant, a default argument, a class attribute, a
    decorated function (``@scaled(k)`` from ``genpkg/base.py``), a property with a setter, a
    function registered at import time (``@register``) and a function that calls the previous
    module. Each test file parametrizes one test with data written inline and another with data
    from a helper function (``_cases()``)."""
    pkg = dest / "src" / "genpkg"
    write(
        dest / "pyproject.toml",
        '[project]\nname = "genpkg"\nversion = "0"\n\n[tool.pytest.ini_options]\n'
        'testpaths = ["tests"]\npythonpath = ["src"]\n',
    )
    write(dest / ".gitignore", "__pycache__/\n.pytest_cache/\n.gateui/\n.testmondata*\n")
    write(
        pkg / "base.py",
        '"""Helpers every module uses."""\n\nimport functools\n\nHANDLERS = {}\n\n\n'
        "def normalize(x):\n    return int(x)\n\n\n"
        "def scaled(k):\n    def wrap(fn):\n        @functools.wraps(fn)\n"
        "        def inner(*args, **kwargs):\n            return k * fn(*args, **kwargs)\n\n"
        "        return inner\n\n    return wrap\n\n\n"
        "def register(name):\n    def deco(fn):\n        HANDLERS[name] = fn\n        return fn\n\n"
        "    return deco\n\n\n"
        "def dispatch(name, x):\n    return HANDLERS[name](x)\n\n\n"
        "class BaseThing:\n    unit = 1\n\n    def __init__(self):\n        self._label = 'thing'\n\n"
        "    @property\n    def label(self):\n        return self._label\n\n"
        "    @label.setter\n    def label(self, value):\n        self._label = value\n",
    )
    exports = ["from genpkg.base import BaseThing, dispatch, normalize, register, scaled"]
    count = 0
    for i in range(modules):
        name = f"mod_{i:02d}"
        prev = f"mod_{i - 1:02d}" if i else None
        lines = [
            f'"""Generated module {i}."""',
            "",
            "from genpkg.base import BaseThing, normalize, register, scaled",
        ]
        if prev:
            lines.append(f"from genpkg.{prev} import f_{i - 1:02d}_a")
        lines += [
            "",
            f"FACTOR_{i:02d} = {i + 2}",
            "",
            "",
            f"def f_{i:02d}_a(x):",
            f"    return normalize(x) * FACTOR_{i:02d} + 1",
            "",
            "",
            f"def f_{i:02d}_b(x, offset={i}):",
            "    return x + offset",
            "",
            "",
            f"def f_{i:02d}_c(x):",
            (f"    return f_{i - 1:02d}_a(x) - 1" if prev else "    return x - 1"),
            "",
            "",
            "@scaled(2)",
            f"def f_{i:02d}_d(x):",
            f"    return x + {i}",
            "",
            "",
            f'@register("h{i:02d}")',
            f"def handler_{i:02d}(x):",
            f"    return x * {i + 1}",
            "",
            "",
            f"class Thing{i:02d}(BaseThing):",
            f"    unit = {i + 1}",
            "",
            "    def value(self, x):",
            "        return x * self.unit",
            "",
            "    @property",
            "    def size(self):",
            f"        return {i + 10}",
            "",
            "    @size.setter",
            "    def size(self, value):",
            "        raise AttributeError('read-only')",
            "",
        ]
        write(pkg / f"{name}.py", "\n".join(lines))
        exports.append(f"from genpkg.{name} import *  # noqa: F403")
        c_expected = (2 * (i + 1) + 1 - 1) if prev else 1
        tests = [
            "import pytest",
            "",
            "from genpkg import dispatch",
            f"from genpkg import f_{i:02d}_a, f_{i:02d}_b, f_{i:02d}_c, f_{i:02d}_d, Thing{i:02d}",
            "",
            "",
            "def _cases():",
            f"    return [(0, 0), (1, {i + 1}), (2, {2 * (i + 1)})]",
            "",
            "",
            "def test_a(seed):",
            f"    assert f_{i:02d}_a(seed) == {3 * (i + 2) + 1}",
            "",
            "",
            f"@pytest.mark.parametrize('x, expected', [(0, 1), (1, {i + 3}), (2, {2 * (i + 2) + 1})])",
            "def test_a_param(x, expected):",
            f"    assert f_{i:02d}_a(x) == expected",
            "",
            "",
            "def test_b():",
            f"    assert f_{i:02d}_b(1) == {1 + i}",
            "",
            "",
            "def test_c():",
            f"    assert f_{i:02d}_c(2) == {c_expected}",
            "",
            "",
            "def test_d(settings):",
            f"    assert f_{i:02d}_d(1) == 2 * (1 + {i})",
            "    assert settings['mode'] == 'fast'",
            "",
            "",
            "def test_thing():",
            f"    assert Thing{i:02d}().value(2) == {2 * (i + 1)}",
            f"    assert Thing{i:02d}().size == {i + 10}",
            "",
            "",
            "@pytest.mark.parametrize('x, expected', _cases())",
            "def test_handler(x, expected):",
            f"    assert dispatch('h{i:02d}', x) == expected",
            "",
        ]
        write(dest / "tests" / f"test_{name}.py", "\n".join(tests))
        count += 11
    write(pkg / "__init__.py", '"""Re-exports everything."""\n\n' + "\n".join(exports) + "\n")
    write(
        dest / "tests" / "conftest.py",
        "import pytest\n\nimport genpkg  # noqa: F401  (the application, as real conftests do)\n\n\n"
        "@pytest.fixture\ndef seed():\n    return 3\n\n\n"
        "@pytest.fixture(scope='session')\ndef settings():\n    return {'mode': 'fast'}\n",
    )
    return count


def generate_call_repo(dest: Path, tests: int = 2000, modules: int = 50) -> int:
    """A package ``calc`` (``modules`` modules of small functions calling each other) and
    ``tests`` tests spread over ``modules`` files, each calling a few package functions with
    real work (loops, dict/list building), not only trivial asserts."""
    pkg = dest / "src" / "calc"
    write(
        dest / "pyproject.toml",
        '[project]\nname = "calc"\nversion = "0"\n\n[tool.pytest.ini_options]\n'
        'testpaths = ["tests"]\npythonpath = ["src"]\n',
    )
    write(dest / ".gitignore", "__pycache__/\n.pytest_cache/\n.gateui/\n")
    write(pkg / "__init__.py", '"""calc."""\n')
    write(
        pkg / "core.py",
        "def clamp(x, lo, hi):\n    return max(lo, min(hi, x))\n\n\n"
        "def checksum(values):\n    total = 0\n    for i, v in enumerate(values):\n"
        "        total = (total * 31 + v * (i + 1)) % 1_000_003\n    return total\n\n\n"
        "class Acc:\n    def __init__(self):\n        self.items = []\n\n"
        "    def add(self, x):\n        self.items.append(x)\n        return self\n\n"
        "    def total(self):\n        return sum(self.items)\n",
    )
    per = [tests // modules + (1 if k < tests % modules else 0) for k in range(modules)]
    for m in range(modules):
        write(
            pkg / f"m{m:03d}.py",
            "from calc.core import Acc, checksum, clamp\n\n\n"
            f"def series(n):\n    return [clamp(i * {m + 1} % 97, 0, 90) for i in range(n)]\n\n\n"
            "def summarize(n):\n    acc = Acc()\n    for v in series(n):\n        acc.add(v)\n"
            "    return acc.total(), checksum(acc.items)\n\n\n"
            "def table(n):\n    return {k: summarize(k)[0] for k in range(1, n)}\n",
        )
        body = [f"from calc.m{m:03d} import series, summarize, table", ""]
        for t in range(per[m]):
            n = 20 + (t % 30)
            body += [
                "",
                f"def test_{m}_{t}():",
                f"    total, digest = summarize({n})",
                f"    assert total == sum(series({n}))",
                "    assert 0 <= digest < 1_000_003",
                f"    assert len(table({5 + t % 5})) == {4 + t % 5}",
                "",
            ]
        write(dest / "tests" / f"test_m{m:03d}.py", "\n".join(body))
    return sum(per)


def generate_graph_repo(dest: Path, modules: int = 3000, packages: int = 30) -> int:
    """``modules`` Python files for the import-graph benchmark: ``packages`` packages of a src
    layout (80 % of the files) whose ``__init__`` re-exports their modules, modules importing a
    sibling (relative), the same module of the previous package (absolute) and, under
    ``if TYPE_CHECKING``, the top package; the rest are test files importing one module each.
    Returns the number of Python files written (tests and conftest included)."""
    write(
        dest / "pyproject.toml",
        '[project]\nname = "big"\nversion = "0"\n\n[tool.pytest.ini_options]\n'
        'testpaths = ["tests"]\npythonpath = ["src"]\n',
    )
    write(dest / ".gitignore", "__pycache__/\n.gateui/\n")
    per_pkg = (modules * 8 // 10) // packages  # 80 % package modules, the rest tests
    written = 0
    for p in range(packages):
        pkg = dest / "src" / "big" / f"p{p:02d}"
        names = [f"m{k:03d}" for k in range(per_pkg)]
        write(
            pkg / "__init__.py",
            "".join(f"from .{n} import *  # noqa: F403\n" for n in names),
        )
        written += 1
        for k, n in enumerate(names):
            imports = ["import os", "from typing import TYPE_CHECKING"]
            if k:
                imports.append(f"from .m{k - 1:03d} import f{k - 1}")
            if p and k % 7 == 0:
                imports.append(f"from big.p{p - 1:02d}.m{k:03d} import f{k} as g{k}")
            if k % 11 == 0:
                imports.append("if TYPE_CHECKING:\n    from big import p00")
            funcs = "\n\n".join(
                f"def f{k}_{j}(x):\n    y = x + {j}\n    for _ in range(3):\n        y = y * 2 % 97\n"
                f"    return y + len(os.sep)"
                for j in range(8)
            )
            write(
                pkg / f"{n}.py",
                "\n".join(imports)
                + f"\n\nCONST = {k}\n\n\ndef f{k}(x):\n    return x + CONST\n\n\n"
                + funcs
                + "\n",
            )
            written += 1
    write(dest / "src" / "big" / "__init__.py", '"""big."""\n')
    written += 1
    write(dest / "tests" / "conftest.py", "import pytest\n")
    written += 1
    remaining = max(0, modules - written)
    for t in range(remaining):
        p, k = t % packages, t % per_pkg
        write(
            dest / "tests" / f"test_{t:04d}.py",
            f"from big.p{p:02d}.m{k:03d} import f{k}\n\n\ndef test_{t}():\n"
            f"    assert f{k}(0) == {k}\n",
        )
        written += 1
    return written


# -- reporting -----------------------------------------------------------------------------------


def gateui_revision() -> str:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return f"gateui HEAD {head}{' (+ uncommitted src changes by others)' if dirty else ''}"


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.started

# ruff: noqa: E501  (tables and edit snippets read better unwrapped)
"""Selection on a real-world corpus: open-source packages' own test suites, gateui against
pytest-testmon and the import graph, for refactoring edits and breaking mutations.

The corpus is pinned source distributions from PyPI whose sdists ship their test suites (see
CORPUS: sizes from about 200 to 1,300 tests, src and flat layouts, a package whose ``__init__``
re-exports everything, a root conftest that imports the package). Each sdist is downloaded once
into ``~/.cache/gateui-bench/corpus`` (checked against its pinned sha256), unpacked there, and
given its own virtual environment there (pytest 8.4.2, pytest-testmon 2.2.0 and the suite's
pure-Python test dependencies; the package itself is not installed: the tests import the
edited source). Nothing of it is committed.

Per project, as ``bench/selection_quality.py`` does for the sample repositories (its edit
machinery is reused): a fresh git copy with a recorded full run (``gateui run``) and another with
``pytest --testmon``, both copies reaching the project's venv through a git-excluded ``.venv``
link; per edit, copies of those, the edit applied to both, ground truth from a plain full run
(``python -m pytest -p no:cacheprovider``), then ``gateui run --affected`` and ``pytest
--testmon``; and the import graph's count (tests in test files that import an edited file).

Targets (issue 12): recall 100 %; on refactoring edits gateui runs at most testmon's count on
every edit and a median below a third of it; comment and format edits run nothing.
``--quick``: one small package, two edits (a smoke check of the whole pipeline); without the
network it says so and exits 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _util import NO_CACHE, command_line, load_average, machine, median, table
from selection_kit import (
    CACHE,
    FAILING,
    fresh_git_copy,
    gateui_events,
    gateui_revision,
    run_probed,
    write_probe,
)
from selection_quality import Mutation, Outcome, apply, graph_count, report_refactorings

CORPUS_CACHE = CACHE / "corpus"
TOOL_PINS = ("pytest==8.4.2", "pytest-testmon==2.2.0")


@dataclass(frozen=True)
class Project:
    key: str
    name: str
    version: str
    sha256: str
    shape: str
    """What this project stands for in the corpus (layout, re-exports, conftest)."""
    deps: tuple[str, ...] = ()
    """The test suite's own dependencies (pure Python), installed in its venv."""
    pytest_args: tuple[str, ...] = ()
    """Arguments every arm passes (src layouts: the source folder on sys.path; tests that
    need the package installed as a distribution are deselected)."""

    @property
    def folder(self) -> str:
        return f"{self.name}-{self.version}"


CORPUS = {
    "cachetools": Project(
        "cachetools",
        "cachetools",
        "5.5.0",
        "2cc24fb4cbe39633fb7badd9db9ca6295d766d9c2995f245725a46715d050f2a",
        "src layout, 215 tests",
        pytest_args=("-o", "pythonpath=src"),
    ),
    "more-itertools": Project(
        "more-itertools",
        "more-itertools",
        "10.5.0",
        "5482bfef7849c25dc3c6dd53a6173ae4795da2a41a80faea6700d9f5846c5da6",
        "flat layout, `__init__` re-exports everything (`from .more import *`), 664 tests",
    ),
    "attrs": Project(
        "attrs",
        "attrs",
        "24.2.0",
        "5cfb1b9148b5b086569baec03f20d7b6bf3bcacc9a42bebf87ffaaca362f6346",
        "src layout, root conftest imports the package, hypothesis tests, 1,325 tests",
        deps=("hypothesis==6.112.1",),
        pytest_args=(
            "-o",
            "pythonpath=src",
            # These read the installed distribution's metadata (not installed here) or an
            # annotation detail of this Python: they fail before any edit.
            "--deselect",
            "tests/test_packaging.py::TestLegacyMetadataHack",
            "--deselect",
            "tests/test_converters.py::TestPipe::test_wrapped_annotation",
        ),
    ),
}

_CT_KEYS = "src/cachetools/keys.py"
_CT_INIT = "src/cachetools/__init__.py"
_METHODKEY = 'def methodkey(self, *args, **kwargs):\n    """Return a cache key for use with cached methods."""\n    return hashkey(*args, **kwargs)\n'
_MI_MORE = "more_itertools/more.py"
_MI_RECIPES = "more_itertools/recipes.py"
_ILEN_BODY = '    # This is the "most beautiful of the fast variants" of this function.\n    # If you think you can improve on it, please ensure that your version\n    # is both 10x faster and 10x more beautiful.\n    return sum(compress(repeat(1), zip(iterable)))\n'
_AT_VAL = "src/attr/validators.py"
_AT_COMPAT = "src/attr/_compat.py"
_INSTANCE_OF = "@attrs(repr=False, slots=True, unsafe_hash=True)\nclass _InstanceOfValidator:\n    type = attrib()\n"


def _ilen_source() -> str:
    return (
        'def ilen(iterable):\n    """Return the number of items in *iterable*.\n\n        >>> ilen(x for x in range(1000000) if x % 3 == 0)\n        333334\n\n    This consumes the iterable, so handle with care.\n\n    """\n'
        + _ILEN_BODY
    )


MUTATIONS = [
    # -- cachetools (src layout) ---------------------------------------------------------------
    Mutation(
        "cachetools",
        "C1",
        "refactor: add import",
        _CT_KEYS,
        '"""Key functions for memoizing decorators."""\n',
        '"""Key functions for memoizing decorators."""\n\nimport operator\n',
    ),
    Mutation(
        "cachetools",
        "C2",
        "refactor: add function",
        _CT_KEYS,
        "def methodkey(self, *args, **kwargs):",
        "def spare_key(*args):\n    return args\n\n\ndef methodkey(self, *args, **kwargs):",
    ),
    Mutation(
        "cachetools",
        "C3",
        "refactor: add method",
        _CT_INIT,
        "    def get(self, key, default=None):",
        "    def spare(self):\n        return len(self)\n\n    def get(self, key, default=None):",
        "Cache.spare",
    ),
    Mutation(
        "cachetools",
        "C4",
        "refactor: change constant",
        _CT_KEYS,
        "_kwmark = (_HashedTuple,)",
        "_kwmark = tuple([_HashedTuple])",
        "same value, new spelling",
    ),
    Mutation(
        "cachetools",
        "C5",
        "refactor: change class attribute",
        _CT_KEYS,
        "    __hashvalue = None\n",
        "    __hashvalue = type(None)()\n",
        "_HashedTuple.__hashvalue, same value",
    ),
    Mutation(
        "cachetools",
        "C6",
        "refactor: change decorator",
        _CT_INIT,
        "    @staticmethod\n    def getsizeof(value):",
        "    @(lambda f: staticmethod(f))\n    def getsizeof(value):",
        "Cache.getsizeof, same effect",
    ),
    Mutation(
        "cachetools",
        "C7",
        "refactor: move function",
        _CT_KEYS,
        _METHODKEY + "\n\n",
        "",
        "methodkey → cachetools._methodkey",
        (
            (
                _CT_KEYS,
                "    return typedkey(*args, **kwargs)\n",
                "    return typedkey(*args, **kwargs)\n\n\nfrom ._methodkey import methodkey  # noqa: E402\n",
            ),
            ("src/cachetools/_methodkey.py", "", "from .keys import hashkey\n\n\n" + _METHODKEY),
        ),
    ),
    Mutation(
        "cachetools",
        "C8",
        "refactor: comment only",
        _CT_KEYS,
        "_kwmark = (_HashedTuple,)",
        "_kwmark = (_HashedTuple,)  # a marker, never part of a key",
    ),
    Mutation(
        "cachetools",
        "C9",
        "default",
        _CT_KEYS,
        "    def __hash__(self, hash=tuple.__hash__):",
        "    def __hash__(self, hash=tuple.__len__):",
        "_HashedTuple.__hash__",
    ),
    Mutation(
        "cachetools",
        "C10",
        "function",
        _CT_INIT,
        "            return self[key]\n        else:\n            return default\n",
        "            return self[key]\n        else:\n            return None\n",
        "Cache.get",
    ),
    # -- more-itertools (flat layout, __init__ re-exports everything) ------------------------
    Mutation(
        "more-itertools",
        "M1",
        "refactor: add import",
        _MI_MORE,
        "import math\nimport warnings\n",
        "import math\nimport os\nimport warnings\n",
    ),
    Mutation(
        "more-itertools",
        "M2",
        "refactor: add function",
        _MI_MORE,
        "def iterate(func, start):",
        "def ilen_of(iterable):\n    return ilen(iterable)\n\n\ndef iterate(func, start):",
    ),
    Mutation(
        "more-itertools",
        "M3",
        "refactor: add method",
        _MI_MORE,
        "    def prepend(self, *items):",
        "    def peek_or_none(self):\n        return self.peek(None)\n\n    def prepend(self, *items):",
        "peekable.peek_or_none",
    ),
    Mutation(
        "more-itertools",
        "M4",
        "refactor: change constant",
        _MI_MORE,
        "_fsumprod = getattr(math, 'sumprod', lambda x, y: fsum(map(mul, x, y)))",
        "_fsumprod = getattr(math, 'sumprod', lambda x, y: fsum(a * b for a, b in zip(x, y)))",
        "same value, new spelling",
    ),
    Mutation(
        "more-itertools",
        "M5",
        "refactor: move function",
        _MI_MORE,
        _ilen_source() + "\n\n",
        "",
        "ilen → more_itertools.recipes",
        (
            (
                _MI_MORE,
                "    _marker,\n    _zip_equal,\n",
                "    _marker,\n    _zip_equal,\n    ilen,\n",
            ),
            (_MI_RECIPES, "def take(n, iterable):", _ilen_source() + "\n\ndef take(n, iterable):"),
        ),
    ),
    Mutation(
        "more-itertools",
        "M6",
        "refactor: comment only",
        _MI_MORE,
        "_fsumprod = getattr(math, 'sumprod', lambda x, y: fsum(map(mul, x, y)))",
        "_fsumprod = getattr(math, 'sumprod', lambda x, y: fsum(map(mul, x, y)))  # 3.12+",
    ),
    Mutation(
        "more-itertools",
        "M7",
        "default",
        _MI_MORE,
        "def always_iterable(obj, base_type=(str, bytes)):",
        "def always_iterable(obj, base_type=(bytes,)):",
    ),
    Mutation(
        "more-itertools",
        "M8",
        "function",
        _MI_MORE,
        "    return sum(compress(repeat(1), zip(iterable)))",
        "    return sum(compress(repeat(2), zip(iterable)))",
        "ilen",
    ),
    # -- attrs (src layout, root conftest imports attr._compat) ---------------------------------
    Mutation(
        "attrs",
        "A1",
        "refactor: add import",
        _AT_VAL,
        "import operator\nimport re\n",
        "import operator\nimport os\nimport re\n",
    ),
    Mutation(
        "attrs",
        "A2",
        "refactor: add function",
        _AT_VAL,
        "def lt(val):",
        "def spare(val):\n    return val\n\n\ndef lt(val):",
    ),
    Mutation(
        "attrs",
        "A3",
        "refactor: add method",
        _AT_VAL,
        '    def __repr__(self):\n        return f"<instance_of validator',
        '    def spare(self):\n        return self.type\n\n    def __repr__(self):\n        return f"<instance_of validator',
        "_InstanceOfValidator.spare",
    ),
    Mutation(
        "attrs",
        "A4",
        "refactor: change constant",
        _AT_COMPAT,
        "PY_3_9_PLUS = sys.version_info[:2] >= (3, 9)",
        "PY_3_9_PLUS = sys.version_info >= (3, 9)",
        "in the module the root conftest imports; same value",
    ),
    Mutation(
        "attrs",
        "A5",
        "refactor: change class attribute",
        _AT_VAL,
        _INSTANCE_OF,
        _INSTANCE_OF.replace("type = attrib()", "type = attrib(repr=True)"),
        "an attrs field, default spelled out",
    ),
    Mutation(
        "attrs",
        "A6",
        "refactor: change decorator",
        _AT_VAL,
        _INSTANCE_OF,
        _INSTANCE_OF.replace("unsafe_hash=True)", "unsafe_hash=True, init=True)"),
        "default spelled out",
    ),
    Mutation(
        "attrs",
        "A7",
        "refactor: comment only",
        _AT_COMPAT,
        'PYPY = platform.python_implementation() == "PyPy"',
        'PYPY = platform.python_implementation() == "PyPy"  # the interpreter, not the OS',
    ),
    Mutation(
        "attrs",
        "A8",
        "decorator",
        _AT_VAL,
        _INSTANCE_OF,
        _INSTANCE_OF.replace("repr=False", "repr=True"),
    ),
    Mutation(
        "attrs",
        "A9",
        "function",
        _AT_VAL,
        'return f"<instance_of validator for type {self.type!r}>"',
        'return f"<instance_of validator for {self.type!r}>"',
        "_InstanceOfValidator.__repr__",
    ),
]
QUICK = ("C1", "C9")


# -- the corpus: pinned sdists, unpacked, each with its venv -------------------------------------


def _simple_index(name: str) -> list[dict[str, Any]]:
    """The package's files from PyPI's simple index (JSON form, PEP 691)."""
    normalized = re.sub(r"[-_.]+", "-", name).lower()
    request = urllib.request.Request(
        f"https://pypi.org/simple/{normalized}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        files: list[dict[str, Any]] = json.load(response)["files"]
    return files


def fetch_sdist(project: Project) -> Path:
    """The pinned sdist, downloaded once into the cache and checked against its sha256."""
    sdists = CORPUS_CACHE / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    pattern = re.compile(
        rf"^{re.sub(r'[-_.]+', '[-_.]', project.name)}-{re.escape(project.version)}\.tar\.gz$",
        re.IGNORECASE,
    )
    cached = [p for p in sdists.iterdir() if pattern.match(p.name)]
    if cached and hashlib.sha256(cached[0].read_bytes()).hexdigest() == project.sha256:
        return cached[0]
    found = [f for f in _simple_index(project.name) if pattern.match(f["filename"])]
    if not found:
        raise RuntimeError(f"{project.folder}: no sdist on PyPI")
    with urllib.request.urlopen(found[0]["url"], timeout=120) as response:
        data: bytes = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != project.sha256:
        raise RuntimeError(f"{project.folder}: sha256 {digest}, pinned {project.sha256}")
    target = sdists / str(found[0]["filename"])
    target.write_bytes(data)
    return target


def unpacked(project: Project) -> Path:
    """The sdist's tree (unpacked once): the project as its tests see it."""
    folder = CORPUS_CACHE / "src" / project.folder
    if (folder / ".complete").exists():
        return folder
    sdist = fetch_sdist(project)
    shutil.rmtree(folder, ignore_errors=True)
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(sdist) as archive:
        archive.extractall(staging, filter="data")
    top = next(staging.iterdir())
    top.rename(folder)
    shutil.rmtree(staging)
    (folder / ".complete").write_text("")
    return folder


def project_venv(project: Project) -> Path:
    """The project's test environment in the cache: its python."""
    venv = CORPUS_CACHE / "venvs" / project.folder
    python = venv / "bin" / "python"
    pins = "\n".join((*TOOL_PINS, *project.deps))
    stamp = venv / "gateui-bench-pins.txt"
    if python.exists() and stamp.exists() and stamp.read_text() == pins:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *TOOL_PINS, *project.deps], check=True
    )
    stamp.write_text(pins)
    return python


def network_reachable() -> bool:
    try:
        _simple_index("iniconfig")
    except OSError:
        return False
    return True


# -- one project's recorded copies and its edits --------------------------------------------------


def link_venv(copy: Path, python: Path) -> None:
    """The project's venv as ``.venv`` (gateui's interpreter search finds it), kept out of git,
    with gateui's and testmon's data, as a user's ``.gitignore`` would."""
    (copy / ".venv").symlink_to(python.parent.parent, target_is_directory=True)
    with (copy / ".git" / "info" / "exclude").open("a") as fh:
        fh.write("/.venv\n/.gateui/\n/.testmondata*\n")


def record_pair(project: Project, source: Path, python: Path, dest: Path, probe: Path) -> int:
    """Recorded copies for gateui (``gateui run``) and testmon (``pytest --testmon``)."""
    g_copy = fresh_git_copy(source, dest / "gateui")
    link_venv(g_copy, python)
    events = gateui_events(g_copy, [], timeout=1200, pytest_args=(*NO_CACHE, *project.pytest_args))
    summary = next(e for e in events if e.get("event") == "summary")
    if summary["failed"] or summary["errors"]:
        raise RuntimeError(f"{project.folder}: the suite fails before any edit: {summary}")
    t_copy = fresh_git_copy(source, dest / "testmon")
    link_venv(t_copy, python)
    ran = run_probed(
        python, t_copy, ("--testmon", *project.pytest_args), probe, dest / "p.jsonl", 1200
    )
    if not ran or any(o in FAILING for o in ran.values()):
        raise RuntimeError(f"{project.folder}: the suite fails under testmon")
    return int(summary["selected"])


def run_edit(
    m: Mutation, project: Project, python: Path, template: Path, work: Path, probe: Path
) -> Outcome:
    result = Outcome(m)
    dest = work / m.key
    g_copy, t_copy = dest / "gateui", dest / "testmon"
    shutil.copytree(template / "gateui", g_copy, symlinks=True)
    shutil.copytree(template / "testmon", t_copy, symlinks=True)
    apply(g_copy, m)
    apply(t_copy, m)
    out = dest / "probe.jsonl"
    truth = run_probed(python, g_copy, (*NO_CACHE, *project.pytest_args), probe, out, 1200)
    result.total = len(truth)
    result.truth = {n for n, o in truth.items() if o in FAILING}
    started = time.perf_counter()
    events = gateui_events(
        g_copy, ["--affected"], timeout=1200, pytest_args=(*NO_CACHE, *project.pytest_args)
    )
    result.gateui_s = time.perf_counter() - started
    for event in events:
        if event.get("event") == "test":
            result.gateui_ran.add(event["nodeid"])
            result.gateui_reasons[event["nodeid"]] = event.get("reason", "")
    started = time.perf_counter()
    ran = run_probed(python, t_copy, ("--testmon", *project.pytest_args), probe, out, 1200)
    result.testmon_s = time.perf_counter() - started
    result.testmon_ran = set(ran)
    for arm in (result.gateui_ran, result.testmon_ran):
        for nodeid in [n for n in result.truth if "::" not in n]:
            if any(r.startswith(nodeid + "::") for r in arm):
                arm.add(nodeid)
    result.graph_count = graph_count(g_copy, m, truth, projects=(".",))
    if not result.truth and not m.refactoring:
        result.error = "INVALID: no test fails on the edited tree"
    if m.refactoring and result.truth:
        result.error = "INVALID: a refactoring broke tests: " + ", ".join(sorted(result.truth)[:3])
    shutil.rmtree(dest, ignore_errors=True)
    return result


# -- report ----------------------------------------------------------------------------------------


def report(outcomes: list[Outcome], sizes: dict[str, int]) -> bool:
    """Print the per-edit table and the targets; True when every target is met."""
    rows = []
    for o in outcomes:
        m = o.mutation
        first = sorted(n for n in (o.truth or o.gateui_ran) if n in o.gateui_reasons)
        reason = o.gateui_reasons[first[0]] if first else ""
        rows.append(
            [
                m.key,
                m.repo,
                m.kind.removeprefix("refactor: ") + (f" ({m.note})" if m.note else ""),
                f"`{m.path}`",
                *o.comparison_cells(reason),
            ]
        )
    print(
        table(
            [
                "edit",
                "project",
                "edit kind",
                "file",
                "failing/total",
                "gateui ran",
                "gateui recall",
                "testmon ran",
                "testmon recall",
                "import graph ran",
                "gateui's reason (first failing or selected test)",
            ],
            rows,
        )
    )
    refactor_met = report_refactorings([o for o in outcomes if o.mutation.refactoring])
    missed = [o for o in outcomes if o.gateui_missed]
    invalid = [o for o in outcomes if o.error]
    for o in missed:
        print(
            f"!! gateui MISSED {len(o.gateui_missed)} failing test(s) for {o.mutation.key}: "
            f"{', '.join(sorted(o.gateui_missed)[:6])}"
        )
    for o in invalid:
        print(f"!! {o.mutation.key}: {o.error}")
    breaking = [o for o in outcomes if not o.mutation.refactoring and o.truth]
    print(f"# suites: {', '.join(f'{k} {v} tests' for k, v in sizes.items())}")
    print(
        f"# recall 100% on every breaking edit — "
        f"{'MET' if not missed else f'MISSED on {len(missed)}'} ({len(breaking)} breaking edits)"
    )
    if breaking:
        print(
            f"# breaking edits: median ran gateui {median([len(o.gateui_ran) for o in breaking]):g}, "
            f"testmon {median([len(o.testmon_ran) for o in breaking]):g}"
        )
    return refactor_met and not missed and not invalid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument("--only", help="comma-separated edit keys (e.g. C1,M4)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    chosen = MUTATIONS
    if args.quick:
        chosen = [m for m in MUTATIONS if m.key in QUICK]
    if args.only:
        keys = set(args.only.split(","))
        chosen = [m for m in MUTATIONS if m.key in keys]
    print(f"# {command_line()}")
    print(f"# {machine()}; {gateui_revision()}; pytest-testmon 2.2.0")
    print(f"# at start: {load_average()}")
    cached = all(
        (CORPUS_CACHE / "src" / CORPUS[m.repo].folder / ".complete").exists() for m in chosen
    )
    if not cached and not network_reachable():
        print("# skipped: PyPI is unreachable and the corpus is not cached")
        return 0
    work = Path(tempfile.mkdtemp(prefix="gateui-selection-corpus-"))
    probe = write_probe(work / "probe")
    clock = time.perf_counter()
    outcomes: list[Outcome] = []
    sizes: dict[str, int] = {}
    try:
        for key, project in CORPUS.items():
            todo = [m for m in chosen if m.repo == key]
            if not todo:
                continue
            source = unpacked(project)
            python = project_venv(project)
            template = work / f"{key}-recorded"
            sizes[key] = record_pair(project, source, python, template, probe)
            print(f"  {project.folder}: {sizes[key]} tests recorded ({project.shape})", flush=True)
            for m in todo:
                o = run_edit(m, project, python, template, work, probe)
                outcomes.append(o)
                print(
                    f"  {m.key:4} {m.kind:34} failing={len(o.truth):3} gateui={len(o.gateui_ran):4}"
                    f"{' (MISS)' if o.gateui_missed else ''} testmon={len(o.testmon_ran):4} "
                    f"graph={o.graph_count:4} {o.error}",
                    flush=True,
                )
    finally:
        if args.keep:
            print(f"# work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print()
    met = report(outcomes, sizes)
    print(
        f"# {len(outcomes)} edits in {time.perf_counter() - clock:.0f} s; at end: {load_average()}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

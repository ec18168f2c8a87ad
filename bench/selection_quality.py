# ruff: noqa: E501  (tables and generated source read better unwrapped)
"""Selection quality: a mutation benchmark of ``gateui run --affected`` against pytest-testmon.

For each mutation (a single edit that makes at least one test fail), over the sample repositories
(selection_lab, the demo repository "bookshelf", web_api_monorepo) and a generated repository whose
package ``__init__`` re-exports everything and whose root conftest imports the package:

1. a fresh git copy of the repository (``git init`` + commit) with a recorded full run: gateui's
   copy recorded by ``gateui run`` (recording is on by default), testmon's copy (a separate copy,
   so testmon's data file is never a change gateui sees) by ``pytest --testmon`` in each project.
   By default the recorded copies are made once per repository and copied (work tree, .git,
   .gateui, .testmondata, mtimes kept) for each mutation; ``--record-each`` records in every
   mutation's own copy instead (slower, same thing);
2. the mutation is applied to both copies;
3. ground truth: the failures of the full suite on the mutated tree (plain ``python -m pytest
   -p no:cacheprovider`` in each project root, gateui's interpreter);
4. gateui: ``gateui run --affected --json -- -p no:cacheprovider`` → the tests it ran;
5. testmon: ``pytest --testmon`` in each project → the tests it ran (testmon's interpreter: a
   throwaway venv under ~/.cache/gateui-bench with pytest 8.4.2 and pytest-testmon; testmon
   needs pytest's cacheprovider, so its runs keep it).

Recall = |ground-truth failures ∩ tests run| / |ground-truth failures|. Every miss is printed.
Which tests ran is read by a small probe plugin (testmon, ground truth) and from gateui's JSON
events (gateui).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from selection_kit import (
    DEMO,
    FAILING,
    NO_CACHE,
    PYTHON,
    SAMPLES,
    command_line,
    ensure_testmon,
    fresh_git_copy,
    gateui_events,
    gateui_revision,
    generate_reexport_repo,
    load_average,
    machine,
    median,
    run_probed,
    table,
    testmon_version,
    write_probe,
)


@dataclass(frozen=True)
class Mutation:
    repo: str
    key: str
    kind: str
    path: str
    old: str
    new: str
    note: str = ""
    more: tuple[tuple[str, str, str], ...] = ()
    """Further edits of the same change: (path, old, new); an empty ``old`` writes a new file."""

    @property
    def refactoring(self) -> bool:
        """An edit that keeps behaviour: no test should fail, few should run."""
        return self.kind.startswith("refactor")


@dataclass(frozen=True)
class Repo:
    key: str
    projects: tuple[str, ...]
    """Project roots, repository-relative ("." for the root): where pytest runs."""


REPOS = {
    "lab": Repo("lab", (".",)),
    "demo": Repo("demo", (".",)),
    "webapi": Repo("webapi", ("projects/web_api", "projects/worker")),
    "gen": Repo("gen", (".",)),
}

# kind: function = one function's body (incl. methods, fixtures, nested functions);
# constant / default / class-attr / decorator / parametrize = module-level code; data = a file
# tests read. "import-time" marks function bodies that run only when a module is imported or a
# test file collected (or once per session), which per-test recording cannot attribute.
MUTATIONS = [
    # -- selection_lab -------------------------------------------------------------------------
    Mutation(
        "lab", "L1", "function", "src/lab/util.py", "return x * SCALE", "return x * SCALE + 1"
    ),
    Mutation("lab", "L2", "constant", "src/lab/util.py", "SCALE = 2", "SCALE = 3"),
    Mutation(
        "lab", "L3", "function", "src/lab/core.py", 'return f"value {x}"', 'return f"value: {x}"'
    ),
    Mutation(
        "lab",
        "L4",
        "parametrize",
        "tests/test_util.py",
        "[(1, 2), (2, 4), (5, 10)]",
        "[(1, 2), (2, 4), (5, 11)]",
    ),
    Mutation(
        "lab",
        "L5",
        "function",
        "tests/conftest.py",
        "return [1, 2, 3]",
        "return [1, 2, 4]",
        "fixture",
    ),
    Mutation("lab", "L6", "data", "tests/data/settings.json", '"mode": "fast"', '"mode": "slow"'),
    # -- demo (bookshelf): __init__ re-exports everything, the root conftest imports it --------
    Mutation(
        "demo",
        "D1",
        "function",
        "src/bookshelf/isbn.py",
        "(1 if i % 2 == 0 else 3)",
        "(3 if i % 2 == 0 else 1)",
    ),
    Mutation(
        "demo",
        "D2",
        "function",
        "src/bookshelf/loans.py",
        "renewals=loan.renewals + 1",
        "renewals=loan.renewals + 2",
        "method",
    ),
    Mutation("demo", "D3", "function", "src/bookshelf/search.py", "points += 2", "points += 0"),
    Mutation(
        "demo",
        "D4",
        "function",
        "src/bookshelf/catalog.py",
        "key=lambda b: (b.year, b.title)",
        "key=lambda b: (-b.year, b.title)",
        "lambda in a method",
    ),
    Mutation(
        "demo",
        "D5",
        "function",
        "src/bookshelf/storage.py",
        '"schema": SCHEMA_VERSION,',
        '"schema": SCHEMA_VERSION + 1,',
        "method",
    ),
    Mutation(
        "demo",
        "D6",
        "constant",
        "src/bookshelf/loans.py",
        'FINE_PER_DAY = Decimal("0.25")',
        'FINE_PER_DAY = Decimal("0.30")',
    ),
    Mutation(
        "demo",
        "D7",
        "default",
        "src/bookshelf/loans.py",
        "days: int = LOAN_DAYS) -> date:",
        "days: int = LOAN_DAYS + 1) -> date:",
    ),
    Mutation(
        "demo",
        "D8",
        "class-attr",
        "src/bookshelf/loans.py",
        "    renewals: int = 0",
        "    renewals: int = 1",
        "dataclass field",
    ),
    Mutation(
        "demo",
        "D9",
        "parametrize",
        "tests/unit/test_isbn.py",
        '["0-201-61622-X", "0140449264"]',
        '["0-201-61622-X", "0140449265"]',
    ),
    Mutation(
        "demo",
        "D10",
        "constant",
        "src/bookshelf/search.py",
        r'_WORD = re.compile(r"[^\W_]+")',
        r'_WORD = re.compile(r"[a-z]+")',
    ),
    Mutation(
        "demo",
        "D11",
        "function",
        "tests/conftest.py",
        '"Emma", ["Jane Austen"], 1815, ["classic"])',
        '"Emma", ["Jane Austen"], 1815, ["classic"], copies=2)',
        "fixture",
    ),
    Mutation(
        "demo",
        "D12",
        "data",
        "tests/data/books.json",
        '"title": "The Pragmatic Programmer"',
        '"title": "The Pragmatic Programmer, 2nd ed."',
    ),
    # -- web_api_monorepo (two projects) -------------------------------------------------------
    Mutation(
        "webapi",
        "W1",
        "function",
        "projects/web_api/web_api/ranges.py",
        "return max(size - length, 0), size - 1",
        "return max(size - length - 1, 0), size - 1",
    ),
    Mutation(
        "webapi",
        "W2",
        "function",
        "projects/web_api/web_api/workflows.py",
        "return 8 <= len(value) <= 64",
        "return 16 <= len(value) <= 64",
    ),
    Mutation(
        "webapi",
        "W3",
        "constant",
        "projects/web_api/web_api/workflows.py",
        'STATUSES = ("received", "stored", "indexed", "completed", "failed")',
        'STATUSES = ("received", "indexed", "completed", "failed")',
    ),
    Mutation(
        "webapi",
        "W4",
        "constant",
        "projects/web_api/web_api/main.py",
        "MAX_UPLOAD_BYTES = 5 * 1024 * 1024",
        "MAX_UPLOAD_BYTES = 512",
    ),
    Mutation(
        "webapi",
        "W5",
        "function",
        "projects/web_api/web_api/main.py",
        '"Accept-Ranges": "bytes",',
        '"Accept-Ranges": "none",',
        "nested route handler",
    ),
    Mutation(
        "webapi",
        "W6",
        "function",
        "projects/worker/worker/jobs.py",
        "base * 2**attempt",
        "base * 3**attempt",
    ),
    Mutation(
        "webapi",
        "W7",
        "default",
        "projects/worker/worker/jobs.py",
        "base: float = 0.5,",
        "base: float = 0.25,",
    ),
    Mutation(
        "webapi",
        "W8",
        "class-attr",
        "projects/worker/worker/jobs.py",
        "    max_retries: int = 3",
        "    max_retries: int = 1",
        "dataclass field",
    ),
    Mutation(
        "webapi",
        "W9",
        "function",
        "projects/web_api/tests/conftest.py",
        'self.calls.append(("put", stored.file_id))',
        'self.calls.append(("store", stored.file_id))',
        "conftest class method",
    ),
    # -- generated: genpkg/__init__ re-exports 40 modules; tests/conftest.py imports genpkg ----
    Mutation("gen", "G1", "function", "src/genpkg/mod_07.py", "* FACTOR_07 + 1", "* FACTOR_07 + 2"),
    Mutation(
        "gen",
        "G2",
        "function",
        "src/genpkg/base.py",
        "return int(x)",
        "return int(x) + 1",
        "shared helper",
    ),
    Mutation("gen", "G3", "constant", "src/genpkg/mod_12.py", "FACTOR_12 = 14", "FACTOR_12 = 15"),
    Mutation("gen", "G4", "default", "src/genpkg/mod_20.py", "offset=20):", "offset=21):"),
    Mutation("gen", "G5", "class-attr", "src/genpkg/mod_25.py", "    unit = 26", "    unit = 27"),
    Mutation("gen", "G6", "decorator", "src/genpkg/mod_30.py", "@scaled(2)", "@scaled(3)"),
    Mutation(
        "gen",
        "G7",
        "parametrize",
        "tests/test_mod_33.py",
        "[(0, 1), (1, 36), (2, 71)]",
        "[(0, 1), (1, 36), (2, 72)]",
    ),
    Mutation(
        "gen",
        "G8",
        "function",
        "src/genpkg/mod_05.py",
        "return x * self.unit",
        "return x * self.unit + 1",
        "method",
    ),
    Mutation(
        "gen", "G9", "function", "tests/conftest.py", "    return 3\n", "    return 4\n", "fixture"
    ),
    Mutation(
        "gen",
        "G10",
        "function",
        "tests/test_mod_14.py",
        "return [(0, 0), (1, 15), (2, 30)]",
        "return [(0, 0), (1, 15), (2, 31)]",
        "import-time: parametrize data from a helper function",
    ),
    Mutation(
        "gen",
        "G11",
        "function",
        "src/genpkg/base.py",
        "HANDLERS[name] = fn",
        "HANDLERS[name.upper()] = fn",
        "import-time: a registering decorator's body",
    ),
    Mutation(
        "gen",
        "G12",
        "function",
        "tests/conftest.py",
        "return {'mode': 'fast'}",
        "return {'mode': 'slow'}",
        "import-time: session-scoped fixture (runs once)",
    ),
    Mutation(
        "gen",
        "G13",
        "function",
        "src/genpkg/mod_18.py",
        "        return 28\n",
        "        return 29\n",
        "property getter that has a setter",
    ),
]
# Refactoring edits: behaviour kept, so nothing fails; the question is how much reruns. Ground
# truth still runs, so a refactoring that breaks a test would show as a miss.
_LOANS = "src/bookshelf/loans.py"
_DUE_DATE = (
    "def due_date(start: date, days: int = LOAN_DAYS) -> date:\n"
    '    """Due date ``days`` after ``start``; a due date on a Sunday moves to Monday."""\n'
    "    due = start + timedelta(days=days)\n"
    "    if due.weekday() == 6:\n"
    "        due += timedelta(days=1)\n"
    "    return due\n\n\n"
)
REFACTORINGS = [
    Mutation(
        "demo",
        "R1",
        "refactor: add import",
        _LOANS,
        "from decimal import Decimal\n",
        "from decimal import Decimal\nimport os\n",
    ),
    Mutation(
        "demo",
        "R2",
        "refactor: add function",
        _LOANS,
        "class LoanError(Exception):",
        "def renewal_limit() -> int:\n    return MAX_RENEWALS\n\n\nclass LoanError(Exception):",
    ),
    Mutation(
        "demo",
        "R3",
        "refactor: add method",
        _LOANS,
        "    def days_overdue(",
        "    def is_renewed(self) -> bool:\n        return self.renewals > 0\n\n    def days_overdue(",
    ),
    Mutation(
        "demo",
        "R4",
        "refactor: change constant",
        _LOANS,
        'MAX_FINE = Decimal("10.00")',
        'MAX_FINE = Decimal("10.000")',
        "same value, new spelling",
    ),
    Mutation(
        "demo",
        "R5",
        "refactor: change class attribute",
        "src/bookshelf/catalog.py",
        "    copies: int = 1\n",
        "    copies: int = int(1)\n",
    ),
    Mutation(
        "demo",
        "R6",
        "refactor: change decorator",
        _LOANS,
        "@dataclass(frozen=True)",
        "@dataclass(frozen=True, eq=True)",
    ),
    Mutation(
        "demo",
        "R7",
        "refactor: move function",
        _LOANS,
        _DUE_DATE,
        "",
        "due_date → bookshelf.dates",
        (
            (
                _LOANS,
                "from bookshelf.catalog import Catalog\n",
                "from bookshelf.catalog import Catalog\nfrom bookshelf.dates import due_date\n",
            ),
            (
                "src/bookshelf/dates.py",
                "",
                "from datetime import date, timedelta\n\nLOAN_DAYS = 21\n\n\n"
                + _DUE_DATE.rstrip()
                + "\n",
            ),
        ),
    ),
    Mutation(
        "demo",
        "R8",
        "refactor: comment only",
        _LOANS,
        "MAX_RENEWALS = 2",
        "MAX_RENEWALS = 2  # per loan",
    ),
    Mutation(
        "demo",
        "R9",
        "refactor: docstring and format",
        _LOANS,
        '"""Loans and due dates. All dates are passed in: nothing reads the clock."""',
        '"""Loans and their due dates; all dates are passed in."""',
    ),
    Mutation(
        "gen", "R10", "refactor: add import", "src/genpkg/mod_12.py", '"""\n', '"""\nimport os\n'
    ),
    Mutation(
        "gen",
        "R11",
        "refactor: add function",
        "src/genpkg/mod_12.py",
        "FACTOR_12 = 14",
        "FACTOR_12 = 14\n\n\ndef spare_12(x):\n    return x",
    ),
]
MUTATIONS += REFACTORINGS
QUICK = ("L1", "L2")  # one repository, two mutations: a smoke check of the whole pipeline


@dataclass
class Outcome:
    mutation: Mutation
    truth: set[str] = field(default_factory=set)
    total: int = 0
    gateui_ran: set[str] = field(default_factory=set)
    gateui_reasons: dict[str, str] = field(default_factory=dict)
    gateui_s: float = 0.0
    testmon_ran: set[str] = field(default_factory=set)
    testmon_s: float = 0.0
    graph_count: int = 0
    """Tests in the test files that import an edited file: what the import graph alone runs."""
    error: str = ""

    @property
    def gateui_missed(self) -> set[str]:
        return self.truth - self.gateui_ran

    @property
    def testmon_missed(self) -> set[str]:
        return self.truth - self.testmon_ran

    def comparison_cells(self, reason: str) -> list[str]:
        """The table columns from "failing/total" to gateui's reason, as both tables show them."""
        return [
            f"{len(self.truth)}/{self.total}",
            str(len(self.gateui_ran)),
            recall(self.truth, self.gateui_ran) + (" **MISS**" if self.gateui_missed else ""),
            str(len(self.testmon_ran)),
            recall(self.truth, self.testmon_ran) + (" **MISS**" if self.testmon_missed else ""),
            str(self.graph_count),
            reason.replace("|", "/")[:70],
        ]


def source_of(key: str, work: Path) -> Path:
    if key == "lab":
        return SAMPLES / "selection_lab"
    if key == "demo":
        return DEMO
    if key == "webapi":
        return SAMPLES / "web_api_monorepo"
    generated = work / "generated-source"
    if not generated.exists():
        generate_reexport_repo(generated)
    return generated


def to_repo_id(project: str, nodeid: str) -> str:
    return nodeid if project == "." else f"{project}/{nodeid}"


def run_suite(
    python: Path, repo: Path, spec: Repo, args: tuple[str, ...], probe: Path, out: Path
) -> dict[str, str]:
    results: dict[str, str] = {}
    for project in spec.projects:
        ran = run_probed(python, repo / project, args, probe, out)
        results.update({to_repo_id(project, n): o for n, o in ran.items()})
    return results


def record_pair(
    source: Path, spec: Repo, dest: Path, testmon_python: Path, probe: Path
) -> tuple[Path, Path, int]:
    """Fresh git copies for gateui and for testmon, each with a recorded full run."""
    g_copy = fresh_git_copy(source, dest / "gateui")
    events = gateui_events(g_copy, [])
    summary = next(e for e in events if e.get("event") == "summary")
    if summary["failed"] or summary["errors"]:
        raise RuntimeError(f"{spec.key}: the unmutated suite fails under gateui: {summary}")
    t_copy = fresh_git_copy(source, dest / "testmon")
    ran = run_suite(testmon_python, t_copy, spec, ("--testmon",), probe, dest / "probe.jsonl")
    if not ran or any(o in FAILING for o in ran.values()):
        raise RuntimeError(f"{spec.key}: the unmutated suite fails under testmon")
    return g_copy, t_copy, summary["selected"]


def apply(repo: Path, m: Mutation) -> None:
    for rel, old, new in ((m.path, m.old, m.new), *m.more):
        path = repo / rel
        if not old:
            path.write_text(new)
            continue
        text = path.read_text()
        if text.count(old) != 1:
            raise RuntimeError(f"{m.key}: {old!r} occurs {text.count(old)} times in {rel}")
        path.write_text(text.replace(old, new))


def graph_count(
    repo: Path, m: Mutation, ran: dict[str, str], projects: tuple[str, ...] | None = None
) -> int:
    """How many of the suite's tests (``ran``) sit in a test file that imports an edited file
    (or is one): the import graph's answer, the rule module-level edits had before names.
    ``projects``: the project roots (default: those of ``REPOS[m.repo]``)."""
    from gateui.core.layout.projects import repo_files
    from gateui.core.selection._import_graph import ImportGraph, layouts_for

    roots = [(repo / p, ("src",)) for p in projects or REPOS[m.repo].projects]
    graph = ImportGraph(repo, layouts_for(repo, roots), repo_files(repo))
    files: set[str] = set()
    for rel in {m.path, *(p for p, _, _ in m.more)}:
        files.add(rel)
        files.update(graph.importers(rel))
    return sum(1 for nodeid in ran if nodeid.split("::", 1)[0] in files)


def run_mutation(
    m: Mutation,
    spec: Repo,
    template: tuple[Path, Path] | None,
    source: Path,
    work: Path,
    testmon_python: Path,
    probe: Path,
) -> Outcome:
    result = Outcome(m)
    dest = work / m.key
    if template is None:
        g_copy, t_copy, _ = record_pair(source, spec, dest, testmon_python, probe)
    else:
        g_copy, t_copy = dest / "gateui", dest / "testmon"
        shutil.copytree(template[0], g_copy, symlinks=True)
        shutil.copytree(template[1], t_copy, symlinks=True)
    apply(g_copy, m)
    apply(t_copy, m)
    out = dest / "probe.jsonl"
    truth = run_suite(PYTHON, g_copy, spec, NO_CACHE, probe, out)
    result.total = len(truth)
    result.truth = {n for n, o in truth.items() if o in FAILING}
    started = time.perf_counter()
    events = gateui_events(g_copy, ["--affected"])
    result.gateui_s = time.perf_counter() - started
    for event in events:
        if event.get("event") == "test":
            result.gateui_ran.add(event["nodeid"])
            result.gateui_reasons[event["nodeid"]] = event.get("reason", "")
    started = time.perf_counter()
    ran = run_suite(testmon_python, t_copy, spec, ("--testmon",), probe, out)
    result.testmon_s = time.perf_counter() - started
    result.testmon_ran = set(ran)
    # Collection errors count as failures of the file: covered if any test of it ran.
    for arm in (result.gateui_ran, result.testmon_ran):
        for nodeid in [n for n in result.truth if "::" not in n]:
            if any(r.startswith(nodeid + "::") for r in arm):
                arm.add(nodeid)
    result.graph_count = graph_count(g_copy, m, truth)
    if not result.truth and not m.refactoring:
        result.error = "INVALID: no test fails on the mutated tree"
    shutil.rmtree(dest, ignore_errors=True)
    return result


def recall(truth: set[str], ran: set[str]) -> str:
    if not truth:
        return "n/a"
    return f"{100 * len(truth & ran) / len(truth):.0f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument("--only", help="comma-separated mutation keys (e.g. G10,G11)")
    parser.add_argument(
        "--record-each", action="store_true", help="record in every mutation's own copy"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    chosen = MUTATIONS
    if args.quick:
        chosen = [m for m in MUTATIONS if m.key in QUICK]
    if args.only:
        keys = set(args.only.split(","))
        chosen = [m for m in MUTATIONS if m.key in keys]
    testmon_python = ensure_testmon()
    work = Path(tempfile.mkdtemp(prefix="gateui-selection-quality-"))
    probe = write_probe(work / "probe")
    print(f"# {command_line()}")
    print(f"# {machine()}; {gateui_revision()}; pytest-testmon {testmon_version(testmon_python)}")
    print(f"# at start: {load_average()}")
    clock = time.perf_counter()
    outcomes: list[Outcome] = []
    totals: dict[str, int] = {}
    try:
        for key, spec in REPOS.items():
            todo = [m for m in chosen if m.repo == key]
            if not todo:
                continue
            source = source_of(key, work)
            template = None
            if not args.record_each:
                g, t, totals[key] = record_pair(
                    source, spec, work / f"{key}-recorded", testmon_python, probe
                )
                template = (g, t)
            for m in todo:
                outcome = run_mutation(m, spec, template, source, work, testmon_python, probe)
                outcomes.append(outcome)
                flag = "MISS" if outcome.gateui_missed else "ok"
                print(
                    f"  {m.key:4} {m.kind:12} failures={len(outcome.truth):3} "
                    f"gateui={len(outcome.gateui_ran):3} ({flag}) testmon={len(outcome.testmon_ran):3}"
                    f"{' (MISS)' if outcome.testmon_missed else ''} {outcome.error}",
                    flush=True,
                )
    finally:
        if args.keep:
            print(f"# work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - clock
    rows = []
    for o in outcomes:
        m = o.mutation
        reason = next((o.gateui_reasons[n] for n in sorted(o.truth) if n in o.gateui_reasons), "")
        rows.append(
            [
                m.key,
                m.kind + (f" ({m.note})" if m.note else ""),
                f"`{m.path}`",
                *o.comparison_cells(reason),
            ]
        )
    print()
    print(
        table(
            [
                "mutation",
                "kind",
                "file",
                "failing/total",
                "gateui ran",
                "gateui recall",
                "testmon ran",
                "testmon recall",
                "import graph ran",
                "gateui's reason (first failing test)",
            ],
            rows,
        )
    )
    refactorings = [o for o in outcomes if o.mutation.refactoring]
    refactoring_met = report_refactorings(refactorings)
    valid = [o for o in outcomes if o.truth and not o.mutation.refactoring]
    print()
    summary_rows = []
    groups = [("all", valid)]
    groups.append(("function bodies", [o for o in valid if o.mutation.kind == "function"]))
    groups.append(
        ("module-level", [o for o in valid if o.mutation.kind not in ("function", "data")])
    )
    groups.append(("data files", [o for o in valid if o.mutation.kind == "data"]))
    for name, group in groups:
        if not group:
            continue
        summary_rows.append(
            [
                name,
                str(len(group)),
                f"{median([len(o.gateui_ran) for o in group]):g}",
                str(sum(1 for o in group if o.gateui_missed)),
                f"{median([len(o.testmon_ran) for o in group]):g}",
                str(sum(1 for o in group if o.testmon_missed)),
            ]
        )
    print(
        table(
            [
                "mutations",
                "n",
                "gateui median ran",
                "gateui misses",
                "testmon median ran",
                "testmon misses",
            ],
            summary_rows,
        )
    )
    print()
    print(f"# suites: {', '.join(f'{k} {v} tests' for k, v in totals.items())}")
    print(f"# {len(outcomes)} mutations in {elapsed:.0f} s; at end: {load_average()}")
    invalid = [o.mutation.key for o in outcomes if not o.truth and not o.mutation.refactoring]
    if invalid:
        print(f"# INVALID mutations (nothing failed): {', '.join(invalid)}")
    missed = [o for o in outcomes if o.gateui_missed]
    for o in missed:
        print(
            f"!! gateui MISSED {len(o.gateui_missed)} failing test(s) for {o.mutation.key} "
            f"({o.mutation.kind}, {o.mutation.path}): {', '.join(sorted(o.gateui_missed)[:6])}"
        )
    for o in outcomes:
        if o.testmon_missed:
            print(
                f"   testmon missed {len(o.testmon_missed)} for {o.mutation.key}: "
                f"{', '.join(sorted(o.testmon_missed)[:4])}"
            )
    g_median = median([len(o.gateui_ran) for o in valid]) if valid else 0
    t_median = median([len(o.testmon_ran) for o in valid]) if valid else 0
    print(
        f"# target: recall 100% on every mutation — {'MET' if not missed else f'MISSED on {len(missed)}'}; "
        f"median selected ≤ testmon's — gateui {g_median:g} vs testmon {t_median:g}: "
        f"{'MET' if g_median <= t_median else 'MISSED'}"
    )
    return 1 if missed or not refactoring_met else 0


def report_refactorings(outcomes: list[Outcome]) -> bool:
    """The per-edit table of refactoring edits and their targets; True when every one is met."""
    if not outcomes:
        return True
    print()
    rows = []
    for o in outcomes:
        m = o.mutation
        first = sorted(o.gateui_reasons.items())
        reason = first[0][1] if first else ""
        rows.append(
            [
                m.key,
                m.kind.removeprefix("refactor: ") + (f" ({m.note})" if m.note else ""),
                f"`{m.path}`",
                str(len(o.gateui_ran)),
                str(len(o.testmon_ran)),
                str(o.graph_count),
                reason.replace("|", "/")[:70],
            ]
        )
    print(
        table(
            [
                "edit",
                "refactoring",
                "file",
                "gateui ran",
                "testmon ran",
                "import graph ran",
                "a reason",
            ],
            rows,
        )
    )
    over = [o.mutation.key for o in outcomes if len(o.gateui_ran) > len(o.testmon_ran)]
    silent = [
        o.mutation.key
        for o in outcomes
        if o.mutation.kind.endswith(("comment only", "docstring and format")) and o.gateui_ran
    ]
    g = median([len(o.gateui_ran) for o in outcomes])
    t = median([len(o.testmon_ran) for o in outcomes])
    met = not over and not silent and (g < t / 3 or g == 0)
    print(
        f"# refactoring targets: gateui ≤ testmon on every edit — {'MET' if not over else 'MISSED on ' + ', '.join(over)}; "
        f"median gateui {g:g} vs testmon {t:g} (below a third: {'MET' if g < t / 3 or g == 0 else 'MISSED'}); "
        f"comment/format edits run nothing — {'MET' if not silent else 'MISSED on ' + ', '.join(silent)}"
    )
    return met


if __name__ == "__main__":
    sys.exit(main())

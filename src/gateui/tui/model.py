"""What the TUI shows, computed from core objects, with no Textual in it (so it is unit-testable).

- ``Scope`` / ``ScopeNode``: the left tree (repository → projects → suites → markers), each node
  with the node ids it holds, so counts and "rerun failed" stay within it. Which tests a suite holds
  is read off discovery; what to *run* for a scope is a core ``RunRequest`` that the core plans.
- ``RunTally``: running totals of the current run, for the progress bar and the totals line.
- small formatters shared by the widgets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gateui.core.discovery.discover import CollectedTest, Project, ProjectDiscovery
from gateui.core.exunit.mix import ExUnitTest, MixDiscovery
from gateui.core.layout.suites import Suite, TestInfo, find_suite
from gateui.core.plan.run_plan import RunRequest
from gateui.core.running.events import (
    CollectionFinished,
    ProjectStarted,
    RunSummary,
    TestFinished,
    WarningRaised,
)
from gateui.core.running.pytest_process import PytestCommand
from gateui.core.running.results import ResultsStore

# The three suites that have their own key (s / u / i).
SCOPE_KEYS = {"smoke": "s", "unit": "u", "integration": "i"}


@dataclass(frozen=True)
class Scope:
    """What one tree node stands for: the tests it holds and how to ask the core to run them."""

    key: str
    """Stable identity across rebuilds, e.g. ``suite:.:unit`` (keeps the cursor in place)."""
    label: str
    """Short name for the UI: the repository, project, suite or marker name."""
    project: str | None
    """The project's root relative to the repository ("." for the root), None for all."""
    suite: str | None = None
    marker: str | None = None
    tests: frozenset[str] = frozenset()
    """Repository-relative node ids inside the scope, as discovery found them."""
    runnable: bool = True
    """False for command suites, which the core does not run from a plan yet."""
    exunit: bool = False
    """A scope of an ExUnit (mix) project: ``mix test`` runs it, no Python project does."""

    @property
    def description(self) -> str:
        """How the scope reads in a sentence: "unit ∩ slow in projects/api"."""
        name = self.suite or ""
        if self.marker:
            name = f"{name} ∩ {self.marker}" if name else self.marker
        where = "" if self.project in (None, ".") else f" in {self.project}"
        if not name:
            return "all tests" + where
        return name + where

    def request(self) -> RunRequest:
        """The core request for "run everything in this scope"."""
        return RunRequest(suite=self.suite, markers=self.marker)

    def projects(self, projects: Sequence[Project]) -> list[Project]:
        """The Python projects a run of this scope touches (the core adds ExUnit projects by
        the request)."""
        if self.exunit:
            return []
        if self.project is None:
            return list(projects)
        return [p for p in projects if p.rel == self.project]


@dataclass
class ScopeNode:
    scope: Scope
    children: list[ScopeNode] = field(default_factory=list)

    def walk(self) -> Iterable[ScopeNode]:
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, key: str) -> ScopeNode | None:
        return next((n for n in self.walk() if n.scope.key == key), None)


def build_scopes(
    repo_name: str, reports: Sequence[ProjectDiscovery], mix: Sequence[MixDiscovery] = ()
) -> ScopeNode:
    """The tree: the repository, its projects (skipped when there is only the root project),
    each project's suites, and under a suite the markers that narrow it. ExUnit projects show
    their folders and tags as suites."""
    mix = [m for m in mix if m.tests or not m.project.umbrella]
    every = frozenset(t.nodeid for r in reports for t in r.tests) | frozenset(
        nodeid for m in mix for nodeid in _mix_nodeids(m)
    )
    root = ScopeNode(Scope("repo", repo_name, None, tests=every))
    rels = [r.project.rel for r in reports] + [m.project.rel for m in mix]
    single = rels == ["."]
    for report in reports:
        parent = root
        if not single:
            rel = report.project.rel
            parent = ScopeNode(
                Scope(f"project:{rel}", rel, rel, tests=frozenset(t.nodeid for t in report.tests))
            )
            root.children.append(parent)
        parent.children.extend(_suite_nodes(report))
    for view in mix:
        parent = root
        rel = view.project.rel
        if not single:
            ids = frozenset(_mix_nodeids(view))
            parent = ScopeNode(Scope(f"project:{rel}", rel, rel, tests=ids, exunit=True))
            root.children.append(parent)
        parent.children.extend(_mix_suite_nodes(view))
    return root


def _mix_nodeids(view: MixDiscovery, tests: Iterable[ExUnitTest] | None = None) -> list[str]:
    """Repository-relative node ids, as the ExUnit formatter's results arrive."""
    rel = view.project.rel
    prefix = "" if rel == "." else f"{rel}/"
    return [prefix + t.nodeid for t in (view.tests if tests is None else tests)]


def _mix_suite_nodes(view: MixDiscovery) -> list[ScopeNode]:
    rel = view.project.rel
    nodes = []
    for suite in view.suites:
        holds = suite.selects()
        members = [t for t in view.tests if holds(TestInfo(t.nodeid, t.path, t.tags))]
        ids = frozenset(_mix_nodeids(view, members))
        nodes.append(ScopeNode(_suite_scope(rel, suite.name, ids, exunit=True)))
    return nodes


def _suite_scope(
    rel: str, name: str, ids: frozenset[str], *, runnable: bool = True, exunit: bool = False
) -> Scope:
    return Scope(
        f"suite:{rel}:{name}",
        name,
        rel,
        suite=name,
        tests=ids,
        runnable=runnable,
        exunit=exunit,
    )


def _suite_nodes(report: ProjectDiscovery) -> list[ScopeNode]:
    rel = report.project.rel
    nodes = []
    for suite in report.suites:
        members = suite_members(report, suite)
        ids = frozenset(t.nodeid for t in members)
        node = ScopeNode(_suite_scope(rel, suite.name, ids, runnable=suite.kind != "command"))
        counts: Counter[str] = Counter()
        for test in members:
            counts.update(set(test.markers) - {suite.name})
        for marker, count in sorted(counts.items()):
            # A marker every test of the suite carries does not narrow it: not worth a node.
            if count == len(members) or marker not in report.used:
                continue
            narrowed = frozenset(t.nodeid for t in members if marker in t.markers)
            node.children.append(
                ScopeNode(
                    Scope(
                        f"marker:{rel}:{suite.name}:{marker}",
                        marker,
                        rel,
                        suite=suite.name,
                        marker=marker,
                        tests=narrowed,
                    )
                )
            )
        nodes.append(node)
    return nodes


def suite_members(report: ProjectDiscovery, suite: Suite) -> list[CollectedTest]:
    """The collected tests a suite selects (the core decides, by its paths and markers)."""
    holds = suite.selects()
    prefix = "" if report.project.rel == "." else f"{report.project.rel}/"
    return [
        test
        for test in report.tests
        if holds(TestInfo(test.nodeid, test.path.removeprefix(prefix), test.markers))
    ]


def find_scope_suite(root: ScopeNode, name: str, project: str | None) -> ScopeNode | None:
    """The suite node for ``name`` (smoke, unit…), preferring ``project``; a folder suite
    answers to its last component as the core's ``find_suite`` does."""
    suite_nodes = [n for n in root.walk() if n.scope.key.startswith("suite:")]
    ordered = sorted(suite_nodes, key=lambda n: n.scope.project != project)
    by_project: dict[str | None, list[ScopeNode]] = {}
    for node in ordered:
        by_project.setdefault(node.scope.project, []).append(node)
    for nodes in by_project.values():
        suites = [Suite(n.scope.suite or "", _kind(n), len(n.scope.tests)) for n in nodes]
        found = find_suite(suites, name)
        if found is not None:
            return next(n for n in nodes if n.scope.suite == found.name)
    return None


def _kind(node: ScopeNode) -> str:
    return "folder" if "/" in (node.scope.suite or "") else "marker"


def last_run_counts(scope: Scope, store: ResultsStore) -> Counter[str]:
    """Outcomes of the last run of each test in ``scope`` (tests never run are not counted)."""
    counts: Counter[str] = Counter()
    for nodeid in scope.tests:
        record = store.get(nodeid)
        if record is not None:
            counts[record.outcome] += 1
    return counts


def failed_in_scope(scope: Scope, store: ResultsStore) -> list[str]:
    """Node ids inside ``scope`` whose last result was a failure or an error."""
    failed = store.failed()
    if scope.project is None and scope.suite is None:
        return failed
    return [n for n in failed if n in scope.tests]


def node_paths(repo_root: Path, nodeids: Iterable[str]) -> tuple[str, ...]:
    """Repository-relative node ids as the absolute ``path::name`` the core's planner takes."""
    paths = []
    for nodeid in nodeids:
        file_part, sep, rest = nodeid.partition("::")
        paths.append(str(repo_root / file_part) + sep + rest)
    return tuple(paths)


# -- the current run ----------------------------------------------------------------------------
@dataclass
class RunTally:
    """Running totals of the run on screen."""

    label: str
    collected: dict[str, int] = field(default_factory=dict)
    """Tests pytest collected, per project (from ``CollectionFinished``)."""
    project: str = "."
    counts: Counter[str] = field(default_factory=Counter)
    summary: RunSummary | None = None
    running_test: str = ""
    """The node id most recently started (shown while nothing else changes)."""
    nothing_to_run: bool = False
    """The plan had no command (an affected run with nothing affected)."""
    warnings: int = 0
    """Warnings pytest recorded (not a result: not in ``counts``)."""

    def absorb(self, event: object) -> None:
        if isinstance(event, TestFinished):
            self.counts[display_outcome(event)] += 1
        elif isinstance(event, WarningRaised):
            self.warnings += 1
        elif isinstance(event, ProjectStarted):
            self.project = event.project
        elif isinstance(event, CollectionFinished):
            self.collected[self.project] = event.count
        elif isinstance(event, RunSummary):
            self.summary = event
            self.running_test = ""

    def count(self, key: str) -> int:
        """Results of the outcome ``key``, or ``"warnings"`` pytest recorded."""
        return self.warnings if key == "warnings" else self.counts.get(key, 0)

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def total(self) -> int | None:
        """Tests the run will report, once pytest has collected (None before)."""
        if not self.collected:
            return None
        return max(sum(self.collected.values()), self.done)

    @property
    def finished(self) -> bool:
        return self.summary is not None


# -- formatting ---------------------------------------------------------------------------------
# outcome shown → (symbol, word, style)
OUTCOME_STYLE: Mapping[str, tuple[str, str, str]] = {
    "passed": ("✓", "pass", "green"),
    "failed": ("✗", "FAIL", "bold red"),
    "error": ("!", "ERROR", "bold red"),
    "skipped": ("○", "skip", "yellow"),
    "xfailed": ("x", "xfail", "yellow"),
    "xpassed": ("X", "xpass", "yellow"),
}


def display_outcome(event: TestFinished) -> str:
    """pytest's outcome as shown: xfail/xpass told apart from plain skips and passes (the
    core's ``TestFinished.result``, so the TUI counts as the CLI does)."""
    return event.result


def is_failure(event: TestFinished) -> bool:
    return event.outcome in ("failed", "error")


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes:.0f}m{rest:02.0f}s"


def failure_location(event: TestFinished) -> tuple[str, int | None]:
    """Where to open the editor: the deepest ``file:line`` of the traceback inside the test's
    project (pytest prints them as ``tests/x.py:12: AssertionError``), else the test itself."""
    best: tuple[str, int] | None = None
    for line in event.longrepr.splitlines():
        head, sep, _ = line.partition(": ")
        if not sep and line.endswith(":"):
            head = line[:-1]
        file_part, colon, number = head.rpartition(":")
        if colon and number.isdigit() and file_part.endswith(".py") and " " not in file_part:
            best = (file_part, int(number))
    if best is not None:
        return best
    return event.path, event.line


@dataclass
class Planned:
    """What a run will do, decided by the core in the run's worker thread."""

    commands: list[PytestCommand]
    header: str = ""
    """A line that says what was selected and why (affected runs)."""
    over: Callable[[], None] | None = None
    """Called once the run is over (what the plan holds open for it)."""

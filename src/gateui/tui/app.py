"""The gateui TUI: a live dashboard over the core.

It holds no selection, run or gate logic: discovery, planning and runs are the core's, driven
from thread workers (the same generators ``gateui run`` iterates). Results cross from the run's
thread into the UI through a bounded ``EventBuffer``; the UI drains it at most every
``DRAIN_INTERVAL_S`` within a time budget, so a flood of results becomes a few table updates per
second and the screen keeps refreshing.

The PR gate is the core's ``GateCheck`` in a thread worker too: ``g`` checks HEAD with the gate
screen open; when nothing runs and the tree is clean, the core's ``precompute_head`` check runs
in the background (the badge only), so that the push that follows is a cache hit. Anything the
user starts cancels a background check; it starts again once the app is idle.
"""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import (
    ContentSwitcher,
    Footer,
    Input,
    Label,
    RichLog,
    Static,
    TabbedContent,
    TabPane,
    Tree,
)
from textual.worker import Worker, WorkerState

from gateui.core.common.errors import GateuiError, InterpreterError
from gateui.core.discovery.discover import (
    Project,
    ProjectDiscovery,
    collect_project,
    load_projects,
    static_view,
)
from gateui.core.exunit.mix import MixDiscovery, discover_mix, find_mix_projects
from gateui.core.gate.check import (
    CheckEvent,
    CheckFinished,
    CheckStarted,
    GateCheck,
    GateReport,
    precompute_head,
)
from gateui.core.gate.model import ERROR, FAIL, PASS
from gateui.core.gate.run import StepEvent, StepStarted
from gateui.core.layout.static_scan import StaticScan
from gateui.core.plan.run_plan import NO_TESTS_COLLECTED, RunRequest, RunSession, plan_run
from gateui.core.running.events import (
    CollectionError,
    Event,
    OutputLine,
    RunSummary,
    TestFinished,
    TestStarted,
    WarningRaised,
)
from gateui.core.running.process_group import TERMINATE_GRACE_S
from gateui.core.running.pytest_process import PytestProcess
from gateui.core.running.results import ResultsStore
from gateui.core.selection.affected import plan_affected, with_recording
from gateui.core.selection.bookkeeping import Bookkeeping
from gateui.core.selection.depstore import DepStore
from gateui.core.watch.session import CycleFinished, CycleStarted, Idle, WatchSession
from gateui.tui.editor import editor_command
from gateui.tui.gate_view import GateView, StepTally, TallyCounter
from gateui.tui.gitinfo import git_branch
from gateui.tui.keys import KEYS
from gateui.tui.model import (
    Planned,
    RunTally,
    Scope,
    build_scopes,
    failed_in_scope,
    failure_location,
    find_scope_suite,
    node_paths,
)
from gateui.tui.screens.gate import GateScreen
from gateui.tui.screens.help import HelpScreen
from gateui.tui.stream import EventBuffer
from gateui.tui.widgets.detail import DetailView
from gateui.tui.widgets.header import GateHeader
from gateui.tui.widgets.results_table import ResultsTable
from gateui.tui.widgets.run_status import RunStatus
from gateui.tui.widgets.scope_tree import ScopeTree
from gateui.wording import describe_selection

DRAIN_INTERVAL_S = 0.05
"""At most this often the UI takes results from the run's buffer (coalescing bursts)."""
DRAIN_BUDGET_S = 0.015
"""How long one drain may take before it yields to let the screen refresh."""
DRAIN_CHUNK = 250
RUN_BUFFER = 1000
"""Events a run may have waiting for the UI; past that its worker waits (and so does pytest).
Small on purpose: a producer that is blocked leaves the interpreter to the UI thread."""
QUIT_WAIT_S = TERMINATE_GRACE_S + 2.0
"""How long quitting waits for a cancelled run's processes to be reaped."""
GATE_POLL_S = 10.0
"""How often an idle app asks whether HEAD changed (a commit) and needs a background check."""
NOT_GIT = "not a git repository: the PR gate checks a commit (runs and watch mode work without git)"

_SCOPE_GROUP = Binding.Group("scope")


def _bindings() -> list[BindingType]:
    bindings: list[BindingType] = []
    for key in KEYS:
        if key.key in ("s", "u", "i"):
            name = key.action.split("'")[1]
            bindings.append(Binding(key.key, key.action, name, group=_SCOPE_GROUP))
        else:
            bindings.append(
                Binding(
                    key.key,
                    key.action,
                    key.footer or key.help,
                    show=bool(key.footer),
                    key_display=key.display or None,
                )
            )
    bindings.append(Binding("escape", "escape", "back", show=False))
    return bindings


@dataclass(eq=False)
class ActiveRun:
    """One run on screen: its events' buffer, its totals, and how to stop it."""

    id: int
    label: str
    reason: str
    buffer: EventBuffer[Event]
    tally: RunTally
    started: float
    session: RunSession | None = None
    """Set by the worker once the core planned the run."""
    ended: float | None = None
    cancel_requested: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    """Set by the worker thread when the generator has finished (processes reaped)."""
    last_drain: float = 0.0
    drain_scheduled: bool = False

    @property
    def active(self) -> bool:
        return self.tally.summary is None

    def cancel(self) -> None:
        """Stop the run from the UI thread, whether or not its session exists yet."""
        self.cancel_requested = True
        if self.session is not None:
            self.session.cancel()


@dataclass(eq=False)
class ActiveGate:
    """One check of the PR gate: what the screen shows of it, and how to stop it."""

    id: int
    background: bool
    """A precompute nobody asked for: the badge only, cancelled when the user starts anything.
    ``g`` while it runs makes it the user's check (False)."""
    view: GateView = field(default_factory=GateView)
    """What it did so far (changed on the UI thread only)."""
    check: GateCheck | None = None
    """Set by the worker once it knows what to check."""
    head: str = ""
    """The commit a background check is for (set by the worker with ``check``)."""
    cancel_requested: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    """Set by the worker thread when the check has ended (its processes reaped)."""
    replaces: ActiveGate | None = None
    """The check shown before this one (shown again when a background check has nothing to
    do)."""

    def cancel(self) -> None:
        """Stop the check from the UI thread, whether or not it exists yet."""
        self.cancel_requested = True
        if self.check is not None:
            self.check.cancel()


Planner = Callable[[Bookkeeping, Path], Planned]
"""Decides a run's commands in the worker thread (with the run's bookkeeping at hand)."""
WatchSource = Callable[[Path, threading.Event], Iterable[Iterable[str]]]
"""Batches of changed absolute paths (the core's watchfiles source, or a scripted one)."""


class FilterInput(Input):
    """The ``/`` filter: typing filters the results; enter keeps the filter, esc clears it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear", "clear", show=False)]

    @dataclass
    class Closed(Message):
        """The filter input is done with."""

        keep: bool
        """True to keep the filter (enter), False when it was cleared (esc)."""

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Closed(keep=False))

    def on_blur(self) -> None:
        self.post_message(self.Closed(keep=True))


class GateuiApp(App[int]):
    """``gateui [PATH]``: scopes on the left, live results in the centre, detail and log below."""

    CSS_PATH = "app.tcss"
    TITLE = "gateui"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = _bindings()

    # -- messages from the workers ----------------------------------------------------------
    @dataclass
    class RepoInfo(Message):
        """What git says about the repository."""

        branch: str | None
        """The branch (or short commit when detached); None outside git."""
        is_git: bool
        """Whether the folder is inside a git work tree."""

    @dataclass
    class DiscoveryUpdated(Message):
        """Projects and what discovery found in them (first from files, then from pytest)."""

        projects: tuple[Project, ...]
        """Every project of the repository."""
        reports: tuple[ProjectDiscovery, ...]
        """One report per project, in the same order."""
        final: bool
        """False for the quick static view, True once pytest's collection confirmed it."""
        mix: tuple[MixDiscovery, ...] = ()
        """The ExUnit projects (read from their files, final at once)."""

    @dataclass
    class ResultsReady(Message):
        """Events are waiting in run ``run_id``'s buffer. Repeats merge: one wake-up is enough."""

        run_id: int
        """Which run the events belong to (a stale run's wake-ups are ignored)."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, GateuiApp.ResultsReady) and message.run_id == self.run_id

    @dataclass
    class RunPlanned(Message):
        """The core planned run ``run_id``."""

        run_id: int
        """Which run."""
        planned: Planned
        """Its commands and, for affected runs, what was selected and why."""

    @dataclass
    class CycleBegan(Message):
        """Watch mode starts a cycle: a file changed and the core selected what it affects."""

        run: ActiveRun
        """The cycle's run, already receiving events from the watch worker."""
        cycle: CycleStarted
        """What changed and what was selected."""

    @dataclass
    class WatchNote(Message):
        """Something watch mode wants said in the log (and the status line)."""

        text: str
        """The note."""
        idle: bool = False
        """True when watch mode waits for the next change."""

    @dataclass
    class GateProgress(Message):
        """The gate check ``gate_id`` started, began or finished a step, or has its verdict."""

        gate_id: int
        """Which check (a stale one's messages are ignored)."""
        event: CheckEvent
        """The core's event (``CheckStarted``, ``StepStarted``, ``StepFinished``,
        ``CheckFinished``); a step's test results come as ``GateTallied``."""

    @dataclass
    class GateTallied(Message):
        """A running gate step's counts so far. Repeats for one step merge: the last counts."""

        gate_id: int
        """Which check."""
        tally: StepTally
        """The step's counts and first failures."""

        def can_replace(self, message: Message) -> bool:
            return (
                isinstance(message, GateuiApp.GateTallied)
                and message.gate_id == self.gate_id
                and message.tally.index == self.tally.index
            )

    @dataclass
    class GateStopped(Message):
        """The check ``gate_id`` ended without a verdict."""

        gate_id: int
        """Which check."""
        cancelled: bool
        """True when it was cancelled; False when a background check found nothing to do (the
        tree is not clean, or HEAD's verdict is already known)."""

    def __init__(
        self,
        repo_root: Path,
        *,
        watch: bool = False,
        watch_request: RunRequest | None = None,
        watch_source: WatchSource | None = None,
        repo_label: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        cursor_blink: bool = True,
        precompute_gate: bool = False,
    ) -> None:
        super().__init__()
        self.repo_root = repo_root.resolve()
        self.repo_label = repo_label or str(self.repo_root)
        self.want_watch = watch
        self.watch_request = watch_request
        """What watch mode runs (``gateui watch SUITE -m EXPR``); else the selected scope."""
        self.watch_source = watch_source
        """Where file changes come from (None: watchfiles on the repository)."""
        self.watching: WatchSession | None = None
        self._watch_done: threading.Event | None = None
        self.clock = clock
        self.cursor_blink = cursor_blink
        self.store = ResultsStore.load(self.repo_root)
        self.projects: tuple[Project, ...] = ()
        self.mix: tuple[MixDiscovery, ...] = ()
        self.reports: tuple[ProjectDiscovery, ...] = ()
        self.discovered = False
        self.problem: Content | None = None
        """An empty state that explains why nothing can run (shown instead of results)."""
        self.current_run: ActiveRun | None = None
        self._run_ids = itertools.count(1)
        self._collecting: list[PytestProcess] = []
        self._runs_in_flight: list[ActiveRun] = []
        self._log_count = 0
        self.messages: list[str] = []
        """Everything written to the log pane, as plain text."""
        self._quitting = False
        self.precompute_gate = precompute_gate
        """Check HEAD's gate in the background when idle (``gateui`` does; tests choose)."""
        self.is_git: bool | None = None
        """Whether the repository is in git (None until git was asked)."""
        self.gate: ActiveGate | None = None
        """The latest gate check, running or over."""
        self._gate_ids = itertools.count(1)
        self._gates_in_flight: list[ActiveGate] = []
        self._gate_known: tuple[str, str, str] | None = None
        """(commit, badge, tooltip) of the last verdict: what the badge returns to when a check
        is cancelled, and a commit a background check need not check again."""
        self._gate_declined = ""
        """A commit whose check the user cancelled: not checked again behind their back."""

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield GateHeader(self.repo_label)
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Label("Scope", classes="section-title")
                yield ScopeTree(id="tree")
            with Vertical(id="centre"):
                yield Label("Results", id="results-title", classes="section-title")
                with ContentSwitcher(initial="empty", id="results-switcher"):
                    yield Static(self._discovering_text(), id="empty")
                    yield ResultsTable(id="results")
                yield FilterInput(
                    placeholder="filter results: node id, status or reason", id="filter"
                )
                yield RunStatus(id="status")
                with TabbedContent(id="bottom", initial="detail-tab"):
                    with TabPane("Detail", id="detail-tab"):
                        yield DetailView(id="detail")
                    with TabPane("Log", id="log-tab"):
                        yield RichLog(id="log", wrap=True, markup=False, max_lines=5000)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(FilterInput).cursor_blink = self.cursor_blink
        self.query_one(RunStatus).show(None, None)
        self.query_one(ScopeTree).focus()
        self.set_interval(0.5, self._tick)
        if self.precompute_gate:
            self.set_interval(GATE_POLL_S, self._maybe_precompute)
        self.log_line(f"gateui on {self.repo_label}")
        self._discover()
        self._warm_up()

    # -- discovery ----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="discovery", name="discovery")
    def _discover(self) -> None:
        branch, is_git = git_branch(self.repo_root)
        self.post_message(self.RepoInfo(branch, is_git))
        projects = load_projects(self.repo_root)
        views = [static_view(p) for p in projects]
        mix = tuple(discover_mix(m) for m in find_mix_projects(self.repo_root))
        self.post_message(
            self.DiscoveryUpdated(tuple(projects), tuple(v for v, _ in views), False, mix)
        )
        if not views:
            self.post_message(self.DiscoveryUpdated(tuple(projects), (), True, mix))
            return

        def collect(pair: tuple[ProjectDiscovery, StaticScan]) -> ProjectDiscovery:
            view, scan = pair
            if self._quitting:
                return view
            return collect_project(view.project, scan, on_process=self._collecting.append)

        with ThreadPoolExecutor(max_workers=max(1, min(len(views), 4))) as pool:
            reports = tuple(pool.map(collect, views))
        if not self._quitting:
            self.post_message(self.DiscoveryUpdated(tuple(projects), reports, True, mix))

    @work(thread=True, exit_on_error=False, group="warm-up", name="warm up")
    def _warm_up(self) -> None:
        """Load the syntax highlighter's lexer now, off the UI thread, rather than on the UI
        thread when the first failure of a flood arrives."""
        from gateui.tui.highlight import highlight_traceback

        highlight_traceback("def test():\n>       assert 1 == 2\nE       assert 1 == 2")

    @on(RepoInfo)
    def _repo_info(self, message: RepoInfo) -> None:
        self.is_git = message.is_git
        self.query_one(GateHeader).set_branch(message.branch, message.is_git)
        if not message.is_git:
            self.query_one(GateHeader).set_gate("unknown", NOT_GIT)
            self.log_line(
                "not a git repository: runs and watch mode work; affected selection against a "
                "commit and the PR gate need git",
                "yellow",
            )

    @on(DiscoveryUpdated)
    def _discovery_updated(self, message: DiscoveryUpdated) -> None:
        self.projects = message.projects
        self.reports = message.reports
        self.mix = message.mix
        self.discovered = message.final
        scopes = build_scopes(self.repo_root.name, message.reports, message.mix)
        self.query_one(ScopeTree).load(scopes, self.store, static=not message.final)
        if message.final:
            self._report_discovery(message.reports)
        self._update_empty_state()
        if self.want_watch and self.has_projects and self.watching is None:
            self.want_watch = False
            self._start_watch()
        if message.final:
            self._maybe_precompute()

    @property
    def has_projects(self) -> bool:
        """Whether discovery found anything to run: a Python test project or an ExUnit one."""
        return bool(self.projects or self.mix)

    def _report_discovery(self, reports: Sequence[ProjectDiscovery]) -> None:
        tests = sum(len(r.tests) for r in reports) + sum(len(m.tests) for m in self.mix)
        count = len(reports) + len(self.mix)
        noun = "project" if count == 1 else "projects"
        self.log_line(f"discovered {tests} tests in {count} {noun}")
        self.problem = None
        for report in reports:
            where = report.project.rel
            if report.interpreter_error:
                self.log_line(f"{where}: {report.interpreter_error}", "bold red")
                self.problem = _interpreter_problem(report)
            for problem in report.collection_errors:
                self.log_line(
                    f"collection error in {problem.where}:\n{problem.message}", "red", alert=True
                )
            for marker in report.unregistered:
                self.log_line(
                    f"unregistered marker {marker.name!r} at {marker.where} "
                    "(--strict-markers rejects it)",
                    "yellow",
                )
        if not count or (tests == 0 and self.problem is None):
            self.problem = _no_tests_problem(self.repo_root)

    # -- the empty states ---------------------------------------------------------------------
    def _discovering_text(self) -> Content:
        return Content.styled(f"Discovering tests in {self.repo_label}…", "$text-muted")

    def _update_empty_state(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        scope = self.scope
        title = self.query_one("#results-title", Label)
        if scope is not None:
            title.update(self._results_title(scope))
        if self.current_run is not None and self.problem is None:
            switcher.current = "results"
            return
        empty = self.query_one("#empty", Static)
        if self.problem is not None:
            empty.update(self.problem)
        elif not self.has_projects and not self.discovered:
            empty.update(self._discovering_text())
        elif scope is not None:
            empty.update(_idle_text(scope, self.discovered))
        switcher.current = "empty"

    def _results_title(self, scope: Scope) -> Content:
        table = self.query_one(ResultsTable)
        parts = [Content.styled("Results", "bold")]
        if self.current_run is not None:
            parts.append(Content(self.current_run.label))
        else:
            parts.append(Content(f"scope: {scope.description}"))
        if table.filter_text:
            parts.append(
                Content.styled(
                    f"filter {table.filter_text!r}: {table.row_count} of {table.total_rows}",
                    "$text-warning",
                )
            )
        return Content(" · ").join(parts)

    # -- scope ----------------------------------------------------------------------------------
    @property
    def scope(self) -> Scope | None:
        return self.query_one(ScopeTree).scope

    @on(Tree.NodeHighlighted, "#tree")
    def _scope_changed(self) -> None:
        self._update_empty_state()

    @on(Tree.NodeSelected, "#tree")
    def _scope_chosen(self) -> None:
        if self.query_one(ContentSwitcher).current == "results":
            self.query_one(ResultsTable).focus()

    # -- runs ----------------------------------------------------------------------------------
    def start_run(
        self, request: RunRequest, projects: Sequence[Project], label: str, reason: str
    ) -> ActiveRun | None:
        """Run ``request`` as the core plans it (plain runs record dependencies, as the CLI's)."""
        if not projects and not self.mix:
            self.notify("no test projects found", severity="warning")
            return None
        repo_root = self.repo_root

        def plan(books: Bookkeeping, workdir: Path) -> Planned:
            return Planned(with_recording(plan_run(projects, request, repo_root), repo_root))

        return self.start_planned(plan, label, reason)

    def start_planned(self, planner: Planner, label: str, reason: str) -> ActiveRun:
        """Plan (in the worker thread), run and show a run; the previous one is cancelled."""
        run = self._new_run(label, reason)
        self._run_worker(run, planner, None)
        return run

    def play(self, events: Iterable[Event], label: str, reason: str = "") -> ActiveRun:
        """Show any stream of events as a run (synthetic ones in benchmarks and snapshots);
        nothing is recorded."""
        run = self._new_run(label, reason)
        self._run_worker(run, None, events)
        return run

    def _make_run(self, label: str, reason: str) -> ActiveRun:
        """A run's state (safe to call from a worker thread: nothing on screen changes)."""
        return ActiveRun(
            id=next(self._run_ids),
            label=label,
            reason=reason,
            buffer=EventBuffer(RUN_BUFFER),
            tally=RunTally(label),
            started=self.clock(),
        )

    def _new_run(self, label: str, reason: str) -> ActiveRun:
        if self.watching is not None:
            self._stop_watch("watch mode off for this run (w turns it back on)")
        return self._adopt_run(self._make_run(label, reason))

    def _adopt_run(self, run: ActiveRun) -> ActiveRun:
        """Put ``run`` on screen; the run shown before it is cancelled, and so is a background
        gate check (it starts again once the app is idle)."""
        self._stop_runs()
        self._cancel_background_gate()
        self.current_run = run
        self._runs_in_flight = [r for r in self._runs_in_flight if not r.done.is_set()]
        self._runs_in_flight.append(run)
        self.problem = None
        self.query_one(ResultsTable).clear(default_reason=run.reason)
        self.query_one(DetailView).show(None)
        self._update_empty_state()
        self._refresh_run_view(run)
        return run

    @work(thread=True, exclusive=True, exit_on_error=False, group="run", name="run")
    def _run_worker(
        self, run: ActiveRun, planner: Planner | None, events: Iterable[Event] | None
    ) -> None:
        try:
            if planner is None:
                for event in events or ():
                    self._hand_over(run, event)
                return
            with tempfile.TemporaryDirectory(prefix="gateui-") as workdir:
                books = Bookkeeping(self.repo_root, DepStore(self.repo_root))
                try:
                    planned = planner(books, Path(workdir))
                    self.post_message(self.RunPlanned(run.id, planned))
                    run.session = session = RunSession(planned.commands)
                    if run.cancel_requested:
                        session.cancel()
                    for event in session.events():
                        books.handle(event)
                        self._hand_over(run, event)
                finally:
                    # Tests that finished keep their results, also when the run was cut short.
                    books.save()
                    if books.store is not None:
                        books.store.close()
        finally:
            run.done.set()

    def _hand_over(self, run: ActiveRun, event: Event) -> None:
        """From the worker thread into the run's buffer (blocks while the UI catches up)."""
        if isinstance(event, OutputLine):
            return  # kept by the core for diagnosis (the summary's output tail)
        if isinstance(event, TestFinished) and event.deps is not None:
            event = replace(event, deps=None)  # recorded already; the UI has no use for it
        if run.buffer.put(event):
            self.post_message(self.ResultsReady(run.id))

    def _stop_runs(self) -> None:
        for run in self._runs_in_flight:
            run.cancel()
            run.buffer.close()

    @on(RunPlanned)
    def _run_planned(self, message: RunPlanned) -> None:
        run = self.current_run
        if run is None or run.id != message.run_id:
            return
        if message.planned.header:
            self.log_line(message.planned.header)
        if not message.planned.commands:
            run.tally.nothing_to_run = True

    # -- watch mode ----------------------------------------------------------------------------
    def _start_watch(self) -> None:
        scope = self.scope
        if self.watch_request is not None:
            request, projects = self.watch_request, list(self.projects)
            label = _request_label(self.watch_request)
        elif scope is not None:
            request, projects, label = (
                scope.request(),
                scope.projects(self.projects),
                scope.description,
            )
        else:
            request, projects, label = RunRequest(), list(self.projects), "all tests"
        session = WatchSession(
            projects, request, source=self.watch_source, repo_root=self.repo_root
        )
        self.watching = session
        self._watch_done = threading.Event()
        self.query_one(GateHeader).set_watch(True)
        self.log_line(f"watch mode on: {label} (every save reruns the affected tests)")
        self._watch_worker(session, self._watch_done)

    def _stop_watch(self, note: str = "watch mode off") -> None:
        session = self.watching
        if session is None:
            return
        self.watching = None
        session.stop()
        self.query_one(GateHeader).set_watch(False)
        self.log_line(note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="watch", name="watch")
    def _watch_worker(self, session: WatchSession, done: threading.Event) -> None:
        cycle: ActiveRun | None = None
        summarised = False
        try:
            for item in session.events():
                if isinstance(item, CycleStarted):
                    if not (item.tests or item.files or item.whole_projects):
                        cycle = None
                        changed = _changed_label(item.changed)
                        self.post_message(self.WatchNote(f"{changed}: no test is affected"))
                        continue
                    cycle = self._make_run(f"watch · {_changed_label(item.changed)}", "")
                    summarised = False
                    self.post_message(self.CycleBegan(cycle, item))
                elif isinstance(item, CycleFinished):
                    if cycle is not None:
                        if cycle.tally.summary is None and not summarised:
                            # (older cores ended a cycle without yielding its summary)
                            self._hand_over(cycle, item.summary)
                        cycle.done.set()
                    if item.interrupted:
                        self.post_message(self.WatchNote("an edit interrupted the run: next cycle"))
                    cycle = None
                elif isinstance(item, Idle):
                    self.post_message(self.WatchNote(item.message, idle=True))
                elif cycle is not None:
                    summarised = summarised or isinstance(item, RunSummary)
                    self._hand_over(cycle, item)
        finally:
            if cycle is not None:
                cycle.done.set()
            done.set()

    @on(CycleBegan)
    def _cycle_began(self, message: CycleBegan) -> None:
        if self.watching is None:
            message.run.buffer.close()  # watch was switched off meanwhile
            return
        cycle = message.cycle
        parts = [f"{cycle.tests} tests"] if cycle.tests else []
        if cycle.files:
            parts.append(f"{cycle.files} test files")
        if cycle.whole_projects:
            parts.append("whole project " + ", ".join(cycle.whole_projects))
        changed = ", ".join(cycle.changed[:5]) + (" …" if len(cycle.changed) > 5 else "")
        self.log_line(f"changed: {changed or 'nothing'} → selected: {' + '.join(parts)}")
        for note in cycle.notes:
            self.log_line(f"note: {note}")
        self._adopt_run(message.run)

    @on(WatchNote)
    def _watch_note(self, message: WatchNote) -> None:
        if not message.idle:
            self.log_line(message.text)
        else:
            self._maybe_precompute()

    @on(ResultsReady)
    def _results_ready(self, message: ResultsReady) -> None:
        run = self.current_run
        if run is None or message.run_id != run.id or run.drain_scheduled:
            return
        wait = run.last_drain + DRAIN_INTERVAL_S - time.perf_counter()
        if wait > 0:
            run.drain_scheduled = True
            self.set_timer(wait, lambda: self._drain(run))
        else:
            self._drain(run)

    def _drain(self, run: ActiveRun) -> None:
        run.drain_scheduled = False
        if run is not self.current_run or self._quitting:
            return
        try:
            self._drain_now(run)
        except NoMatches:  # the app is shutting down: its widgets are gone
            return

    def _drain_now(self, run: ActiveRun) -> None:
        started = run.last_drain = time.perf_counter()
        while True:
            events = run.buffer.take(DRAIN_CHUNK)
            if not events:
                break
            self._absorb(run, events)
            if time.perf_counter() - started > DRAIN_BUDGET_S:
                if len(run.buffer):
                    self.post_message(self.ResultsReady(run.id))
                break
        self._refresh_run_view(run)

    def _absorb(self, run: ActiveRun, events: Sequence[Event]) -> None:
        results: list[TestFinished] = []
        summary: RunSummary | None = None
        for event in events:
            run.tally.absorb(event)
            if isinstance(event, TestFinished):
                results.append(event)
                self.store.record(event)
            elif isinstance(event, TestStarted):
                run.tally.running_test = event.nodeid
            elif isinstance(event, CollectionError):
                message = f"collection error in {event.nodeid}:\n{event.message}"
                self.log_line(message, "red", alert=True)
            elif isinstance(event, WarningRaised) and event.category == "PytestUnknownMarkWarning":
                self.log_line(f"{event.path}:{event.line}: {event.message}", "yellow")
            elif isinstance(event, RunSummary):
                summary = event
        table = self.query_one(ResultsTable)
        if results:
            table.add(results)
            detail = self.query_one(DetailView)
            if table.cursor is None and detail.event is None and table.first_failure is not None:
                detail.show(table.first_failure, run.reason)
        if summary is not None:
            self._finish_run(run, summary)

    def _finish_run(self, run: ActiveRun, summary: RunSummary) -> None:
        run.ended = self.clock()
        if run.tally.nothing_to_run:
            self.log_line(f"{run.label}: nothing to run", "green")
        elif summary.cancelled:
            self.log_line(f"{run.label}: cancelled", "yellow")
        elif summary.crashed or summary.crash_message:
            self.log_line(
                f"{run.label}: the test process died ({summary.crash_message or 'crashed'})"
                + (f" while {summary.crashed} was running" if summary.crashed else ""),
                "bold red",
            )
        elif summary.selected == 0 and summary.exitstatus == NO_TESTS_COLLECTED:
            self.log_line(
                f"{run.label}: no tests were collected (CI fails on this too)", "red", alert=True
            )
        elif summary.selected == 0 and summary.exitstatus not in (0, 1, None):
            tail = "\n".join(line for line in summary.output_tail if line.strip())
            self.log_line(f"pytest could not run (exit {summary.exitstatus}):\n{tail}", "bold red")
        else:
            verdict = "green" if summary.ok else "failed"
            self.log_line(
                f"{run.label}: {verdict} — {summary.passed} passed, {summary.failed} failed, "
                f"{summary.errors} errors, {summary.skipped} skipped",
                "green" if summary.ok else "red",
            )
        table = self.query_one(ResultsTable)
        if table.cursor is None:
            table.select_first_failure()
        self.query_one(ScopeTree).refresh_counts(self.store)
        self._maybe_precompute()

    def _refresh_run_view(self, run: ActiveRun) -> None:
        end = run.ended if run.ended is not None else self.clock()
        self.query_one(RunStatus).show(run.tally, end - run.started)
        scope = self.scope
        if scope is not None:
            title = self.query_one("#results-title", Label)
            title.update(self._results_title(scope), layout=False)

    def _tick(self) -> None:
        if self._quitting or self.current_run is None or not self.current_run.active:
            return
        try:
            self._refresh_run_view(self.current_run)
        except NoMatches:  # the app is shutting down: its widgets are gone
            return

    @on(ResultsTable.Highlighted)
    def _result_highlighted(self, message: ResultsTable.Highlighted) -> None:
        reason = self.current_run.reason if self.current_run else ""
        for detail in self.query(DetailView):  # none left while the app shuts down
            detail.show(message.event, reason)

    # -- the PR gate ------------------------------------------------------------------------------
    def _start_gate(
        self, background: bool, events: Iterable[CheckEvent] | None = None
    ) -> ActiveGate:
        gate = ActiveGate(next(self._gate_ids), background, replaces=self.gate)
        self.gate = gate
        self._gates_in_flight = [g for g in self._gates_in_flight if not g.done.is_set()]
        self._gates_in_flight.append(gate)
        if not background:
            # A background check shows "running…" only once it has something to check.
            self._set_gate_badge("running", "checking HEAD")
        self._gate_worker(gate, events)
        return gate

    def play_gate(self, events: Iterable[CheckEvent]) -> ActiveGate:
        """Show any stream of check events as a gate check, screen open (synthetic ones in
        snapshots and benchmarks); nothing is checked or cached."""
        gate = self._start_gate(background=False, events=events)
        self._open_gate_screen(gate)
        return gate

    def _maybe_precompute(self) -> None:
        """Idle, and nothing known about HEAD: check it in the background (the worker asks the
        core whether the tree is clean; a HEAD already checked is left alone)."""
        if not self.precompute_gate or self._quitting or self.is_git is not True:
            return
        if not self.discovered or (self.gate is not None and not self.gate.done.is_set()):
            return
        if self.current_run is not None and self.current_run.active:
            return
        self._start_gate(background=True)

    def _cancel_background_gate(self) -> None:
        gate = self.gate
        if gate is not None and gate.background and not gate.done.is_set():
            gate.cancel()

    def _cancel_gate(self) -> None:
        gate = self.gate
        if gate is None or gate.done.is_set() or not gate.view.running:
            self.notify("no gate check is running")
            return
        gate.cancel()
        self.notify("cancelling the PR gate check…")

    @work(thread=True, exclusive=True, exit_on_error=False, group="gate", name="gate")
    def _gate_worker(self, gate: ActiveGate, events: Iterable[CheckEvent] | None) -> None:
        try:
            if events is None and not git_branch(self.repo_root)[1]:
                events = [CheckFinished(GateReport(ERROR, NOT_GIT, ref="HEAD", error=NOT_GIT))]
            if events is None:
                check = self._gate_check_for(gate)
                if check is None:
                    self.post_message(self.GateStopped(gate.id, cancelled=False))
                    return
                gate.check = check
                if gate.cancel_requested:
                    check.cancel()
                events = check.events()
            counter = TallyCounter()
            stream = iter(events)
            try:
                for event in stream:
                    if isinstance(event, StepEvent):
                        if counter.count(event.event):
                            self.post_message(self.GateTallied(gate.id, counter.snapshot()))
                        continue
                    if isinstance(event, StepStarted):
                        counter.start(event.index)
                    self.post_message(self.GateProgress(gate.id, event))
            except KeyboardInterrupt:  # how the core's check says it was cancelled
                self.post_message(self.GateStopped(gate.id, cancelled=True))
            finally:
                if isinstance(stream, Generator):
                    stream.close()  # a worktree of the commit is removed here
        finally:
            gate.done.set()

    def _gate_check_for(self, gate: ActiveGate) -> GateCheck | None:
        """What ``gate`` checks (in its worker thread: git is asked here, not on the UI thread);
        None when a background check has nothing to do."""
        if gate.background:
            check = precompute_head(self.repo_root)
            known = self._gate_known
            if check is not None and known is not None and known[0] == check.ref:
                check = None  # this commit's verdict is on the badge already
            if check is not None and check.ref == self._gate_declined:
                check = None  # the user cancelled this commit's check: g asks again
            if check is not None:
                gate.head = check.ref
            if check is not None or gate.background:
                return check
        return GateCheck(self.repo_root, "HEAD")

    def _set_gate_badge(self, state: str, tooltip: str = "") -> None:
        for header in self.query(GateHeader):
            header.set_gate(state, tooltip)

    def _open_gate_screen(self, gate: ActiveGate) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, GateScreen):
                screen.show(gate.view)
                return
        self.push_screen(GateScreen(gate.view))

    def _show_gate(self, gate: ActiveGate) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, GateScreen) and screen.view is gate.view:
                screen.show(gate.view)

    def _current_gate(self, gate_id: int) -> ActiveGate | None:
        gate = self.gate
        return gate if gate is not None and gate.id == gate_id and not self._quitting else None

    @on(GateProgress)
    def _gate_progress(self, message: GateProgress) -> None:
        gate = self._current_gate(message.gate_id)
        if gate is None:
            return
        event = message.event
        gate.view.absorb(event)
        gate.replaces = None  # it has something to show now
        if isinstance(event, CheckStarted):
            self._set_gate_badge("running", f"checking {event.ref} {event.commit[:12]}")
        elif isinstance(event, CheckFinished):
            self._gate_finished(gate)
        self._show_gate(gate)

    @on(GateTallied)
    def _gate_tallied(self, message: GateTallied) -> None:
        gate = self._current_gate(message.gate_id)
        if gate is not None:
            gate.view.tally(message.tally)
            self._show_gate(gate)

    @on(GateStopped)
    def _gate_stopped(self, message: GateStopped) -> None:
        gate = self._current_gate(message.gate_id)
        if gate is None:
            return
        if not message.cancelled:
            # A background check found nothing to do: the check before it stays on show.
            self.gate = gate.replaces
            gate.replaces = None
            if not gate.background:
                # ``g`` took it over just as it found nothing to do: check now.
                self._open_gate_screen(self._start_gate(background=False))
            return
        gate.replaces = None
        gate.view.cancel()
        self._restore_gate_badge()
        if not gate.background:
            self._gate_declined = gate.view.commit
            self.log_line("PR gate: check cancelled (g checks again)", "yellow")
        self._show_gate(gate)

    def _restore_gate_badge(self) -> None:
        known = self._gate_known
        if known is None:
            self._set_gate_badge("unknown", NOT_GIT if self.is_git is False else "")
        else:
            self._set_gate_badge(known[1], known[2])

    def _gate_finished(self, gate: ActiveGate) -> None:
        view = gate.view
        commit = view.commit[:12]
        where = f"{view.ref} {commit}".strip()
        cached = " (cached: this tree was verified before)" if view.cached else ""
        if view.verdict == PASS:
            text, style = f"PR gate: passing on {where}{cached}", "green"
        elif view.verdict == FAIL:
            text, style = f"PR gate: would fail on {where} — {view.reason}", "red"
        else:
            text, style = f"PR gate: cannot evaluate — {view.reason}", "yellow"
        tooltip = text.removeprefix("PR gate: ")
        self._gate_known = (view.commit or gate.head, view.badge, tooltip)
        self._set_gate_badge(view.badge, tooltip)
        self.log_line(text, style)
        on_screen = any(isinstance(s, GateScreen) for s in self.screen_stack)
        if not gate.background and not on_screen:
            self.notify(text, severity="information" if view.verdict == PASS else "warning")

    def _gate_broke(self, error: BaseException | None) -> None:
        """The gate's worker raised: gateui could not evaluate the gate (a bug, or git)."""
        gate = self.gate
        if isinstance(error, GateuiError):
            reason = str(error)
        else:
            reason = f"gateui bug: {error!r} (please report it)"
            self.notify(f"internal error in the gate check: {error!r}", severity="error")
        if gate is not None and gate.view.running:
            gate.view.finish({"verdict": ERROR, "reason": reason})
            self._show_gate(gate)
        self._gate_known = None
        self._set_gate_badge("unknown", reason)
        self.log_line(f"PR gate: cannot evaluate — {reason}", "bold red")
        if self.precompute_gate:
            # It would break again on the next idle moment: g still tries.
            self.precompute_gate = False
            self.log_line("background gate checks are off until gateui restarts", "yellow")

    @on(GateScreen.CancelRequested)
    def _gate_cancel_requested(self) -> None:
        self._cancel_gate()

    # -- worker failures, all in one place -----------------------------------------------------
    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state != WorkerState.ERROR:
            return
        error = worker.error
        if worker.group == "gate":
            # The gate check could not go on: the badge says unknown, the log says why.
            self._gate_broke(error)
            return
        if isinstance(error, InterpreterError):
            self.problem = _interpreter_text(str(error))
            self.log_line(str(error), "bold red")
        elif isinstance(error, GateuiError) and worker.group == "run":
            # The request could not be planned (an unknown suite, a command suite…).
            self.log_line(str(error), "bold red")
            self.notify(str(error), severity="error")
        elif isinstance(error, GateuiError):
            self.problem = Content.assemble(
                Content.styled("gateui cannot go on here\n\n", "bold $text-error"), str(error)
            )
            self.log_line(str(error), "bold red")
        else:
            self.log_line(f"gateui bug in {worker.name}: {error!r} (please report it)", "bold red")
            self.notify(f"internal error in {worker.name}: {error!r}", severity="error")
        if worker.group == "run" and self.current_run is not None and self.current_run.active:
            self.current_run.tally.summary = RunSummary(0, 0, 0, 0, 0, None, 0.0, cancelled=True)
            self.current_run.ended = self.clock()
            self._refresh_run_view(self.current_run)
        if self.problem is not None:
            self.query_one(ContentSwitcher).current = "empty"
            self.query_one("#empty", Static).update(self.problem)

    # -- the log --------------------------------------------------------------------------------
    def log_line(self, text: str, style: str = "", alert: bool | None = None) -> None:
        """A line in the log pane (collection errors, crashes, gateui's own messages). Alerts
        (by default the bold red ones: something gateui or pytest could not do) are counted on
        the Log tab so they are not missed while the Detail tab is open."""
        self.messages.append(text)
        log = self.query_one(RichLog)
        log.write(Text(text, style=style))
        if alert if alert is not None else "bold red" in style:
            self._log_count += 1
            tab = self.query_one(TabbedContent).get_tab("log-tab")
            tab.label = Content.assemble(
                "Log ", Content.styled(f"● {self._log_count}", "$text-error")
            )

    # -- actions --------------------------------------------------------------------------------
    def action_run_scope(self) -> None:
        scope = self.scope
        if not self.has_projects:
            self.notify("still discovering the repository's tests…")
            return
        if scope is None:
            return
        if not scope.runnable:
            self.notify(
                f"{scope.label} is a command suite: run it with its own command", severity="warning"
            )
            return
        self.start_run(
            scope.request(), scope.projects(self.projects), scope.description, scope.description
        )

    def action_rerun_failed(self) -> None:
        scope = self.scope
        if scope is None or not self.has_projects:
            self.notify("still discovering the repository's tests…")
            return
        failed = [
            n
            for n in failed_in_scope(scope, self.store)
            if (self.repo_root / n.split("::")[0]).exists()
        ]
        if not failed:
            self.notify(f"nothing failed last time in {scope.description}")
            return
        request = RunRequest(paths=node_paths(self.repo_root, failed))
        self.start_run(request, self.projects, f"failed in {scope.description}", "failed last run")

    def action_scope(self, name: str) -> None:
        tree = self.query_one(ScopeTree)
        scopes = tree.scopes
        current = self.scope
        if scopes is None:
            self.notify("still discovering the repository's tests…")
            return
        node = find_scope_suite(scopes, name, current.project if current else None)
        if node is None:
            self.notify(f"no {name} suite in this repository", severity="warning")
            return
        target = tree.find_node(node.scope.key)
        if target is not None:
            tree.move_cursor(target)
            tree.scroll_to_node(target, animate=False)

    def action_filter(self) -> None:
        if self.query_one(ContentSwitcher).current != "results":
            self.notify("no results to filter yet")
            return
        field = self.query_one(FilterInput)
        field.add_class("-visible")
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(ResultsTable).set_filter(event.value)
        if self.scope is not None:
            self.query_one("#results-title", Label).update(self._results_title(self.scope))

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one(ResultsTable).focus()

    @on(FilterInput.Closed)
    def _filter_closed(self, message: FilterInput.Closed) -> None:
        field = self.query_one(FilterInput)
        if not message.keep or not field.value:
            field.remove_class("-visible")
            if field.has_focus:
                self.query_one(ResultsTable).focus()

    def action_run_affected(self) -> None:
        scope = self.scope
        if scope is None or not self.has_projects:
            self.notify("still discovering the repository's tests…")
            return
        projects = scope.projects(self.projects)
        request = scope.request()
        repo_root = self.repo_root

        def plan(books: Bookkeeping, workdir: Path) -> Planned:
            # The working tree's change against HEAD, as `gateui run --affected` selects it.
            assert books.store is not None, "affected runs need the dependency store"
            plan = plan_affected(
                projects, request, books.store, books.results, workdir, repo_root=repo_root
            )
            return Planned(plan.commands, header=describe_selection(plan))

        self.start_planned(plan, f"affected in {scope.description}", "")

    def action_toggle_watch(self) -> None:
        if self.watching is not None:
            self._stop_watch()
        elif not self.has_projects:
            self.want_watch = True
            self.notify("watch mode starts as soon as discovery is done")
        else:
            self._start_watch()

    def action_run_gate(self) -> None:
        """Check HEAD against the PR gate, with the gate screen open. A check already running
        (also one the app started in the background) is shown rather than started again."""
        gate = self.gate
        if gate is not None and not gate.done.is_set() and gate.view.running:
            if gate.background:
                gate.background = False
                self._set_gate_badge("running", "checking HEAD")
            self._open_gate_screen(gate)
            return
        gate = self._start_gate(background=False)
        self._open_gate_screen(gate)

    def action_cancel_run(self) -> None:
        if self.watching is not None:
            # Cancel this cycle's tests; watch mode stays on for the next change.
            self.watching.cancel_cycle()
            self.notify("cancelling this watch cycle (watch mode stays on)")
            return
        run = self.current_run
        if run is not None and run.active:
            run.cancel()
            self.notify(f"cancelling {run.label}…")
        elif self.gate is not None and not self.gate.done.is_set() and not self.gate.background:
            self._cancel_gate()
        else:
            self.notify("nothing is running")

    def action_show_detail(self) -> None:
        table = self.query_one(ResultsTable)
        if table.cursor_event is None and table.first_failure is not None:
            table.select_first_failure()
        self.query_one("#centre").add_class("-detail")
        self.query_one(TabbedContent).active = "detail-tab"
        self.query_one(DetailView).focus()

    def action_escape(self) -> None:
        centre = self.query_one("#centre")
        if centre.has_class("-detail"):
            centre.remove_class("-detail")
            self.query_one(ResultsTable).focus()

    def action_open_editor(self) -> None:
        detail = self.query_one(DetailView)
        table = self.query_one(ResultsTable)
        event = table.cursor_event or detail.event or table.first_failure
        if event is None:
            self.notify("select a test first (a failure opens at its failing line)")
            return
        path, line = failure_location(event)
        target = self._resolve(event.project, path)
        argv = editor_command(target, line)
        try:
            with self.suspend():
                code = subprocess.run(argv, check=False).returncode
        except SuspendNotSupported:
            # No terminal to hand over (headless): run it anyway, detached from ours.
            code = subprocess.run(argv, check=False, stdin=subprocess.DEVNULL).returncode
        except OSError as exc:
            self.notify(f"cannot start the editor {argv[0]!r}: {exc}", severity="error")
            return
        if code != 0:
            self.log_line(f"editor exited with status {code}: {' '.join(argv)}", "yellow")

    def _resolve(self, project: str, path: str) -> Path:
        """A traceback path (relative to pytest's rootdir, the project) as a file on disk."""
        candidate = Path(path)
        if candidate.is_absolute():
            return candidate
        for base in (self.repo_root / project, self.repo_root):
            if (base / candidate).exists():
                return base / candidate
        return self.repo_root / candidate

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Cancel runs and collection, wait (bounded) until their processes are gone, exit."""
        self._shutdown_background()
        deadline = time.monotonic() + QUIT_WAIT_S
        waits = [run.done for run in self._runs_in_flight]
        waits += [gate.done for gate in self._gates_in_flight]
        if self._watch_done is not None:
            waits.append(self._watch_done)
        for done in waits:
            while not done.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        self.exit(0)

    def _shutdown_background(self) -> None:
        self._quitting = True
        if self.watching is not None:
            self.watching.stop()
            self.watching = None
        self._stop_runs()
        for gate in self._gates_in_flight:
            gate.cancel()
        for process in list(self._collecting):
            process.cancel()

    def on_unmount(self) -> None:
        self._shutdown_background()


def _changed_label(changed: Sequence[str]) -> str:
    if not changed:
        return "nothing changed"
    # Source files first: they are what the developer just saved.
    ordered = sorted(changed, key=lambda p: (not p.endswith(".py"), p))
    names = [Path(p).name for p in ordered[:2]]
    return ", ".join(names) + (f" +{len(changed) - 2}" if len(changed) > 2 else "")


def _request_label(request: RunRequest) -> str:
    parts = [request.suite or "all tests"]
    if request.markers:
        parts.append(f"-m {request.markers!r}")
    return " ".join(parts)


def _idle_text(scope: Scope, discovered: bool) -> Content:
    """What the results area says before the first run: what is in scope, and the keys."""
    count = f"{'' if discovered else 'about '}{len(scope.tests)}"
    lines = [
        Content.assemble(f"{count} tests in ", Content.styled(scope.description, "bold"), "."),
        Content(""),
    ]
    for key, what in (
        ("a", "run them"),
        ("r", "run only what the current change can affect"),
        ("f", "rerun what failed last time"),
        ("s u i", "scope to smoke / unit / integration (or pick a node on the left)"),
        ("w", "watch: rerun affected tests on every save"),
        ("?", "all keys"),
    ):
        lines.append(Content.assemble(Content.styled(f"{key:>6}", "bold $text-accent"), "  ", what))
    return Content("\n").join(lines)


def _interpreter_text(message: str) -> Content:
    return Content.assemble(
        Content.styled("pytest cannot run here\n\n", "bold $text-error"),
        message,
        "\n\nInstall pytest in that interpreter (",
        Content.styled("python -m pip install pytest", "bold"),
        "), or point ",
        Content.styled("[tool.gateui] python", "bold"),
        " in pyproject.toml at an interpreter that has it.",
    )


def _interpreter_problem(report: ProjectDiscovery) -> Content:
    return _interpreter_text(report.interpreter_error or "")


def _no_tests_problem(repo_root: Path) -> Content:
    return Content.assemble(
        Content.styled("No tests found", "bold $text-warning"),
        f" in {repo_root}.\n\n",
        "gateui looks for pytest's configuration (pytest.ini, pyproject.toml "
        "[tool.pytest.ini_options], tox.ini, setup.cfg) and for test files named test_*.py or "
        "*_test.py that git does not ignore, and for mix projects (mix.exs) with *_test.exs "
        "files.\n\n",
        "Add a test (for example tests/test_smoke.py with a function test_something) and start "
        "gateui again, or run it in the repository's own folder: ",
        Content.styled("gateui PATH", "bold"),
        ".",
    )

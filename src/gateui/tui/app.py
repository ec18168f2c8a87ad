"""The gateui TUI: a live dashboard over the core, composed of controllers.

The app holds the layout, the key bindings and the wiring. What it does is in the controllers of
``gateui.tui.controllers`` (discovery, runs, watch mode, the PR gate): each owns its state and its
thread worker, and posts messages that the app routes to widgets here; actions delegate to them.
Selection, planning, runs and the gate's verdicts are the core's, driven from those workers (the
same generators ``gateui run`` iterates). Results reach the table paced: the runs controller hands
them over in chunks at most every ``DRAIN_INTERVAL_S``, so a flood of results becomes a few table
updates per second and the screen keeps refreshing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.widgets import Input, Label, Tree
from textual.worker import Worker, WorkerState

from gateui.core.plan.run_plan import RunRequest
from gateui.core.running.events import Event
from gateui.core.running.process_group import TERMINATE_GRACE_S
from gateui.tui.controllers.discovery import NOT_GIT_NOTE, DiscoveryController
from gateui.tui.controllers.gate import GATE_POLL_S, NOT_GIT, GateController
from gateui.tui.controllers.notes import LogNote
from gateui.tui.controllers.runs import ActiveRun, Planner, Refusal, RunController, RunOrder
from gateui.tui.controllers.watch import WatchController, WatchSource
from gateui.tui.editor import edit_failure
from gateui.tui.empty_states import WELL_KNOWN_SCOPES, discovering_text, empty_state
from gateui.tui.failures import explain_failure
from gateui.tui.gate_wiring import GateWiring
from gateui.tui.keys import SCOPE_KEYS, bindings
from gateui.tui.model import Scope, build_scopes
from gateui.tui.screens.help import HelpScreen
from gateui.tui.widgets.filter_input import FilterInput
from gateui.tui.widgets.footer import KeysFooter
from gateui.tui.widgets.header import GateHeader
from gateui.tui.widgets.results_pane import ResultsPane
from gateui.tui.widgets.results_table import ResultsTable
from gateui.tui.widgets.run_status import RunStatus
from gateui.tui.widgets.scope_tree import ScopeTree

QUIT_WAIT_S = TERMINATE_GRACE_S + 2.0
"""How long quitting waits for a cancelled run's processes to be reaped."""


class GateuiApp(GateWiring):
    """``gateui [PATH]``: scopes on the left, live results in the centre, detail and log below."""

    CSS_PATH = "app.tcss"
    TITLE = "gateui"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = bindings()
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 - Textual declares it so (not as a ClassVar)
        (0, "-narrow"),
        (100, "-normal"),
        (140, "-wide"),
    ]
    """Screen classes the stylesheet sizes the columns by (below 100 columns: narrow)."""

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
        self.cursor_blink = cursor_blink
        self.discovery = DiscoveryController(self, self.repo_root)
        self.runs = RunController(self, self.repo_root, clock)
        self.watcher = WatchController(
            self, self.runs, self.repo_root, want=watch, request=watch_request, source=watch_source
        )
        self.gates = GateController(
            self, self.repo_root, self.discovery, self.runs, precompute=precompute_gate
        )
        self.problem: Content | None = None
        """An empty state that explains why nothing can run (shown instead of results)."""
        self.messages: list[str] = []
        """Everything written to the log pane, as plain text."""

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield GateHeader(self.repo_label)
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Label("Scope", classes="section-title")
                yield ScopeTree(id="tree")
            yield ResultsPane(discovering_text(self.repo_label), id="centre")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(FilterInput).cursor_blink = self.cursor_blink
        self.query_one(RunStatus).show(None, None)
        self.query_one(ScopeTree).focus()
        self.set_interval(0.5, self._tick)
        if self.gates.precompute:
            self.set_interval(GATE_POLL_S, self.gates.precompute_if_idle)
        self.log_line(f"gateui on {self.repo_label}")
        self.discovery.start()
        self._warm_up()

    @work(thread=True, exit_on_error=False, group="warm-up", name="warm up")
    def _warm_up(self) -> None:
        """Load the syntax highlighter's lexer now, off the UI thread, rather than on the UI
        thread when the first failure of a flood arrives."""
        from gateui.tui.highlight import highlight_traceback

        highlight_traceback("def test():\n>       assert 1 == 2\nE       assert 1 == 2")

    # -- discovery ----------------------------------------------------------------------------
    @on(DiscoveryController.RepoInfo)
    def _repo_info(self, message: DiscoveryController.RepoInfo) -> None:
        self.discovery.is_git = message.is_git
        self.query_one(GateHeader).set_branch(message.branch, message.is_git)
        if not message.is_git:
            self.query_one(GateHeader).set_gate("unknown", NOT_GIT)
            self.log_line(NOT_GIT_NOTE, "yellow")

    @on(DiscoveryController.Updated)
    def _discovery_updated(self, message: DiscoveryController.Updated) -> None:
        self.discovery.update(message)
        scopes = build_scopes(self.repo_root.name, message.reports, message.mix)
        self.query_one(ScopeTree).load(scopes, self.runs.store, static=not message.final)
        if message.final:
            notes, self.problem = self.discovery.report()
            self._log_notes(*notes)
        self.refresh_bindings()  # s, u and i are offered where the suites are
        self._update_empty_state()
        if self.watcher.want and self.discovery.has_projects and not self.watcher.on:
            self.watcher.want = False
            self._start_watch()
        if message.final:
            self.gates.precompute_if_idle()

    # -- the results area -----------------------------------------------------------------------
    @property
    def _pane(self) -> ResultsPane:
        return self.query_one(ResultsPane)

    def _update_empty_state(self) -> None:
        """The results of the run on screen, else what the results area says without them."""
        self._show_title()
        if self.runs.current is not None and self.problem is None:
            self._pane.show_results()
            return
        found, discovered = self.discovery.has_projects, self.discovery.discovered
        label = self.repo_label
        tree = self.query_one(ScopeTree)
        suites = [name for name in WELL_KNOWN_SCOPES if tree.has_suite(name)]
        empty = empty_state(
            self.problem, self.scope, found=found, discovered=discovered, label=label, suites=suites
        )
        self._pane.show_empty(empty)

    def _show_title(self, layout: bool = True) -> None:
        """The results' title: the run on screen, else the scope (before discovery: as it is)."""
        scope = self.scope
        if scope is not None:
            run = self.runs.current
            self._pane.show_title(run.label if run else f"scope: {scope.description}", layout)

    @property
    def scope(self) -> Scope | None:
        return self.query_one(ScopeTree).scope

    @on(Tree.NodeHighlighted, "#tree")
    def _scope_changed(self) -> None:
        self._update_empty_state()

    @on(Tree.NodeSelected, "#tree")
    def _scope_chosen(self) -> None:
        self._pane.focus_results()

    # -- runs ----------------------------------------------------------------------------------
    def _run(self, order: RunOrder | Refusal | None) -> None:
        """Start the run a key asked for, or say why there is none."""
        if isinstance(order, Refusal):
            self.notify(order.text, severity=order.severity)
        elif order is not None:
            self._start(order.label, order.reason, order.planner)

    def play(self, events: Iterable[Event], label: str, reason: str = "") -> ActiveRun:
        """Show any stream of events as a run (synthetic ones in benchmarks and snapshots);
        nothing is recorded."""
        return self._start(label, reason, events=events)

    def _start(
        self, label: str, reason: str, planner: Planner | None = None, events: Iterable[Event] = ()
    ) -> ActiveRun:
        """A new run on screen, planned by ``planner`` in its worker (or playing ``events``);
        watch mode gives way to it."""
        if note := self.watcher.pause(label):
            self.query_one(GateHeader).set_watch(False, paused_for=label)
            self._log_notes(note)
        run = self.runs.make(label, reason)
        self._adopt_run(run)
        self.runs.start(run, planner, events)
        return run

    def _adopt_run(self, run: ActiveRun) -> None:
        """Put ``run`` on screen; the run shown before it is cancelled, and so is a background
        gate check (it starts again once the app is idle)."""
        self.runs.adopt(run)
        self.gates.cancel_background()
        self.problem = None
        self._pane.clear_results(run.reason)
        self._update_empty_state()
        self._refresh_run_view(run)

    @on(RunController.RunPlanned)
    def _run_planned(self, message: RunController.RunPlanned) -> None:
        header = self.runs.planned(message)
        if header:
            self.log_line(header)

    @on(RunController.ResultsReady)
    def _results_ready(self, message: RunController.ResultsReady) -> None:
        self.runs.pace(message, self._drain)

    def _drain(self, run: ActiveRun) -> None:
        """Show what waits in the run's buffer, chunk by chunk, within the drain budget."""
        try:
            for events in self.runs.chunks(run):
                self._absorb(run, events)
            self._refresh_run_view(run)
        except NoMatches:  # the app is shutting down: its widgets are gone
            return

    def _absorb(self, run: ActiveRun, events: Sequence[Event]) -> None:
        absorbed = self.runs.absorb(run, events)
        self._log_notes(*absorbed.notes)
        if absorbed.results:
            self._pane.add_results(absorbed.results, run.reason)
        if absorbed.summary is not None:
            self._log_notes(self.runs.finish(run, absorbed.summary))
            self._pane.results_over()
            self.query_one(ScopeTree).refresh_counts(self.runs.store)
            self._resume_watch(run)
            self.gates.precompute_if_idle()

    def _refresh_run_view(self, run: ActiveRun) -> None:
        self._pane.show_status(run.tally, self.runs.elapsed(run))
        self._show_title(layout=False)

    def _tick(self) -> None:
        run = self.runs.current
        if self.runs.stopping or run is None or not run.active:
            return
        try:
            self._refresh_run_view(run)
        except NoMatches:  # the app is shutting down: its widgets are gone
            return

    # -- watch mode ----------------------------------------------------------------------------
    def _start_watch(self) -> None:
        label = self.watcher.start(self.scope, self.discovery.projects)
        self.query_one(GateHeader).set_watch(True)
        self.log_line(f"watch mode on: {label} (every save reruns the affected tests)")

    def _resume_watch(self, run: ActiveRun) -> None:
        """Watch mode paused for ``run`` goes on (once its results are saved)."""
        if note := self.watcher.resume(after=run.done):
            self.query_one(GateHeader).set_watch(True)
            self._log_notes(note)

    def _stop_watch(self, note: str = "watch mode off") -> None:
        if self.watcher.stop():
            self.query_one(GateHeader).set_watch(False)
            self.log_line(note)

    @on(WatchController.CycleBegan)
    def _cycle_began(self, message: WatchController.CycleBegan) -> None:
        notes = self.watcher.began(message)
        if notes is not None:
            self._log_notes(*notes)
            self._adopt_run(message.run)

    @on(WatchController.Note)
    def _watch_note(self, message: WatchController.Note) -> None:
        if not message.idle:
            self.log_line(message.text)
        else:
            self.gates.precompute_if_idle()

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
        failure = explain_failure(error, worker.group, worker.name)
        if failure.problem is not None:
            self.problem = failure.problem
        self._log_notes(failure.note, *([failure.trace] if failure.trace else []))
        if failure.notice:
            self.notify(failure.notice, severity="error")
        abandoned = self.runs.abandon() if worker.group == "run" else None
        if abandoned is not None:
            self._refresh_run_view(abandoned)
            self._resume_watch(abandoned)
        if self.problem is not None:
            self._pane.show_empty(self.problem)

    # -- the log --------------------------------------------------------------------------------
    def log_line(self, text: str, style: str = "", alert: bool | None = None) -> None:
        """A line in the log pane (collection errors, crashes, gateui's own messages). Alerts
        (by default the bold red ones: something gateui or pytest could not do) are counted on
        the Log tab so they are not missed while the Detail tab is open."""
        self.messages.append(text)
        self._pane.log_line(text, style, alert if alert is not None else "bold red" in style)

    def _log_notes(self, *notes: LogNote) -> None:
        for note in notes:
            self.log_line(note.text, note.style, note.alert)

    # -- actions --------------------------------------------------------------------------------
    def action_run_scope(self) -> None:
        self._run(self.runs.scope_order(self.scope, self.discovery))

    def action_rerun_failed(self) -> None:
        self._run(self.runs.failed_order(self.scope, self.discovery))

    def action_run_affected(self) -> None:
        self._run(self.runs.affected_order(self.scope, self.discovery))

    def action_scope(self, name: str) -> None:
        self.query_one(ScopeTree).select_suite(name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """s, u and i exist (in the footer, and as keys) where the repository has such a suite."""
        if action == "scope":
            return any(tree.has_suite(str(parameters[0])) for tree in self.query(ScopeTree))
        return True

    def action_toggle_tree(self) -> None:
        self.query_one("#left").toggle_class("-folded")

    def action_toggle_log(self) -> None:
        self._pane.toggle_log()

    def action_filter(self) -> None:
        if not self._pane.open_filter():
            self.notify("no results to filter yet")

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(ResultsTable).set_filter(event.value)
        self._show_title()

    def action_toggle_watch(self) -> None:
        if self.watcher.on or self.watcher.paused_for:
            self._stop_watch()
        elif not self.discovery.has_projects:
            self.watcher.want = True
            self.notify("watch mode starts as soon as discovery is done")
        else:
            self._start_watch()

    def action_cancel_run(self) -> None:
        if self.watcher.on:
            # Cancel this cycle's tests; watch mode stays on for the next change.
            self.watcher.cancel_cycle()
            self.notify("cancelling this watch cycle (watch mode stays on)")
            return
        run = self.runs.current
        if run is not None and run.active:
            run.cancel()
            self.notify(f"cancelling {run.label}…")
        elif self.gates.user_check_running:
            self._cancel_gate()
        else:
            self.notify("nothing is running")

    def action_show_detail(self) -> None:
        self._pane.enlarge_detail()

    def action_escape(self) -> None:
        """Back, from wherever the focus is: the enlarged detail shrinks, else the filter goes."""
        if not self._pane.restore_results():
            self._pane.clear_filter()

    def action_open_editor(self) -> None:
        event = self._pane.chosen_result
        if event is None:
            self.notify("select a test first (a failure opens at its failing line)")
        elif failed := edit_failure(self, event, self.repo_root):
            self.log_line(failed, "yellow")

    def action_help(self) -> None:
        tree = self.query_one(ScopeTree)
        absent = {key for key, suite in SCOPE_KEYS.items() if not tree.has_suite(suite)}
        self.push_screen(HelpScreen(absent))

    async def action_quit(self) -> None:
        """Cancel runs and collection, wait (bounded) until their processes are gone, exit."""
        self._shutdown_background()
        deadline = time.monotonic() + QUIT_WAIT_S
        for done in self.runs.waits() + self.gates.waits() + self.watcher.waits():
            while not done.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        self.exit(0)

    def _shutdown_background(self) -> None:
        self.watcher.stop()
        self.runs.shutdown()
        self.gates.shutdown()
        self.discovery.shutdown()

    def on_unmount(self) -> None:
        self._shutdown_background()

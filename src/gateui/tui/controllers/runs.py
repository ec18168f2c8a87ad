"""Runs: the core plans and runs tests in a thread worker; their results cross into the UI paced.

A run's worker plans it with the core (the same ``plan_run`` / ``plan_affected`` as ``gateui run``)
and iterates the core's ``RunSession``, putting each event into the run's bounded ``EventBuffer``
(back-pressure: a full buffer makes the worker, and so pytest, wait). It posts ``ResultsReady`` only
when the buffer was empty, and repeats merge in the app's queue. The UI drains the buffer at most
every ``DRAIN_INTERVAL_S``, in chunks, within ``DRAIN_BUDGET_S``, so a flood of results becomes a
few table updates per second and the screen keeps refreshing.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App
from textual.message import Message
from textual.notifications import SeverityLevel

from gateui.core.common.owned_dirs import owned_tempdir
from gateui.core.discovery.discover import Project
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
from gateui.core.running.results import ResultsStore
from gateui.core.running.warm import WarmPool, warm_enabled
from gateui.core.running.warning_kinds import WarningKinds
from gateui.core.selection.affected import plan_affected
from gateui.core.selection.bookkeeping import Bookkeeping
from gateui.core.selection.depstore import DepStore
from gateui.core.selection.kept_recordings import recorded_full_run
from gateui.tui.controllers.discovery import DiscoveryController
from gateui.tui.controllers.notes import LogNote
from gateui.tui.model import Planned, RunTally, Scope, failed_in_scope, node_paths
from gateui.tui.stream import EventBuffer
from gateui.wording import describe_selection, source_place

DRAIN_INTERVAL_S = 0.05
"""At most this often the UI takes results from the run's buffer (coalescing bursts)."""
DRAIN_BUDGET_S = 0.015
"""How long one drain may take before it yields to let the screen refresh."""
DRAIN_CHUNK = 250
RUN_BUFFER = 1000
"""Events a run may have waiting for the UI; past that its worker waits (and so does pytest).
Small on purpose: a producer that is blocked leaves the interpreter to the UI thread."""

Planner = Callable[[Bookkeeping, Path], Planned]
"""Decides a run's commands in the worker thread (with the run's bookkeeping at hand)."""


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
    warning_kinds: WarningKinds = field(default_factory=WarningKinds)
    """The warnings noted in the log so far: each kind once."""

    @property
    def active(self) -> bool:
        return self.tally.summary is None

    def cancel(self) -> None:
        """Stop the run from the UI thread, whether or not its session exists yet."""
        self.cancel_requested = True
        if self.session is not None:
            self.session.cancel()


@dataclass
class Absorbed:
    """What a chunk of a run's events brings to the screen."""

    results: list[TestFinished] = field(default_factory=list)
    """Test results, for the table."""
    notes: list[LogNote] = field(default_factory=list)
    """Collection errors and unknown markers, for the log."""
    summary: RunSummary | None = None
    """The run's summary, when the chunk ends the run."""


@dataclass(frozen=True)
class RunOrder:
    """A run a key asked for: what it is called, why its tests run, and how the core plans it."""

    label: str
    """How the run is called on screen."""
    reason: str
    """Why its tests run (each result shows it, unless the result has a reason of its own)."""
    planner: Planner
    """Plans it in the run's worker."""


@dataclass(frozen=True)
class Refusal:
    """Why a key starts nothing, for a notification."""

    text: str
    """What to tell the user."""
    severity: SeverityLevel = "information"
    """The notification's severity."""


STILL_DISCOVERING = Refusal("still discovering the repository's tests…")


def recording_planner(projects: Sequence[Project], request: RunRequest, repo_root: Path) -> Planner:
    """Plan ``request`` as ``gateui run`` does (recording what each test executes)."""

    def plan(books: Bookkeeping, workdir: Path) -> Planned:
        # Tests whose recordings are current are not recorded again.
        commands, over = recorded_full_run(
            plan_run(projects, request, repo_root), repo_root, projects, books.store
        )
        return Planned(commands, over=over)

    return plan


def affected_planner(projects: Sequence[Project], request: RunRequest, repo_root: Path) -> Planner:
    """Plan what the working tree's change against HEAD can affect, as ``gateui run --affected``
    selects it (with the selection's reasons)."""

    def plan(books: Bookkeeping, workdir: Path) -> Planned:
        assert books.store is not None, "affected runs need the dependency store"
        plan = plan_affected(
            projects, request, books.store, books.results, workdir, repo_root=repo_root
        )
        return Planned(plan.commands, header=describe_selection(plan))

    return plan


class RunController:
    """The run on screen, the runs still winding down, and the results store they record into."""

    @dataclass
    class ResultsReady(Message):
        """Events are waiting in run ``run_id``'s buffer. Repeats merge: one wake-up is enough."""

        run_id: int
        """Which run the events belong to (a stale run's wake-ups are ignored)."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RunController.ResultsReady) and message.run_id == self.run_id

    @dataclass
    class RunPlanned(Message):
        """The core planned run ``run_id``."""

        run_id: int
        """Which run."""
        planned: Planned
        """Its commands and, for affected runs, what was selected and why."""

    def __init__(self, app: App[Any], repo_root: Path, clock: Callable[[], float]) -> None:
        self.app = app
        self.repo_root = repo_root
        self.clock = clock
        self.store = ResultsStore.load(repo_root)
        """The last result of every test (the tree's counts, ``f``'s failures)."""
        self.current: ActiveRun | None = None
        """The run on screen."""
        self.stopping = False
        """The app is quitting: nothing more reaches the screen."""
        self._ids = itertools.count(1)
        self._in_flight: list[ActiveRun] = []
        self.warm = WarmPool(repo_root, enabled=warm_enabled(repo_root))
        """Warm test processes while the app is open: its runs and watch mode fork from them."""

    @property
    def active(self) -> bool:
        """Whether the run on screen still runs."""
        return self.current is not None and self.current.active

    def make(self, label: str, reason: str) -> ActiveRun:
        """A run's state (safe to call from a worker thread: nothing on screen changes)."""
        return ActiveRun(
            id=next(self._ids),
            label=label,
            reason=reason,
            buffer=EventBuffer(RUN_BUFFER),
            tally=RunTally(label),
            started=self.clock(),
        )

    def adopt(self, run: ActiveRun) -> None:
        """Make ``run`` the one on screen; the runs before it are cancelled."""
        self.stop_all()
        self.current = run
        self._in_flight = [r for r in self._in_flight if not r.done.is_set()]
        self._in_flight.append(run)

    def start(
        self, run: ActiveRun, planner: Planner | None, events: Iterable[Event] | None
    ) -> None:
        """Plan (in the worker thread) and run ``run``, or play ``events`` as it."""
        self.app.run_worker(
            partial(self._run, run, planner, events),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="run",
            name="run",
        )

    def _run(self, run: ActiveRun, planner: Planner | None, events: Iterable[Event] | None) -> None:
        """The worker."""
        try:
            if planner is None:
                for event in events or ():
                    self.hand_over(run, event)
                return
            with owned_tempdir("gateui-") as workdir:
                books = Bookkeeping(self.repo_root, DepStore(self.repo_root))
                planned: Planned | None = None
                try:
                    planned = planner(books, Path(workdir))
                    self.app.post_message(self.RunPlanned(run.id, planned))
                    run.session = session = RunSession(planned.commands, warm=self.warm)
                    if run.cancel_requested:
                        session.cancel()
                    for event in session.events():
                        books.handle(event)
                        self.hand_over(run, event)
                finally:
                    # Tests that finished keep their results, also when the run was cut short.
                    if planned is not None and planned.over is not None:
                        planned.over()
                    books.save()
                    if books.store is not None:
                        books.store.close()
        finally:
            run.done.set()

    def hand_over(self, run: ActiveRun, event: Event) -> None:
        """From a worker thread into the run's buffer (blocks while the UI catches up)."""
        if isinstance(event, OutputLine):
            return  # kept by the core for diagnosis (the summary's output tail)
        if isinstance(event, TestFinished) and event.deps is not None:
            event = replace(event, deps=None)  # recorded already; the UI has no use for it
        if run.buffer.put(event):
            self.app.post_message(self.ResultsReady(run.id))

    def stop_all(self) -> None:
        for run in self._in_flight:
            run.cancel()
            run.buffer.close()

    def shutdown(self) -> None:
        self.stopping = True
        self.stop_all()
        # The runs are cancelled: what they forked goes with the warm processes.
        self.warm.close()

    def waits(self) -> list[threading.Event]:
        """What quitting waits for: each run's processes reaped."""
        return [run.done for run in self._in_flight]

    def of(self, run_id: int) -> ActiveRun | None:
        """The run on screen, if it is ``run_id`` (else a message is stale)."""
        run = self.current
        return run if run is not None and run.id == run_id else None

    # -- what the keys ask for ------------------------------------------------------------------
    def scope_order(
        self, scope: Scope | None, discovery: DiscoveryController
    ) -> RunOrder | Refusal | None:
        """``a``: every test of the scope (None: no scope is highlighted yet)."""
        if not discovery.has_projects:
            return STILL_DISCOVERING
        if scope is None:
            return None
        if not scope.runnable:
            text = f"{scope.label} is a command suite: run it with its own command"
            return Refusal(text, "warning")
        projects = scope.projects(discovery.projects)
        return self._recorded(
            scope.request(), projects, discovery, scope.description, scope.description
        )

    def failed_order(
        self, scope: Scope | None, discovery: DiscoveryController
    ) -> RunOrder | Refusal:
        """``f``: the tests of the scope that failed last time and still exist."""
        if scope is None or not discovery.has_projects:
            return STILL_DISCOVERING
        failed = [
            n
            for n in failed_in_scope(scope, self.store)
            if (self.repo_root / n.split("::")[0]).exists()
        ]
        if not failed:
            return Refusal(f"nothing failed last time in {scope.description}")
        request = RunRequest(paths=node_paths(self.repo_root, failed))
        label = f"failed in {scope.description}"
        return self._recorded(request, discovery.projects, discovery, label, "failed last run")

    def affected_order(
        self, scope: Scope | None, discovery: DiscoveryController
    ) -> RunOrder | Refusal:
        """``r``: the tests of the scope that the working tree's change can affect."""
        if scope is None or not discovery.has_projects:
            return STILL_DISCOVERING
        projects = scope.projects(discovery.projects)
        planner = affected_planner(projects, scope.request(), self.repo_root)
        return RunOrder(f"affected in {scope.description}", "", planner)

    def _recorded(
        self,
        request: RunRequest,
        projects: Sequence[Project],
        discovery: DiscoveryController,
        label: str,
        reason: str,
    ) -> RunOrder | Refusal:
        """``request`` as the core plans it (plain runs record dependencies, as the CLI's)."""
        if not projects and not discovery.mix:
            return Refusal("no test projects found", "warning")
        return RunOrder(label, reason, recording_planner(projects, request, self.repo_root))

    def planned(self, message: RunPlanned) -> str:
        """Take note of what the core planned for the run on screen; what to log of it."""
        run = self.of(message.run_id)
        if run is None:
            return ""
        if not message.planned.commands:
            run.tally.nothing_to_run = True
        return message.planned.header

    def abandon(self) -> ActiveRun | None:
        """The run's worker raised: the run on screen ends as cancelled (returned, if it ran)."""
        run = self.current
        if run is None or not run.active:
            return None
        run.tally.summary = RunSummary(0, 0, 0, 0, 0, None, 0.0, cancelled=True)
        run.ended = self.clock()
        return run

    def elapsed(self, run: ActiveRun) -> float:
        end = run.ended if run.ended is not None else self.clock()
        return end - run.started

    # -- the hand-over to the UI (on the UI thread) -------------------------------------------
    def pace(self, message: ResultsReady, drain: Callable[[ActiveRun], None]) -> None:
        """Call ``drain`` for the run on screen now, or once ``DRAIN_INTERVAL_S`` has passed
        since its last drain (one drain for any number of wake-ups meanwhile)."""
        run = self.current
        if run is None or message.run_id != run.id or run.drain_scheduled:
            return
        wait = run.last_drain + DRAIN_INTERVAL_S - time.perf_counter()
        if wait > 0:
            run.drain_scheduled = True
            self.app.set_timer(wait, lambda: self._drain(run, drain))
        else:
            self._drain(run, drain)

    def _drain(self, run: ActiveRun, drain: Callable[[ActiveRun], None]) -> None:
        run.drain_scheduled = False
        if run is self.current and not self.stopping:
            drain(run)

    def chunks(self, run: ActiveRun) -> Iterator[list[Event]]:
        """The run's waiting events in chunks, for as long as the drain budget lasts; events
        left over then are announced again (the screen refreshes in between)."""
        started = run.last_drain = time.perf_counter()
        while True:
            events = run.buffer.take(DRAIN_CHUNK)
            if not events:
                return
            yield events
            if time.perf_counter() - started > DRAIN_BUDGET_S:
                if len(run.buffer):
                    self.app.post_message(self.ResultsReady(run.id))
                return

    def absorb(self, run: ActiveRun, events: Sequence[Event]) -> Absorbed:
        """Count a chunk in the run's tally and record its results; what it brings to show."""
        absorbed = Absorbed()
        for event in events:
            run.tally.absorb(event)
            if isinstance(event, TestFinished):
                absorbed.results.append(event)
                self.store.record(event)
            elif isinstance(event, TestStarted):
                run.tally.running_test = event.nodeid
            elif isinstance(event, CollectionError):
                text = f"collection error in {event.nodeid}:\n{event.message}"
                absorbed.notes.append(LogNote(text, "red", alert=True))
            elif isinstance(event, WarningRaised) and run.warning_kinds.add(event) is not None:
                # Each distinct warning once a run, as pytest's summary has them.
                where = event.nodeid or source_place(event.path, event.line, self.repo_root)
                text = f"warning in {where}: {event.category}: {event.message}"
                absorbed.notes.append(LogNote(text, "yellow"))
            elif isinstance(event, RunSummary):
                absorbed.summary = event
        return absorbed

    def finish(self, run: ActiveRun, summary: RunSummary) -> LogNote:
        """The run is over: the line that says how it went."""
        run.ended = self.clock()
        if run.tally.nothing_to_run:
            return LogNote(f"{run.label}: nothing to run", "green")
        if summary.cancelled:
            return LogNote(f"{run.label}: cancelled", "yellow")
        if summary.crashed or summary.crash_message:
            return LogNote(
                f"{run.label}: the test process died ({summary.crash_message or 'crashed'})"
                + (f" while {summary.crashed} was running" if summary.crashed else ""),
                "bold red",
            )
        if summary.selected == 0 and summary.exitstatus == NO_TESTS_COLLECTED:
            text = f"{run.label}: no tests were collected (CI fails on this too)"
            return LogNote(text, "red", alert=True)
        if summary.selected == 0 and summary.exitstatus not in (0, 1, None):
            tail = "\n".join(line for line in summary.output_tail if line.strip())
            return LogNote(f"pytest could not run (exit {summary.exitstatus}):\n{tail}", "bold red")
        verdict = "green" if summary.ok else "failed"
        warned = summary.pytest_warnings
        return LogNote(
            f"{run.label}: {verdict} — {summary.passed} passed, {summary.failed} failed, "
            f"{summary.errors} errors, {summary.skipped} skipped"
            + (f", {warned} warning{'s' if warned != 1 else ''}" if warned else ""),
            "green" if summary.ok else "red",
        )

"""The PR gate: the core's ``GateCheck`` of HEAD in a thread worker, streamed to a ``GateView``.

``g`` checks HEAD with the gate screen open; when nothing runs and the tree is clean, the core's
``precompute_head`` check runs in the background (the badge only), so that the push that follows
is a cache hit. Anything the user starts cancels a background check; it starts again once the app
is idle. The verdicts are the core's; this keeps which check is on show and what the badge knows.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App
from textual.message import Message

from gateui.core.common.errors import GateuiError
from gateui.core.gate.check import (
    CheckEvent,
    CheckFinished,
    GateCheck,
    GateReport,
    precompute_head,
)
from gateui.core.gate.model import ERROR, FAIL, PASS
from gateui.core.gate.run import StepEvent, StepFinished, StepStarted
from gateui.tui.controllers.discovery import DiscoveryController
from gateui.tui.controllers.notes import LogNote
from gateui.tui.controllers.runs import RunController
from gateui.tui.gate_view import GateView, StepTally, TallyCounter
from gateui.tui.gitinfo import git_branch

GATE_POLL_S = 10.0
"""How often an idle app asks whether HEAD changed (a commit) and needs a background check."""
NOT_GIT = "not a git repository: the PR gate checks a commit (runs and watch mode work without git)"


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


@dataclass(frozen=True)
class Broke:
    """What the app shows when the gate's worker raised."""

    reason: str
    """Why the gate cannot be evaluated (the badge's tooltip)."""
    gate: ActiveGate | None
    """The check on show, when it was running (it ended in error)."""
    notes: list[LogNote]
    """What the log says."""


class GateController:
    """The latest check of the PR gate, the checks still winding down, and the last verdict."""

    @dataclass
    class Progress(Message):
        """The gate check ``gate_id`` started, prepared a matrix leg, began or finished a step,
        or has its verdict."""

        gate_id: int
        """Which check (a stale one's messages are ignored)."""
        event: CheckEvent
        """The core's event (``CheckStarted``, ``LegEvent``, ``StepStarted``, ``StepFinished``,
        ``CheckFinished``); a step's test results come as ``Tallied``."""

    @dataclass
    class Tallied(Message):
        """A running gate step's counts so far. Repeats for one step merge: the last counts."""

        gate_id: int
        """Which check."""
        tally: StepTally
        """The step's counts and first failures."""

        def can_replace(self, message: Message) -> bool:
            return (
                isinstance(message, GateController.Tallied)
                and message.gate_id == self.gate_id
                and message.tally.index == self.tally.index
            )

    @dataclass
    class Stopped(Message):
        """The check ``gate_id`` ended without a verdict."""

        gate_id: int
        """Which check."""
        cancelled: bool
        """True when it was cancelled; False when a background check found nothing to do (the
        tree is not clean, or HEAD's verdict is already known)."""

    def __init__(
        self,
        app: App[Any],
        repo_root: Path,
        discovery: DiscoveryController,
        runs: RunController,
        *,
        precompute: bool,
    ) -> None:
        self.app = app
        self.repo_root = repo_root
        self.discovery = discovery
        self.runs = runs
        self.precompute = precompute
        """Check HEAD's gate in the background when idle (``gateui`` does; tests choose)."""
        self.current: ActiveGate | None = None
        """The latest gate check, running or over."""
        self._ids = itertools.count(1)
        self._in_flight: list[ActiveGate] = []
        self._known: tuple[str, str, str] | None = None
        """(commit, badge, tooltip) of the last verdict: what the badge returns to when a check
        is cancelled, and a commit a background check need not check again."""
        self._declined = ""
        """A commit whose check the user cancelled: not checked again behind their back."""
        self._stopping = False

    def start(self, background: bool, events: Iterable[CheckEvent] | None = None) -> ActiveGate:
        """Check HEAD (or play ``events`` as a check); the check before stays on show until
        this one has something to show."""
        gate = ActiveGate(next(self._ids), background, replaces=self.current)
        self.current = gate
        self._in_flight = [g for g in self._in_flight if not g.done.is_set()]
        self._in_flight.append(gate)
        self.app.run_worker(
            partial(self._check, gate, events),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="gate",
            name="gate",
        )
        return gate

    def running(self) -> ActiveGate | None:
        """The check on show, if it is still running."""
        gate = self.current
        return gate if gate is not None and not gate.done.is_set() and gate.view.running else None

    @property
    def user_check_running(self) -> bool:
        """Whether a check the user asked for has not ended yet."""
        gate = self.current
        return gate is not None and not gate.done.is_set() and not gate.background

    def precompute_if_idle(self) -> None:
        """Idle, and nothing known about HEAD: check it in the background (the worker asks the
        core whether the tree is clean; a HEAD already checked is left alone)."""
        if not self.precompute or self._stopping or self.discovery.is_git is not True:
            return
        if not self.discovery.discovered or (
            self.current is not None and not self.current.done.is_set()
        ):
            return
        if self.runs.active:
            return
        self.start(background=True)

    def cancel_background(self) -> None:
        gate = self.current
        if gate is not None and gate.background and not gate.done.is_set():
            gate.cancel()

    def cancel(self) -> bool:
        """Cancel the running check on show; False when none runs."""
        gate = self.running()
        if gate is None:
            return False
        gate.cancel()
        return True

    def shutdown(self) -> None:
        self._stopping = True
        for gate in self._in_flight:
            gate.cancel()

    def waits(self) -> list[threading.Event]:
        """What quitting waits for: each check's processes reaped (and its worktree gone)."""
        return [gate.done for gate in self._in_flight]

    def _check(self, gate: ActiveGate, events: Iterable[CheckEvent] | None) -> None:
        """The worker."""
        try:
            if events is None and not git_branch(self.repo_root)[1]:
                events = [CheckFinished(GateReport(ERROR, NOT_GIT, ref="HEAD", error=NOT_GIT))]
            if events is None:
                check = self._check_for(gate)
                if check is None:
                    self.app.post_message(self.Stopped(gate.id, cancelled=False))
                    return
                gate.check = check
                if gate.cancel_requested:
                    check.cancel()
                events = check.events()
            # Steps of jobs running at the same time: each running step is counted apart.
            counters: dict[int, TallyCounter] = {}
            stream = iter(events)
            try:
                for event in stream:
                    if isinstance(event, StepEvent):
                        counter = counters.get(event.index)
                        if counter is not None and counter.count(event.event):
                            self.app.post_message(self.Tallied(gate.id, counter.snapshot()))
                        continue
                    if isinstance(event, StepStarted):
                        counters[event.index] = TallyCounter()
                        counters[event.index].start(event.index)
                    elif isinstance(event, StepFinished):
                        counters.pop(event.index, None)
                    self.app.post_message(self.Progress(gate.id, event))
            except KeyboardInterrupt:  # how the core's check says it was cancelled
                self.app.post_message(self.Stopped(gate.id, cancelled=True))
            finally:
                if isinstance(stream, Generator):
                    stream.close()  # a worktree of the commit is removed here
        finally:
            gate.done.set()

    def _check_for(self, gate: ActiveGate) -> GateCheck | None:
        """What ``gate`` checks (in its worker thread: git is asked here, not on the UI thread);
        None when a background check has nothing to do."""
        if gate.background:
            check = precompute_head(self.repo_root)
            known = self._known
            if check is not None and known is not None and known[0] == check.ref:
                check = None  # this commit's verdict is on the badge already
            if check is not None and check.ref == self._declined:
                check = None  # the user cancelled this commit's check: g asks again
            if check is not None:
                gate.head = check.ref
            if check is not None or gate.background:
                return check
        return GateCheck(self.repo_root, "HEAD")

    # -- the worker's messages (on the UI thread) ---------------------------------------------
    def of(self, gate_id: int) -> ActiveGate | None:
        """The check on show, if it is ``gate_id`` (else a message is stale)."""
        gate = self.current
        return gate if gate is not None and gate.id == gate_id and not self._stopping else None

    def progress(self, message: Progress) -> ActiveGate | None:
        """Take the check's event into its view; the check, unless the message is stale."""
        gate = self.of(message.gate_id)
        if gate is not None:
            gate.view.absorb(message.event)
            gate.replaces = None  # it has something to show now
        return gate

    def tallied(self, message: Tallied) -> ActiveGate | None:
        gate = self.of(message.gate_id)
        if gate is not None:
            gate.view.tally(message.tally)
        return gate

    def stopped(self, message: Stopped) -> ActiveGate | None:
        """A check ended without a verdict. Cancelled: its view says so (and a check the user
        cancelled is not repeated in the background). Nothing to do: the check before it is on
        show again."""
        gate = self.of(message.gate_id)
        if gate is None:
            return None
        if not message.cancelled:
            self.current = gate.replaces
        else:
            gate.view.cancel()
            if not gate.background:
                self._declined = gate.view.commit
        gate.replaces = None
        return gate

    def verdict(self, gate: ActiveGate) -> LogNote:
        """The check has its verdict: the line that says it; the badge keeps it."""
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
        self._known = (view.commit or gate.head, view.badge, text.removeprefix("PR gate: "))
        return LogNote(text, style)

    def broke(self, error: BaseException | None) -> Broke:
        """The worker raised: a check still running ends in error; no verdict is known any more,
        and background checks stop (they would break again on the next idle moment; ``g``
        still tries)."""
        if isinstance(error, GateuiError):
            reason = str(error)
        else:
            reason = f"gateui bug: {error!r} (please report it)"
        gate = self.current
        if gate is not None and gate.view.running:
            gate.view.finish({"verdict": ERROR, "reason": reason})
        else:
            gate = None
        self._known = None
        notes = [LogNote(f"PR gate: cannot evaluate — {reason}", "bold red")]
        if self.precompute:
            self.precompute = False
            notes.append(LogNote("background gate checks are off until gateui restarts", "yellow"))
        return Broke(reason, gate, notes)

    def resting_badge(self) -> tuple[str, str]:
        """(state, tooltip) of the badge when no check runs: the last verdict, else unknown."""
        known = self._known
        if known is None:
            return "unknown", NOT_GIT if self.discovery.is_git is False else ""
        return known[1], known[2]

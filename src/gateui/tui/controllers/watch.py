"""Watch mode: the core's ``WatchSession`` in a thread worker, one run on screen per cycle.

The session watches the tree, selects what a change affects and runs it; the worker turns each
cycle into an ``ActiveRun`` (its events go through the run's buffer like any run's) and tells the
app when a cycle begins and what to note in the log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App
from textual.message import Message

from gateui.core.discovery.discover import Project
from gateui.core.plan.run_plan import RunRequest
from gateui.core.running.events import RunSummary
from gateui.core.watch.session import CycleFinished, CycleStarted, Idle, WatchSession
from gateui.tui.controllers.notes import LogNote
from gateui.tui.controllers.runs import ActiveRun, RunController
from gateui.tui.model import Scope

WatchSource = Callable[[Path, threading.Event], Iterable[Iterable[str]]]
"""Batches of changed absolute paths (the core's watchfiles source, or a scripted one)."""


class WatchController:
    """Watch mode on or off, and the session's worker while it is on."""

    @dataclass
    class CycleBegan(Message):
        """Watch mode starts a cycle: a file changed and the core selected what it affects."""

        run: ActiveRun
        """The cycle's run, already receiving events from the watch worker."""
        cycle: CycleStarted
        """What changed and what was selected."""

    @dataclass
    class Note(Message):
        """Something watch mode wants said in the log (and the status line)."""

        text: str
        """The note."""
        idle: bool = False
        """True when watch mode waits for the next change."""

    def __init__(
        self,
        app: App[Any],
        runs: RunController,
        repo_root: Path,
        *,
        want: bool,
        request: RunRequest | None,
        source: WatchSource | None,
    ) -> None:
        self.app = app
        self.runs = runs
        self.repo_root = repo_root
        self.want = want
        """Turn watch mode on as soon as discovery found something to run."""
        self.request = request
        """What watch mode runs (``gateui watch SUITE -m EXPR``); else the selected scope."""
        self.source = source
        """Where file changes come from (None: watchfiles on the repository)."""
        self.session: WatchSession | None = None
        """The core's session while watch mode is on."""
        self.paused_for = ""
        """The run watch mode gave way to (it resumes when that run is over); "" when not
        paused."""
        self._watched: tuple[Scope | None, Sequence[Project]] = (None, ())
        self._done: threading.Event | None = None

    @property
    def on(self) -> bool:
        return self.session is not None

    def pause(self, run_label: str) -> LogNote | None:
        """Give way to a run the user started (one pytest at a time, one writer of the
        results); ``resume`` turns watch mode back on. What to log; None when it was off."""
        if self.session is None and not self.paused_for:
            return None
        self.stop()
        self.paused_for = run_label
        return LogNote(f"watch mode paused while {run_label} runs (w turns it off)")

    def resume(self, after: threading.Event) -> LogNote | None:
        """Watch again what was watched before the pause, once ``after`` is set (the run's
        results saved). What to log; None when watch mode was not paused. Nothing saved
        meanwhile is missed: the first cycle looks at the working tree's whole change, and
        selects what no run has verified at its current version."""
        if not self.paused_for:
            return None
        label = self.start(*self._watched, after=after)
        return LogNote(f"watch mode on again: {label} (every save reruns the affected tests)")

    def start(
        self,
        scope: Scope | None,
        projects: Sequence[Project],
        after: threading.Event | None = None,
    ) -> str:
        """Watch what ``request`` (else ``scope``) selects, from when ``after`` is set (None:
        at once); returns what is watched, to say."""
        self.paused_for = ""
        self._watched = (scope, projects)
        if self.request is not None:
            request, chosen, label = self.request, list(projects), _request_label(self.request)
        elif scope is not None:
            request, chosen, label = scope.request(), scope.projects(projects), scope.description
        else:
            request, chosen, label = RunRequest(), list(projects), "all tests"
        session = WatchSession(
            chosen, request, source=self.source, repo_root=self.repo_root, warm=self.runs.warm
        )
        self.session = session
        self._done = done = threading.Event()
        self.app.run_worker(
            partial(self._watch, session, done, after),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="watch",
            name="watch",
        )
        return label

    def stop(self) -> bool:
        """Turn watch mode off (also a paused one); False when it was off."""
        session = self.session
        paused, self.paused_for = self.paused_for, ""
        if session is None:
            return bool(paused)
        self.session = None
        session.stop()
        return True

    def cancel_cycle(self) -> None:
        """Cancel this cycle's tests; watch mode stays on for the next change."""
        if self.session is not None:
            self.session.cancel_cycle()

    def waits(self) -> list[threading.Event]:
        """What quitting waits for: the session's processes reaped."""
        return [self._done] if self._done is not None else []

    def _watch(
        self, session: WatchSession, done: threading.Event, after: threading.Event | None
    ) -> None:
        """The worker."""
        cycle: ActiveRun | None = None
        summarised = False
        try:
            while after is not None and not after.wait(0.05):
                if self.session is not session:
                    return  # turned off before it began
            for item in session.events():
                if isinstance(item, CycleStarted):
                    if not (item.tests or item.files or item.whole_projects):
                        cycle = None
                        changed = _changed_label(item.changed)
                        self.app.post_message(self.Note(f"{changed}: no test is affected"))
                        continue
                    cycle = self.runs.make(f"watch · {_changed_label(item.changed)}", "")
                    summarised = False
                    self.app.post_message(self.CycleBegan(cycle, item))
                elif isinstance(item, CycleFinished):
                    if cycle is not None:
                        if cycle.tally.summary is None and not summarised:
                            # (older cores ended a cycle without yielding its summary)
                            self.runs.hand_over(cycle, item.summary)
                        cycle.done.set()
                    if item.interrupted:
                        self.app.post_message(self.Note("an edit interrupted the run: next cycle"))
                    cycle = None
                elif isinstance(item, Idle):
                    self.app.post_message(self.Note(item.message, idle=True))
                elif cycle is not None:
                    summarised = summarised or isinstance(item, RunSummary)
                    self.runs.hand_over(cycle, item)
        finally:
            if cycle is not None:
                cycle.done.set()
            done.set()

    def began(self, message: CycleBegan) -> list[LogNote] | None:
        """What to log of a cycle that began; None when watch mode was switched off meanwhile
        (its run is dropped)."""
        if self.session is None:
            message.run.buffer.close()
            return None
        cycle = message.cycle
        parts = [f"{cycle.tests} tests"] if cycle.tests else []
        if cycle.files:
            parts.append(f"{cycle.files} test files")
        if cycle.whole_projects:
            parts.append("whole project " + ", ".join(cycle.whole_projects))
        changed = ", ".join(cycle.changed[:5]) + (" …" if len(cycle.changed) > 5 else "")
        notes = [LogNote(f"changed: {changed or 'nothing'} → selected: {' + '.join(parts)}")]
        notes += [LogNote(f"note: {note}") for note in cycle.notes]
        return notes


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

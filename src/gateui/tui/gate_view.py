"""What the gate screen and the header badge show of one PR gate check, with no Textual in it.

The verdicts, reasons and reproduce commands are the core's (``gateui.core.gate.model``); this only
keeps them in the order the screen lists them, as they stream in. A check's steps are known when
it starts, so every step is listed at once ("waiting"), then filled in as it runs and finishes.
A cache hit carries no live results: its steps come from the stored report, in the same shape.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateui.core.gate.check import CheckEvent, CheckFinished, CheckStarted
from gateui.core.gate.model import CACHE, ERROR, FAIL, PARTIAL, PASS, SKIPPED
from gateui.core.gate.run import LegEvent, StepFinished, StepStarted
from gateui.core.running.events import CollectionError, Event, TestFinished
from gateui.wording import (
    collection_error_headline,
    failure_headline,
    gate_steps_text,
    leg_text,
)

WAITING, RUNNING = "waiting", "running"
LIVE_FAILURES_KEPT = 20
"""Failing tests a running step shows live (its final result lists them all)."""
TALLY_INTERVAL_S = 0.1
"""At most this often a running step's counts cross into the UI (failures always do)."""

# The header badge for each gate verdict: "unknown" when the gate cannot be evaluated.
BADGE = {PASS: "passing", PARTIAL: "partial", FAIL: "would fail", ERROR: "unknown"}


@dataclass(frozen=True)
class StepTally:
    """A running step's counts so far (a snapshot: safe to hand from the worker to the UI)."""

    index: int
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    failing: tuple[tuple[str, str], ...] = ()
    """(node id, the traceback's headline) of the first failures."""


class TallyCounter:
    """Counts a running step's test events in the worker thread; says when to post a snapshot
    (the first failures at once, other progress at most every ``TALLY_INTERVAL_S``)."""

    def __init__(self) -> None:
        self.index = -1
        self.counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
        self.failing: list[tuple[str, str]] = []
        self._posted = 0.0

    def start(self, index: int) -> None:
        self.__init__()  # type: ignore[misc]
        self.index = index

    def count(self, event: Event) -> bool:
        """Take one runner event; True when a snapshot is worth posting now."""
        urgent = False
        if isinstance(event, TestFinished):
            outcome = event.outcome
            if outcome in ("failed", "error"):
                self.counts["failed" if outcome == "failed" else "errors"] += 1
                urgent = self._keep(event.nodeid, failure_headline(event.longrepr))
            elif outcome == "skipped":
                self.counts["skipped"] += 1
            else:
                self.counts["passed"] += 1
        elif isinstance(event, CollectionError):
            self.counts["errors"] += 1
            headline = "collection error: " + collection_error_headline(event.message)
            urgent = self._keep(event.nodeid, headline)
        else:
            return False
        now = time.monotonic()
        if urgent or now - self._posted >= TALLY_INTERVAL_S:
            self._posted = now
            return True
        return False

    def _keep(self, nodeid: str, headline: str) -> bool:
        if len(self.failing) >= LIVE_FAILURES_KEPT:
            return False
        self.failing.append((nodeid, headline))
        return True

    def snapshot(self) -> StepTally:
        return StepTally(self.index, failing=tuple(self.failing), **self.counts)


@dataclass
class StepRow:
    """One step of the gate as the screen lists it."""

    name: str
    command: str
    runs_locally: bool
    state: str = WAITING
    """waiting, running, then the core's verdict: pass, fail, error, not-reproduced or
    skipped."""
    reason: str = ""
    duration_s: float | None = None
    reproduce: str = ""
    tally: StepTally | None = None
    """Live counts while it runs."""
    failing: list[tuple[str, str]] = field(default_factory=list)
    """(node id, headline) of its failing tests (the headline is known for live results)."""
    warnings: list[str] = field(default_factory=list)
    output_tail: list[str] = field(default_factory=list)
    """The last lines a command printed, when the report carries them."""

    def finish(self, data: Mapping[str, Any]) -> None:
        """Fill in the step's result, as the core reports it (``StepResult.as_json``)."""
        self.state = str(data.get("verdict", ERROR))
        self.reason = str(data.get("reason", ""))
        self.duration_s = float(data.get("duration_s") or 0.0)
        self.reproduce = str(data.get("reproduce") or "")
        self.warnings = [str(w) for w in data.get("warnings") or ()]
        self.output_tail = [str(line) for line in data.get("output_tail") or ()]
        headlines = dict(self.tally.failing) if self.tally else {}
        self.failing = [(str(n), headlines.get(str(n), "")) for n in data.get("failed_tests") or ()]
        self.failing += [
            (str(c.get("where", "")), "collection error: " + str(c.get("message", "")))
            for c in data.get("collection_errors") or ()
        ]
        self.tally = None


@dataclass
class GateView:
    """One check of the PR gate, from its start to its verdict."""

    ref: str = "HEAD"
    commit: str = ""
    checked_in: str = ""
    steps_text: str = ""
    """Where the gate comes from and how many of its steps run here."""
    rows: list[StepRow] = field(default_factory=list)
    legs: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """Each matrix leg met so far, by its label: what the gate says of it (preparing, its
    interpreter and environment, or why it does not run here) and whether it does not run."""
    verdict: str | None = None
    """pass, fail, partial or error once the check is over; None while it runs."""
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    cached: bool = False
    duration_s: float = 0.0
    cancelled: bool = False

    @property
    def running(self) -> bool:
        return self.verdict is None and not self.cancelled

    @property
    def badge(self) -> str:
        """The header's gate state for this check."""
        if self.running:
            return "running"
        if self.verdict is None:
            return "unknown"
        return BADGE.get(self.verdict, "unknown")

    def absorb(self, event: CheckEvent) -> None:
        """Take one of the check's events (test results come as ``StepTally`` instead)."""
        if isinstance(event, CheckStarted):
            self.ref = event.ref
            self.commit = event.commit
            self.checked_in = event.checked_in
            self.steps_text = gate_steps_text(event.definition)
            self.rows = [StepRow(s.name, s.command, s.runs_locally) for s in event.definition.steps]
        elif isinstance(event, LegEvent):
            said = leg_text(event)
            if said is not None:
                self.legs[event.state.leg.label] = said
        elif isinstance(event, StepStarted):
            row = self._row(event.index)
            if row is not None:
                row.state = RUNNING
                row.tally = StepTally(event.index)
        elif isinstance(event, StepFinished):
            row = self._row(event.index)
            if row is not None:
                row.finish(event.result.as_json())
        elif isinstance(event, CheckFinished):
            self.finish(event.report.as_json())

    def tally(self, tally: StepTally) -> None:
        row = self._row(tally.index)
        if row is not None and row.state == RUNNING:
            row.tally = tally

    def finish(self, report: Mapping[str, Any]) -> None:
        """The verdict, and for a cache hit the stored steps."""
        self.verdict = str(report.get("verdict", ERROR))
        self.reason = str(report.get("reason") or report.get("error") or "")
        self.commit = str(report.get("commit") or self.commit)
        self.cached = bool(report.get("cached"))
        if self.cached:
            self.checked_in = CACHE
        self.duration_s = float(report.get("duration_s") or 0.0)
        self.notes = [str(n) for n in report.get("warnings") or ()]
        steps: Sequence[Mapping[str, Any]] = report.get("steps") or ()
        if steps and (self.cached or len(steps) == len(self.rows) or not self.rows):
            rows = []
            for data in steps:
                row = StepRow(
                    str(data.get("name", "")),
                    str(data.get("command", "")),
                    bool(data.get("runs_locally", True)),
                )
                row.finish(data)
                rows.append(row)
            # Keep the live failures' headlines when the report is the one just run.
            for old, new in zip(self.rows, rows, strict=False):
                live = dict(old.failing)
                new.failing = [(n, h or live.get(n, "")) for n, h in new.failing]
            self.rows = rows
        for row in self.rows:
            if row.state in (WAITING, RUNNING):
                row.state = SKIPPED
                row.reason = "not run"

    def cancel(self) -> None:
        """The check was stopped before its verdict."""
        self.cancelled = True
        for row in self.rows:
            if row.state in (WAITING, RUNNING):
                row.state = SKIPPED
                row.reason = "cancelled"
                row.tally = None

    def _row(self, index: int) -> StepRow | None:
        return self.rows[index] if 0 <= index < len(self.rows) else None

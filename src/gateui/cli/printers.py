"""How the headless CLI shows a run: a live progress line and failures as they happen, or JSON.

Both printers consume the same core events; neither decides anything about the run.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, TextIO

from gateui.cli.failure_report import FailureReport
from gateui.cli.schema import SCHEMA_VERSION as SCHEMA_VERSION
from gateui.cli.warnings_report import WarningsReport
from gateui.core.running.events import (
    RESULTS,
    CollectionError,
    CollectionFinished,
    CommandStarted,
    Event,
    OutputLine,
    ProjectStarted,
    RunSummary,
    SessionStarted,
    TestFinished,
    TestStarted,
    WarningRaised,
)
from gateui.wording import collection_error_headline, counts_parts, failure_headline

"""The version of every JSON document gateui writes (``"schema"``): it changes only when a
field changes meaning or goes away; new fields come without a new version."""

_COLOURS = {
    "passed": "32",
    "failed": "31",
    "error": "31",
    "skipped": "33",
    "xfailed": "33",
    "xpassed": "33",
    "deselected": "2",
    "warnings": "33",
    "dim": "2",
    "bold": "1",
}
_PROGRESS_INTERVAL_S = 0.05


class PlainPrinter:
    """Human output: a redrawn progress line on a terminal, one line per failure, a summary."""

    def __init__(
        self, stream: TextIO, colour: bool, tty: bool, tb: str = "auto", verbose: int = 0
    ) -> None:
        self.stream = stream
        self.colour = colour
        self.tty = tty
        self.verbose = verbose
        self.report = FailureReport(tb=tb)
        """Failures and errors, printed in full at the end of the run, as pytest does."""
        self.warnings = WarningsReport()
        """pytest's warnings, summed up after the failures, as pytest does."""
        self.expected: int | None = None
        self.counts = dict.fromkeys(RESULTS, 0)
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._progress_shown = False
        self.finished = False
        """The run's summary was printed."""
        self._text = False
        """A command runs and reported no test yet: its output is shown as it comes."""

    def paint(self, text: str, style: str) -> str:
        return f"\x1b[{_COLOURS[style]}m{text}\x1b[0m" if self.colour else text

    def handle(self, event: Event) -> None:
        if isinstance(event, OutputLine):
            if self._text:
                self._line(event.text)
            return
        if isinstance(event, (TestStarted, TestFinished, RunSummary, ProjectStarted)):
            self._text = False
        if isinstance(event, TestFinished):
            self.counts[event.result] = self.counts.get(event.result, 0) + 1
            if event.outcome in ("failed", "error"):
                self._failure(event)
                self.report.add(event)
            elif self.verbose:
                self._line(f"{self.paint(event.result.upper(), event.result)} {event.nodeid}")
            self._progress()
        elif isinstance(event, CollectionFinished):
            self.expected = (self.expected or 0) + event.count
        elif isinstance(event, WarningRaised):
            self.warnings.add(event)
        elif isinstance(event, SessionStarted):
            self.warnings.shown = self.warnings.shown and event.warnings_summary
        elif isinstance(event, CollectionError):
            self.report.add(event)
            self._line(
                self.paint("ERROR collecting ", "error")
                + event.nodeid
                + f" — {collection_error_headline(event.message)}"
            )
        elif isinstance(event, ProjectStarted):
            self._line(self.paint(f"── {event.project}", "bold"))
        elif isinstance(event, CommandStarted):
            where = f"  (in {event.cwd})" if event.cwd != "." else ""
            self._line(self.paint(f"── {event.command}", "bold") + self.paint(where, "dim"))
            self._text = event.text
        elif isinstance(event, RunSummary):
            self._summary(event)

    def _failure(self, event: TestFinished) -> None:
        label = "FAILED" if event.outcome == "failed" else "ERROR"
        headline = failure_headline(event.longrepr)
        text = f"{self.paint(label, event.outcome)} {event.nodeid}"
        if headline:
            text += f" — {headline}"
        if event.reason:
            text += self.paint(f"  [{event.reason}]", "dim")
        self._line(text)

    def _line(self, text: str) -> None:
        self._clear_progress()
        self.stream.write(text + "\n")
        self.stream.flush()

    def _progress(self, force: bool = False) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < _PROGRESS_INTERVAL_S:
            return
        self._last_draw = now
        done = sum(self.counts.values())
        total = f"/{self.expected}" if self.expected else ""
        counts = self.counts
        expected = counts["xfailed"] + counts["xpassed"]
        text = (
            f"\r{done}{total}  "
            + self.paint(f"{counts['passed']} passed", "passed")
            + f"  {counts['failed']} failed  {counts['skipped']} skipped"
            + (f"  {expected} xfail" if expected else "")
            + f"  {counts['error']} errors  {now - self.started:.1f}s"
        )
        self.stream.write(text + "\x1b[K")
        self.stream.flush()
        self._progress_shown = True

    def _clear_progress(self) -> None:
        if self._progress_shown:
            self.stream.write("\r\x1b[K")
            self._progress_shown = False

    def _summary(self, summary: RunSummary) -> None:
        self.finished = True
        self._clear_progress()
        for line in [*self.report.lines(), *self.warnings.lines()]:
            self.stream.write(line + "\n")
        parts = [self.paint(text, style) for text, style in counts_parts(summary)]
        if summary.collection_errors:
            parts.append(self.paint(f"{summary.collection_errors} collection errors", "error"))
        text = ", ".join(parts) if parts else "no tests ran"
        text += f" in {summary.duration_s:.2f}s"
        if summary.cancelled:
            text += " (cancelled)"
        self.stream.write(text + "\n")
        if summary.crashed:
            self.stream.write(
                self.paint("CRASHED ", "error") + f"{summary.crashed}: {summary.crash_message}\n"
            )
            if summary.not_run:
                self.stream.write(f"  {not_run_text(summary.not_run)} after it\n")
        elif summary.incomplete and not summary.cancelled:
            label = "CRASHED " if summary.crash_message else "INCOMPLETE "
            self.stream.write(self.paint(label, "error") + summary.incomplete + "\n")
        elif summary.crash_message:
            self.stream.write(self.paint("CRASHED ", "error") + summary.crash_message + "\n")
        for warning in summary.warnings:
            self.stream.write(self.paint("warning: ", "error") + warning + "\n")
        self.stream.flush()


def not_run_text(count: int) -> str:
    return f"{count} collected test{'s' if count != 1 else ''} did not run"


class JsonPrinter:
    """One JSON object per line, for scripts; field names are a stable contract (README)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.finished = False
        """The run's summary, its last line, was written."""
        self._text = False

    def emit(self, data: dict[str, Any]) -> None:
        self.stream.write(json.dumps(data, separators=(",", ":")) + "\n")
        self.stream.flush()

    def handle(self, event: Event) -> None:
        if isinstance(event, OutputLine):
            if self._text:
                self.emit({"event": "output", "text": event.text})
            return
        if isinstance(event, (TestStarted, TestFinished, RunSummary, ProjectStarted)):
            self._text = False
        if isinstance(event, CommandStarted):
            self._text = event.text
            command = {
                "event": "command",
                "command": event.command,
                "cwd": event.cwd,
                "suite": event.suite,
            }
            self.emit(command)
        elif isinstance(event, TestFinished):
            data: dict[str, Any] = {
                "event": "test",
                "nodeid": event.nodeid,
                "outcome": event.outcome,
                "duration_s": event.duration_s,
                "reason": event.reason,
                "project": event.project,
                "markers": list(event.markers),
            }
            if event.outcome in ("failed", "error") and event.longrepr:
                data["longrepr"] = event.longrepr
            if event.xfail is not None:
                data["xfail"] = event.xfail
            data["result"] = event.result
            self.emit(data)
        elif isinstance(event, CollectionError):
            self.emit(
                {"event": "collection_error", "where": event.nodeid, "message": event.message}
            )
        elif isinstance(event, WarningRaised):
            self.emit(
                {
                    "event": "warning",
                    "category": event.category,
                    "message": event.message,
                    "path": event.path,
                    "line": event.line,
                    "nodeid": event.nodeid or None,
                }
            )
        elif isinstance(event, ProjectStarted):
            self.emit({"event": "project", "root": event.project})
        elif isinstance(event, RunSummary):
            self.finished = True
            self.emit(summary_json(event))


def summary_json(summary: RunSummary) -> dict[str, Any]:
    """The last line of ``run --json``: the fields the README documents."""
    return {
        "event": "summary",
        "schema": SCHEMA_VERSION,
        "selected": summary.selected,
        "passed": summary.passed,
        "failed": summary.failed,
        "skipped": summary.skipped,
        "errors": summary.errors,
        "xfailed": summary.xfailed,
        "xpassed": summary.xpassed,
        "deselected": summary.deselected,
        "pytest_warnings": summary.pytest_warnings,
        "crashed": summary.crashed,
        "duration_s": summary.duration_s,
        "collection_errors": summary.collection_errors,
        "pytest_exitstatus": summary.exitstatus,
        "cancelled": summary.cancelled,
        "not_run": summary.not_run,
        "incomplete": summary.incomplete or None,
        "warnings": list(summary.warnings),
        "error": summary.error or None,
    }


def make_printer(
    as_json: bool, out: TextIO, tb: str | None = None, verbose: int = 0
) -> JsonPrinter | PlainPrinter:
    if as_json:
        return JsonPrinter(out)
    tty = out.isatty()
    colour = tty and "NO_COLOR" not in os.environ
    return PlainPrinter(out, colour=colour, tty=tty, tb=tb or "auto", verbose=verbose)

"""How the gate is shown: live while it runs (steps, failing tests as they happen), then the
verdict; or the JSON report. Also the gate's description for ``gateui discover``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO

from gateui.core.gate.check import CheckEvent, CheckFinished, CheckStarted
from gateui.core.gate.model import CACHE, FAIL, NOT_REPRODUCED, PARTIAL, PASS, SKIPPED
from gateui.core.gate.run import LegEvent, StepEvent, StepFinished, StepStarted
from gateui.core.running.events import CollectionError, TestFinished
from gateui.wording import (
    MARKS,
    collection_error_headline,
    failure_headline,
    gate_steps_text,
    leg_text,
    one_line,
    partial_lines,
    place_text,
)

_STYLE = {
    "pass": "32",
    "fail": "31",
    "error": "33",
    "not-reproduced": "33",
    "skipped": "2",
    "bold": "1",
    "dim": "2",
}


class GatePrinter:
    """Human output of one gate check.

    Jobs run at the same time, so the steps' events come interleaved. Each step's lines (its
    ``▸`` header, the failures as they happen, its verdict line and what follows it) are printed
    as one block: the step met first among those running prints live; the lines of the others
    are held and printed, whole, when the live step is done (those that finished first, then the
    next running one, which goes live). Whoever reads a pre-push hook's output reads it top to
    bottom after the fact, usually to find the step that failed and why: blocks that read like
    a run of one step after another serve that; lines prefixed with a job's name and mixed with
    other jobs' lines would not, and a failure's headline would land under the wrong step. With
    one job at a time (one job, or ``concurrent_jobs = 1``) every line prints as it comes."""

    def __init__(
        self, stream: TextIO, colour: bool = False, prefix: str = "", show_not_run: bool = True
    ) -> None:
        self.stream = stream
        self.colour = colour
        self.prefix = prefix
        self.show_not_run = show_not_run
        self._live: int | None = None
        """The step whose lines print as they come."""
        self._met: list[int] = []
        """Steps with lines not yet all printed, in the order met (live first)."""
        self._held: dict[int, list[str]] = {}
        self._finished: set[int] = set()

    def paint(self, text: str, style: str) -> str:
        return f"\x1b[{_STYLE[style]}m{text}\x1b[0m" if self.colour else text

    def line(self, text: str = "") -> None:
        self.stream.write(f"{self.prefix}{text}\n")
        self.stream.flush()

    def handle(self, event: CheckEvent) -> None:
        if isinstance(event, CheckStarted):
            self.line(
                f"PR gate for {event.ref} = {event.commit[:12]} (tree {event.tree[:12]}),"
                f" checked {place_text(event.checked_in)}"
            )
            if event.merged_with:
                self.line(f"merged into {event.merged_with} first, as GitHub tests a pull request")
            if event.checked_in != CACHE:
                self.line(gate_steps_text(event.definition))
        elif isinstance(event, StepStarted):
            self._say(event.index, f"  ▸ {event.step.name}: {one_line(event.step.command)}")
        elif isinstance(event, LegEvent):
            for text in self.leg_lines(event):
                self._say(event.index, text)
        elif isinstance(event, StepEvent):
            inner = event.event
            if isinstance(inner, TestFinished) and inner.outcome in ("failed", "error"):
                label = "FAILED" if inner.outcome == "failed" else "ERROR"
                headline = failure_headline(inner.longrepr)
                self._say(
                    event.index,
                    f"      {self.paint(label, 'fail')} {inner.nodeid}"
                    + (f" — {headline}" if headline else ""),
                )
            elif isinstance(inner, CollectionError):
                self._say(
                    event.index,
                    f"      {self.paint('ERROR collecting', 'fail')} {inner.nodeid}"
                    f" — {collection_error_headline(inner.message)}",
                )
        elif isinstance(event, StepFinished):
            shown = event.result.step.runs_locally or event.result.verdict != SKIPPED
            if shown or self.show_not_run:
                lines = self.step_lines(event.result.as_json(), event.result.step.runs_locally)
                for text in lines:
                    self._say(event.index, text)
            self._finish_step(event.index)
        elif isinstance(event, CheckFinished):
            self._flush_all()
            self.finish(event.report.as_json())

    # -- one block per step (see the class docstring) -----------------------------------------
    def _say(self, index: int, text: str) -> None:
        if index not in self._met:
            self._met.append(index)
        if self._live is None:
            self._go_live(index)
        if index == self._live:
            self.line(text)
        else:
            self._held.setdefault(index, []).append(text)

    def _go_live(self, index: int) -> None:
        self._live = index
        for text in self._held.pop(index, []):
            self.line(text)

    def _finish_step(self, index: int) -> None:
        self._finished.add(index)
        if index != self._live:
            return
        self._met.remove(index)
        self._live = None
        # The blocks that finished while this one printed, whole; then the next one running.
        for other in [i for i in self._met if i in self._finished]:
            self._met.remove(other)
            for text in self._held.pop(other, []):
                self.line(text)
        if self._met:
            self._go_live(self._met[0])

    def _flush_all(self) -> None:
        """Whatever is still held (a run cut short), in the order met."""
        for index in self._met:
            for text in self._held.pop(index, []):
                self.line(text)
        self._met.clear()
        self._live = None

    def leg_lines(self, event: LegEvent) -> list[str]:
        said = leg_text(event)
        if said is None:
            return []
        text, not_run = said
        return [f"  ◆ {self.paint(text, 'error') if not_run else text}"]

    def step_line(self, step: Mapping[str, Any], runs_locally: bool) -> None:
        for text in self.step_lines(step, runs_locally):
            self.line(text)

    def step_lines(self, step: Mapping[str, Any], runs_locally: bool) -> list[str]:
        """A finished step's verdict line and what follows it (reproduce, warnings, output)."""
        lines: list[str] = []
        verdict = str(step["verdict"])
        mark = self.paint(MARKS.get(verdict, "?"), verdict if verdict in _STYLE else "bold")
        duration = step.get("duration_s") or 0.0
        timing = f"  ({duration:.1f} s)" if runs_locally and verdict != SKIPPED else ""
        text = f"  {mark} {step['name']} — {step['reason']}{timing}"
        lines.append(self.paint(text, "dim") if verdict == SKIPPED else text)
        if verdict not in (PASS, SKIPPED, NOT_REPRODUCED) and step.get("reproduce"):
            lines.append(f"      reproduce: {one_line(str(step['reproduce']), 400)}")
        for warning in step.get("warnings") or ():
            lines.append(f"      {self.paint('warning', 'error')}: {warning}")
        tail = step.get("output_tail") or ()
        if tail and not step.get("failed_tests") and not step.get("collection_errors"):
            # A command that failed without naming a test: what it printed last says why.
            lines.append(f"      last {len(tail)} line(s) of its output:")
            for text in tail:
                lines.append(f"        {text}")
        return lines

    def finish(self, report: Mapping[str, Any]) -> None:
        if report.get("cached"):
            for step in report.get("steps") or ():
                if step.get("verdict") != SKIPPED:
                    self.step_line(step, True)
        for note in report.get("warnings") or ():
            self.line(f"  note: {note}")
        verdict = str(report.get("verdict"))
        took = f" ({float(report.get('duration_s') or 0):.1f} s)"
        if verdict == PASS:
            extra = ", cached" if report.get("cached") else ""
            self.line(self.paint("PR gate: PASS", "pass") + took.rstrip(")") + extra + ")")
        elif verdict == FAIL:
            self.line(self.paint("PR gate: FAIL", "fail") + f" — {report.get('reason')}" + took)
        elif verdict == PARTIAL:
            self.line(
                self.paint("PR gate: PARTIAL", "error")
                + " — what ran here passed; not reproduced here:"
            )
            for text in partial_lines(report):
                self.line(f"  ◌ {text}")
        else:
            self.line(
                self.paint("PR gate: cannot evaluate", "error") + f" — {report.get('reason')}"
            )


_LEFT_OUT_LABELS = {"unreproduced": "cannot run: ", "invalid": "FAILS:      "}


def print_gate_description(gate: Mapping[str, Any], stream: TextIO) -> None:
    """The gate as ``gateui discover`` lists it: each step that runs here and each that cannot
    (those decide the verdict), then what is left out by design (setup, publishing, an ``if:``
    false on a pull request). A reason shared by several of those is said once, with how many:
    a matrix of ten legs would otherwise list the same checkout ten times."""
    source = gate.get("source")
    if gate.get("error"):
        stream.write(f"\nPR gate: cannot be read: {gate['error']}\n")
        return
    if not source:
        stream.write(
            "\nPR gate: none found (no [tool.gateui.gate] steps,"
            " no workflow that runs on pull requests)\n"
        )
        return
    steps = list(gate.get("steps") or ())
    by_design = [
        s for s in steps if not s.get("runs_locally") and s.get("left_out") not in _LEFT_OUT_LABELS
    ]
    stream.write(f"\nPR gate (from {source}):\n")
    for step in steps:
        where = f" [in {step['cwd']}]" if step.get("cwd") not in (None, ".") else ""
        if step.get("runs_locally"):
            stream.write(f"  runs here:   {step['name']}: {one_line(step['command'])}{where}\n")
        elif step.get("left_out") in _LEFT_OUT_LABELS:
            label = _LEFT_OUT_LABELS[str(step["left_out"])]
            stream.write(f"  {label} {step['name']} — {step.get('why_not', '')}\n")
        else:
            continue
        stream.write(f"               from {step['origin']}\n")
    reasons: dict[str, list[Mapping[str, Any]]] = {}
    for step in by_design:
        reasons.setdefault(str(step.get("why_not", "")), []).append(step)
    for why, alike in reasons.items():
        if len(alike) == 1:
            stream.write(f"  not run here: {alike[0]['name']} — {why}\n")
            stream.write(f"               from {alike[0]['origin']}\n")
        else:
            stream.write(f"  not run here: {len(alike)} steps — {why}\n")
    if any(len(alike) > 1 for alike in reasons.values()):
        stream.write("  (`gateui discover --json` lists every step)\n")
    for note in gate.get("notes") or ():
        stream.write(f"  note: {note}\n")
    stream.flush()

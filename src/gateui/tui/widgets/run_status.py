"""Progress bar and running totals of the current run."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Label, ProgressBar

from gateui.tui.model import RunTally


@dataclass(frozen=True)
class CountKind:
    """One kind of result the status line counts, in the order pytest's summary names them."""

    key: str
    """The outcome (``display_outcome``) counted."""
    symbol: str
    word: str
    style: str
    always: bool = False
    """Shown also at 0 (passed and failed are; the others only when there are some)."""
    urgent: bool = False
    """Kept when the line is too narrow for the rest (what went wrong is never cut off)."""


COUNT_KINDS: tuple[CountKind, ...] = (
    CountKind("failed", "✗", "failed", "$text-error", always=True, urgent=True),
    CountKind("error", "!", "errors", "$text-error", urgent=True),
    CountKind("passed", "✓", "passed", "$text-success", always=True),
    CountKind("skipped", "○", "skipped", "$text-warning"),
    CountKind("xfailed", "x", "xfailed", "$text-warning"),
    CountKind("xpassed", "X", "xpassed", "$text-warning"),
    CountKind("warnings", "⚠", "warnings", "$text-warning"),
)
"""Failures first, as in pytest's ``2 failed, 10 passed``: they stay in view when the line is
narrow. A new kind of count is one more row here."""


def totals_content(tally: RunTally, width: int | None = None) -> Content:
    """``12/40  ✗2 failed  ✓10 passed`` (and errors, skips, xfails when there are any); where
    ``width`` is too narrow for the words, ``12/40 ✗2 ✓10``, and then only the failures."""
    total = tally.total
    done = Content.styled(f"{tally.done}/{total}" if total is not None else f"{tally.done}", "bold")
    shown = [k for k in COUNT_KINDS if tally.count(k.key) or k.always]

    def line(kinds: list[CountKind], words: bool) -> Content:
        parts = [done]
        for kind in kinds:
            count = tally.count(kind.key)
            text = f"{kind.symbol}{count}" + (f" {kind.word}" if words else "")
            parts.append(Content.styled(text, kind.style if count else "$text-muted"))
        return Content("  " if words else " ").join(parts)

    forms = [line(shown, True), line(shown, False), line([k for k in shown if k.urgent], False)]
    if width is None:
        return forms[0]
    return next((form for form in forms if form.cell_length <= width), forms[-1])


def outcome_content(tally: RunTally, elapsed: float | None) -> Content:
    """How the run ended, and in how long (or what it is doing)."""
    took = Content.styled(f" · {elapsed:.1f} s", "$text-muted") if elapsed is not None else ""
    summary = tally.summary
    if summary is None:
        if tally.running_test:
            name = tally.running_test.rpartition("::")[2] or tally.running_test
            return Content.assemble(Content.styled(f"running {name}", "$text-muted"), took)
        return Content.assemble(Content.styled("starting pytest…", "$text-muted"), took)
    if tally.nothing_to_run:
        verdict = Content.styled("nothing to run", "bold $text-success")
    elif summary.cancelled:
        verdict = Content.styled("cancelled", "bold $text-warning")
    elif summary.crashed or summary.crash_message:
        verdict = Content.styled("crashed", "bold $text-error")
    elif summary.ok:
        verdict = Content.styled("all green", "bold $text-success")
    elif summary.selected == 0 and summary.exitstatus == 5:
        verdict = Content.styled("no tests collected", "bold $text-error")
    elif summary.selected == 0 and summary.exitstatus not in (0, 1):
        verdict = Content.styled("pytest could not run (see log)", "bold $text-error")
    else:
        verdict = Content.styled("failed", "bold $text-error")
    return Content.assemble(verdict, took)


class Totals(Widget):
    """The counts of the run, in words where there is room for them (see ``totals_content``)."""

    DEFAULT_CSS = """
    Totals { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tally: RunTally | None = None

    def show(self, tally: RunTally | None) -> None:
        """Repaint with ``tally`` (no layout pass: the widget's width does not change)."""
        self.tally = tally
        self.refresh()

    def render(self) -> RenderResult:
        if self.tally is None:
            return ""
        return totals_content(self.tally, self.content_region.width)


class RunStatus(Horizontal):
    """``unit ━━━━━━━━ 12/40  ✗2 failed  ✓10 passed     failed · 1.2 s``."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label: str | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="run-label")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="progress")
        yield Totals(id="totals")
        yield Label("", id="outcome")

    def show(self, tally: RunTally | None, elapsed: float | None) -> None:
        """Update in place. Only the run's label changes width (once per run): the other parts
        have fixed widths and update without a layout pass, which matters while results flood
        in (a layout pass of the whole screen costs far more than repainting two labels)."""
        bar = self.query_one(ProgressBar)
        if bar.display != (tally is not None):
            bar.display = tally is not None
        label = self.query_one("#run-label", Label)
        totals = self.query_one(Totals)
        outcome = self.query_one("#outcome", Label)
        if tally is None:
            label.update("no run yet")
            totals.show(None)
            outcome.update("", layout=False)
            return
        if self._label != tally.label:
            self._label = tally.label
            label.update(tally.label)
        total = tally.total
        if tally.finished:
            done = max(tally.done, 1)
            bar.update(total=max(total or done, done), progress=done)
        else:
            bar.update(total=total, progress=tally.done)
        totals.show(tally)
        outcome.update(outcome_content(tally, elapsed), layout=False)

"""Progress bar and running totals of the current run."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label, ProgressBar

from gateui.tui.model import RunTally

_COUNTS = (
    ("passed", "✓", "passed", "$text-success"),
    ("failed", "✗", "failed", "$text-error"),
    ("error", "!", "errors", "$text-error"),
    ("skipped", "○", "skipped", "$text-warning"),
    ("xfailed", "x", "xfailed", "$text-warning"),
    ("xpassed", "X", "xpassed", "$text-warning"),
)


def totals_content(tally: RunTally) -> Content:
    """``12/40  ✓10 passed  ✗2 failed`` (and errors, skips, xfails when there are any)."""
    total = tally.total
    parts: list[Content] = [
        Content.styled(f"{tally.done}/{total}" if total is not None else f"{tally.done}", "bold")
    ]
    for key, symbol, word, style in _COUNTS:
        count = tally.counts.get(key, 0)
        if count or key in ("passed", "failed"):
            parts.append(
                Content.styled(f"{symbol}{count} {word}", style if count else "$text-muted")
            )
    return Content("  ").join(parts)


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


class RunStatus(Horizontal):
    """``unit ━━━━━━━━ 12/40  ✓10 passed  ✗2 failed     all green · 1.2 s``."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label: str | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="run-label")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="progress")
        yield Label("", id="totals")
        yield Label("", id="outcome")

    def show(self, tally: RunTally | None, elapsed: float | None) -> None:
        """Update in place. Only the run's label changes width (once per run): the other parts
        have fixed widths and update without a layout pass, which matters while results flood
        in (a layout pass of the whole screen costs far more than repainting two labels)."""
        bar = self.query_one(ProgressBar)
        if bar.display != (tally is not None):
            bar.display = tally is not None
        label = self.query_one("#run-label", Label)
        totals = self.query_one("#totals", Label)
        outcome = self.query_one("#outcome", Label)
        if tally is None:
            label.update("no run yet")
            totals.update("", layout=False)
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
        totals.update(totals_content(tally), layout=False)
        outcome.update(outcome_content(tally, elapsed), layout=False)

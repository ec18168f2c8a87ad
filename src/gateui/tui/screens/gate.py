"""``g``: the PR gate's check of HEAD, step by step as it streams, then its verdict.

The screen only shows a ``GateView``; the app owns the check (closing the screen leaves it
running, ``g`` brings the screen back, ``x`` cancels it).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from gateui.core.gate.model import ERROR, FAIL, NOT_REPRODUCED, PARTIAL, PASS, SKIPPED
from gateui.tui.gate_view import RUNNING, WAITING, GateView, StepRow
from gateui.tui.model import format_duration
from gateui.wording import MARKS, one_line, place_text

MUTED = "$foreground-muted"
"""Text that steps back. (``$text-muted`` comes out white on a modal screen's dimmed background.)"""
_VERDICT_STYLE = {
    PASS: "$text-success",
    FAIL: "$text-error",
    ERROR: "$text-warning",
    NOT_REPRODUCED: "$text-warning",
    SKIPPED: MUTED,
    RUNNING: "$text-accent",
    WAITING: MUTED,
}
FAILING_SHOWN = 10
"""Failing tests listed under a step; the rest are counted."""


def verdict_line(view: GateView) -> Content:
    """The banner: what the gate would do with HEAD."""
    if view.cancelled:
        return Content("PR gate: cancelled (g checks again)")
    if view.verdict is None:
        done = sum(r.state not in (WAITING, RUNNING) for r in view.rows if r.runs_locally)
        here = sum(r.runs_locally for r in view.rows)
        progress = f" — step {min(done + 1, here)} of {here}" if here else ""
        return Content(f"PR gate: running…{progress}")
    if view.verdict == PASS:
        took = "" if view.cached else f" ({format_duration(view.duration_s)})"
        extra = " — from the cache: this tree was verified before" if view.cached else ""
        return Content(f"{MARKS[PASS]} PR gate: passing{took}{extra}")
    if view.verdict == FAIL:
        failing = [r.name for r in view.rows if r.state == FAIL]
        what = ", ".join(failing) if failing else view.reason
        return Content(f"{MARKS[FAIL]} PR gate: would fail — {what}")
    if view.verdict == PARTIAL:
        missing = [r.name for r in view.rows if r.state == NOT_REPRODUCED]
        what = ", ".join(missing) if missing else view.reason
        return Content(
            f"{MARKS[NOT_REPRODUCED]} PR gate: partial — what ran here passed;"
            f" not reproduced here: {what}"
        )
    return Content(f"{MARKS[ERROR]} PR gate: cannot evaluate — {view.reason}")


def _mark(row: StepRow) -> Content:
    symbol = {RUNNING: "▸", WAITING: "○"}.get(row.state) or MARKS.get(row.state, "?")
    return Content.styled(symbol, f"bold {_VERDICT_STYLE.get(row.state, '')}")


def _failing(row: StepRow) -> list[Content]:
    failing = row.tally.failing if row.tally is not None else tuple(row.failing)
    lines = []
    for nodeid, headline in failing[:FAILING_SHOWN]:
        lines.append(
            Content.assemble(
                Content.styled(f"{MARKS[FAIL]} ", "$text-error"),
                Content.styled(nodeid, "bold"),
                Content.styled(f" — {headline}", MUTED) if headline else "",
            )
        )
    counted = row.tally.failed + row.tally.errors if row.tally is not None else len(row.failing)
    if counted > FAILING_SHOWN:
        more = f"… and {counted - FAILING_SHOWN} more"
        lines.append(Content.styled(more, MUTED))
    return lines


def step_head(row: StepRow) -> Content:
    """The step's first line: mark, name, and its duration or what it is doing."""
    head: list[Content | str] = [_mark(row), " ", Content.styled(row.name, "bold")]
    if row.state == RUNNING:
        head.append(Content.styled("  running…", "$text-accent"))
        tally = row.tally
        if tally is not None and (tally.passed or tally.failed or tally.errors or tally.skipped):
            counts = [f"✓{tally.passed}"]
            if tally.failed or tally.errors:
                counts.append(f"✗{tally.failed + tally.errors}")
            if tally.skipped:
                counts.append(f"○{tally.skipped}")
            head.append(Content.styled("  " + " ".join(counts), MUTED))
    elif row.state == WAITING:
        head.append(Content.styled("  waiting", MUTED))
    elif row.duration_s is not None and row.state != SKIPPED:
        head.append(Content.styled(f"  {format_duration(row.duration_s)}", MUTED))
    return Content.assemble(*head)


def step_reason(row: StepRow) -> Content:
    """Under the step's name: what it runs (while it waits or runs), then its one-line reason."""
    lines: list[Content] = []
    if row.state in (WAITING, RUNNING):
        lines.append(Content.styled(f"$ {one_line(row.command)}", MUTED))
    if row.reason:
        style = _VERDICT_STYLE.get(row.state, "") if row.state in (FAIL, ERROR) else ""
        lines.append(Content.styled(row.reason, style))
    return Content("\n").join(lines)


def step_failing(row: StepRow) -> Content:
    """Its failing tests, one line each (cut to the width: the node id comes first)."""
    return Content("\n").join(_failing(row))


def step_more(row: StepRow) -> Content:
    """How to reproduce it by hand, and its warnings."""
    lines: list[Content] = []
    if row.reproduce and row.state not in (WAITING, RUNNING, SKIPPED):
        lines.append(
            Content.assemble(
                Content.styled("reproduce: ", MUTED),
                Content.styled(one_line(row.reproduce, 400), "$text-secondary"),
            )
        )
    for warning in row.warnings:
        lines.append(Content.assemble(Content.styled("warning: ", "$text-warning"), warning))
    if row.output_tail and not row.failing:
        # A command that failed without naming a test: what it printed last says why.
        lines.append(Content.styled(f"last {len(row.output_tail)} line(s) of its output:", MUTED))
        lines += [Content("  " + line) for line in row.output_tail]
    return Content("\n").join(lines)


_STEP_PARTS = (
    ("gate-step-head", step_head),
    ("gate-step-reason", step_reason),
    ("gate-step-failing", step_failing),
    ("gate-step-more", step_more),
)


def where_content(view: GateView) -> Content:
    """Which commit, where it was checked, where the gate comes from."""
    lines: list[Content] = []
    if view.commit:
        lines.append(
            Content.styled(
                f"{view.ref} = {view.commit[:12]}, checked {place_text(view.checked_in)}",
                MUTED,
            )
        )
    if view.steps_text:
        lines.append(Content.styled(view.steps_text, MUTED))
    for text, not_run in view.legs.values():
        lines.append(Content.styled(f"◆ {text}", "$text-warning" if not_run else MUTED))
    if not lines:
        lines.append(Content.styled("Reading the gate…", MUTED))
    return Content("\n").join(lines)


def elsewhere_content(view: GateView) -> Content:
    """The steps CI runs and gateui does not (setup, lint, actions…), then the check's notes."""
    lines: list[Content] = []
    elsewhere = [r for r in view.rows if not r.runs_locally]
    if elsewhere:
        lines.append(Content.styled("Not run here (CI runs them)", f"bold {MUTED}"))
        for row in elsewhere:
            text = f"{MARKS[SKIPPED]} {row.name} — {row.reason or 'not run'}"
            lines.append(Content.styled(text, MUTED))
    for note in view.notes:
        lines += [Content(""), Content.styled(f"note: {note}", MUTED)]
    return Content("\n").join(lines)


class StepView(Vertical):
    """One step that runs here: its head line, and the detail indented under it."""

    def __init__(self, row: StepRow) -> None:
        super().__init__(classes="gate-step")
        self.row = row

    def compose(self) -> ComposeResult:
        for name, render in _STEP_PARTS:
            content = render(self.row)
            part = Static(content, classes=name)
            part.display = bool(content.plain)
            yield part

    def show(self, row: StepRow) -> None:
        self.row = row
        for name, render in _STEP_PARTS:
            try:
                part = self.query_one(f".{name}", Static)
            except NoMatches:  # mounted, not composed yet: compose draws ``self.row``
                return
            content = render(row)
            part.update(content)
            part.display = bool(content.plain)


class GateScreen(ModalScreen[None]):
    """The gate's steps; esc closes (the check goes on), x cancels it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,g", "dismiss", "Close", show=False),
        Binding("x", "cancel_gate", "Cancel the gate", show=False),
    ]

    class CancelRequested(Message):
        """The user asked to stop the running check."""

    def __init__(self, view: GateView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical(id="gate-box") as box:
            box.border_title = "PR gate — HEAD"
            box.border_subtitle = "esc closes · x cancels a running check"
            yield Static(id="gate-verdict")
            with VerticalScroll(id="gate-scroll"):
                yield Static(id="gate-where")
                yield Vertical(id="gate-steps")
                yield Static(id="gate-elsewhere")

    def on_mount(self) -> None:
        self.show(self.view)

    def show(self, view: GateView) -> None:
        """Draw ``view`` (the app calls this on every update of the check)."""
        self.view = view
        banner = self.query_one("#gate-verdict", Static)
        banner.update(verdict_line(view))
        state = "cancelled" if view.cancelled else view.badge
        for name in ("running", "passing", "partial", "would-fail", "unknown", "cancelled"):
            banner.set_class(state.replace(" ", "-") == name, f"-{name}")
        self.query_one("#gate-where", Static).update(where_content(view))
        here = [r for r in view.rows if r.runs_locally]
        steps = self.query_one("#gate-steps", Vertical)
        shown = list(steps.query_children(StepView))
        if len(shown) == len(here):
            for widget, row in zip(shown, here, strict=True):
                widget.show(row)
        else:
            steps.remove_children()
            steps.mount_all([StepView(row) for row in here])
        elsewhere = self.query_one("#gate-elsewhere", Static)
        content = elsewhere_content(view)
        elsewhere.update(content)
        elsewhere.display = bool(content.plain)

    def action_cancel_gate(self) -> None:
        self.post_message(self.CancelRequested())


def open_gate_screen(app: App[Any], view: GateView) -> None:
    """Show ``view`` on the gate screen, opening the screen unless it is open already."""
    for screen in app.screen_stack:
        if isinstance(screen, GateScreen):
            screen.show(view)
            return
    app.push_screen(GateScreen(view))


def redraw_gate_screens(app: App[Any], view: GateView) -> None:
    """Draw ``view`` again where a gate screen shows it."""
    for screen in app.screen_stack:
        if isinstance(screen, GateScreen) and screen.view is view:
            screen.show(view)


def gate_screen_open(app: App[Any]) -> bool:
    return any(isinstance(screen, GateScreen) for screen in app.screen_stack)

"""The detail pane: one result's traceback (highlighted), captured output and log, why it ran."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from gateui.core.running.events import TestFinished
from gateui.tui.highlight import highlight_traceback
from gateui.tui.model import OUTCOME_STYLE, display_outcome, format_duration, is_failure

HINT = Content.assemble(
    "Select a test in the results (",
    Content.styled("↑ ↓", "bold"),
    ") to see its traceback, captured output and why it ran; ",
    Content.styled("enter", "bold"),
    " enlarges this pane, ",
    Content.styled("e", "bold"),
    " opens the failing line in $EDITOR.",
).stylize_before("$text-muted")


def _section(title: str) -> Content:
    return Content.styled(f"── {title} ", "bold $text-secondary")


def render_detail(event: TestFinished, default_reason: str = "") -> Content:
    """Everything known about one result, as one block of text."""
    symbol, word, colour = OUTCOME_STYLE[display_outcome(event)]
    colour = {"green": "$text-success", "yellow": "$text-warning"}.get(colour, "$text-error")
    head = Content.assemble(
        Content.styled(f"{symbol} {word}", f"bold {colour}"),
        "  ",
        Content.styled(event.nodeid, "bold"),
    )
    where = f"{event.path}:{event.line}" if event.line else event.path
    facts = [where, format_duration(event.duration_s)]
    if event.project not in ("", "."):
        facts.append(f"project {event.project}")
    if event.markers:
        facts.append("markers: " + ", ".join(event.markers))
    parts: list[Content] = [head, Content.styled("   ".join(facts), "$text-muted")]
    reason = event.reason or default_reason
    if reason:
        parts.append(Content.assemble(Content.styled("why: ", "$text-muted"), reason))
    if event.xfail is not None:
        parts.append(Content.assemble(Content.styled("xfail: ", "$text-muted"), event.xfail))
    if event.longrepr:
        parts.append(Content(""))
        if is_failure(event):
            parts += [_section("traceback"), highlight_traceback(event.longrepr)]
        else:
            parts += [_section("reason"), Content(event.longrepr)]
    for title, text in (
        ("captured stdout", event.stdout),
        ("captured stderr", event.stderr),
        ("captured log", event.log),
    ):
        if text.strip():
            parts += [Content(""), _section(title), Content(text.rstrip("\n"))]
    return Content("\n").join(parts)


class DetailView(VerticalScroll, can_focus=True):
    """Scrollable detail of the selected result (or a hint when none is selected)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.event: TestFinished | None = None

    def compose(self) -> ComposeResult:
        yield Static(HINT, id="detail-body")

    def show(self, event: TestFinished | None, default_reason: str = "") -> None:
        if event is self.event and event is not None:
            return
        self.event = event
        body = self.query_one("#detail-body", Static)
        body.update(HINT if event is None else render_detail(event, default_reason))
        self.scroll_home(animate=False)

    def show_text(self, content: Content) -> None:
        """Something other than a result (an empty state's explanation)."""
        self.event = None
        self.query_one("#detail-body", Static).update(content)

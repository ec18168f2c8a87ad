"""``?``: every key and what it does, plus the tree's colours."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from gateui.tui.keys import KEYS


def help_content() -> Content:
    lines = [Content.styled("Keys", "bold $text-primary"), Content("")]
    for key in KEYS:
        lines.append(
            Content.assemble(
                Content.styled(f" {key.shown:>6} ", "bold $text-accent"), "  ", key.help
            )
        )
    lines += [
        Content(""),
        Content.styled("The tree", "bold $text-primary"),
        Content(""),
        Content("Projects → suites → the markers that narrow them. Each node shows its test count"),
        Content("and the outcomes of its tests' last run: ").append(
            Content.styled("✓ passed", "$text-success")
        )
        + Content("  ")
        + Content.styled("✗ failed", "$text-error")
        + Content("  ")
        + Content.styled("○ skipped", "$text-warning"),
        Content("The highlighted node is the scope of a, f and watch mode; s / u / i jump to it."),
        Content(""),
        Content.styled("The gate badge", "bold $text-primary"),
        Content(""),
        Content(
            "Would the PR gate pass on HEAD? passing / would fail / running… / unknown (it cannot"
        ),
        Content(
            "be evaluated: the log says why). While nothing runs and the work tree is clean, gateui"
        ),
        Content("checks HEAD in the background, so that the push that follows is a cache hit."),
    ]
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help") as box:
            box.border_title = "gateui — help"
            box.border_subtitle = "esc closes"
            yield Static(help_content(), id="help-body")

"""``?``: every key and what it does, the tree's marks and the gate badge, in 80 by 24."""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from gateui.tui.keys import KEYS


def help_content(absent: Collection[str] = ()) -> Content:
    """One line per key (but the ``absent`` ones: scope keys of suites the repository lacks),
    then what the tree's marks and the gate badge mean."""
    lines = [
        Content.assemble(Content.styled(f"{key.shown:>5} ", "bold $text-accent"), " ", key.help)
        for key in KEYS
        if key.key not in absent
    ]
    marks = Content(" ").join(
        [
            Content.styled("✓ passed", "$text-success"),
            Content.styled("✗ failed", "$text-error"),
            Content.styled("○ skipped", "$text-warning"),
        ]
    )
    lines += [
        Content(""),
        Content.assemble(
            Content.styled("Tree ", "bold $text-primary"),
            "projects → suites → markers, with test counts and last run: ",
        ),
        Content.assemble(marks, ". The highlighted node scopes a, r, f and watch mode."),
        Content.assemble(
            Content.styled("Gate ", "bold $text-primary"),
            "would the PR gate pass on HEAD? Checked in the background while idle",
        ),
        Content("and clean, so the push that follows is a cache hit; unknown: the log says why."),
    ]
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", show=False),
    ]

    def __init__(self, absent: Collection[str] = ()) -> None:
        super().__init__()
        self._absent = absent

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as box:
            box.border_title = "gateui — keys"
            box.border_subtitle = "esc closes"
            yield Static(help_content(self._absent), id="help-body")

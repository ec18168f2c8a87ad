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

from gateui.tui.keys import KEYS, SCOPE_KEYS


def help_content(absent: Collection[str] = ()) -> Content:
    """One line per key (the scope keys on one, but the ``absent`` ones: suites the repository
    lacks), then what the tree's marks and the gate badge mean. 76 columns, 20 lines."""

    def line(shown: str, text: str | Content, style: str = "bold $text-accent") -> Content:
        return Content.assemble(Content.styled(f"{shown:>5} ", style), " ", text)

    lines = []
    scopes = [key for key in KEYS if key.key in SCOPE_KEYS and key.key not in absent]
    for key in KEYS:
        if key.key not in SCOPE_KEYS:
            lines.append(line(key.shown, key.help))
        elif scopes and key is scopes[0]:
            suites = " / ".join(SCOPE_KEYS[k.key] for k in scopes)
            lines.append(line(" ".join(k.key for k in scopes), f"scope to the {suites} suite"))
    marks = Content(" ").join(
        [
            Content.styled("✓ passed", "$text-success"),
            Content.styled("✗ failed", "$text-error"),
            Content.styled("○ skipped", "$text-warning"),
        ]
    )
    title = "bold $text-primary"
    lines += [
        Content(""),
        line("Tree", Content.assemble("projects → suites → markers; last run ", marks), title),
        line("", "the highlighted node is the scope of a, r, f and watch mode", title),
        line("Gate", "would the PR gate pass on HEAD? Checked in the background while", title),
        line("", "idle and clean, so that pushing is a cache hit; unknown: see the log", title),
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

"""The footer: the keys of ``gateui.tui.keys``, fewer of them on a narrow terminal."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from gateui.tui.keys import WIDE_ONLY


class KeysFooter(Footer):
    """Textual's footer, its wide-only keys marked ``-wide-only`` (the stylesheet hides them
    below the app's narrow breakpoint, so that the rest is never clipped)."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.key in WIDE_ONLY:
                widget.add_class("-wide-only")
            yield widget

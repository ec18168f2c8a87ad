"""The ``/`` filter over the results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class FilterInput(Input):
    """The ``/`` filter: typing filters the results; enter keeps the filter, esc clears it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear", "clear", show=False)]

    @dataclass
    class Closed(Message):
        """The filter input is done with."""

        keep: bool
        """True to keep the filter (enter), False when it was cleared (esc)."""

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Closed(keep=False))

    def on_blur(self) -> None:
        self.post_message(self.Closed(keep=True))

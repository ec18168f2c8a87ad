"""The live results table: one row per finished test, failures pinned on top.

Built on the Line API (``ScrollView.render_line``): only the visible rows are ever rendered, and
adding a row is an append to a list, so 20,000 results stream in without the per-row measuring and
re-layout a ``DataTable`` does (measured: ~0.2 ms per row there, and seconds to re-filter).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from gateui.core.running.events import TestFinished
from gateui.tui.model import OUTCOME_STYLE, display_outcome, format_duration, is_failure
from gateui.wording import short_nodeid

STATUS_WIDTH = 7
DURATION_WIDTH = 8


def _fit_nodeid(nodeid: str, width: int) -> str:
    """``nodeid`` in ``width`` cells, shortened in the middle (file and test name stay)."""
    return short_nodeid(nodeid, width).ljust(max(width, 0))


def _fit_right(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if len(text) <= width:
        return text.ljust(width)
    return text[: width - 1] + "…"


class ResultsTable(ScrollView, can_focus=True):
    """Rows of ``TestFinished`` events; failures and errors first, then the rest as they came."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "results-table--header",
        "results-table--cursor",
        "results-table--dim",
    }
    DEFAULT_CSS = """
    ResultsTable {
        background: $surface;
        overflow-x: hidden;
        overflow-y: auto;
        & > .results-table--header { text-style: bold; color: $text-muted; }
        & > .results-table--cursor {
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .results-table--cursor {
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
        & > .results-table--dim { color: $text-muted; }
    }
    """

    @dataclass
    class Highlighted(Message):
        """The row under the cursor changed (by the user, or by ``select_first_failure``)."""

        table: ResultsTable
        """The table whose cursor moved."""
        event: TestFinished | None
        """The result under the cursor, None when the cursor is off the rows."""

        @property
        def control(self) -> ResultsTable:
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._failures: list[TestFinished] = []
        self._others: list[TestFinished] = []
        self._filter = ""
        # With no filter the views are the lists themselves (no copy of 20,000 rows).
        self._view_failures: list[TestFinished] = self._failures
        self._view_others: list[TestFinished] = self._others
        self.cursor: int | None = None
        """Index of the highlighted row in the (filtered) view; None before the user picks."""
        self.default_reason = ""
        """Shown in the "why" column for results that carry no reason of their own."""
        self._reasons = False
        """Whether a result has a reason of its own: only then is there a "why" column (the
        run's default reason alone says what the title says already)."""
        self._follow = True
        self._tail_pending = False
        """A scroll to the tail is scheduled: the view still counts as following it, though
        results that arrived before that refresh left it short of the new end."""

    # -- data -------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._view_failures) + len(self._view_others)

    @property
    def total_rows(self) -> int:
        """Rows before filtering."""
        return len(self._failures) + len(self._others)

    @property
    def filter_text(self) -> str:
        return self._filter

    def row(self, index: int) -> TestFinished:
        failures = len(self._view_failures)
        if index < failures:
            return self._view_failures[index]
        return self._view_others[index - failures]

    def rows(self) -> list[TestFinished]:
        return [*self._view_failures, *self._view_others]

    @property
    def cursor_event(self) -> TestFinished | None:
        if self.cursor is None or not 0 <= self.cursor < self.row_count:
            return None
        return self.row(self.cursor)

    @property
    def first_failure(self) -> TestFinished | None:
        return self._view_failures[0] if self._view_failures else None

    def clear(self, default_reason: str = "") -> None:
        self._failures.clear()
        self._others.clear()
        self._view_failures = self._failures
        self._view_others = self._others
        self._filter = ""
        self.cursor = None
        self._follow = True
        self._tail_pending = False
        self.default_reason = default_reason
        self._reasons = False
        self._update_size()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def add(self, results: Iterable[TestFinished]) -> None:
        """Append results: failures go to the end of the pinned block, the rest to the bottom."""
        at_end = self.is_vertical_scroll_end
        filtered = bool(self._filter)
        for event in results:
            self._reasons = self._reasons or bool(event.reason)
            if is_failure(event):
                self._failures.append(event)
                if filtered:
                    if not self._matches(event):
                        continue
                    self._view_failures.append(event)
                # A row inserted above the cursor pushes it down: keep the same test selected.
                inserted_at = len(self._view_failures) - 1
                if self.cursor is not None and self.cursor >= inserted_at:
                    self.cursor += 1
            else:
                self._others.append(event)
                if filtered and self._matches(event):
                    self._view_others.append(event)
        self._update_size()
        if self._follow and (at_end or self._tail_pending):
            # After the refresh: the new virtual size must be known to scroll to its end.
            self._tail_pending = True
            self.call_after_refresh(self._follow_tail)
        self.refresh()

    def _follow_tail(self) -> None:
        self._tail_pending = False
        if self._follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def set_filter(self, text: str) -> None:
        """Show only rows whose node id, status or reason contains ``text`` (any case)."""
        current = self.cursor_event
        self._filter = text.strip().lower()
        if self._filter:
            self._view_failures = [e for e in self._failures if self._matches(e)]
            self._view_others = [e for e in self._others if self._matches(e)]
        else:
            self._view_failures = self._failures
            self._view_others = self._others
        self.cursor = None
        if current is not None:
            self.cursor = self._index_of(current)
        self._update_size()
        self.scroll_to(0, 0, animate=False, immediate=True)
        if self.cursor is not None:
            self._ensure_visible()
        self.refresh()
        self._post_highlight()

    def _matches(self, event: TestFinished) -> bool:
        word = OUTCOME_STYLE[display_outcome(event)][1]
        haystack = f"{event.nodeid} {word} {event.reason}".lower()
        return self._filter in haystack

    def _index_of(self, event: TestFinished) -> int | None:
        for index, row in enumerate(self._view_failures):
            if row is event:
                return index
        for index, row in enumerate(self._view_others):
            if row is event:
                return index + len(self._view_failures)
        return None

    # -- cursor -----------------------------------------------------------------------------
    def move_cursor(self, index: int | None) -> None:
        if self.row_count == 0:
            index = None
        elif index is not None:
            index = max(0, min(index, self.row_count - 1))
        changed = index != self.cursor
        self.cursor = index
        if index is not None:
            self._ensure_visible()
        self.refresh()
        if changed:
            self._post_highlight()

    def select_first_failure(self) -> None:
        """Put the cursor on the first failure and the view at the top (after a run)."""
        if self._view_failures:
            self._follow = False
            self.scroll_to(0, 0, animate=False, immediate=True)
            self.move_cursor(0)

    def _post_highlight(self) -> None:
        self.post_message(self.Highlighted(self, self.cursor_event))

    def action_cursor(self, delta: int) -> None:
        self._follow = False
        start = -1 if self.cursor is None and delta > 0 else (self.cursor or 0)
        self.move_cursor(start + delta)

    def action_page(self, direction: int) -> None:
        self._follow = False
        page = max(1, self.size.height - 2)
        self.move_cursor((self.cursor or 0) + direction * page)

    def action_first(self) -> None:
        self._follow = False
        self.move_cursor(0)

    def action_last(self) -> None:
        self._follow = True
        self.move_cursor(self.row_count - 1)
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _ensure_visible(self) -> None:
        if self.cursor is None:
            return
        visible = max(1, self.size.height - 1)
        top = round(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    async def _on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return
        index = round(self.scroll_offset.y) + event.y - 1
        if 0 <= index < self.row_count:
            self._follow = False
            self.move_cursor(index)

    def _update_size(self) -> None:
        # One line for the fixed header, then the rows; no horizontal scrolling.
        self.virtual_size = Size(self.size.width, self.row_count + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._update_size()
        if self._tail_pending or (self._follow and self.is_vertical_scroll_end):
            # A new height moves the end: a view that follows the tail keeps following it.
            self._tail_pending = True
            self.call_after_refresh(self._follow_tail)

    # -- rendering --------------------------------------------------------------------------
    @property
    def shows_reasons(self) -> bool:
        """Whether the "why" column is there (some result has a reason of its own)."""
        return self._reasons

    def _widths(self, width: int) -> tuple[int, int]:
        """(node id width, reason width) for a line of ``width`` cells; the reason's is 0
        when there is no "why" column."""
        fixed = 1 + STATUS_WIDTH + 1 + 1 + DURATION_WIDTH + 1
        if not self._reasons:
            return max(10, width - fixed), 0
        reason = max(10, min(36, width // 4))
        node = max(10, width - fixed - 1 - reason)
        return node, reason

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width  # (the scrollbar's cells are not ours)
        base = self.rich_style
        if y == 0:
            return self._header_line(width, base)
        index = round(self.scroll_offset.y) + y - 1
        if index >= self.row_count:
            return Strip.blank(width, base)
        return self._row_line(index, width, base)

    def _header_line(self, width: int, base: Style) -> Strip:
        node_w, reason_w = self._widths(width)
        style = base + self.get_component_rich_style("results-table--header", partial=True)
        text = (
            " "
            + "status".ljust(STATUS_WIDTH)
            + " "
            + _fit_right("test", node_w)
            + " "
            + "duration".rjust(DURATION_WIDTH)
            + (" " + _fit_right("why", reason_w) if reason_w else "")
        )
        return Strip([Segment(text, style)]).adjust_cell_length(width, base)

    def _row_line(self, index: int, width: int, base: Style) -> Strip:
        event = self.row(index)
        node_w, reason_w = self._widths(width)
        if index == self.cursor:
            base = base + self.get_component_rich_style("results-table--cursor", partial=True)
        dim = base + self.get_component_rich_style("results-table--dim", partial=True)
        symbol, word, colour = OUTCOME_STYLE[display_outcome(event)]
        reason = event.reason or self.default_reason
        segments: list[Segment] = [
            Segment(" ", base),
            Segment(f"{symbol} {word}".ljust(STATUS_WIDTH), base + Style.parse(colour)),
            Segment(" ", base),
            Segment(_fit_nodeid(event.nodeid, node_w), base),
            Segment(" ", base),
            Segment(format_duration(event.duration_s).rjust(DURATION_WIDTH), dim),
        ]
        if reason_w:
            segments += [
                Segment(" ", base),
                Segment(_fit_right(reason, reason_w), dim if not event.reason else base),
            ]
        return Strip(segments).adjust_cell_length(width, base)

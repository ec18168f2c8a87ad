"""The centre column: the results (or why there are none), the ``/`` filter, the run's status
line, and the Detail and Log tabs below.

The app tells it what to show; it knows nothing of runs, scopes or controllers. What it keeps to
itself: the filter's coming and going, the enlarged detail, and the Log tab's count of alerts.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import (
    ContentSwitcher,
    Input,
    Label,
    RichLog,
    Static,
    TabbedContent,
    TabPane,
)

from gateui.core.running.events import TestFinished
from gateui.tui.model import RunTally
from gateui.tui.widgets.detail import DetailView
from gateui.tui.widgets.filter_input import FilterInput
from gateui.tui.widgets.results_table import ResultsTable
from gateui.tui.widgets.run_status import RunStatus


class ResultsPane(Vertical):
    """Results in the centre, with their filter, status, detail and log."""

    def __init__(self, empty: Content, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._empty = empty
        self._alerts = 0

    def compose(self) -> ComposeResult:
        yield Label("Results", id="results-title", classes="section-title")
        with ContentSwitcher(initial="empty", id="results-switcher"):
            yield Static(self._empty, id="empty")
            yield ResultsTable(id="results")
        yield FilterInput(placeholder="filter results: node id, status or reason", id="filter")
        yield RunStatus(id="status")
        with TabbedContent(id="bottom", initial="detail-tab"):
            with TabPane("Detail", id="detail-tab"):
                yield DetailView(id="detail")
            with TabPane("Log", id="log-tab"):
                yield RichLog(id="log", wrap=True, markup=False, max_lines=5000)

    # -- what is shown ------------------------------------------------------------------------
    def show_title(self, subject: str, layout: bool = True) -> None:
        """ "Results · SUBJECT", and the filter with what it keeps when one is set."""
        table = self.query_one(ResultsTable)
        parts = [Content.styled("Results", "bold"), Content(subject)]
        if table.filter_text:
            parts.append(
                Content.styled(
                    f"filter {table.filter_text!r}: {table.row_count} of {table.total_rows}",
                    "$text-warning",
                )
            )
        self.query_one("#results-title", Label).update(Content(" · ").join(parts), layout=layout)

    @property
    def showing_results(self) -> bool:
        return self.query_one(ContentSwitcher).current == "results"

    def show_results(self) -> None:
        self.query_one(ContentSwitcher).current = "results"

    def show_empty(self, content: Content | None) -> None:
        """The empty state instead of the results (``content`` replaces what it says)."""
        if content is not None:
            self.query_one("#empty", Static).update(content)
        self.query_one(ContentSwitcher).current = "empty"

    def focus_results(self) -> None:
        if self.showing_results:
            self.query_one(ResultsTable).focus()

    # -- a run's results ----------------------------------------------------------------------
    def clear_results(self, default_reason: str) -> None:
        """Empty the table and the detail for a new run."""
        self.query_one(ResultsTable).clear(default_reason=default_reason)
        self.query_one(DetailView).show(None)

    def add_results(self, results: Sequence[TestFinished], reason: str) -> None:
        """Add to the table; until something is selected, the detail shows the first failure."""
        table = self.query_one(ResultsTable)
        table.add(results)
        detail = self.query_one(DetailView)
        if table.cursor is None and detail.event is None and table.first_failure is not None:
            detail.show(table.first_failure, reason)

    def results_over(self) -> None:
        """The run ended: select its first failure, unless the user selected something."""
        table = self.query_one(ResultsTable)
        if table.cursor is None:
            table.select_first_failure()

    def show_status(self, tally: RunTally | None, elapsed: float | None) -> None:
        self.query_one(RunStatus).show(tally, elapsed)

    @property
    def chosen_result(self) -> TestFinished | None:
        """The result the user means: selected in the table, else shown, else the first failure."""
        table = self.query_one(ResultsTable)
        return table.cursor_event or self.query_one(DetailView).event or table.first_failure

    @on(ResultsTable.Highlighted)
    def _result_highlighted(self, message: ResultsTable.Highlighted) -> None:
        reason = message.control.default_reason  # the run's
        for detail in self.query(DetailView):  # none left while the app shuts down
            detail.show(message.event, reason)

    # -- the filter -----------------------------------------------------------------------------
    def open_filter(self) -> bool:
        """Show the filter and focus it; False when there are no results to filter."""
        if not self.showing_results:
            return False
        field = self.query_one(FilterInput)
        field.add_class("-visible")
        field.focus()
        return True

    def clear_filter(self) -> bool:
        """Clear and hide the filter; False when there was none."""
        field = self.query_one(FilterInput)
        if not field.value and not field.has_class("-visible"):
            return False
        field.action_clear()
        return True

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one(ResultsTable).focus()

    @on(FilterInput.Closed)
    def _filter_closed(self, message: FilterInput.Closed) -> None:
        field = self.query_one(FilterInput)
        if not message.keep or not field.value:
            field.remove_class("-visible")
            if field.has_focus:
                self.query_one(ResultsTable).focus()

    # -- the detail -------------------------------------------------------------------------------
    def enlarge_detail(self) -> None:
        """The selected result's detail (else the first failure's), in the results' place."""
        table = self.query_one(ResultsTable)
        if table.cursor_event is None and table.first_failure is not None:
            table.select_first_failure()
        self.add_class("-detail")
        self.query_one(TabbedContent).active = "detail-tab"
        self.query_one(DetailView).focus()

    def restore_results(self) -> bool:
        """Give the space back to the results (esc); False when the detail was not enlarged."""
        if not self.has_class("-detail"):
            return False
        self.remove_class("-detail")
        self.query_one(ResultsTable).focus()
        return True

    def toggle_log(self) -> None:
        """Detail ⇄ Log in the bottom pane."""
        tabs = self.query_one(TabbedContent)
        tabs.active = "detail-tab" if tabs.active == "log-tab" else "log-tab"

    # -- the log ----------------------------------------------------------------------------------
    def log_line(self, text: str, style: str, alert: bool) -> None:
        """Write to the Log tab; an alert is counted on the tab, so it is seen from Detail too."""
        self.query_one(RichLog).write(Text(text, style=style))
        if alert:
            self._alerts += 1
            tab = self.query_one(TabbedContent).get_tab("log-tab")
            tab.label = Content.assemble("Log ", Content.styled(f"● {self._alerts}", "$text-error"))

"""What a run cut short had done: counted from its events as they pass, so that a run stopped by
a signal or an error still ends with a summary (``run --json`` always ends with one)."""

from __future__ import annotations

from gateui.core.running.events import (
    CollectionError,
    CollectionFinished,
    Event,
    RunSummary,
    TestFinished,
)
from gateui.core.running.tally import ResultCounts


class PartialCount:
    """Counts the results of the process running now."""

    def __init__(self) -> None:
        self.counts = ResultCounts()
        self.collected = 0
        self.deselected = 0
        self.collection_errors = 0
        self.reported: set[str] = set()

    def add(self, event: Event) -> None:
        if isinstance(event, TestFinished):
            self.counts.add(event)
            self.reported.add(event.nodeid)
        elif isinstance(event, CollectionFinished):
            self.collected += event.count
            self.deselected += event.deselected
        elif isinstance(event, CollectionError):
            self.collection_errors += 1

    def summary(self, duration_s: float) -> RunSummary:
        """The results so far, as the summary of a process that did not finish."""
        return self.counts.summary(
            None,
            round(duration_s, 6),
            deselected=self.deselected,
            exitstatus=None,
            collection_errors=self.collection_errors,
            not_run=max(0, self.collected - len(self.reported)),
        )

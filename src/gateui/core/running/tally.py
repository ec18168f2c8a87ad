"""Counting results as pytest counts them: passed, failed, errors, skipped, xfailed, xpassed.

One place for the arithmetic every runner shares (a pytest process, a command, a run cut short),
so a count means the same in the CLI, the JSON summary and the TUI.
"""

from __future__ import annotations

from typing import Any

from gateui.core.running.events import RESULTS, RunSummary, TestFinished


class ResultCounts:
    """Results so far, by pytest's word for each (``TestFinished.result``)."""

    def __init__(self) -> None:
        self.by_result = dict.fromkeys(RESULTS, 0)

    def add(self, event: TestFinished) -> None:
        result = event.result if event.result in self.by_result else "error"
        self.by_result[result] += 1

    @property
    def total(self) -> int:
        return sum(self.by_result.values())

    def summary(self, crashed: str | None, duration_s: float, **rest: Any) -> RunSummary:
        """A ``RunSummary`` with these counts; ``rest`` are its other fields."""
        counts = self.by_result
        return RunSummary(
            selected=self.total,
            passed=counts["passed"],
            failed=counts["failed"],
            skipped=counts["skipped"],
            errors=counts["error"],
            xfailed=counts["xfailed"],
            xpassed=counts["xpassed"],
            crashed=crashed,
            duration_s=duration_s,
            **rest,
        )

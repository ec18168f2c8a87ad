"""The failures of a run, reported at its end as pytest reports them: an ERRORS section
(collection errors, errors in setup or teardown) and a FAILURES section, each report under a
``____ node id ____`` rule, its text pytest's own (assertion diff and traceback in the ``--tb``
style the run asked for)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

from gateui.core.running.events import CollectionError, TestFinished
from gateui.wording import collection_error_headline, failure_headline


@dataclass
class FailureReport:
    tb: str = "auto"
    errors: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)

    def add(self, event: TestFinished | CollectionError) -> None:
        if isinstance(event, CollectionError):
            self.errors.append((f"ERROR collecting {event.nodeid}", event.message))
        elif event.outcome == "error":
            self.errors.append((f"ERROR at setup or teardown of {event.nodeid}", event.longrepr))
        elif event.outcome == "failed":
            self.failures.append((event.nodeid, event.longrepr))

    def __bool__(self) -> bool:
        return bool(self.errors or self.failures)

    def lines(self) -> list[str]:
        """The sections, or nothing with ``--tb=no``; ``--tb=line`` is one line per report."""
        if self.tb == "no" or not self:
            return []
        width = min(shutil.get_terminal_size((100, 24)).columns, 120)
        lines: list[str] = []
        for title, reports in (("ERRORS", self.errors), ("FAILURES", self.failures)):
            if not reports:
                continue
            lines.append(f" {title} ".center(width, "="))
            for name, text in reports:
                if self.tb == "line":
                    headline = (
                        collection_error_headline(text)
                        if name.startswith("ERROR collecting")
                        else failure_headline(text)
                    )
                    lines.append(f"{name}: {headline}")
                    continue
                lines.append(f" {name} ".center(width, "_"))
                lines.append("")
                lines.extend(text.rstrip("\n").splitlines() or ["(no report)"])
                lines.append("")
        return lines

"""The warnings pytest recorded in a run, reported at its end as pytest's "warnings summary"
reports them: each distinct warning once, under the tests that raised it.

A run can raise a warning in every one of thousands of tests, so what is kept is bounded: the
first ``TESTS_NAMED`` tests of each warning, the first ``KINDS_KEPT`` distinct warnings; the rest
are counted. ``gateui run --json`` has every one.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

from gateui.core.running.events import WarningRaised

TESTS_NAMED = 5
KINDS_KEPT = 200
KINDS_SHOWN = 10
MESSAGE_LINES = 8


@dataclass
class _Kind:
    """One distinct warning: its category, message and where it was raised."""

    text: str
    tests: dict[str, None] = field(default_factory=dict)
    """The first tests that raised it (an ordered set)."""
    count: int = 0


@dataclass
class WarningsReport:
    shown: bool = True
    """pytest would show the section (``--disable-warnings`` hides it; the count stays)."""
    kinds: dict[tuple[str, str, str, int | None], _Kind] = field(default_factory=dict)
    kinds_not_kept: int = 0
    """Warnings of kinds beyond the first ``KINDS_KEPT``."""

    def add(self, event: WarningRaised) -> None:
        key = (event.category, event.message, event.path, event.line)
        kind = self.kinds.get(key)
        if kind is None:
            if len(self.kinds) >= KINDS_KEPT:
                self.kinds_not_kept += 1
                return
            kind = self.kinds[key] = _Kind(f"{_where(event)}: {event.category}: {event.message}")
        kind.count += 1
        if len(kind.tests) < TESTS_NAMED:
            # Raised outside any test (at collection): named by where it was raised.
            kind.tests[event.nodeid or _where(event)] = None

    def lines(self) -> list[str]:
        """The section, or nothing when there is none to show."""
        if not self.shown or not self.kinds:
            return []
        width = min(shutil.get_terminal_size((100, 24)).columns, 120)
        lines = [" warnings summary ".center(width, "=")]
        for kind in list(self.kinds.values())[:KINDS_SHOWN]:
            lines.extend(kind.tests)
            if kind.count > len(kind.tests):
                lines.append(f"… {kind.count} times in all")
            message = kind.text.rstrip("\n").splitlines()
            lines.extend("  " + line for line in message[:MESSAGE_LINES])
            if len(message) > MESSAGE_LINES:
                lines.append(f"  … {len(message) - MESSAGE_LINES} more lines")
            lines.append("")
        hidden = max(0, len(self.kinds) - KINDS_SHOWN)
        if hidden or self.kinds_not_kept:
            others = sum(k.count for k in list(self.kinds.values())[KINDS_SHOWN:])
            others += self.kinds_not_kept
            lines.append(
                f"{others} more warning{'s' if others != 1 else ''} of other kinds"
                " (`gateui run --json` lists every warning)"
            )
            lines.append("")
        return lines


def _where(event: WarningRaised) -> str:
    return _shown_path(event.path) + (f":{event.line}" if event.line else "")


def _shown_path(path: str) -> str:
    """``path`` relative to the current folder when it is inside it, as pytest shows it."""
    if not os.path.isabs(path):
        return path
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative

"""The warnings pytest recorded in a run, reported at its end as pytest's "warnings summary"
reports them: each distinct warning once, under the tests that raised it (``WarningKinds``).
``gateui run --json`` has every one."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

from gateui.core.running.events import WarningRaised
from gateui.core.running.warning_kinds import WarningKind, WarningKinds
from gateui.wording import source_place

KINDS_SHOWN = 10
MESSAGE_LINES = 8


@dataclass
class WarningsReport:
    shown: bool = True
    """pytest would show the section (``--disable-warnings`` hides it; the count stays)."""
    seen: WarningKinds = field(default_factory=WarningKinds)

    def add(self, event: WarningRaised) -> None:
        self.seen.add(event)

    def lines(self) -> list[str]:
        """The section, or nothing when there is none to show."""
        kinds = list(self.seen.kinds.values())
        if not self.shown or not kinds:
            return []
        width = min(shutil.get_terminal_size((100, 24)).columns, 120)
        lines = [" warnings summary ".center(width, "=")]
        for kind in kinds[:KINDS_SHOWN]:
            # Raised outside any test (at collection): named by where it was raised.
            lines.extend(test or where(kind) for test in kind.tests)
            if kind.count > len(kind.tests):
                lines.append(f"… {kind.count} times in all")
            message = f"{where(kind)}: {kind.category}: {kind.message}".splitlines()
            lines.extend("  " + line for line in message[:MESSAGE_LINES])
            if len(message) > MESSAGE_LINES:
                lines.append(f"  … {len(message) - MESSAGE_LINES} more lines")
            lines.append("")
        others = sum(k.count for k in kinds[KINDS_SHOWN:]) + self.seen.not_kept
        if others:
            lines.append(
                f"{others} more warning{'s' if others != 1 else ''} of other kinds"
                " (`gateui run --json` lists every warning)"
            )
            lines.append("")
        return lines


def where(kind: WarningKind) -> str:
    """``path:line``, the path relative to the current folder when it is inside it."""
    return source_place(kind.path, kind.line, os.getcwd())

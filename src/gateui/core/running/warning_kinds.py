"""The warnings pytest recorded in a run, each distinct one once, as pytest's "warnings summary"
groups them: by category, message and where it was raised, with the tests that raised it.

A run can raise a warning in every one of thousands of tests, so what is kept is bounded: the
first ``TESTS_NAMED`` tests of each kind, the first ``KINDS_KEPT`` kinds; the rest are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateui.core.running.events import WarningRaised

TESTS_NAMED = 5
KINDS_KEPT = 200


@dataclass
class WarningKind:
    """One distinct warning."""

    category: str
    message: str
    path: str
    line: int | None
    tests: dict[str, None] = field(default_factory=dict)
    """The first tests that raised it (an ordered set); "" for one raised outside any test."""
    count: int = 0


@dataclass
class WarningKinds:
    kinds: dict[tuple[str, str, str, int | None], WarningKind] = field(default_factory=dict)
    not_kept: int = 0
    """Warnings of kinds beyond the first ``KINDS_KEPT``."""

    def add(self, event: WarningRaised) -> WarningKind | None:
        """Count ``event``; its kind when it is the first of a kind kept, else None."""
        key = (event.category, event.message, event.path, event.line)
        kind = self.kinds.get(key)
        first = kind is None
        if kind is None:
            if len(self.kinds) >= KINDS_KEPT:
                self.not_kept += 1
                return None
            kind = self.kinds[key] = WarningKind(*key)
        kind.count += 1
        if len(kind.tests) < TESTS_NAMED:
            kind.tests[event.nodeid] = None
        return kind if first else None

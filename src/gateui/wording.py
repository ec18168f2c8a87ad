"""Wording both views show: the CLI's printers and the TUI say these things the same way.

Plain functions of core objects to text, with no terminal codes and no widgets, so neither view
imports the other.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gateui.core.gate.model import CACHE, IN_PLACE, GateDefinition

if TYPE_CHECKING:
    from gateui.core.running.events import RunSummary
    from gateui.core.selection.affected import AffectedPlan

MARKS = {"pass": "✓", "fail": "✗", "error": "!", "skipped": "·"}
"""One symbol per step verdict (the TUI's gate screen uses the same)."""
_PLACES = {
    IN_PLACE: "in place (the work tree is that commit)",
    CACHE: "from the cache (this tree was verified before)",
}


def place_text(checked_in: str) -> str:
    """Where a commit was checked, in words: "in place (the work tree is that commit)"…"""
    return _PLACES.get(checked_in, "in a temporary worktree of that commit")


def gate_steps_text(definition: GateDefinition) -> str:
    """ "gate from .github/workflows/ci.yml: 2 step(s) run here, 4 not run locally" """
    here = len(definition.runnable)
    elsewhere = len(definition.steps) - here
    source = definition.source or "nowhere (no gate found)"
    return f"gate from {source}: {here} step(s) run here" + (
        f", {elsewhere} not run locally" if elsewhere else ""
    )


def describe_selection(plan: AffectedPlan) -> str:
    """What changed and what it selected, for the line above an affected run (plus notes)."""
    changed = sorted(plan.selection.changed)
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    tests, files = plan.counts
    whole = [p.project.rel for p in plan.selection.projects if p.whole]
    parts = []
    if tests:
        parts.append(f"{tests} tests")
    if files:
        parts.append(f"{files} test files")
    if whole:
        parts.append("whole project " + ", ".join(whole))
    selected = " + ".join(parts) or "nothing"
    lines = [f"changed: {shown or 'nothing'} → selected: {selected}"]
    lines += [f"note: {note}" for note in plan.selection.notes]
    return "\n".join(lines)


def failure_headline(longrepr: str) -> str:
    """The line of a traceback a person reads first: pytest's ``E`` line, ExUnit's message,
    else the last line."""
    lines = [line for line in longrepr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("E "):
            return line[1:].strip()
    if any(line.strip() == "stacktrace:" for line in lines):
        return _exunit_headline(lines)
    return lines[-1].strip() if lines else ""


_EXCEPTION_LINE = re.compile(r"^(?:E\s+)?([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b.*)$")


def collection_error_headline(message: str) -> str:
    """The exception a module failed to collect with (``SyntaxError: invalid syntax``), as
    pytest's last ``E`` line names it; else the usual headline."""
    for line in reversed(message.splitlines()):
        found = _EXCEPTION_LINE.match(line.strip())
        if found:
            return found.group(1).strip()
    return failure_headline(message)


COUNT_WORDS = (
    ("passed", "passed"),
    ("failed", "failed"),
    ("skipped", "skipped"),
    ("xfailed", "xfailed"),
    ("xpassed", "xpassed"),
    ("deselected", "deselected"),
    ("errors", "error"),
)
"""A run's counts in the order the summary line names them, with pytest's words."""


def counts_parts(summary: RunSummary) -> list[tuple[str, str]]:
    """("3 passed", "passed"), ("1 xfailed", "xfailed")…: the non-zero counts of a run, each
    with the result it counts, as pytest's summary line says them."""
    parts = []
    for field, result in COUNT_WORDS:
        count = int(getattr(summary, field))
        if count:
            word = result if result != "error" else ("error" if count == 1 else "errors")
            parts.append((f"{count} {word}", result))
    return parts


def _exunit_headline(lines: list[str]) -> str:
    """``Assertion with == failed (left: 2, right: 3)`` or ``** (RuntimeError) boom``: the
    message under ExUnit's ``1) test … (Module)`` and ``file:line`` lines."""
    body = [line.strip() for line in lines]
    start = 2 if len(body) > 2 and body[0][:1].isdigit() else 0
    message = body[start] if start < len(body) else body[-1]
    sides = [
        line
        for line in body[start + 1 :]
        if line.startswith(("left:", "right:")) and len(line) < 80
    ]
    return f"{message} ({', '.join(' '.join(s.split()) for s in sides)})" if sides else message


def one_line(text: str, limit: int = 160) -> str:
    """A (possibly multi-line) command on one line, cut at ``limit`` characters."""
    flat = " ⏎ ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

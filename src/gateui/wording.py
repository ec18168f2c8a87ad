"""Wording both views show: the CLI's printers and the TUI say these things the same way.

Plain functions of core objects to text, with no terminal codes and no widgets, so neither view
imports the other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateui.core.running.headline import (  # for the views
    collection_error_headline as collection_error_headline,
)
from gateui.core.running.headline import failure_headline as failure_headline

if TYPE_CHECKING:
    from gateui.core.gate.model import GateDefinition
    from gateui.core.gate.run import LegEvent
    from gateui.core.running.events import RunSummary
    from gateui.core.selection.affected import AffectedPlan

MARKS = {"pass": "✓", "fail": "✗", "error": "!", "skipped": "·", "not-reproduced": "◌"}
"""One symbol per step verdict (the TUI's gate screen uses the same)."""


def source_place(path: str, line: int | None, base: str | os.PathLike[str]) -> str:
    """``path:line`` as pytest shows a warning's place: the path relative to ``base`` (the CLI's
    working folder, the TUI's repository) when it is inside it."""
    if os.path.isabs(path):
        relative = os.path.relpath(path, base)
        path = path if relative.startswith("..") else relative
    return path + (f":{line}" if line else "")


def place_text(checked_in: str) -> str:
    """Where a commit was checked, in words: "in a temporary worktree of that commit"…"""
    # The gate's model is imported where it is needed: `gateui run` words results, not gates.
    from gateui.core.gate.model import CACHE

    if checked_in == CACHE:
        return "from the cache (this tree was verified before)"
    return "in a temporary worktree of that commit"


def gate_steps_text(definition: GateDefinition) -> str:
    """ "gate from .github/workflows/ci.yml: 2 step(s) run here, 1 cannot run here, 4 left out
    (setup, publishing…)" """
    from gateui.core.gate.model import INVALID, UNREPRODUCED

    here = len(definition.runnable)
    unreproduced = sum(1 for s in definition.steps if s.left_out == UNREPRODUCED)
    invalid = sum(1 for s in definition.steps if s.left_out == INVALID)
    left_out = len(definition.steps) - here - unreproduced - invalid
    source = definition.source or "nowhere (no gate found)"
    parts = [f"{here} step(s) run here"]
    if unreproduced:
        parts.append(f"{unreproduced} cannot run here")
    if invalid:
        parts.append(f"{invalid} invalid workflow file(s)")
    if left_out:
        parts.append(f"{left_out} left out (setup, publishing, secrets, if:)")
    return f"gate from {source}: " + ", ".join(parts)


def home_relative(path: Path) -> str:
    """``path`` with the user's home written ``~``: shorter, and the same on every screen."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def leg_text(event: LegEvent) -> tuple[str, bool] | None:
    """A matrix leg in one line, and whether it does not run here: "Python 3.12 leg
    (python-version=3.12): Python 3.12.1 (/path); environment reused: /cache/…", "… preparing its
    interpreter and environment…", or the reason it is not run. None when there is nothing to say
    (a leg with no Python to prepare)."""
    state = event.state
    head = f"Python {state.leg.python} leg"
    if state.leg.label != f"Python {state.leg.python}":  # a matrix combination names it
        head += f" ({state.leg.label})"
    if not event.done:
        if not state.leg.python:
            return None
        return f"{head}: preparing its interpreter and environment…", False
    if state.not_run:  # the reason names the leg's Python already
        return f"{state.leg.label}: {state.not_run}", True
    if state.python is None:
        return None
    text = f"{head}: Python {state.python.version} ({home_relative(state.python.path)})"
    environment = state.environment
    if environment is not None:
        how = f"built in {environment.seconds:.1f} s"
        if environment.reused:
            how = "reused" + (f", project {environment.refreshed}" if environment.refreshed else "")
        text += f"; environment {how}: {home_relative(environment.folder)}"
    return text, False


def partial_lines(report: Mapping[str, Any]) -> list[str]:
    """For a partial verdict: each step not reproduced here, why, and what would reproduce it."""
    lines = []
    for item in report.get("not_reproduced") or ():
        remedy = item.get("to_reproduce") or ""
        lines.append(f"{item.get('name')}: {item.get('why')}" + (f" — {remedy}" if remedy else ""))
    return lines


def describe_selection(plan: AffectedPlan) -> str:
    """What changed and what it selected, for the line above an affected run (plus notes).

    Files git sees changed come first; files that only differ from the version some tests were
    last recorded against (a commit since then, or a test kept with an older recording because
    what it ran did not change) are named apart: on a clean tree they are no git change."""
    in_git = plan.selection.changes.paths
    shown = first_five(sorted(p for p in plan.selection.changed if p in in_git)) or "nothing"
    since_recorded = sorted(p for p in plan.selection.changed if p not in in_git)
    if since_recorded:
        shown += "; since last recorded: " + first_five(since_recorded)
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
    lines = [f"changed: {shown} → selected: {selected}"]
    lines += [f"note: {note}" for note in plan.selection.notes]
    return "\n".join(lines)


def first_five(paths: list[str]) -> str:
    """The first five paths, and how many more ("a, b, c, d, e and 3 more")."""
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


COUNT_WORDS = (
    ("passed", "passed"),
    ("failed", "failed"),
    ("skipped", "skipped"),
    ("xfailed", "xfailed"),
    ("xpassed", "xpassed"),
    ("deselected", "deselected"),
    ("pytest_warnings", "warnings"),
    ("errors", "error"),
)
"""A run's counts in the order the summary line names them, with pytest's words (the warnings
pytest recorded before the errors, as its own line has them)."""


_COUNTED_NOUNS = {"error": ("error", "errors"), "warnings": ("warning", "warnings")}
"""The words of the summary line that are nouns ("1 error", "2 errors"); the others are
adjectives ("2 passed")."""


def counts_parts(summary: RunSummary) -> list[tuple[str, str]]:
    """("3 passed", "passed"), ("1 xfailed", "xfailed")…: the non-zero counts of a run, each
    with the result it counts, as pytest's summary line says them."""
    parts = []
    for field, result in COUNT_WORDS:
        count = int(getattr(summary, field))
        if count:
            one, many = _COUNTED_NOUNS.get(result, (result, result))
            word = one if count == 1 else many
            parts.append((f"{count} {word}", result))
    return parts


def one_line(text: str, limit: int = 160) -> str:
    """A (possibly multi-line) command on one line, cut at ``limit`` characters."""
    flat = " ⏎ ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


ELLIPSIS = "…"


def short_nodeid(nodeid: str, width: int) -> str:
    """``nodeid`` in at most ``width`` characters, shortened in the middle so that the file
    and the test name stay readable: ``tests/…/test_loans.py::test_overdue_fee``.

    What goes first: the folders between the first and the file, then the first folder too,
    then the classes between file and test (``…::``), then the file's name from its left; only
    a test name that is still too long is cut, in its middle (see ``_cut_name``), so that the
    rows of a parametrized test stay told apart."""
    if width <= 0:
        return ""
    if len(nodeid) <= width:
        return nodeid
    path, sep, test = nodeid.partition("::")
    folders, _, filename = path.rpartition("/")
    scopes, _, name = test.rpartition("::") if sep else ("", "", "")
    tail = f"::{scopes}::{name}" if scopes else (f"::{name}" if sep else "")
    candidates = []
    if folders:
        first = folders.split("/", 1)[0]
        if first != folders:
            candidates.append(f"{first}/{ELLIPSIS}/{filename}{tail}")
        candidates.append(f"{ELLIPSIS}/{filename}{tail}")
    if scopes:
        candidates.append(f"{ELLIPSIS}/{filename}::{ELLIPSIS}::{name}")
        tail = f"::{ELLIPSIS}::{name}"
    for candidate in candidates:
        if len(candidate) <= width:
            return candidate
    # The file's name, cut on its left, before the test's name is touched.
    room = width - len(tail)
    if sep and room >= 4:
        return ELLIPSIS + filename[len(filename) - room + 1 :] + tail
    if sep:
        name_only = f"{ELLIPSIS}::{name}"
        if len(name_only) <= width:
            return name_only
        return name_only[:3] + _cut_name(name, width - 3) if width >= 12 else _cut_name(name, width)
    return ELLIPSIS + nodeid[len(nodeid) - width + 1 :]


def _cut_name(name: str, width: int) -> str:
    """A test name too long for ``width``, cut in its middle: its start and its end stay, and
    a parametrized test's parameters (``[...]``) stay whole while they take at most half the
    width — they are what tells its rows apart."""
    if len(name) <= width:
        return name
    if width < 3:
        return name[:width]
    base, bracket, params = name.partition("[")
    params = bracket + params
    if params and len(params) <= width // 2:
        return base[: width - 1 - len(params)] + ELLIPSIS + params
    head = width // 2
    tail = width - 1 - head
    return name[:head] + ELLIPSIS + name[len(name) - tail :]

"""Core features the TUI drives that land in their own issues: affected selection (issue 3:
``gateui.core.affected``), watch mode (issue 3: ``gateui.core.watch``) and the PR gate (issue 5:
``gateui.core.gate``). Affected selection and watch mode are wired; the gate is not yet.

Each is looked up, never imported blindly, so the TUI works before it lands. Wiring one in
touches this module and the app's matching action (``action_run_affected``,
``action_toggle_watch``, ``action_run_gate``) and nothing else.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from gateui.core.bookkeeping import Bookkeeping
from gateui.core.discovery import Project
from gateui.core.run_plan import RunRequest
from gateui.tui.model import Planned

AFFECTED_MISSING = "affected selection not available yet (it comes with gateui.core.affected)"
WATCH_MISSING = "watch mode not available yet (it comes with gateui.core.watch)"
GATE_MISSING = "the PR gate is not available yet (it comes with gateui.core.gate)"
NOT_WIRED = "{what} is in the core but not wired into the TUI yet"


def _present(module: str, attribute: str) -> bool:
    try:
        if importlib.util.find_spec(module) is None:
            return False
        return hasattr(importlib.import_module(module), attribute)
    except Exception:  # a module half-written by its issue is simply not there yet
        return False


def affected_unavailable() -> str | None:
    """Why ``r`` cannot run affected tests, or None when it can."""
    return None if _present("gateui.core.affected", "plan_affected") else AFFECTED_MISSING


def plan_affected_run(
    projects: Sequence[Project], request: RunRequest, books: Bookkeeping, workdir: Path
) -> Planned:
    """The core's affected selection for the working tree's change against HEAD."""
    from gateui.core.affected import plan_affected
    from gateui.printers import describe_selection

    assert books.store is not None, "affected runs need the dependency store"
    plan = plan_affected(projects, request, books.store, books.results, workdir)
    return Planned(plan.commands, header=describe_selection(plan))


def watch_unavailable() -> str | None:
    """Why ``w`` cannot turn watch mode on, or None when it can."""
    return None if _present("gateui.core.watch", "WatchSession") else WATCH_MISSING


def gate_unavailable() -> str | None:
    """Why ``g`` cannot run the gate (the header badge stays "unknown"), or None."""
    if importlib.util.find_spec("gateui.core.gate") is None:
        return GATE_MISSING
    return NOT_WIRED.format(what="the PR gate")

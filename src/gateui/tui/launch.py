"""``gateui watch`` opens the TUI through here (``gateui.cli.watch`` looks this module up)."""

from __future__ import annotations

from pathlib import Path

from gateui.core.plan.run_plan import RunRequest


def open_tui(repo_root: Path, *, watch: bool = True, request: RunRequest | None = None) -> int:
    """The dashboard with watch mode on, watching what ``request`` selects (a suite, ``-m``)."""
    from gateui.tui import has_terminal, run_tui

    if not has_terminal():
        raise SystemExit("gateui: the dashboard needs a terminal; use `gateui watch --no-tui`")
    custom = request if request is not None and (request.suite or request.markers) else None
    return run_tui(repo_root, watch=watch, watch_request=custom)

"""The Textual TUI. Importing this package does not import Textual: the CLI launches the app
through ``run_tui`` only when a command opens it."""

from __future__ import annotations

import sys
from pathlib import Path

from gateui.core.discovery.discover import find_repo_root
from gateui.core.plan.run_plan import RunRequest
from gateui.wording import home_relative


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_tui(
    path: Path,
    *,
    watch: bool = False,
    repo_label: str | None = None,
    watch_request: RunRequest | None = None,
) -> int:
    """Open the dashboard on the repository containing ``path``; returns the exit code."""
    from gateui.tui.app import GateuiApp

    repo_root = find_repo_root(path)
    label = repo_label or home_relative(repo_root)
    app = GateuiApp(
        repo_root,
        watch=watch,
        repo_label=label,
        watch_request=watch_request,
        precompute_gate=True,
    )
    code = app.run()
    if app.return_code:
        return app.return_code  # Textual's own: 1 after a crash (its traceback is printed)
    return code if isinstance(code, int) else 0

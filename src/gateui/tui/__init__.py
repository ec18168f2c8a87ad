"""The Textual TUI. Importing this package does not import Textual: the CLI registers the
``tui`` command from here and starts the app only when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gateui.core.discovery.discover import find_repo_root
from gateui.core.plan.run_plan import RunRequest


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
    label = repo_label or _home_relative(repo_root)
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


def _home_relative(path: Path) -> str:
    home = Path.home()
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


def register(commands: Any) -> None:
    """Add ``gateui tui [PATH]`` (``gateui`` and ``gateui PATH`` open it too)."""
    tui = commands.add_parser("tui", help="open the live dashboard (the default command)")
    tui.add_argument("path", nargs="?", default=".", help="repository (default: here)")
    tui.set_defaults(handler=cmd_tui)


def cmd_tui(args: argparse.Namespace, extra: Sequence[str]) -> int:
    if not has_terminal():
        sys.stderr.write(
            "gateui: the dashboard needs a terminal; use `gateui run` or `gateui discover` "
            "in scripts\n"
        )
        return 2
    return run_tui(Path(args.path))

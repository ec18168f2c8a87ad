"""``gateui tui [PATH]`` (and ``gateui``, ``gateui PATH``): launch the dashboard."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gateui.cli.exit_codes import EXIT_USAGE


def register(commands: Any) -> None:
    tui = commands.add_parser("tui", help="open the live dashboard (the default command)")
    tui.add_argument("path", nargs="?", default=".", help="repository (default: here)")
    tui.set_defaults(handler=cmd_tui)


def cmd_tui(args: argparse.Namespace, extra: Sequence[str]) -> int:
    # The TUI package is imported only here: no other command pays for it.
    from gateui.tui import has_terminal, run_tui

    if not has_terminal():
        sys.stderr.write(
            "gateui: the dashboard needs a terminal; use `gateui run` or `gateui discover` "
            "in scripts\n"
        )
        return EXIT_USAGE
    return run_tui(Path(args.path))

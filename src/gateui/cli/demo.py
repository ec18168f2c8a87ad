"""``gateui demo``: the TUI on a fresh copy of the bundled sample repository, with watch mode on;
without a terminal, discovery and a live run there instead."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from typing import Any

from gateui.cli import discover, run
from gateui.cli.exit_codes import EXIT_OK
from gateui.demo import make_demo_repo


def register(commands: Any) -> None:
    demo = commands.add_parser("demo", help="try gateui on a bundled sample repository")
    demo.add_argument("--keep", action="store_true", help="keep the sample repository afterwards")
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace, extra: Sequence[str]) -> int:
    return run_demo(keep=args.keep)


def run_demo(keep: bool = False) -> int:
    from gateui.tui import has_terminal

    repo = make_demo_repo()
    try:
        if has_terminal():
            from gateui.tui import run_tui

            return run_tui(repo, watch=True, repo_label=f"demo: {repo}")
        sys.stdout.write(f"gateui demo: sample repository at {repo} (no terminal: no TUI)\n")
        code = discover.cmd_discover(repo, as_json=False, out=sys.stdout)
        if code == EXIT_OK:
            code = run.cmd_run(_run_arguments("-C", str(repo)), (), sys.stdout)
        return code
    finally:
        if keep:
            sys.stdout.write(f"kept {repo}\n")
        else:
            shutil.rmtree(repo.parent, ignore_errors=True)


def _run_arguments(*argv: str) -> argparse.Namespace:
    """``gateui run ARGV``'s arguments, parsed by the run command's own parser."""
    parser = argparse.ArgumentParser(prog="gateui")
    run.register(parser.add_subparsers())
    return parser.parse_args(["run", *argv])

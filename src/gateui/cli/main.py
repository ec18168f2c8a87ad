"""The ``gateui`` command: the parser and the dispatch to one module per command. No decisions
live here beyond turning results into exit codes (``exit_codes``)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gateui import __version__
from gateui.cli.command_line import command_word
from gateui.cli.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from gateui.cli.signals import unwind_on_termination
from gateui.cli.stdout_guard import (
    OutputLost,
    finish_stdout,
    guard_stdout,
    silence_stdout,
    stdout_closed,
)
from gateui.core.common.errors import GateuiError

if TYPE_CHECKING:
    import argparse

    from gateui.core.running.warm_early import EarlyStart

COMMAND_MODULES = {
    "discover": "gateui.cli.discover",
    "run": "gateui.cli.run",
    "demo": "gateui.cli.demo",
    "tui": "gateui.cli.tui",
    "watch": "gateui.cli.watch",
    "explain": "gateui.cli.watch",
    "gate": "gateui.cli.gate",
    "hook": "gateui.cli.gate",
}
"""Each command and the module that registers it. A command line names one: only its module is
imported (every command module pulls in its own part of the core, and a pre-push check pays for
each import), while ``--help`` and a mistyped command see them all."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser: every command, or only ``command``'s (one of ``COMMAND_MODULES``)."""
    import argparse  # here: `gateui run` starts its warm process before it needs it

    parser = argparse.ArgumentParser(
        prog="gateui",
        description="Run a repository's test gates locally: suites, live results, the PR gate.",
    )
    parser.add_argument("--version", action="version", version=f"gateui {__version__}")
    parser.add_argument(
        "-C",
        dest="chdir",
        action="append",
        default=[],
        metavar="DIR",
        help="run as if started in DIR (as git -C; paths after it are relative to DIR)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    # Each command registers itself from its own module: register(commands) adds a sub-parser
    # with set_defaults(handler=fn(args, extra) -> int).
    modules = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else COMMAND_MODULES.values()
    for name in dict.fromkeys(modules):
        importlib.import_module(name).register(commands)
    return parser


def _default_to_tui(argv: list[str]) -> list[str]:
    """``gateui`` and ``gateui PATH`` mean ``gateui tui [PATH]``: a first word that is neither a
    command nor an option is the repository to open."""
    if not argv:
        return ["tui"]
    start = 0
    while start + 1 < len(argv) and argv[start] == "-C":
        start += 2  # gateui -C DIR [COMMAND …]
    if start == len(argv):
        return [*argv, "tui"]
    first = argv[start]
    if first not in COMMAND_MODULES and not first.startswith("-"):
        return [*argv[:start], "tui", *argv[start:]]
    return argv


def change_directory(args: argparse.Namespace) -> None:
    """``-C DIR`` before or after the command, as ``git -C``: gateui works as if started in
    DIR, so the repository is found from there and every path given after it is relative to
    it. Several apply in turn, each relative to the one before."""
    folders = list(args.chdir)
    if getattr(args, "repo", ".") not in (".", None):
        folders.append(args.repo)
        args.repo = "."
    for folder in folders:
        try:
            os.chdir(folder)
        except OSError as exc:
            raise GateuiError(f"-C {folder}: {exc.strerror or exc}") from exc


def main(
    argv: Sequence[str] | None = None,
    *,
    early: EarlyStart | None = None,
    early_tried: bool = False,
) -> int:
    """The command line ``argv``; its exit code. ``early``: the warm process the console entry
    started before importing this module (``entry``), if it tried (``early_tried``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first `--` goes to pytest untouched.
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    unwind_on_termination()
    argv = _default_to_tui(argv)
    command = command_word(argv)
    early_warm = None
    if command == "run":
        # Its warm process starts before anything else, argument parsing included: its start-up
        # overlaps all of gateui's own (``core.running.warm_hint``).
        from gateui.cli.run import early_warm as start_early_warm

        early_warm = start_early_warm(argv, early, early_tried)
    try:
        parser = build_parser(command)
        args = parser.parse_args(argv)
        args.early_warm = early_warm
        if stdout_closed():
            # Decided before anything runs: a file opened later would take descriptor 1 over.
            sys.stderr.write("gateui: standard output is closed: nowhere to write results\n")
            return EXIT_USAGE
        guard_stdout()
        code = _dispatch(args, extra)
    finally:
        if early_warm is not None:
            early_warm.close()
    lost = finish_stdout()
    if lost is not None:
        sys.stderr.write(f"gateui: cannot write to standard output: {lost}\n")
        return EXIT_USAGE
    return code


def _dispatch(args: argparse.Namespace, extra: list[str]) -> int:
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            build_parser().print_help(sys.stderr)
            return EXIT_USAGE
        change_directory(args)
        # A gateui killed outright (kill -9) could not remove its temporary folders and gate
        # worktrees: the next command does. (Imported here: not every command needs git's
        # helpers before its own work starts, ``gateui run`` its warm process.)
        from gateui.core.gate.gitops import remove_stale_leftovers

        remove_stale_leftovers()
        code: int = handler(args, extra)
        return code
    except GateuiError as exc:
        sys.stderr.write(f"gateui: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("gateui: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`gateui run | head`): stop quietly, like other Unix tools.
        silence_stdout()
        return EXIT_FAILED
    except OutputLost as exc:
        # Closed under us or full (`> /dev/full`): one line, and nothing left to flush.
        silence_stdout()
        sys.stderr.write(f"gateui: cannot write to standard output: {exc.strerror}\n")
        return EXIT_USAGE

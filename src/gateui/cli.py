"""The ``gateui`` command: argument parsing and printing over the core. No decisions live here
beyond turning results into exit codes: 0 green, 1 tests failed, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from gateui import __version__
from gateui.core.common.errors import GateuiError
from gateui.core.discovery.discover import (
    Discovery,
    ProjectDiscovery,
    collect_project,
    find_repo_root,
    load_projects,
    static_view,
)
from gateui.core.plan.run_plan import (
    NO_TESTS_COLLECTED,
    RunRequest,
    RunSession,
    other_test_projects,
    plan_run,
)
from gateui.core.running.events import RunSummary
from gateui.discover_output import discovery_json, print_discovery, print_static
from gateui.printers import JsonPrinter, PlainPrinter

if TYPE_CHECKING:
    from gateui.core.selection.affected import AffectedPlan
    from gateui.core.selection.bookkeeping import Bookkeeping

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130


class _Terminated(SystemExit):
    """Raised in the main thread on SIGTERM/SIGHUP so every ``finally`` (process-group kills,
    worktree removal) runs before gateui exits."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise _Terminated(128 + signum)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gateui",
        description="Run a repository's test gates locally: suites, live results, the PR gate.",
    )
    parser.add_argument("--version", action="version", version=f"gateui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    discover = commands.add_parser("discover", help="list projects, suites, markers and problems")
    discover.add_argument("path", nargs="?", default=".", help="repository (default: here)")
    discover.add_argument("--json", action="store_true", help="machine-readable output")
    discover.set_defaults(handler=lambda a, extra: cmd_discover(Path(a.path), a.json, sys.stdout))

    run = commands.add_parser(
        "run",
        help="run a suite, marker expression or paths with live results",
        description="Extra pytest arguments go after `--`.",
    )
    run.add_argument("targets", nargs="*", metavar="SUITE|PATH", help="a suite name and/or paths")
    run.add_argument("-m", dest="markers", metavar="EXPR", help="pytest marker expression")
    run.add_argument("-k", dest="keyword", metavar="EXPR", help="pytest keyword expression")
    run.add_argument("--json", action="store_true", help="one JSON event per line")
    run.add_argument(
        "--affected", action="store_true", help="only the tests the current change can affect"
    )
    run.add_argument(
        "--since", metavar="REF", help="with --affected: changes since the merge base with REF"
    )
    run.add_argument(
        "--no-record", action="store_true", help="do not record what each test executes"
    )
    run.add_argument(
        "-C", dest="repo", default=".", metavar="DIR", help="repository (default: here)"
    )
    run.set_defaults(handler=lambda a, extra: cmd_run(a, extra, sys.stdout))

    demo = commands.add_parser("demo", help="try gateui on a bundled sample repository")
    demo.add_argument("--keep", action="store_true", help="keep the sample repository afterwards")
    demo.set_defaults(handler=_cmd_demo)
    from gateui import tui

    tui.register(commands)
    # Further commands register themselves here, each from its own module:
    # register(commands) adds a sub-parser with set_defaults(handler=fn(args, extra) -> int).
    from gateui import cli_watch

    cli_watch.register(commands)
    from gateui import cli_gate

    cli_gate.register(commands)
    return parser


def _cmd_demo(args: argparse.Namespace, extra: Sequence[str]) -> int:
    from gateui.demo import run_demo

    return run_demo(keep=args.keep)


def _default_to_tui(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``gateui`` and ``gateui PATH`` mean ``gateui tui [PATH]``: a first word that is neither a
    command nor an option is the repository to open."""
    commands = next(
        (a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {}
    )
    if not argv:
        return ["tui"]
    if argv[0] not in (commands or {}) and not argv[0].startswith("-"):
        return ["tui", *argv]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first `--` goes to pytest untouched.
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    parser = build_parser()
    args = parser.parse_args(_default_to_tui(parser, argv))
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            build_parser().print_help(sys.stderr)
            return EXIT_USAGE
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
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED


# -- discover -----------------------------------------------------------------------------------
def discover(path: Path, on_static: TextIO | None = None) -> Discovery:
    """Static view of every project at once (printed to ``on_static``), then real collection."""
    repo_root = find_repo_root(path)
    projects = load_projects(repo_root)
    workers = max(1, min(len(projects), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # pytest starts first; the static view is read while it collects.
        futures = [pool.submit(collect_project, p) for p in projects]
        if on_static is not None:
            for project in projects:
                view, _ = static_view(project)
                print_static(view, on_static)
        reports: list[ProjectDiscovery] = [f.result() for f in futures]
    from gateui.cli_gate import describe_gate

    return Discovery(repo_root=repo_root, projects=tuple(reports), gate=describe_gate(repo_root))


def cmd_discover(path: Path, as_json: bool, out: TextIO) -> int:
    result = discover(path, on_static=None if as_json else out)
    if as_json:
        out.write(json.dumps(discovery_json(result), indent=2) + "\n")
    else:
        print_discovery(result, out)
        from gateui.gate_output import print_gate_description

        print_gate_description(result.gate, out)
    if any(p.interpreter_error for p in result.projects):
        return EXIT_USAGE
    return EXIT_OK


# -- run ------------------------------------------------------------------------------------------
def split_targets(targets: Sequence[str], cwd: Path) -> tuple[str | None, list[str]]:
    """Tell a suite name from paths: what exists, or looks like a path or node id, is a path."""
    suite: str | None = None
    paths: list[str] = []
    for target in targets:
        file_part, sep, rest = target.partition("::")
        candidate = (cwd / file_part).resolve()
        if candidate.exists() or sep or "/" in file_part or file_part.endswith(".py"):
            if not candidate.exists():
                raise GateuiError(f"{file_part}: no such file or directory")
            paths.append(str(candidate) + sep + rest)
        elif suite is None:
            suite = target
        else:
            raise GateuiError(f"one suite at a time: got {suite!r} and {target!r}")
    return suite, paths


def cmd_run(args: argparse.Namespace, extra: Sequence[str], out: TextIO) -> int:
    # Imported here: selection and the dependency store cost every other command start-up time.
    from gateui.core.selection.affected import plan_affected, with_recording
    from gateui.core.selection.bookkeeping import Bookkeeping
    from gateui.core.selection.depstore import DepStore

    cwd = Path.cwd()
    repo_root = find_repo_root(Path(args.repo) if args.repo != "." else cwd)
    suite, paths = split_targets(args.targets, cwd)
    projects = load_projects(repo_root)
    if not projects and not other_test_projects(repo_root):
        raise GateuiError(f"{repo_root}: no test projects found")
    if args.since and not args.affected:
        raise GateuiError("--since goes with --affected")
    request = RunRequest(
        suite=suite,
        markers=args.markers,
        keyword=args.keyword,
        paths=tuple(paths),
        extra_args=tuple(extra),
    )
    record = not args.no_record
    store = DepStore(repo_root) if record or args.affected else None
    books = Bookkeeping(repo_root, store if record else None)
    printer = make_printer(args.json, out)
    with tempfile.TemporaryDirectory(prefix="gateui-") as workdir:
        if args.affected:
            assert store is not None
            plan = plan_affected(
                projects,
                request,
                store,
                books.results,
                Path(workdir),
                args.since,
                record=record,
                repo_root=repo_root,
            )
            commands = plan.commands
            if not args.json:
                print_selection_header(plan, out)
        else:
            commands = plan_run(projects, request, repo_root)
            if record:
                commands = with_recording(commands, repo_root)
        return stream_run(RunSession(commands), printer, books)


def make_printer(as_json: bool, out: TextIO) -> JsonPrinter | PlainPrinter:
    if as_json:
        return JsonPrinter(out)
    tty = out.isatty()
    return PlainPrinter(out, colour=tty and "NO_COLOR" not in os.environ, tty=tty)


def print_selection_header(plan: AffectedPlan, out: TextIO) -> None:
    from gateui.wording import describe_selection

    out.write(describe_selection(plan) + "\n")
    out.flush()


def stream_run(session: RunSession, printer: JsonPrinter | PlainPrinter, books: Bookkeeping) -> int:
    """Print a run live and keep its results; the exit code as ``run`` documents it."""
    summary: RunSummary | None = None
    try:
        for event in session.events():
            printer.handle(event)
            books.handle(event)
            if isinstance(event, RunSummary):
                summary = event
    except KeyboardInterrupt:
        # The generator's cleanup has already killed the process group.
        session.cancel()
        sys.stderr.write("gateui: run cancelled\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        session.cancel()  # nobody reads the results: the tests stop too
        raise
    finally:
        # Tests that finished keep their results, also when the run was cut short.
        books.save()
    assert summary is not None
    if not session.commands:
        return EXIT_OK  # nothing was affected: nothing to run, nothing failed
    return run_exit_code(summary)


def run_exit_code(summary: RunSummary) -> int:
    """0 green; 1 failed, crashed, or nothing ran (CI fails pytest's exit 5 too); 2 pytest could
    not start (usage error in arguments or configuration), with pytest's own words."""
    if summary.cancelled:
        return EXIT_INTERRUPTED
    if summary.exit_decides:
        return EXIT_OK if summary.ok else EXIT_FAILED  # a command: its exit status is the verdict
    if summary.exitstatus in (3, 4) and summary.selected == 0 and not summary.crash_message:
        tail = "\n".join(line for line in summary.output_tail if line.strip())
        sys.stderr.write(f"gateui: pytest could not run (exit {summary.exitstatus}):\n{tail}\n")
        return EXIT_USAGE
    if summary.exitstatus == NO_TESTS_COLLECTED and summary.selected == 0:
        sys.stderr.write("gateui: no tests were collected (pytest exit 5; CI fails on this too)\n")
        return EXIT_FAILED
    return EXIT_OK if summary.ok else EXIT_FAILED

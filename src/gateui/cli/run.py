"""``gateui run``: a suite, marker or keyword expression, or paths, with live results; with
``--affected``, only the tests the current change can affect."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

# Only what registering the command and starting its warm process need is imported here; the
# rest comes in ``cmd_run``, once the warm process is starting beside it (``warm_hint``).
from gateui.cli.command_line import early_start
from gateui.cli.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from gateui.cli.report_options import add_report_options, report_args
from gateui.cli.signals import Terminated, interruption
from gateui.core.common.errors import GateuiError

if TYPE_CHECKING:
    import argparse

    from gateui.cli.printers import JsonPrinter, PlainPrinter
    from gateui.core.plan.run_plan import RunRequest, RunSession
    from gateui.core.running.events import RunSummary
    from gateui.core.running.junit_writer import JunitWriter
    from gateui.core.running.warm import WarmPool
    from gateui.core.running.warm_early import EarlyStart
    from gateui.core.selection.affected import AffectedPlan
    from gateui.core.selection.bookkeeping import Bookkeeping

EXIT_NOTHING_IN_SCOPE = -1
"""Internal: an affected run with nothing in the requested scope (reported, then exit 0)."""


def register(commands: Any) -> None:
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
        "-C", dest="repo", default=".", metavar="DIR", help="run as if started in DIR (as git -C)"
    )
    add_report_options(run)
    run.add_argument(
        "--junitxml", metavar="PATH", help="also write the results as one JUnit XML file"
    )
    run.set_defaults(handler=lambda a, extra: cmd_run(a, extra, sys.stdout))


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
    from gateui.cli.printers import JsonPrinter, make_printer

    printer = make_printer(args.json, out, args.tb, args.verbose)
    try:
        return _run(args, extra, printer, out, getattr(args, "early_warm", None))
    except (GateuiError, KeyboardInterrupt, Terminated) as exc:
        # Before the run streams (a bad suite name, Ctrl-C while planning): the JSON stream
        # still ends with its summary, saying why.
        if isinstance(printer, JsonPrinter) and not printer.finished:
            printer.handle(unfinished_summary(exc))
        raise


def early_warm(
    argv: Sequence[str], early: EarlyStart | None = None, tried: bool = False
) -> WarmPool | None:
    """For ``gateui [-C DIR]… run …``, before its arguments are even parsed: a pool holding the
    warm process of the project the repository's last run went to, starting now
    (``warm_early``; ``early`` when the console entry started it already, having ``tried``).
    The caller closes it. None when there is none to start (``--help``, no repository found, no
    run before this one, its checks failed)."""
    if not tried:
        early = early_start(argv)
    if early is None:
        return None
    from gateui.core.running.warm_hint import adopt

    return adopt(early)


def unfinished_summary(exc: BaseException) -> RunSummary:
    from gateui.core.running.events import RunSummary

    if isinstance(exc, GateuiError):
        return RunSummary(0, 0, 0, 0, 0, None, 0.0, incomplete=str(exc), error=str(exc))
    return RunSummary(0, 0, 0, 0, 0, None, 0.0, cancelled=True, incomplete=interruption(exc))


def _run(
    args: argparse.Namespace,
    extra: Sequence[str],
    printer: JsonPrinter | PlainPrinter,
    out: TextIO,
    early: WarmPool | None,
) -> int:
    from gateui.cli.config_check import check_config
    from gateui.core.common.owned_dirs import owned_tempdir
    from gateui.core.discovery.discover import find_repo_root, load_projects
    from gateui.core.layout.projects import repo_files
    from gateui.core.plan.run_plan import RunRequest, RunSession, other_test_projects, plan_run
    from gateui.core.running.warm import WarmPool, warm_enabled

    # Imported here: selection and the dependency store cost every other command start-up time
    # (and the selector, a plain `run --no-record` too: it is imported only where it is used).
    from gateui.core.selection.bookkeeping import Bookkeeping

    cwd = Path(args.repo).resolve()
    repo_root = find_repo_root(cwd)
    suite, paths = split_targets(args.targets, cwd)
    # The tree is listed once per command: projects, selection and the mix projects share it.
    files = repo_files(repo_root)
    projects = load_projects(repo_root, files)
    check_config(repo_root)
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
        report_args=report_args(args.tb, args.verbose),
    )
    record = not args.no_record
    store = None
    if record or args.affected:
        from gateui.core.selection.depstore import DepStore

        store = DepStore(repo_root)
    books = Bookkeeping(repo_root, store if record else None)
    scope: str | None = None
    # The store is closed before the command returns: SQLite folds its write-ahead log back
    # into the database only on a clean close (the process does not tear down to do it).
    with contextlib.ExitStack() as closing, owned_tempdir("gateui-") as workdir:
        if store is not None:
            closing.callback(store.close)
        if args.affected:
            from gateui.core.selection.affected import plan_affected

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
                files=files,
            )
            commands = plan.commands
            if not args.json:
                print_selection_header(plan, out)
            scope = scope_label(request)
        else:
            commands = plan_run(projects, request, repo_root, files)
            if record:
                # Tests whose recordings are current are not recorded again.
                from gateui.core.selection.kept_recordings import recorded_full_run

                commands, over = recorded_full_run(commands, repo_root, projects, store, files)
                closing.callback(over)  # (before the store: callbacks run last first)
        junit = Path(args.junitxml).resolve() if args.junitxml else None
        # A warm process another gateui keeps for a project (watch mode, the TUI) takes the run
        # when it is up; else the one started early for the project the last run went to does.
        with contextlib.ExitStack() as warm_pool:
            warm = early or warm_pool.enter_context(
                WarmPool(repo_root, enabled=warm_enabled(repo_root), attach_only=True)
            )
            session = RunSession(commands, warm=warm)
            code = stream_run(
                session, printer, books, junit, affected=args.affected, scoped=bool(scope)
            )
        remember_run(repo_root, session, early)
        if code == EXIT_NOTHING_IN_SCOPE:
            if scope:
                (sys.stderr if args.json else out).write(f"nothing affected in {scope}\n")
            return EXIT_OK
        return code


def remember_run(repo_root: Path, session: RunSession, early: WarmPool | None) -> None:
    """Which project's warm process the next run should start early: this run's first pytest
    run (``warm_hint``)."""
    from gateui.core.running.pytest_process import PytestCommand
    from gateui.core.running.warm_hint import remember

    for command in session.commands:
        if isinstance(command, PytestCommand) and command.wrap is None and command.inherit_env:
            remember(repo_root, command.project_root, command.interpreter, command.env, early)
            return


def scope_label(request: RunRequest) -> str | None:
    """How the user narrowed the run, in their words: ``-m slow``, ``suite integration``."""
    parts = []
    if request.suite is not None:
        parts.append(f"suite {request.suite}")
    if request.markers:
        parts.append(f"-m {request.markers}")
    if request.keyword:
        parts.append(f"-k {request.keyword}")
    return " and ".join(parts) or None


def print_selection_header(plan: AffectedPlan, out: TextIO) -> None:
    from gateui.wording import describe_selection

    out.write(describe_selection(plan) + "\n")
    out.flush()


def stream_run(
    session: RunSession,
    printer: JsonPrinter | PlainPrinter,
    books: Bookkeeping,
    junit: Path | None = None,
    affected: bool = False,
    scoped: bool = False,
) -> int:
    """Print a run live and keep its results; the exit code as ``run`` documents it (or
    ``EXIT_NOTHING_IN_SCOPE`` for an affected run whose tests all fell outside the scope). With
    ``junit``, the results are also written there as JUnit XML (also for a run cut short)."""
    from gateui.core.running.events import RunSummary

    summary: RunSummary | None = None
    writer: JunitWriter | None = None
    if junit is not None:
        # Imported here: its XML library is start-up time every other run would pay.
        from gateui.core.running.junit_writer import JunitWriter

        writer = JunitWriter()
    try:
        for event in session.events():
            printer.handle(event)
            books.handle(event)
            if writer is not None:
                writer.handle(event)
            if isinstance(event, RunSummary):
                summary = event
    except (KeyboardInterrupt, Terminated) as stop:
        # The generator's cleanup has already killed the process group. What finished is
        # still summed up (the JSON stream always ends with its summary).
        session.cancel()
        if not printer.finished:
            printer.handle(session.summary_so_far(interruption(stop)))
        sys.stderr.write("gateui: run cancelled\n")
        if isinstance(stop, Terminated):
            raise  # its exit status names the signal
        return EXIT_INTERRUPTED
    except GateuiError as exc:
        session.cancel()
        if not printer.finished:
            printer.handle(session.summary_so_far(str(exc), error=str(exc)))
        raise
    except OSError:
        session.cancel()  # nobody can read the results (a pipe gone, a full disk): tests stop
        raise
    finally:
        # Tests that finished keep their results, also when the run was cut short.
        books.save()
        if writer is not None and junit is not None:
            writer.write(junit, summary)
    assert summary is not None
    if not session.commands:
        # Nothing was affected (in the requested scope): nothing to run, nothing failed.
        return EXIT_NOTHING_IN_SCOPE if affected else EXIT_OK
    if affected:
        return affected_exit_code(summary, scoped)
    return run_exit_code(summary)


def affected_exit_code(summary: RunSummary, scoped: bool) -> int:
    """An affected run that ran no test is never green: either every selected test fell
    outside the requested scope (-m, -k, a suite: pytest deselected them all, which is fine),
    or what was selected could not be run at all (exit 1, saying so)."""
    from gateui.core.plan.run_plan import NO_TESTS_COLLECTED

    if summary.cancelled or summary.exit_decides or summary.selected:
        return run_exit_code(summary)
    clean = not (summary.collection_errors or summary.crashed or summary.crash_message)
    if clean and scoped and summary.exitstatus == NO_TESTS_COLLECTED:
        return EXIT_NOTHING_IN_SCOPE
    if summary.exitstatus in (3, 4) and not summary.crash_message:
        return run_exit_code(summary)
    if not summary.collection_errors:
        sys.stderr.write(
            "gateui: the affected tests could not be run: pytest ran none of them"
            f" (exit {summary.exitstatus})\n"
        )
    return EXIT_FAILED


def run_exit_code(summary: RunSummary) -> int:
    """0 green; 1 failed, crashed, or nothing ran (CI fails pytest's exit 5 too); 2 pytest could
    not start (usage error in arguments or configuration), with pytest's own words."""
    from gateui.core.plan.run_plan import NO_TESTS_COLLECTED

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

"""``gateui watch`` (headless) and ``gateui explain``."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gateui.cli.config_check import check_config
from gateui.cli.exit_codes import EXIT_INTERRUPTED, EXIT_OK
from gateui.cli.printers import JsonPrinter, PlainPrinter
from gateui.cli.report_options import add_report_options, report_args
from gateui.core.common.errors import GateuiError
from gateui.core.common.owned_dirs import owned_tempdir
from gateui.core.discovery.discover import find_repo_root, load_projects
from gateui.core.plan.run_plan import RunRequest
from gateui.core.running.events import RunSummary
from gateui.wording import first_five

if TYPE_CHECKING:
    from gateui.core.selection.depstore import DepStore
    from gateui.core.watch.session import CycleStarted, WatchSession

# Selection and watch machinery are imported by the commands that use them (start-up time of
# every other command).


def register(commands: Any) -> None:
    watch = commands.add_parser(
        "watch", help="rerun the affected tests on every change (the TUI, or --no-tui)"
    )
    watch.add_argument("suite", nargs="?", metavar="SUITE", help="only this suite")
    watch.add_argument("-m", dest="markers", metavar="EXPR", help="pytest marker expression")
    watch.add_argument("--no-tui", action="store_true", help="print results instead of the TUI")
    watch.add_argument("--json", action="store_true", help="with --no-tui: JSON lines")
    watch.add_argument("--no-record", action="store_true", help="do not record dependencies")
    watch.add_argument(
        "-C", dest="repo", default=".", metavar="DIR", help="run as if started in DIR (as git -C)"
    )
    watch.add_argument(
        "--clear", action="store_true", help="with --no-tui: clear the screen before each cycle"
    )
    watch.add_argument(
        "--now", action="store_true", help="run the tests at once, before the first change"
    )
    add_report_options(watch)
    watch.set_defaults(handler=cmd_watch)

    explain = commands.add_parser(
        "explain", help="say why a test (or a test file's tests) is or is not affected"
    )
    explain.add_argument("target", metavar="NODEID|FILE")
    explain.add_argument("--since", metavar="REF", help="changes since the merge base with REF")
    explain.add_argument("--json", action="store_true", help="machine-readable output")
    explain.add_argument("-C", dest="repo", default=".", metavar="DIR", help="repository")
    explain.set_defaults(handler=cmd_explain)


def cmd_watch(args: argparse.Namespace, extra: Sequence[str]) -> int:
    repo_root = find_repo_root(Path(args.repo))
    projects = load_projects(repo_root)
    check_config(repo_root)
    from gateui.core.plan.run_plan import other_test_projects

    if not projects and not other_test_projects(repo_root):
        raise GateuiError(f"{repo_root}: no test projects found")
    from gateui.core.watch.session import WatchSession

    request = RunRequest(
        suite=args.suite,
        markers=args.markers,
        extra_args=tuple(extra),
        report_args=report_args(args.tb, args.verbose),
    )
    if not args.no_tui:
        opened = _open_tui(repo_root, request)
        if opened is not None:
            return opened
        sys.stderr.write("gateui: the TUI is not available here; watching with --no-tui\n")
    session = WatchSession(
        projects,
        request,
        record=not args.no_record,
        repo_root=repo_root,
        initial=not args.now,
    )
    from gateui.cli.watch_keys import TerminalKeys, WatchKeys, keys_possible

    keys = WatchKeys(session, projects, repo_root, request, sys.stdout)
    if args.now:
        keys.press("a", lambda prompt: "")
    terminal = TerminalKeys(keys) if keys_possible(sys.stdin) and not args.json else None
    style = WatchStyle(args.json, args.clear, args.tb, args.verbose, keys=terminal is not None)
    if terminal is not None:
        terminal.start()
    try:
        return print_watch(session, style, sys.stdout)
    finally:
        if terminal is not None:
            terminal.close()


def _open_tui(repo_root: Path, request: RunRequest) -> int | None:
    """The TUI in watch mode, when the TUI package provides ``open_tui``."""
    import importlib

    try:
        launch = importlib.import_module("gateui.tui.launch")
    except ImportError:
        return None
    opener = getattr(launch, "open_tui", None)
    if opener is None:
        return None
    return int(opener(repo_root, watch=True, request=request))


@dataclass(frozen=True)
class WatchStyle:
    """How ``watch --no-tui`` prints: JSON or text, a clear screen per cycle, the failure
    reports' ``--tb`` style and verbosity, and whether keys are read."""

    as_json: bool = False
    clear: bool = False
    tb: str | None = None
    verbose: int = 0
    keys: bool = False


def print_watch(session: WatchSession, style: WatchStyle | bool, out: TextIO) -> int:
    """The same live stream as ``gateui run`` for each cycle, with a header per cycle; its
    failures reported in full at the end of each cycle."""
    from gateui.cli.printers import make_printer
    from gateui.cli.watch_keys import USAGE
    from gateui.core.watch.session import CycleFinished, CycleStarted, Idle

    if isinstance(style, bool):
        style = WatchStyle(as_json=style)
    as_json = style.as_json
    printer: JsonPrinter | PlainPrinter = make_printer(as_json, out, style.tb, style.verbose)
    try:
        for event in session.events():
            if isinstance(event, CycleStarted):
                printer = make_printer(as_json, out, style.tb, style.verbose)
                if style.clear and not as_json:
                    out.write("\x1b[2J\x1b[3J\x1b[H")  # the screen and its scrollback
                _cycle_header(event, as_json, out)
            elif isinstance(event, CycleFinished):
                if event.interrupted and not as_json:
                    out.write("interrupted by a new change: its unfinished tests run next\n")
            elif isinstance(event, Idle):
                if as_json:
                    out.write(json.dumps({"event": "idle", "message": event.message}) + "\n")
                else:
                    out.write(f"… {event.message} (Ctrl-C to stop)\n")
                    if style.keys:
                        out.write(USAGE + "\n")
                out.flush()
            elif isinstance(event, RunSummary) and _nothing_to_say(event) and not as_json:
                continue
            else:
                printer.handle(event)
    except KeyboardInterrupt:
        # Ctrl-C is how watch mode ends; the exit code says so, as for every command.
        session.stop()
        return EXIT_INTERRUPTED
    return EXIT_OK


def _nothing_to_say(summary: RunSummary) -> bool:
    """A cycle that selected nothing: no summary line (a filter that deselects all says so)."""
    return not (summary.selected or summary.deselected or summary.collection_errors)


def _cycle_header(event: CycleStarted, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(
            json.dumps(
                {
                    "event": "cycle",
                    "changed": list(event.changed),
                    "selected_tests": event.tests,
                    "selected_files": event.files,
                    "whole_projects": list(event.whole_projects),
                    "carried_over": event.carried_over,
                    "known_tests": event.known_tests,
                    "manual": event.manual or None,
                }
            )
            + "\n"
        )
        out.flush()
        return
    if event.manual:
        out.write(f"── running {event.manual}\n")
        out.flush()
        return
    shown = first_five(list(event.changed))
    parts = []
    if event.tests:
        parts.append(f"{event.tests} tests")
    if event.files:
        parts.append(f"{event.files} test files")
    if event.whole_projects:
        parts.append("whole project " + ", ".join(event.whole_projects))
    selected = " + ".join(parts) or "nothing"
    known = f" of {event.known_tests} known" if event.known_tests else ""
    out.write(f"── changed: {shown or 'nothing'} → selected {selected}{known}\n")
    if event.carried_over:
        out.write(f"   (+{event.carried_over} carried over from the interrupted run)\n")
    for note in event.notes:
        out.write(f"   note: {note}\n")
    out.flush()


def cmd_explain(args: argparse.Namespace, extra: Sequence[str]) -> int:
    from gateui.core.running.results import ResultsStore
    from gateui.core.selection.affected import plan_affected
    from gateui.core.selection.changes import changed_files
    from gateui.core.selection.depstore import DepStore
    from gateui.core.selection.selector import environment_key

    repo_root = find_repo_root(Path(args.repo))
    projects = load_projects(repo_root)
    check_config(repo_root)
    target = args.target
    file_part, sep, rest = target.partition("::")
    absolute = (Path.cwd() / file_part).resolve()
    if not absolute.exists() and not (repo_root / file_part).exists():
        raise GateuiError(f"{file_part}: no such file")
    if not absolute.exists():
        absolute = repo_root / file_part
    rel = absolute.relative_to(repo_root).as_posix()
    key = rel + sep + rest
    _check_named_test(absolute, rel, rest)
    store = DepStore(repo_root)
    results = ResultsStore.load(repo_root)
    try:
        with owned_tempdir("gateui-") as workdir:
            plan = plan_affected(
                projects, RunRequest(), store, results, Path(workdir), args.since, record=False
            )
        changes = changed_files(repo_root, args.since)
        lines: list[str] = []
        verdicts: list[dict[str, Any]] = []
        as_now: dict[tuple[str, str], set[str]] = {}  # (env, changed file) → its tests as it is
        for chosen in plan.selection.projects:
            env = environment_key(chosen.project.interpreter)
            recorded = store.tests(env)
            candidates = [
                n
                for n in recorded
                if n == key or n.startswith(key + "::") or n.startswith(key + "[")
            ] or [key]
            for nodeid in candidates:
                if chosen.project.rel != "." and not nodeid.startswith(chosen.project.rel + "/"):
                    continue
                reason = chosen.reason_for(nodeid)
                executed = store.executed_by(env, nodeid)
                if reason is None:
                    changed = sorted(plan.selection.changed & executed.keys())
                    current = [
                        rel
                        for rel in changed
                        if nodeid in _recorded_at(store, env, repo_root, rel, as_now)
                    ]
                    reason = _why_not(executed, nodeid in recorded, current)
                    selected = False
                else:
                    selected = True
                verdict = {
                    "nodeid": nodeid,
                    "selected": selected,
                    "reason": reason,
                    "executed": executed,
                }
                verdicts.append(verdict)
        if args.json:
            sys.stdout.write(
                json.dumps({"changed": sorted(plan.selection.changed), "tests": verdicts}, indent=2)
                + "\n"
            )
            return 0
        shown = ", ".join(sorted(plan.selection.changed)) or "nothing"
        lines.append(
            f"changed since {changes.base[:12] if changes.base else 'the recordings'}: {shown}"
        )
        if not verdicts:
            lines.append(f"{key}: not part of any test project")
        for verdict in verdicts:
            state = "selected" if verdict["selected"] else "not selected"
            lines.append(f"{verdict['nodeid']}: {state} — {verdict['reason']}")
        sys.stdout.write("\n".join(lines) + "\n")
        return 0
    finally:
        store.close()


def _check_named_test(path: Path, rel: str, rest: str) -> None:
    """A node id's test or class must at least be named in its file (defined or imported
    there), or it names no test: a typo is an error, not "not selected"."""
    if not rest or not path.is_file():
        return
    name = re.split(r"::|\[", rest, maxsplit=1)[0]
    text = path.read_text(encoding="utf-8", errors="replace")
    if not re.search(rf"\b{re.escape(name)}\b", text):
        raise GateuiError(f"{rel}::{rest}: {rel} has no test or class named {name}")


def _recorded_at(
    store: DepStore, env: str, repo_root: Path, rel: str, known: dict[tuple[str, str], set[str]]
) -> set[str]:
    """The tests recorded against ``rel`` as it is on disk (asked once per file: ``known``)."""
    from gateui.core.selection.changes import file_blob

    if (env, rel) not in known:
        blob = file_blob(repo_root / rel)
        known[env, rel] = set() if blob is None else store.ran_against(env, rel, blob)
    return known[env, rel]


def _why_not(executed: dict[str, list[str]], recorded: bool, ran_now: list[str]) -> str:
    if not recorded:
        return "no recording of it in this environment, and no changed file it imports"
    if ran_now:
        return f"it ran against {', '.join(ran_now)} as it is now"
    names = sum(len(v) for v in executed.values())
    files = ", ".join(sorted(executed)[:4]) or "no project file"
    return (
        f"it executed {names} functions in {files}; none of them changed, "
        "nor anything it imports at module level"
    )

"""``gateui gate`` and ``gateui hook …``: the PR gate from the command line.

Exit codes: 0 the gate would pass, 1 it would fail, 2 it cannot be evaluated (the message says
why), 3 partial (what was reproduced here passed; some steps could not be), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

# The gate's modules (workflow reading, YAML, git plumbing) are imported by the commands that
# use them: every other gateui command, and the pre-push hook on a cache hit, starts faster.
from gateui.cli.exit_codes import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
)
from gateui.cli.schema import SCHEMA_VERSION
from gateui.cli.signals import Terminated, interruption
from gateui.core.common.errors import GateuiError
from gateui.core.discovery.discover import find_repo_root

if TYPE_CHECKING:
    from gateui.core.gate.check import GateReport


def register(commands: Any) -> None:
    gate = commands.add_parser(
        "gate",
        help="would the PR gate pass on this commit? (checks the exact commit)",
        description=(
            "Run the PR gate on a commit: the steps declared in [tool.gateui.gate], or the test"
            " steps of the CI workflows that run on pull requests. Exit 0 pass, 1 fail, 2 cannot"
            " evaluate, 3 partial (some steps could not be reproduced here; each is named)."
        ),
    )
    gate.add_argument("ref", nargs="?", default="HEAD", help="commit to check (default: HEAD)")
    gate.add_argument("--json", action="store_true", help="print the report as JSON")
    gate.add_argument("--no-cache", action="store_true", help="check even a verified tree again")
    gate.add_argument("--base", metavar="BRANCH", help="the pull request's target branch")
    gate.add_argument(
        "--seed", type=int, metavar="N", help="seed for the orders gateui shuffles (reproduce one)"
    )
    gate.add_argument(
        "-C", dest="repo", default=".", metavar="DIR", help="run as if started in DIR (as git -C)"
    )
    gate.add_argument(
        "--junitxml", metavar="PATH", help="also write the steps' test results as JUnit XML"
    )
    gate.set_defaults(handler=lambda a, extra: cmd_gate(a, sys.stdout))

    hook = commands.add_parser("hook", help="install, remove or inspect the pre-push hook")
    actions = hook.add_subparsers(dest="hook_command", metavar="ACTION", required=True)
    for name, text in (
        ("install", "install the pre-push hook (an existing one is kept and run first)"),
        ("uninstall", "remove gateui's pre-push hook and put the previous one back"),
        ("status", "say which pre-push hook is installed"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("-C", dest="repo", default=".", metavar="DIR", help="repository")
        if name == "status":
            action.add_argument("--json", action="store_true", help="machine-readable output")
        action.set_defaults(handler=lambda a, extra, name=name: cmd_hook(name, a, sys.stdout))
    run = actions.add_parser(
        "run-pre-push",
        help="what the hook runs (reads git's pre-push lines on stdin; pre-commit: its env)",
    )
    run.add_argument("remote", nargs="?", help="the remote (pre-commit: its env says)")
    run.add_argument("url", nargs="?", default="")
    run.set_defaults(handler=lambda a, extra: cmd_run_pre_push(a))


def versioned(document: dict[str, Any]) -> dict[str, Any]:
    """A JSON document with the schema version first (README: JSON output)."""
    return {"schema": SCHEMA_VERSION, **document}


def cmd_gate(args: argparse.Namespace, out: TextIO) -> int:
    from gateui.core.gate.check import GateReport
    from gateui.core.gate.model import ERROR

    try:
        return _gate(args, out)
    except GateuiError as exc:
        # `gate --json` always prints its report: a gate that cannot be evaluated says why.
        if args.json:
            report = GateReport(ERROR, str(exc), ref=args.ref, error=str(exc))
            out.write(json.dumps(versioned(report.as_json()), indent=2) + "\n")
        raise


def _gate(args: argparse.Namespace, out: TextIO) -> int:
    from gateui.cli.gate_printer import GatePrinter
    from gateui.core.gate.check import GateCheck
    from gateui.core.gate.gitops import Git, scrub_git_env
    from gateui.core.gate.run import StepEvent

    repo_root = find_repo_root(Path(args.repo))
    if Git(repo_root).try_run("rev-parse", "--git-dir") is None:
        raise GateuiError(f"{repo_root}: not a git repository (the gate checks a commit)")
    scrub_git_env()
    check = GateCheck(
        repo_root, args.ref, base=args.base, use_cache=not args.no_cache, seed=args.seed
    )
    tty = out.isatty()
    printer = None if args.json else GatePrinter(out, colour=tty and "NO_COLOR" not in os.environ)
    seen = _SeenSoFar(args.ref)
    report: GateReport | None = None
    stream = check.events()
    junit = None
    if args.junitxml:
        # Imported here: its XML library is start-up time every other check would pay.
        from gateui.core.running.junit_writer import JunitWriter

        junit = JunitWriter()
    try:
        for event in stream:
            if junit is not None and isinstance(event, StepEvent):
                junit.handle(event.event, suite_name=event.step.name)
            if printer is not None:
                printer.handle(event)
            seen.add(event)
            report = seen.report
    except (KeyboardInterrupt, Terminated) as stop:
        check.cancel()
        stream.close()
        if args.json and report is None:
            interrupted = seen.interrupted(interruption(stop))
            out.write(json.dumps(versioned(interrupted.as_json()), indent=2) + "\n")
            out.flush()
        sys.stderr.write("gateui: gate interrupted (the temporary worktree is removed)\n")
        if isinstance(stop, Terminated):
            raise  # its exit status names the signal
        return EXIT_INTERRUPTED
    finally:
        stream.close()
        if junit is not None:
            junit.write(Path(args.junitxml).resolve())
    assert report is not None
    if args.json:
        out.write(json.dumps(versioned(report.as_json()), indent=2) + "\n")
    if report.error and printer is not None:
        sys.stderr.write(f"gateui: {report.error}\n")
    return gate_exit_code(report.verdict)


class _SeenSoFar:
    """The gate's events so far: its report when it finished, or one for a gate cut short."""

    def __init__(self, ref: str) -> None:
        from gateui.core.gate.check import CheckStarted
        from gateui.core.gate.model import StepResult

        self.ref = ref
        self.started: CheckStarted | None = None
        self.results: list[StepResult] = []
        self._finished: dict[int, StepResult] = {}
        self.report: GateReport | None = None
        self._began = time.monotonic()

    def add(self, event: object) -> None:
        from gateui.core.gate.check import CheckFinished, CheckStarted
        from gateui.core.gate.run import StepFinished

        if isinstance(event, CheckStarted):
            self.started = event
        elif isinstance(event, StepFinished):
            # Jobs run at the same time finish in any order: the report lists steps in order.
            self._finished[event.index] = event.result
            self.results = [self._finished[i] for i in sorted(self._finished)]
        elif isinstance(event, CheckFinished):
            self.report = event.report

    def interrupted(self, why: str) -> GateReport:
        """An ``error`` verdict naming the interruption, with the steps that finished."""
        from gateui.core.gate.check import GateReport
        from gateui.core.gate.model import ERROR

        started = self.started
        report = GateReport(
            ERROR,
            why,
            commit=started.commit if started else "",
            tree=started.tree if started else "",
            ref=started.ref if started else self.ref,
            definition=started.definition if started else None,
            results=list(self.results),
            checked_in=started.checked_in if started else "",
            error=why,
        )
        report.duration_s = time.monotonic() - self._began
        return report


def gate_exit_code(verdict: str) -> int:
    from gateui.core.gate.model import FAIL, PARTIAL, PASS

    if verdict == PASS:
        return EXIT_OK
    if verdict == FAIL:
        return EXIT_FAILED
    if verdict == PARTIAL:
        return EXIT_PARTIAL
    return EXIT_USAGE


def cmd_hook(action: str, args: argparse.Namespace, out: TextIO) -> int:
    from gateui.core.gate.gitops import GitError
    from gateui.core.gate.hooks import install, status, uninstall

    repo_root = find_repo_root(Path(args.repo))
    try:
        if action == "install":
            out.write(f"gateui: {install(repo_root)}\n")
        elif action == "uninstall":
            out.write(f"gateui: {uninstall(repo_root)}\n")
        else:
            current = status(repo_root)
            if getattr(args, "json", False):
                out.write(json.dumps(versioned(current.as_json()), indent=2) + "\n")
            elif current.installed:
                state = "current" if current.current else "from another gateui installation"
                python = current.python or "?"
                ok = "" if current.python_ok else " — that interpreter is missing!"
                out.write(
                    f"gateui pre-push hook installed in {current.hooks_dir} ({state});"
                    f" runs {python}{ok}\n"
                )
                kept = current.kept_name
                if current.legacy_runs:
                    out.write(f"the previous pre-push hook is kept as {kept}, run first\n")
                elif current.legacy:
                    out.write(
                        f"the previous pre-push hook is kept as {kept} but is not"
                        " executable: it does NOT run (git would not run it either);"
                        " chmod +x it to make it run\n"
                    )
            elif current.other_hook:
                out.write(f"a pre-push hook not written by gateui is in {current.hooks_dir}\n")
            else:
                out.write(f"no pre-push hook in {current.hooks_dir}\n")
    except GitError as exc:
        raise GateuiError(f"{repo_root}: not a git repository ({exc})") from exc
    return EXIT_OK


def cmd_run_pre_push(args: argparse.Namespace) -> int:
    """The hook's work, for pre-commit's ``pre-push`` stage (or by hand)."""
    from gateui.cli.prepush import pre_commit_input, run_pre_push
    from gateui.core.gate.gitops import Git

    def commit_of(ref: str) -> str | None:
        found = Git(find_repo_root(Path.cwd())).try_run(
            "rev-parse", "--verify", f"{ref}^{{commit}}"
        )
        return found.strip() or None if found else None

    data = pre_commit_input(os.environ, commit_of)
    if data is None:
        data = b"" if sys.stdin.isatty() else sys.stdin.buffer.read()
    if not data.strip() and os.environ.get("PRE_COMMIT") == "1":
        # `pre-commit run --hook-stage pre-push` by hand: check HEAD.
        head = Git(find_repo_root(Path.cwd())).head() or ""
        data = f"HEAD {head} HEAD {'0' * len(head)}\n".encode() if head else b""
    remote = args.remote or os.environ.get("PRE_COMMIT_REMOTE_NAME") or "origin"
    url = args.url or os.environ.get("PRE_COMMIT_REMOTE_URL", "")
    try:
        return run_pre_push([remote, url], data)
    except KeyboardInterrupt:
        sys.stderr.write("gateui: interrupted — the push is cancelled\n")
        return EXIT_INTERRUPTED


def describe_gate(repo_root: Path) -> dict[str, Any]:
    """The gate of the work tree as it is, for ``gateui discover``."""
    from gateui.core.common.errors import ConfigError
    from gateui.core.gate.check import default_base
    from gateui.core.gate.gitops import Git, GitError
    from gateui.core.gate.infer import load_gate
    from gateui.core.gate.sources import DirSource
    from gateui.core.gate.workflows import WorkflowError

    try:
        base = default_base(Git(repo_root))
    except GitError:
        base = "main"
    try:
        definition = load_gate(DirSource(repo_root), repo_root, base, None)
    except (ConfigError, WorkflowError) as exc:
        return {"source": None, "steps": [], "error": str(exc)}
    return definition.as_json()

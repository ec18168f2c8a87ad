"""The pre-push check: what the hook does once git has handed it the pushed refs.

Never starts the TUI. Every pushed ref with new commits is checked (deletes, tags and refs with
nothing new are not), each distinct tree once. On a failing gate, with a terminal at hand
(``/dev/tty`` opens and stdout is a terminal), the verdict is shown and the user is asked
"push anyway? [y/N]"; without one, ``on_fail`` decides: "block" (the default) or "warn".
A partial verdict (what ran here passed, some steps could not be reproduced here) is handled per
``on_partial``: "warn" (the default) lets the push through saying which steps were not checked,
"block" treats it as a failure, "allow" lets it through with one line.
``GATEUI_SKIP=1`` skips the check (as does ``git push --no-verify``, which skips the hook), and
with ``CI`` set the hook lets the push through at once. A gate that cannot be evaluated is said
plainly and does not block.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from gateui.cli.gate_printer import GatePrinter
from gateui.core.discovery.discover import find_repo_root
from gateui.core.gate.check import CheckFinished, GateCheck, GateReport
from gateui.core.gate.gitops import Git, scrub_git_env
from gateui.core.gate.hooks import parse_pushed_refs, plan_push
from gateui.core.gate.model import ERROR, FAIL, NOT_REPRODUCED, PARTIAL

SKIP_ENV = "GATEUI_SKIP"
PROMPT = "push anyway? [y/N] "

Asker = Callable[[str], "bool | None"]


def ask_on_terminal(question: str) -> bool | None:
    """Ask on /dev/tty; None when there is no terminal to ask on."""
    if not sys.stdout.isatty():
        return None
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    try:
        os.write(fd, question.encode())
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = os.read(fd, 1024)
            if not chunk:
                break
            answer += chunk
    finally:
        os.close(fd)
    return answer.decode(errors="replace").strip().lower() in ("y", "yes")


def pre_commit_input(
    env: Mapping[str, str], resolve: Callable[[str], str | None] = lambda ref: None
) -> bytes | None:
    """pre-commit does not pass git's stdin on; it exports the pushed range instead. Without
    ``PRE_COMMIT_TO_REF`` (older pre-commit: ``PRE_COMMIT_ORIGIN``; some versions only name the
    branch) the pushed ref is the local branch pre-commit names, resolved by ``resolve`` — never
    HEAD, which may be another branch than the one pushed."""
    to_ref = env.get("PRE_COMMIT_TO_REF") or env.get("PRE_COMMIT_ORIGIN")
    if not to_ref and env.get("PRE_COMMIT_LOCAL_BRANCH"):
        to_ref = resolve(env["PRE_COMMIT_LOCAL_BRANCH"])
    if not to_ref:
        return None
    from_ref = env.get("PRE_COMMIT_FROM_REF") or env.get("PRE_COMMIT_SOURCE") or "0" * len(to_ref)
    local = env.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
    remote = env.get("PRE_COMMIT_REMOTE_BRANCH") or local
    return f"{local} {to_ref} {remote} {from_ref}\n".encode()


def run_pre_push(
    args: list[str],
    data: bytes,
    out: TextIO | None = None,
    env: Mapping[str, str] | None = None,
    ask: Asker = ask_on_terminal,
    cwd: Path | None = None,
) -> int:
    """0 lets the push through, anything else stops it."""
    out = out or sys.stderr
    env = os.environ if env is None else env
    if env.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return 0
    if env.get(SKIP_ENV) == "1":
        out.write(f"gateui: {SKIP_ENV}=1 — the PR gate is not checked for this push\n")
        return 0
    remote = args[0] if args else "origin"
    repo_root = find_repo_root(cwd or Path.cwd())
    # Inside a hook git exports variables that point at this repository; the gate's steps run
    # in other checkouts and must not inherit them.
    scrub_git_env()
    git = Git(repo_root)
    checks, skips = plan_push(git, remote, parse_pushed_refs(data))
    if not checks:
        if skips:
            out.write("gateui: nothing to check (" + "; ".join(skip.why for skip in skips) + ")\n")
        return 0
    by_tree: dict[str, list[str]] = {}
    first_of_tree: dict[str, tuple[str, str | None]] = {}
    for check in checks:
        tree = git.tree_of(check.commit)
        by_tree.setdefault(tree, []).append(check.ref.branch)
        first_of_tree.setdefault(tree, (check.commit, check.since))
    reports: list[tuple[list[str], GateReport]] = []
    colour = out.isatty() and "NO_COLOR" not in env
    for tree, branches in by_tree.items():
        commit, since = first_of_tree[tree]
        out.write(f"gateui: checking the PR gate for {', '.join(branches)} before the push\n")
        printer = GatePrinter(out, colour=colour, prefix="gateui: ", show_not_run=False)
        report: GateReport | None = None
        label = ", ".join(branches)
        gate = GateCheck(repo_root, commit, since=since, remote=remote, label=label)
        for event in gate.events():
            printer.handle(event)
            if isinstance(event, CheckFinished):
                report = event.report
        assert report is not None
        reports.append((branches, report))
    failing = [(b, r) for b, r in reports if r.verdict == FAIL]
    for branches, report in reports:
        if report.verdict == PARTIAL:
            if report.on_partial == "block":
                failing.append((branches, report))
            else:
                out.write(_partial_line(branches, report) + "\n")
    if not failing:
        for branches, report in reports:
            if report.verdict == ERROR:
                out.write(
                    f"gateui: the PR gate could not be evaluated for {', '.join(branches)}"
                    f" ({report.reason}); the push goes through unchecked\n"
                )
        return 0
    for branches, report in failing:
        if report.verdict == PARTIAL:
            out.write(
                f'{_partial_line(branches, report)}; on_partial = "block": not pushed unchecked\n'
            )
            continue
        out.write(f"gateui: the PR gate would FAIL for {', '.join(branches)}: {report.reason}\n")
    answer = ask(PROMPT)
    if answer is not None:
        if answer:
            out.write("gateui: pushing anyway\n")
            return 0
        out.write("gateui: push cancelled\n")
        return 1
    if all(report.on_fail == "warn" and report.verdict == FAIL for _, report in failing):
        out.write('gateui: on_fail = "warn": the push goes through anyway\n')
        return 0
    out.write(
        "gateui: push blocked. Fix the gate, or push anyway with "
        f"`{SKIP_ENV}=1 git push` (or `git push --no-verify`)\n"
    )
    return 1


def _partial_line(branches: list[str], report: GateReport) -> str:
    """One line: which steps were not checked, and what ``on_partial`` does with that."""
    names = ", ".join(r.step.name for r in report.results if r.verdict == NOT_REPRODUCED)
    if report.stored is not None:
        names = ", ".join(str(i.get("name")) for i in report.stored.get("not_reproduced") or ())
    head = (
        f"gateui: the PR gate is PARTIAL for {', '.join(branches)}: what ran here passed;"
        f" not reproduced here: {names or report.reason}"
    )
    if report.on_partial == "allow":
        return head
    if report.on_partial == "warn":
        return f'{head} — on_partial = "warn": the push goes through; CI checks the rest'
    return head

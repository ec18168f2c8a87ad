"""From what the user asked (a suite, -m, -k, paths) to pytest commands, one per project, and a
session that runs them in turn as one stream with one summary.

A suite may also be a command (``make test-unit``, ``./tools/test.sh --smoke-backend``) or live in
an ExUnit project (``mix test --only smoke``): those become ``CommandRun`` entries of the same plan,
which the session runs through ``core.command_runner``.

Planning reads files only: a run must not pay for a full collection before it starts.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from gateui.core.common.config import load_gateui_config
from gateui.core.common.errors import GateuiError
from gateui.core.common.paths import deepest_owner, relative_path
from gateui.core.common.project_files import pytest_ignore_args
from gateui.core.discovery.discover import Project
from gateui.core.exunit.mix import (
    MISSING_ELIXIR,
    STALE_REASON,
    MixDiscovery,
    discover_mix,
    find_mix_projects,
    mix_args_for_suite,
    mix_path_args,
    mix_test_argv,
)
from gateui.core.exunit.stale import settle_stale_manifests
from gateui.core.layout.command_suites import (
    CommandSuite,
    folder_command_suites,
    match_command_suite,
)
from gateui.core.layout.interpreter import find_interpreter
from gateui.core.layout.static_scan import scan_project
from gateui.core.layout.suites import WELL_KNOWN_SUITES, Suite
from gateui.core.running.command_process import CommandProcess, CommandSpec, shell_argv
from gateui.core.running.events import CommandStarted, Event, ProjectStarted, RunSummary
from gateui.core.running.junit import junit_paths
from gateui.core.running.partial import PartialCount
from gateui.core.running.process_group import CurrentProcess
from gateui.core.running.pytest_process import PytestCommand, PytestProcess
from gateui.core.running.warm import WarmPool

NO_TESTS_COLLECTED = 5  # pytest's ExitCode.NO_TESTS_COLLECTED
_TAG_NAME = re.compile(r"^[a-z_]\w*[?!]?$")


@dataclass(frozen=True)
class RunRequest:
    suite: str | None = None
    markers: str | None = None
    keyword: str | None = None
    paths: tuple[str, ...] = ()
    """Absolute paths the user named, each optionally followed by ``::test`` (a node id)."""
    extra_args: tuple[str, ...] = ()
    report_args: tuple[str, ...] = ()
    """How pytest writes its failure reports (``--tb=short``, ``-v``): for pytest commands only,
    never appended to a command suite's command line."""


@dataclass(frozen=True)
class CommandRun(PytestCommand):
    """A planned run that is a command — a command suite, or ``mix test`` in an ExUnit project —
    rather than one pytest call; ``RunSession`` runs it through ``CommandProcess``.

    It is a kind of ``PytestCommand`` so that everything holding a plan (the CLI, watch mode, the
    TUI) passes it on unchanged: ``project_root`` is where the command runs, ``interpreter`` the
    Python that ``python`` means in it, ``args`` stay empty.
    """

    command: tuple[str, ...] = ()
    """What is executed (the program, or a shell and the line)."""
    label: str = ""
    """The command as the user knows it: ``make test-unit``, ``mix test --only smoke``."""
    suite: str = ""
    inject_pytest: bool = True
    """Load the event plugin into the pytest sessions it starts (not for ``mix test``)."""
    junit: tuple[Path, ...] = field(default=())
    missing_hint: str = ""

    def argv(self) -> list[str]:
        return list(self.command)

    def spec(self) -> CommandSpec:
        return CommandSpec(
            argv=self.command,
            cwd=self.project_root,
            repo_root=self.repo_root,
            env={**os.environ, **self.env},
            inject_pytest=self.inject_pytest,
            junit=self.junit,
            python=self.interpreter if self.inject_pytest else None,
            reason_for=self.reason_for,
            missing_hint=self.missing_hint,
        )


def plan_run(
    projects: Sequence[Project],
    request: RunRequest,
    repo_root: Path | None = None,
    files: Sequence[PurePosixPath] | None = None,
) -> list[PytestCommand]:
    """The pytest command for each project the request touches, and the commands (command
    suites, ``mix test``) it asks for. ``repo_root`` is needed only when there is no Python
    project; ``files`` is the repository's listing when the caller has it already."""
    root = repo_root or (projects[0].repo_root if projects else None)
    if root is None:
        return []
    mix = [discover_mix(m) for m in find_mix_projects(root, files)]
    py_paths, mix_paths = _split_paths(projects, mix, request.paths)
    chosen: list[tuple[Project, list[str]]] = (
        _by_paths(projects, py_paths) if request.paths else [(p, []) for p in projects]
    )
    runs: list[PytestCommand] = []
    if request.suite is not None:
        chosen, runs = _by_suite(chosen, request)
        runs += _mix_runs(mix, mix_paths, request)
        if not chosen and not runs:
            runs = _repo_command_runs(root, projects, mix, request)
        if not chosen and not runs:
            raise GateuiError(_unknown_suite_message(request.suite, projects, mix, root))
    else:
        if request.markers:
            chosen = [(p, [*args, "-m", request.markers]) for p, args in chosen]
        runs = _mix_runs(mix, mix_paths, request)
    commands: list[PytestCommand] = []
    for project, args in chosen:
        if request.keyword:
            args = [*args, "-k", request.keyword]
        args += _ignore_nested(project)
        commands.append(
            PytestCommand(
                project_root=project.root,
                repo_root=project.repo_root,
                interpreter=project.interpreter,
                args=(*args, *request.extra_args, *request.report_args),
            )
        )
    return commands + runs


def _ignore_nested(project: Project) -> list[str]:
    """Sub-projects' tests are theirs; installed packages' and build output's are nobody's."""
    args: list[str] = pytest_ignore_args(project.root)
    for nested in project.nested:
        args += ["--ignore", relative_path(nested, project.root)]
    return args


def _by_paths(projects: Sequence[Project], paths: Sequence[str]) -> list[tuple[Project, list[str]]]:
    grouped: dict[Path, list[str]] = {}
    for given in paths:
        file_part, sep, rest = given.partition("::")
        path = Path(file_part)
        owner = deepest_owner(projects, path)
        if owner is None:
            raise GateuiError(f"{file_part}: not inside any test project of this repository")
        grouped.setdefault(owner.root, []).append(relative_path(path, owner.root) + sep + rest)
    return [(p, grouped[p.root]) for p in projects if p.root in grouped]


def _by_suite(
    chosen: Sequence[tuple[Project, list[str]]], request: RunRequest
) -> tuple[list[tuple[Project, list[str]]], list[PytestCommand]]:
    """Each project where the suite means something, with the suite's arguments (its marker
    expression joined with the user's ``-m``, so "smoke ∩ not slow" is one request); and the
    command runs of projects where it is a command suite."""
    assert request.suite is not None
    result = []
    runs: list[PytestCommand] = []
    for project, args in chosen:
        suite = resolve_suite(project, request.suite)
        if suite is None:
            continue
        if suite.kind == "command":
            command = command_suite_for(project, request.suite)
            if command is not None:
                runs.append(command_run(command, project.repo_root, project.interpreter, request))
            continue
        result.append((project, [*args, *suite.pytest_args(request.markers)]))
    return result, runs


def command_suite_for(project: Project, name: str) -> CommandSuite | None:
    """The command suite ``name`` of a project: declared, or proposed by its files."""
    spec = project.gateui.suites.get(name)
    taken = [] if spec is not None else [n for n in project.gateui.suites if n != name]
    suites = folder_command_suites(
        project.root, project.repo_root, {name: spec} if spec else {}, taken
    )
    return match_command_suite(suites, name)


def command_run(
    suite: CommandSuite, repo_root: Path, interpreter: Path, request: RunRequest
) -> CommandRun:
    """A command suite as a planned run: no shell unless the suite asks for one; arguments after
    ``--`` are appended (as separate words, never re-read by a shell)."""
    if request.markers or request.keyword or request.paths:
        raise GateuiError(
            f"suite {suite.name!r} is a command ({suite.command}): it runs whole, so -m, -k"
            " and paths do not apply to it (arguments after -- are passed on to it)"
        )
    extra = list(request.extra_args)
    if suite.shell:
        line = " ".join([suite.command, *(shlex.quote(a) for a in extra)])
        argv = shell_argv(line)
        junit = junit_paths(shlex.split(line, comments=True), suite.cwd)
        label = line
    else:
        words = [*suite.argv(), *extra]
        argv, junit, label = words, junit_paths(words, suite.cwd), shlex.join(words)
    if suite.junit:
        junit.append(suite.cwd / suite.junit)
    return CommandRun(
        project_root=suite.cwd,
        repo_root=repo_root,
        interpreter=interpreter,
        command=tuple(argv),
        label=label,
        suite=suite.name,
        junit=tuple(junit),
    )


def _repo_command_runs(
    repo_root: Path, projects: Sequence[Project], mix: Sequence[MixDiscovery], request: RunRequest
) -> list[PytestCommand]:
    """A command suite of the repository itself (its root is no project of its own)."""
    assert request.suite is not None
    suites = repo_command_suites(repo_root, projects, mix)
    found = match_command_suite(suites, request.suite)
    if found is None:
        return []
    config = load_gateui_config(repo_root / "pyproject.toml")
    interpreter = find_interpreter(repo_root, repo_root, config)
    return [command_run(found, repo_root, interpreter, request)]


def repo_command_suites(
    repo_root: Path, projects: Sequence[Project], mix: Sequence[MixDiscovery] = ()
) -> list[CommandSuite]:
    """Command suites at the repository root when the root is no project (a monorepo's
    ``tools/test.sh``); a root that is a project has them as its own."""
    if any(p.root == repo_root for p in projects) or any(m.project.root == repo_root for m in mix):
        return []
    config = load_gateui_config(repo_root / "pyproject.toml")
    return folder_command_suites(repo_root, repo_root, config.suites)


def _split_paths(
    projects: Sequence[Project], mix: Sequence[MixDiscovery], paths: Sequence[str]
) -> tuple[list[str], dict[Path, list[str]]]:
    """Paths inside an ExUnit project (the deepest owner wins) apart from the others."""
    python: list[str] = []
    elixir: dict[Path, list[str]] = {}
    mix_projects = [m.project for m in mix]
    for given in paths:
        path = Path(given.partition("::")[0])
        py = deepest_owner(projects, path)
        ex = deepest_owner(mix_projects, path)
        if ex is not None and (py is None or len(ex.root.parts) > len(py.root.parts)):
            elixir.setdefault(ex.root, []).append(given)
        else:
            python.append(given)
    return python, elixir


def _mix_runs(
    mix: Sequence[MixDiscovery],
    paths: dict[Path, list[str]],
    request: RunRequest,
    stale: bool = False,
) -> list[PytestCommand]:
    """``mix test`` for each ExUnit project the request touches (``--stale`` for affected runs)."""
    runs: list[PytestCommand] = []
    for view in mix:
        project = view.project
        if project.umbrella and not view.tests:
            continue  # an umbrella's apps are projects of their own
        if request.paths and project.root not in paths:
            continue
        args = mix_path_args(view, paths.get(project.root, []))
        if request.suite is not None:
            suite_args = mix_args_for_suite(view, request.suite)
            if suite_args is None:
                continue
            args += suite_args
        if request.markers:
            if not _TAG_NAME.match(request.markers) or request.markers not in view.used:
                continue  # ExUnit filters by tag name; a pytest expression selects nothing here
            args += ["--only", request.markers]
        if request.keyword:
            continue  # no keyword selection in ExUnit
        if stale:
            args.append("--stale")
        args += request.extra_args
        runs.append(
            CommandRun(
                project_root=project.root,
                repo_root=project.repo_root,
                interpreter=Path(sys.executable),
                command=tuple(mix_test_argv(args)),
                label=shlex.join(["mix", "test", *args]),
                suite=request.suite or "",
                inject_pytest=False,
                default_reason=STALE_REASON if stale else "",
                missing_hint=f"{project.rel}: {MISSING_ELIXIR}",
            )
        )
    return runs


def other_test_projects(repo_root: Path) -> bool:
    """Whether a repository without Python test projects still has something to run: an ExUnit
    project, or command suites at its root."""
    return bool(find_mix_projects(repo_root) or repo_command_suites(repo_root, []))


def plan_mix_affected(
    repo_root: Path, request: RunRequest, files: Sequence[PurePosixPath] | None = None
) -> list[PytestCommand]:
    """Affected runs of the ExUnit projects: ``mix test --stale`` (see ``core.exunit``), with
    mix's one-second baseline settled first so that a same-second edit is not missed
    (``core.exunit_stale``). ``files``: the repository's listing when the caller has it."""
    mix = [discover_mix(m) for m in find_mix_projects(repo_root, files)]
    _, paths = _split_paths([], mix, request.paths)
    runs = _mix_runs(mix, paths, request, stale=True)
    for run in runs:
        settle_stale_manifests(run.project_root, repo_root)
    return runs


def resolve_suite(project: Project, name: str) -> Suite | None:
    """What ``name`` means in ``project``, from its files: declared; a marker its tests carry;
    else its folder (``tests/unit`` for ``unit``, when no test carries ``unit``); a marker it
    registers or a well-known one; or a command its files propose (a Makefile target, a test
    script, a tox env, a nox session). The CLI, the TUI and the gate all ask here."""
    spec = project.gateui.suites.get(name)
    if spec is not None:
        if spec.command is not None:
            return Suite(name, "command", 0, command=spec.command)
        return Suite(name, "config", 0, markers=spec.markers, paths=spec.paths)
    scan = scan_project(project.root, project.pytest_config, project.nested)
    if any(marker == name for marker, _, _ in scan.marker_uses):
        return Suite(name, "marker", 0, markers=name)
    folder = _folder(project, name)
    if folder is not None:
        return Suite(folder, "folder", 0, paths=(folder,))
    if name in project.user_markers or name in WELL_KNOWN_SUITES:
        return Suite(name, "marker", 0, markers=name)
    command = command_suite_for(project, name)
    if command is not None:
        return Suite(name, "command", 0, command=command.command)
    return None


def _folder(project: Project, name: str) -> str | None:
    """``tests/smoke`` for ``smoke`` (or the path itself when given as one)."""
    direct = project.root / name
    if "/" in name and direct.is_dir():
        return relative_path(direct, project.root)
    bases = project.testpaths or ("tests", "test")
    matches = [f"{b.rstrip('/')}/{name}" for b in bases if (project.root / b / name).is_dir()]
    return matches[0] if len(matches) == 1 else None


def _unknown_suite_message(
    name: str,
    projects: Sequence[Project],
    mix: Sequence[MixDiscovery] = (),
    repo_root: Path | None = None,
) -> str:
    known: set[str] = set()
    for project in projects:
        known.update(project.user_markers)
        known.update(project.gateui.suites)
        for base in project.testpaths or ("tests",):
            folder = project.root / base
            if folder.is_dir():
                known.update(d.name for d in folder.iterdir() if d.is_dir() and _is_test_dir(d))
        known.update(s.name for s in folder_command_suites(project.root, project.repo_root, {}))
    for view in mix:
        known.update(s.name for s in view.suites)
    if repo_root is not None:
        known.update(s.name for s in repo_command_suites(repo_root, projects, mix))
    listing = ", ".join(sorted(known)) or "none found"
    return f"unknown suite {name!r} (known suites: {listing}; see `gateui discover`)"


def _is_test_dir(folder: Path) -> bool:
    return not folder.name.startswith((".", "_"))


class RunSession:
    """Runs the planned commands one after another as a single stream of events.

    Yields each project's events (with a ``ProjectStarted`` before them) and, last, one merged
    ``RunSummary``. ``cancel()`` from any thread stops the current process group and the rest.
    """

    def __init__(self, commands: Sequence[PytestCommand], warm: WarmPool | None = None) -> None:
        """With ``warm``, pytest runs fork from the projects' warm processes."""
        self.commands = list(commands)
        self.warm = warm
        self._running = CurrentProcess()
        self._summaries: list[RunSummary] = []
        self._partial = PartialCount()
        self._started = self._process_started = time.monotonic()

    def cancel(self) -> None:
        self._running.cancel()

    def summary_so_far(self, incomplete: str, error: str = "") -> RunSummary:
        """The summary of a run cut short (a signal, an error in gateui): the projects that
        finished, and what the one running then had reported."""
        partial = self._partial.summary(time.monotonic() - self._process_started)
        merged = merge_summaries([*self._summaries, partial], cancelled=not error)
        return replace(
            merged,
            duration_s=round(time.monotonic() - self._started, 6),
            incomplete=incomplete,
            error=error,
        )

    def events(self) -> Iterator[Event]:
        summaries = self._summaries = []
        self._started = time.monotonic()
        for command in self.commands:
            if self._running.cancelled:
                break
            process: PytestProcess | CommandProcess
            if isinstance(command, CommandRun):
                process = CommandProcess(command.spec())
            else:
                process = PytestProcess(command, warm=self.warm)
            self._running.track(process)
            self._partial = PartialCount()
            self._process_started = time.monotonic()
            if isinstance(command, CommandRun):
                yield CommandStarted(
                    command.label, command.project, command.suite, text=command.inject_pytest
                )
            elif len(self.commands) > 1:
                yield ProjectStarted(command.project, tuple(command.argv()))
            for event in process.events():
                if isinstance(event, RunSummary):
                    summaries.append(event)
                    self._partial = PartialCount()
                else:
                    self._partial.add(event)
                    yield event
        yield merge_summaries(summaries, cancelled=self._running.cancelled)


def merge_summaries(summaries: Sequence[RunSummary], cancelled: bool = False) -> RunSummary:
    """One summary for several projects' runs.

    A project where the suite selects nothing (pytest's exit 5) does not fail a run in which other
    projects ran tests; when no project ran any test, exit 5 stands.
    """
    if not summaries:
        return RunSummary(
            0,
            0,
            0,
            0,
            0,
            None,
            0.0,
            exitstatus=None,
            cancelled=cancelled,
            incomplete="cancelled" if cancelled else "",
        )
    ran_any = any(s.selected for s in summaries)
    statuses = [
        s.exitstatus
        for s in summaries
        if not (ran_any and s.exitstatus == NO_TESTS_COLLECTED and s.selected == 0)
    ]
    crashed = next((s for s in summaries if s.crashed or s.crash_message), None)
    return RunSummary(
        selected=sum(s.selected for s in summaries),
        passed=sum(s.passed for s in summaries),
        failed=sum(s.failed for s in summaries),
        skipped=sum(s.skipped for s in summaries),
        errors=sum(s.errors for s in summaries),
        xfailed=sum(s.xfailed for s in summaries),
        xpassed=sum(s.xpassed for s in summaries),
        deselected=sum(s.deselected for s in summaries),
        pytest_warnings=sum(s.pytest_warnings for s in summaries),
        crashed=crashed.crashed if crashed else None,
        duration_s=round(sum(s.duration_s for s in summaries), 6),
        exitstatus=_worst(statuses),
        cancelled=cancelled or any(s.cancelled for s in summaries),
        collection_errors=sum(s.collection_errors for s in summaries),
        crash_message=crashed.crash_message if crashed else "",
        output_tail=summaries[-1].output_tail,
        exit_decides=all(s.exit_decides for s in summaries),
        not_run=sum(s.not_run for s in summaries),
        incomplete="; ".join(s.incomplete for s in summaries if s.incomplete)
        or ("cancelled" if cancelled else ""),
        warnings=tuple(w for s in summaries for w in s.warnings),
    )


def _worst(statuses: Sequence[int | None]) -> int | None:
    if any(s is None for s in statuses):
        return None
    values = [s for s in statuses if s is not None]
    if not values:
        return 0
    nonzero = [s for s in values if s != 0]
    return max(nonzero) if nonzero else 0

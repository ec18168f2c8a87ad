"""From what the user asked (a suite, -m, -k, paths) to pytest commands, one per project, and a
session that runs them in turn as one stream with one summary.

Planning reads files only: a run must not pay for a full collection before it starts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateui.core.discovery import Project
from gateui.core.errors import GateuiError
from gateui.core.events import Event, ProjectStarted, RunSummary
from gateui.core.paths import relative_path
from gateui.core.runner import PytestCommand, PytestProcess
from gateui.core.static_scan import scan_project
from gateui.core.suites import WELL_KNOWN_SUITES, Suite

NO_TESTS_COLLECTED = 5  # pytest's ExitCode.NO_TESTS_COLLECTED


@dataclass(frozen=True)
class RunRequest:
    suite: str | None = None
    markers: str | None = None
    keyword: str | None = None
    paths: tuple[str, ...] = ()
    """Absolute paths the user named, each optionally followed by ``::test`` (a node id)."""
    extra_args: tuple[str, ...] = ()


def plan_run(projects: Sequence[Project], request: RunRequest) -> list[PytestCommand]:
    """The pytest command for each project the request touches."""
    chosen: list[tuple[Project, list[str]]] = (
        _by_paths(projects, request.paths) if request.paths else [(p, []) for p in projects]
    )
    if request.suite is not None:
        chosen = _by_suite(chosen, request.suite, request.markers)
        if not chosen:
            raise GateuiError(_unknown_suite_message(request.suite, projects))
    elif request.markers:
        chosen = [(p, [*args, "-m", request.markers]) for p, args in chosen]
    commands = []
    for project, args in chosen:
        if request.keyword:
            args = [*args, "-k", request.keyword]
        args += _ignore_nested(project)
        commands.append(
            PytestCommand(
                project_root=project.root,
                repo_root=project.repo_root,
                interpreter=project.interpreter,
                args=(*args, *request.extra_args),
            )
        )
    return commands


def _ignore_nested(project: Project) -> list[str]:
    args: list[str] = []
    for nested in project.nested:
        args += ["--ignore", relative_path(nested, project.root)]
    return args


def _by_paths(projects: Sequence[Project], paths: Sequence[str]) -> list[tuple[Project, list[str]]]:
    grouped: dict[Path, list[str]] = {}
    for given in paths:
        file_part, sep, rest = given.partition("::")
        path = Path(file_part)
        owner = _owner(projects, path)
        if owner is None:
            raise GateuiError(f"{file_part}: not inside any test project of this repository")
        grouped.setdefault(owner.root, []).append(relative_path(path, owner.root) + sep + rest)
    return [(p, grouped[p.root]) for p in projects if p.root in grouped]


def _owner(projects: Sequence[Project], path: Path) -> Project | None:
    best: Project | None = None
    for project in projects:
        if (path == project.root or project.root in path.parents) and (
            best is None or len(project.root.parts) > len(best.root.parts)
        ):
            best = project
    return best


def _by_suite(
    chosen: Sequence[tuple[Project, list[str]]], name: str, markers: str | None
) -> list[tuple[Project, list[str]]]:
    """Each project where ``name`` means something, with the suite's arguments (its marker
    expression joined with the user's ``-m``, so "smoke ∩ not slow" is one request)."""
    result = []
    for project, args in chosen:
        suite = resolve_suite(project, name)
        if suite is not None:
            result.append((project, [*args, *suite.pytest_args(markers)]))
    return result


def resolve_suite(project: Project, name: str) -> Suite | None:
    """What ``name`` means in ``project``, from its files: declared, marker, or folder."""
    spec = project.gateui.suites.get(name)
    if spec is not None:
        if spec.command is not None:
            raise GateuiError(
                f"suite {name!r} is a command suite ({spec.command!r}); "
                "run command suites with the command itself for now"
            )
        return Suite(name, "config", 0, markers=spec.markers, paths=spec.paths)
    if name in project.user_markers or name in WELL_KNOWN_SUITES:
        return Suite(name, "marker", 0, markers=name)
    folder = _folder(project, name)
    if folder is not None:
        return Suite(folder, "folder", 0, paths=(folder,))
    scan = scan_project(project.root, project.pytest_config, project.nested)
    if any(marker == name for marker, _, _ in scan.marker_uses):
        return Suite(name, "marker", 0, markers=name)
    return None


def _folder(project: Project, name: str) -> str | None:
    """``tests/smoke`` for ``smoke`` (or the path itself when given as one)."""
    direct = project.root / name
    if "/" in name and direct.is_dir():
        return relative_path(direct, project.root)
    bases = project.testpaths or ("tests", "test")
    matches = [f"{b.rstrip('/')}/{name}" for b in bases if (project.root / b / name).is_dir()]
    return matches[0] if len(matches) == 1 else None


def _unknown_suite_message(name: str, projects: Sequence[Project]) -> str:
    known: set[str] = set()
    for project in projects:
        known.update(project.user_markers)
        known.update(project.gateui.suites)
        for base in project.testpaths or ("tests",):
            folder = project.root / base
            if folder.is_dir():
                known.update(d.name for d in folder.iterdir() if d.is_dir() and _is_test_dir(d))
    listing = ", ".join(sorted(known)) or "none found"
    return f"unknown suite {name!r} (known suites: {listing}; see `gateui discover`)"


def _is_test_dir(folder: Path) -> bool:
    return not folder.name.startswith((".", "_"))


class RunSession:
    """Runs the planned commands one after another as a single stream of events.

    Yields each project's events (with a ``ProjectStarted`` before them) and, last, one merged
    ``RunSummary``. ``cancel()`` from any thread stops the current process group and the rest.
    """

    def __init__(self, commands: Sequence[PytestCommand]) -> None:
        self.commands = list(commands)
        self._current: PytestProcess | None = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            current = self._current
        if current is not None:
            current.cancel()

    def events(self) -> Iterator[Event]:
        summaries: list[RunSummary] = []
        for command in self.commands:
            if self._cancelled.is_set():
                break
            process = PytestProcess(command)
            with self._lock:
                self._current = process
            if self._cancelled.is_set():
                process.cancel()
            if len(self.commands) > 1:
                yield ProjectStarted(command.project, tuple(command.argv()))
            for event in process.events():
                if isinstance(event, RunSummary):
                    summaries.append(event)
                else:
                    yield event
        yield merge_summaries(summaries, cancelled=self._cancelled.is_set())


def merge_summaries(summaries: Sequence[RunSummary], cancelled: bool = False) -> RunSummary:
    """One summary for several projects' runs.

    A project where the suite selects nothing (pytest's exit 5) does not fail a run in which other
    projects ran tests; when no project ran any test, exit 5 stands.
    """
    if not summaries:
        return RunSummary(0, 0, 0, 0, 0, None, 0.0, exitstatus=None, cancelled=cancelled)
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
        crashed=crashed.crashed if crashed else None,
        duration_s=round(sum(s.duration_s for s in summaries), 6),
        exitstatus=_worst(statuses),
        cancelled=cancelled or any(s.cancelled for s in summaries),
        collection_errors=sum(s.collection_errors for s in summaries),
        crash_message=crashed.crash_message if crashed else "",
        output_tail=summaries[-1].output_tail,
        exit_decides=all(s.exit_decides for s in summaries),
    )


def _worst(statuses: Sequence[int | None]) -> int | None:
    if any(s is None for s in statuses):
        return None
    values = [s for s in statuses if s is not None]
    if not values:
        return 0
    nonzero = [s for s in values if s != 0]
    return max(nonzero) if nonzero else 0

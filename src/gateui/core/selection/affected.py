"""``run --affected``: what changed → which tests → the pytest commands that run just those.

Selection combines with everything else a run can ask for: a suite, ``-m``, ``-k``, paths.
Marker and keyword expressions go to pytest (which deselects after gateui's selection, so the
result is the intersection); suite folders and paths filter the selection itself.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from gateui.core.common.paths import relative_path
from gateui.core.discovery.discover import Project
from gateui.core.exunit.mix import STALE_REASON
from gateui.core.layout.command_suites import match_command_suite
from gateui.core.plan.run_plan import (
    RunRequest,
    command_run,
    command_suite_for,
    plan_mix_affected,
    plan_run,
    repo_command_suites,
    resolve_suite,
)
from gateui.core.running.injected import RECORD_ENV
from gateui.core.running.pytest_process import PytestCommand
from gateui.core.running.results import ResultsStore
from gateui.core.selection.changes import ChangeSet, changed_files
from gateui.core.selection.depstore import DepStore
from gateui.core.selection.selector import (
    ProjectSelection,
    Selection,
    Selector,
    environment_key,
)

CONTINUE_ON_COLLECTION_ERRORS = "--continue-on-collection-errors"


@dataclass
class AffectedPlan:
    selection: Selection
    commands: list[PytestCommand]

    @property
    def counts(self) -> tuple[int, int]:
        """(single tests or tests selected by name, whole test files) selected."""
        tests = sum(len(p.nodeids) + len(p.prefixes) for p in self.selection.projects)
        files = sum(len(p.files) for p in self.selection.projects)
        return tests, files


def environment_keys(projects: Sequence[Project]) -> dict[Path, str]:
    return {p.root: environment_key(p.interpreter) for p in projects}


def plan_affected(
    projects: Sequence[Project],
    request: RunRequest,
    store: DepStore,
    results: ResultsStore,
    workdir: Path,
    since: str | None = None,
    selector: Selector | None = None,
    changes: ChangeSet | None = None,
    record: bool = True,
    carry: Sequence[ProjectSelection] = (),
    exclude: Set[str] = frozenset(),
    repo_root: Path | None = None,
    files: Sequence[PurePosixPath] | None = None,
) -> AffectedPlan:
    """Select for the change (git's, unless ``changes`` is given) and build the commands.

    ``carry`` is what an interrupted run still owed: it joins the new selection, minus the tests
    in ``exclude`` (those that finished) unless the new change selects them again.

    A command suite cannot be cut down to single tests: it runs whole when the change affects a
    test of its project. ExUnit projects run ``mix test --stale`` (mix's own graph decides).
    ``repo_root`` is needed only when there is no Python project. ``files``: the repository's
    listing (``repo_files``) when the caller has it; the tree is listed once either way.
    """
    repo_root = repo_root or projects[0].repo_root
    if changes is None:
        changes = changed_files(repo_root, since)
    if selector is None:
        selector = Selector(repo_root, projects, store, results, files)
    # Listed once for the whole plan. A long-lived selector (watch mode) keeps its listing
    # current with the changes it is refreshed with (a new mix.exs is a file that appeared):
    # a cycle asks git nothing here.
    files = selector.files
    selection = selector.select(changes, environment_keys(projects))
    runs = _command_suite_runs(selection, projects, request, repo_root)
    _restrict(selection, projects, request)
    skip = _union(selection, carry, exclude)
    # Markers, keyword, nested-project ignores and extra pytest args, as a plain run has them.
    plain = RunRequest(
        markers=request.markers,
        keyword=request.keyword,
        extra_args=request.extra_args,
        report_args=request.report_args,
    )
    # A selected file that fails to import must not hide the other selected tests: it is
    # reported as a failure of that file, and the rest run.
    base_args = {
        c.project_root: [*c.args, CONTINUE_ON_COLLECTION_ERRORS]
        for c in plan_run(projects, plain, files=files)
    }
    if request.suite is not None:
        for project in projects:
            suite = resolve_suite(project, request.suite)
            if suite is not None and suite.markers:
                base_args[project.root] = _with_markers(base_args[project.root], suite.markers)
    commands = selection_commands(
        selection, results, base_args, repo_root if record else None, workdir, skip
    )
    mix = plan_mix_affected(repo_root, request, files)
    for run in mix:
        selection.notes.append(f"{run.project}: {STALE_REASON.split(':', 1)[0]} picks the tests")
    return AffectedPlan(selection, [*commands, *runs, *mix])


def _command_suite_runs(
    selection: Selection, projects: Sequence[Project], request: RunRequest, repo_root: Path
) -> list[PytestCommand]:
    """The command suite ``request.suite`` names, where the change affects its project's tests
    (or, for the repository's own command suites, any test); those projects' selections are
    handed over to it."""
    if request.suite is None:
        return []
    runs: list[PytestCommand] = []
    whole = RunRequest(extra_args=request.extra_args)
    for chosen in selection.projects:
        project = chosen.project
        suite = resolve_suite(project, request.suite)
        if suite is None or suite.kind != "command":
            continue
        command = command_suite_for(project, request.suite)
        if command is not None and not chosen.empty:
            why = f"command suite {command.name}: runs whole, the change affects {project.rel}"
            run = command_run(command, repo_root, project.interpreter, whole)
            runs.append(replace(run, default_reason=why))
        _clear(chosen)
    if runs or any(resolve_suite(p, request.suite) for p in projects):
        return runs
    found = match_command_suite(repo_command_suites(repo_root, projects), request.suite)
    if found is not None:
        if not selection.empty:
            why = f"command suite {found.name}: runs whole, the change affects tests"
            interpreter = projects[0].interpreter if projects else Path(sys.executable)
            run = command_run(found, repo_root, interpreter, whole)
            runs.append(replace(run, default_reason=why))
        for chosen in selection.projects:
            _clear(chosen)
    return runs


def _union(selection: Selection, carry: Sequence[ProjectSelection], finished: Set[str]) -> set[str]:
    """Add the carried-over selections; return the finished tests not to run again (those the
    new change does not select by itself)."""
    skip = {n for n in finished if all(p.reason_for(n) is None for p in selection.projects)}
    by_root = {p.project.root: p for p in selection.projects}
    for owed in carry:
        target = by_root.get(owed.project.root)
        if target is None or target.whole is not None:
            continue
        if owed.whole is not None:
            target.whole = f"unfinished when an edit interrupted the run ({owed.whole})"
            continue
        for kind, table in (
            ("nodeid", owed.nodeids),
            ("prefix", owed.prefixes),
            ("file", owed.files),
        ):
            for key, reason in table.items():
                target.add(kind, key, f"unfinished when an edit interrupted the run ({reason})")
    return skip


def _with_markers(args: list[str], markers: str) -> list[str]:
    if "-m" in args:
        index = args.index("-m")
        return [*args[:index], "-m", f"({markers}) and ({args[index + 1]})", *args[index + 2 :]]
    return [*args, "-m", markers]


def _restrict(selection: Selection, projects: Sequence[Project], request: RunRequest) -> None:
    """Keep only what a suite (its folders, or its existence in a project) and the requested
    paths allow."""
    for chosen in selection.projects:
        allowed: list[str] | None = None
        if request.suite is not None:
            suite = resolve_suite(chosen.project, request.suite)
            if suite is None:
                _clear(chosen)
                continue
            if suite.paths:
                allowed = [chosen.project.to_repo(p) for p in suite.paths]
        if request.paths:
            repo_root = chosen.project.repo_root
            wanted = [relative_path(Path(p.split("::", 1)[0]), repo_root) for p in request.paths]
            allowed = wanted if allowed is None else [*allowed, *wanted]
        if allowed is not None:
            _keep_under(chosen, allowed)


def _clear(chosen: ProjectSelection) -> None:
    chosen.whole = None
    chosen.nodeids.clear()
    chosen.prefixes.clear()
    chosen.files.clear()


def _keep_under(chosen: ProjectSelection, allowed: Sequence[str]) -> None:
    def under(key: str) -> bool:
        path = PurePosixPath(key.split("::", 1)[0])
        return any(str(a) in (".", str(path)) or PurePosixPath(a) in path.parents for a in allowed)

    if chosen.whole is not None:
        # The whole project, but only under the allowed folders.
        reason = chosen.whole
        chosen.whole = None
        for folder in allowed:
            chosen.files[folder] = reason
        return
    for table in (chosen.nodeids, chosen.prefixes, chosen.files):
        for key in [k for k in table if not under(k)]:
            del table[key]


def selection_commands(
    selection: Selection,
    results: ResultsStore,
    base_args: Mapping[Path, Sequence[str]],
    record_root: Path | None,
    workdir: Path,
    exclude: Set[str] = frozenset(),
) -> list[PytestCommand]:
    """One pytest command per project with something selected: a selection file the plugin
    reads (so only those tests run, whole modules in order: failed first, then fastest first)
    and the test files as arguments (so pytest only collects those)."""
    commands = []
    for chosen in selection.projects:
        if chosen.empty:
            continue
        project = chosen.project
        env = {RECORD_ENV: str(record_root)} if record_root else {}
        args = list(base_args.get(project.root, ()))
        reasons = chosen.reasons()
        if chosen.whole is None:
            spec = _selection_file(chosen, results, workdir, exclude)
            env["GATEUI_SELECT"] = str(spec)
            # Only these paths are collected at all: a small change runs in a moment even in a
            # big repository.
            paths = sorted(
                {
                    k.split("::", 1)[0]
                    for k in reasons
                    if (project.repo_root / k.split("::", 1)[0]).exists()
                }
            )
            args = [relative_path(project.repo_root / f, project.root) for f in paths] + args
            if not paths:
                continue
        else:
            reasons = {}
        commands.append(
            PytestCommand(
                project_root=project.root,
                repo_root=project.repo_root,
                interpreter=project.interpreter,
                args=tuple(args),
                env=env,
                reasons=reasons,
                default_reason=chosen.whole or "",
            )
        )
    return commands


def _selection_file(
    chosen: ProjectSelection, results: ResultsStore, workdir: Path, exclude: Set[str]
) -> Path:
    project = chosen.project

    def local(key: str) -> str:
        return relative_path(project.repo_root / key.split("::", 1)[0], project.root) + (
            "::" + key.split("::", 1)[1] if "::" in key else ""
        )

    failed = set(results.failed())

    def order_key(key: str) -> tuple[int, float]:
        record = results.get(key)
        duration = record.duration_s if record else 0.0
        return (0 if key in failed else 1, duration)

    keys = sorted(chosen.reasons(), key=order_key)
    folders = [k for k in chosen.files if (project.repo_root / k).is_dir()]
    data = {
        "nodeids": [local(k) for k in chosen.nodeids],
        "prefixes": [local(k) for k in chosen.prefixes],
        "files": [local(k) for k in chosen.files if k not in folders],
        "folders": [local(k) for k in folders],
        "order": [local(k) for k in keys],
        "exclude": [local(k) for k in exclude if k.startswith(_prefix(project))],
    }
    fd, name = tempfile.mkstemp(prefix="selection-", suffix=".json", dir=workdir)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    return Path(name)


def _prefix(project: Project) -> str:
    return "" if project.rel == "." else f"{project.rel}/"

"""Discovery: the projects of a repository, their suites and markers, confirmed by real collection.

Two passes, so a user sees something at once: ``load_projects`` + ``static_scan`` read files only
(milliseconds), then ``collect_project`` runs pytest's collection in the project's own interpreter,
which is the truth (markers added by conftest hooks, parametrized ids, collection errors).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from gateui.core.common.config import GateuiConfig, SuiteSpec, load_gateui_config
from gateui.core.common.errors import InterpreterError
from gateui.core.common.paths import find_repo_root as find_repo_root
from gateui.core.common.paths import relative_path
from gateui.core.common.project_files import pytest_ignore_args
from gateui.core.layout.command_suites import as_suite, folder_command_suites
from gateui.core.layout.interpreter import find_interpreter
from gateui.core.layout.projects import (
    find_project_roots,
    is_excluded,
    repo_files,
    sub_project_dirs,
)
from gateui.core.layout.pytest_config import PytestConfig, find_config
from gateui.core.layout.suites import (
    BUILTIN_MARKERS,
    Suite,
    TestInfo,
    build_suites,
    unmarked_tests,
)
from gateui.core.running.events import (
    CollectionError,
    Event,
    ItemCollected,
    RunSummary,
    SessionStarted,
    WarningRaised,
)

# Collecting, scanning and ExUnit are imported where they are used: a gate check and a hook read
# the projects (``load_projects``) and nothing more, and pay for every import.
if TYPE_CHECKING:
    from gateui.core.exunit.mix import MixDiscovery
    from gateui.core.layout.static_scan import StaticScan
    from gateui.core.running.pytest_process import PytestProcess

_STRICT_MARKER_ERROR = re.compile(r"'([^']+)' not found in `markers` configuration option")
_UNKNOWN_MARK_WARNING = re.compile(r"Unknown pytest\.mark\.(\w+)")


@dataclass(frozen=True)
class Project:
    """One place pytest runs: a folder, its configuration and its interpreter."""

    root: Path
    repo_root: Path
    interpreter: Path
    pytest_config: PytestConfig | None
    gateui: GateuiConfig
    nested: tuple[Path, ...] = ()
    """Sub-projects inside this one; their tests are theirs."""

    @cached_property
    def rel(self) -> str:
        """The root relative to the repository, "." for the repository itself."""
        return relative_path(self.root, self.repo_root)

    @property
    def testpaths(self) -> tuple[str, ...]:
        return self.pytest_config.testpaths if self.pytest_config else ()

    @property
    def user_markers(self) -> tuple[str, ...]:
        """Markers registered in the project's own pytest configuration."""
        return tuple(self.pytest_config.markers) if self.pytest_config else ()

    def to_repo(self, project_path: str) -> str:
        """A path or node id relative to this project, made relative to the repository root."""
        return project_path if self.rel == "." else f"{self.rel}/{project_path}"


@dataclass(frozen=True)
class CollectedTest:
    nodeid: str
    """Relative to the repository root."""
    path: str
    line: int | None
    markers: tuple[str, ...]


@dataclass(frozen=True)
class UnregisteredMarker:
    name: str
    where: str
    """``path:line`` relative to the repository root."""


@dataclass(frozen=True)
class CollectionProblem:
    where: str
    message: str


@dataclass(frozen=True)
class ProjectDiscovery:
    """What collection found in one project."""

    project: Project
    tests: tuple[CollectedTest, ...]
    suites: tuple[Suite, ...]
    used: dict[str, int]
    unregistered: tuple[UnregisteredMarker, ...]
    unmarked: tuple[str, ...]
    collection_errors: tuple[CollectionProblem, ...]
    pytest_version: str | None = None
    interpreter_error: str | None = None
    static: bool = False
    """True for the quick view read from files, before pytest confirmed it."""

    @property
    def registered(self) -> tuple[str, ...]:
        return self.project.user_markers


@dataclass(frozen=True)
class Discovery:
    repo_root: Path
    projects: tuple[ProjectDiscovery, ...]
    gate: dict[str, object] = field(default_factory=lambda: {"source": None, "steps": []})

    @cached_property
    def exunit(self) -> tuple[MixDiscovery, ...]:
        """The repository's ExUnit (mix) projects, read from their files when first asked."""
        from gateui.core.exunit.mix import discover_mix, find_mix_projects

        return tuple(discover_mix(m) for m in find_mix_projects(self.repo_root))

    @cached_property
    def repo_commands(self) -> tuple[Suite, ...]:
        """Command suites of the repository root when the root is no project of its own (a
        monorepo's ``tools/test.sh``)."""
        roots = {p.project.root for p in self.projects} | {m.project.root for m in self.exunit}
        if self.repo_root in roots:
            return ()
        config = load_gateui_config(self.repo_root / "pyproject.toml")
        suites = folder_command_suites(self.repo_root, self.repo_root, config.suites)
        return tuple(as_suite(s, self.repo_root) for s in suites)


def load_projects(repo_root: Path, files: Sequence[PurePosixPath] | None = None) -> list[Project]:
    """Every project of the repository, from files only (fast). ``files``: the repository's
    listing when the caller has it already (``repo_files``); listed here otherwise."""
    root_config = load_gateui_config(repo_root / "pyproject.toml")
    listing = repo_files(repo_root) if files is None else files
    roots = [
        r
        for r in find_project_roots(repo_root, listing)
        if not is_excluded(relative_path(r, repo_root), root_config.exclude)
    ]
    projects = []
    for root in roots:
        gateui = _merged_config(root, repo_root, root_config)
        projects.append(
            Project(
                root=root,
                repo_root=repo_root,
                interpreter=find_interpreter(root, repo_root, gateui),
                pytest_config=find_config(root, repo_root),
                gateui=gateui,
                nested=tuple(sub_project_dirs(root, roots)),
            )
        )
    return projects


def _merged_config(root: Path, repo_root: Path, root_config: GateuiConfig) -> GateuiConfig:
    """The repository's ``[tool.gateui]`` with the project's own on top."""
    suites = {n: _rebase_suite(s, repo_root, root) for n, s in root_config.suites.items()}
    suites = {n: s for n, s in suites.items() if s is not None}
    if root == repo_root:
        return root_config
    own = load_gateui_config(root / "pyproject.toml")
    merged_suites: dict[str, SuiteSpec] = {k: v for k, v in suites.items() if v is not None}
    merged_suites.update(own.suites)
    if own.source is None:
        return replace(root_config, suites=merged_suites)
    return replace(own, python=own.python or root_config.python, suites=merged_suites)


def _rebase_suite(spec: SuiteSpec, declared_in: Path, project: Path) -> SuiteSpec | None:
    """Paths of a suite declared at the repository root, seen from a project (None: not there)."""
    if declared_in == project:
        return spec
    if spec.command is not None:
        return None  # a command runs once, where it is declared: the repository's own suite
    if not spec.paths:
        return spec
    inside = []
    for raw in spec.paths:
        absolute = (declared_in / raw).resolve()
        if absolute == project or project in absolute.parents:
            inside.append(relative_path(absolute, project))
    return replace(spec, paths=tuple(inside)) if inside else None


def static_view(project: Project) -> tuple[ProjectDiscovery, StaticScan]:
    """The quick view: tests and markers as far as reading the files can tell."""
    from gateui.core.layout.static_scan import scan_project

    scan = scan_project(project.root, project.pytest_config, project.nested)
    infos = [TestInfo(t.nodeid, t.path, t.markers) for t in scan.tests]
    tests = tuple(
        CollectedTest(project.to_repo(t.nodeid), project.to_repo(t.path), t.line, t.markers)
        for t in scan.tests
    )
    suites = project_suites(project, infos)
    errors = tuple(
        CollectionProblem(f"{project.to_repo(p)}:{line}", message)
        for p, line, message in scan.syntax_errors
    )
    view = ProjectDiscovery(
        project=project,
        tests=tests,
        suites=tuple(suites),
        used=_used(infos),
        unregistered=(),
        unmarked=tuple(project.to_repo(n) for n in unmarked_tests(infos, suites)),
        collection_errors=errors,
        static=True,
    )
    return view, scan


def project_suites(project: Project, infos: Sequence[TestInfo]) -> list[Suite]:
    """Every suite of the project for these tests: declared, marker, folder and command."""
    built = build_suites(
        infos,
        project.user_markers,
        project.testpaths,
        project.gateui.suites,
        project.gateui.source,
    )
    return with_command_suites(project, built)


def with_command_suites(project: Project, suites: Sequence[Suite]) -> list[Suite]:
    """The project's suites with its command suites described in full (where they run, where
    they come from), and those its files propose (Makefile targets, test scripts, tox, nox)."""
    taken = [s.name for s in suites if s.kind != "command"]
    found = folder_command_suites(project.root, project.repo_root, project.gateui.suites, taken)
    commands = {c.name: as_suite(c, project.repo_root) for c in found}
    result = [commands.pop(s.name, s) if s.kind == "command" else s for s in suites]
    return result + list(commands.values())


def collect_project(
    project: Project,
    scan: StaticScan | None = None,
    on_process: Callable[[PytestProcess], None] | None = None,
) -> ProjectDiscovery:
    """Run pytest's collection for real and build the project's report from it."""
    from gateui.core.layout.static_scan import scan_project
    from gateui.core.running.pytest_process import PytestCommand, PytestProcess

    command = PytestCommand(
        project_root=project.root,
        repo_root=project.repo_root,
        interpreter=project.interpreter,
        args=("--collect-only", "-qq", *_ignore_args(project)),
        collect_items=True,
    )
    process = PytestProcess(command)
    if on_process is not None:
        on_process(process)
    events: list[Event] = []
    try:
        events = list(process.events())
    except InterpreterError as exc:
        return _empty(project, interpreter_error=str(exc))
    if scan is None:
        # Read after pytest ran (a caller printing the static view has scanned meanwhile,
        # and the scanner's cache makes this second pass cheap).
        scan = scan_project(project.root, project.pytest_config, project.nested)
    return _from_events(project, process, events, scan)


def _ignore_args(project: Project) -> list[str]:
    """Sub-projects run their own tests in their own root; keep them out of this one. Installed
    packages and build output are never the project's: their tests are not collected."""
    args = pytest_ignore_args(project.root)
    for nested in project.nested:
        args += ["--ignore", os.path.relpath(nested, project.root)]
    return args


def _empty(project: Project, interpreter_error: str) -> ProjectDiscovery:
    return ProjectDiscovery(project, (), (), {}, (), (), (), interpreter_error=interpreter_error)


def _from_events(
    project: Project, process: PytestProcess, events: Sequence[Event], scan: StaticScan
) -> ProjectDiscovery:
    session = next((e for e in events if isinstance(e, SessionStarted)), None)
    items = [e for e in events if isinstance(e, ItemCollected)]
    rootdir = Path(session.rootdir) if session else project.root
    infos = [
        TestInfo(
            _to_project(i.nodeid, rootdir, project.root),
            _to_project(i.path, rootdir, project.root),
            i.markers,
        )
        for i in items
    ]
    # Tests the project's own addopts deselect (-m "not property") are not run by a plain run,
    # but they are the tests of their suite (`gateui run property` runs them).
    tests = tuple(
        CollectedTest(
            project.to_repo(info.nodeid), project.to_repo(info.path), item.line, info.markers
        )
        for info, item in zip(infos, items, strict=True)
        if not item.deselected
    )
    suites = project_suites(project, infos)
    errors = [
        CollectionProblem(e.nodeid or project.rel, e.message)
        for e in events
        if isinstance(e, CollectionError)
    ]
    summary = next((e for e in events if isinstance(e, RunSummary)), None)
    if summary is not None and summary.exitstatus not in (0, 1, 2, 5):
        # Usage or internal error: pytest never got to collect; its own words say why.
        errors.append(_startup_problem(project, summary))
    registered = set(session.registered_markers) if session else set(project.user_markers)
    return ProjectDiscovery(
        project=project,
        tests=tests,
        suites=tuple(suites),
        used=_used(infos),
        unregistered=tuple(
            _unregistered(project, infos, events, errors, registered, scan, rootdir)
        ),
        unmarked=tuple(project.to_repo(n) for n in unmarked_tests(infos, suites)),
        collection_errors=tuple(errors),
        pytest_version=session.pytest_version if session else None,
    )


def _startup_problem(project: Project, summary: RunSummary) -> CollectionProblem:
    where = project.pytest_config.config_file if project.pytest_config else project.root
    tail = [line for line in summary.output_tail if line.strip()]
    message = "\n".join(tail[-15:]) or f"pytest exited with status {summary.exitstatus}"
    return CollectionProblem(relative_path(Path(where), project.repo_root), message)


def _to_project(nodeid: str, rootdir: Path, project_root: Path) -> str:
    if rootdir == project_root:
        return nodeid
    absolute = os.path.normpath(rootdir / nodeid.split("::", 1)[0])
    rest = nodeid[len(nodeid.split("::", 1)[0]) :]
    return Path(os.path.relpath(absolute, project_root)).as_posix() + rest


def _used(tests: Iterable[TestInfo]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for test in tests:
        counts.update(m for m in set(test.markers) if m not in BUILTIN_MARKERS)
    return dict(sorted(counts.items()))


def _unregistered(
    project: Project,
    tests: Sequence[TestInfo],
    events: Sequence[Event],
    errors: Sequence[CollectionProblem],
    registered: set[str],
    scan: StaticScan,
    rootdir: Path,
) -> list[UnregisteredMarker]:
    """Markers ``--strict-markers`` would reject, each with the file:line that uses it."""
    where: dict[str, str] = {}
    for name, path, line in scan.marker_uses:
        where.setdefault(name, f"{project.to_repo(path)}:{line}")
    found: dict[str, str] = {}
    for event in events:
        if isinstance(event, WarningRaised) and event.category == "PytestUnknownMarkWarning":
            match = _UNKNOWN_MARK_WARNING.search(event.message)
            if match:
                path = relative_path(Path(event.path), project.repo_root)
                found.setdefault(match.group(1), f"{path}:{event.line}")
    for problem in errors:
        for name in _STRICT_MARKER_ERROR.findall(problem.message):
            found.setdefault(name, where.get(name, problem.where))
    for test in tests:
        for name in test.markers:
            if name not in registered and name not in BUILTIN_MARKERS:
                found.setdefault(name, where.get(name, project.to_repo(test.path)))
    return [
        UnregisteredMarker(name, where.get(name, location))
        for name, location in sorted(found.items())
        if name not in registered
    ]

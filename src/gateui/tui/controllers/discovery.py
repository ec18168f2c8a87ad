"""Discovery: what git says about the repository, then its projects and tests.

One thread worker asks git for the branch, then reports the projects twice: first as their files
say (the core's static view, quick), then as pytest's collection confirms them (one collecting
process per project, a few at a time). ExUnit projects are read from their files, final at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App
from textual.content import Content
from textual.message import Message

from gateui.core.discovery.discover import (
    Project,
    ProjectDiscovery,
    collect_project,
    load_projects,
    static_view,
)
from gateui.core.exunit.mix import MixDiscovery, discover_mix, find_mix_projects
from gateui.core.layout.static_scan import StaticScan
from gateui.core.running.pytest_process import PytestProcess
from gateui.tui.controllers.notes import LogNote
from gateui.tui.empty_states import interpreter_text, no_tests_text
from gateui.tui.gitinfo import git_branch

NOT_GIT_NOTE = (
    "not a git repository: runs and watch mode work; affected selection against a commit and the "
    "PR gate need git"
)
"""What the log says when the repository is not in git."""


class DiscoveryController:
    """The repository's projects and what discovery found in them, kept up to date by the
    ``discovery`` worker's messages."""

    @dataclass
    class RepoInfo(Message):
        """What git says about the repository."""

        branch: str | None
        """The branch (or short commit when detached); None outside git."""
        is_git: bool
        """Whether the folder is inside a git work tree."""

    @dataclass
    class Updated(Message):
        """Projects and what discovery found in them (first from files, then from pytest)."""

        projects: tuple[Project, ...]
        """Every project of the repository."""
        reports: tuple[ProjectDiscovery, ...]
        """One report per project, in the same order."""
        final: bool
        """False for the quick static view, True once pytest's collection confirmed it."""
        mix: tuple[MixDiscovery, ...] = ()
        """The ExUnit projects (read from their files, final at once)."""

    def __init__(self, app: App[Any], repo_root: Path) -> None:
        self.app = app
        self.repo_root = repo_root
        self.projects: tuple[Project, ...] = ()
        self.mix: tuple[MixDiscovery, ...] = ()
        self.reports: tuple[ProjectDiscovery, ...] = ()
        self.discovered = False
        """True once pytest's collection confirmed what the files said."""
        self.is_git: bool | None = None
        """Whether the repository is in git (None until git was asked)."""
        self._collecting: list[PytestProcess] = []
        self._stopping = False

    @property
    def has_projects(self) -> bool:
        """Whether discovery found anything to run: a Python test project or an ExUnit one."""
        return bool(self.projects or self.mix)

    def start(self) -> None:
        self.app.run_worker(
            self._discover,
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="discovery",
            name="discovery",
        )

    def _discover(self) -> None:
        """The worker: git, the static view, then pytest's collection of each project."""
        branch, is_git = git_branch(self.repo_root)
        self.app.post_message(self.RepoInfo(branch, is_git))
        projects = load_projects(self.repo_root)
        views = [static_view(p) for p in projects]
        mix = tuple(discover_mix(m) for m in find_mix_projects(self.repo_root))
        self.app.post_message(self.Updated(tuple(projects), tuple(v for v, _ in views), False, mix))
        if not views:
            self.app.post_message(self.Updated(tuple(projects), (), True, mix))
            return

        def collect(pair: tuple[ProjectDiscovery, StaticScan]) -> ProjectDiscovery:
            view, scan = pair
            if self._stopping:
                return view
            return collect_project(view.project, scan, on_process=self._collecting.append)

        with ThreadPoolExecutor(max_workers=max(1, min(len(views), 4))) as pool:
            reports = tuple(pool.map(collect, views))
        if not self._stopping:
            self.app.post_message(self.Updated(tuple(projects), reports, True, mix))

    def update(self, message: Updated) -> None:
        """Take what the worker found (on the UI thread)."""
        self.projects = message.projects
        self.reports = message.reports
        self.mix = message.mix
        self.discovered = message.final

    def report(self) -> tuple[list[LogNote], Content | None]:
        """What the final discovery says in the log, and the problem that keeps anything from
        running (a project's interpreter without pytest, or no tests at all), if any."""
        reports = self.reports
        tests = sum(len(r.tests) for r in reports) + sum(len(m.tests) for m in self.mix)
        count = len(reports) + len(self.mix)
        noun = "project" if count == 1 else "projects"
        notes = [LogNote(f"discovered {tests} tests in {count} {noun}")]
        problem: Content | None = None
        for report in reports:
            where = report.project.rel
            if report.interpreter_error:
                notes.append(LogNote(f"{where}: {report.interpreter_error}", "bold red"))
                problem = interpreter_text(report.interpreter_error)
            for error in report.collection_errors:
                text = f"collection error in {error.where}:\n{error.message}"
                notes.append(LogNote(text, "red", alert=True))
            for marker in report.unregistered:
                notes.append(
                    LogNote(
                        f"unregistered marker {marker.name!r} at {marker.where} "
                        "(--strict-markers rejects it)",
                        "yellow",
                    )
                )
        if not count or (tests == 0 and problem is None):
            problem = no_tests_text(self.repo_root)
        return notes, problem

    def shutdown(self) -> None:
        """Collect no more, and stop the collecting processes."""
        self._stopping = True
        for process in list(self._collecting):
            process.cancel()

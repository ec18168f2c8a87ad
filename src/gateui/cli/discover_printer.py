"""``gateui discover`` output: the JSON contract and the human summary."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import Any, TextIO

from gateui.cli.schema import SCHEMA_VERSION
from gateui.core.discovery.discover import Discovery, ProjectDiscovery
from gateui.core.exunit.mix import MixDiscovery
from gateui.core.layout.suites import Suite
from gateui.wording import collection_error_headline

_LIST_LIMIT = 8


def suite_json(suite: Suite) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": suite.name,
        "kind": suite.kind,
        "tests": suite.tests,
        "markers": suite.markers,
        "paths": list(suite.paths),
    }
    if suite.command:
        data.update(command=suite.command, cwd=suite.cwd, source=suite.source)
    return data


def project_json(report: ProjectDiscovery) -> dict[str, Any]:
    project = report.project
    data: dict[str, Any] = {
        "root": project.rel,
        "kind": "pytest",
        "interpreter": str(project.interpreter),
        "pytest_version": report.pytest_version,
        "config_file": (
            str(project.pytest_config.config_file.relative_to(project.repo_root))
            if project.pytest_config
            else None
        ),
        "tests": len(report.tests),
        "suites": [suite_json(s) for s in report.suites],
        "markers": {
            "registered": list(report.registered),
            "used": dict(report.used),
            "unregistered": [{"name": u.name, "where": u.where} for u in report.unregistered],
        },
        "unmarked": list(report.unmarked),
        "collection_errors": [
            {"where": e.where, "message": e.message} for e in report.collection_errors
        ],
    }
    if report.interpreter_error:
        data["interpreter_error"] = report.interpreter_error
    return data


def mix_json(view: MixDiscovery) -> dict[str, Any]:
    """An ExUnit project in the shape of a pytest one (tags are its markers), plus ``exunit``."""
    project = view.project
    suites = []
    for suite in view.suites:
        data = suite_json(suite)
        excluded = view.excluded_in(suite) if suite.kind == "folder" else 0
        if excluded:
            data["excluded_by_default"] = excluded
        suites.append(data)
    return {
        "root": project.rel,
        "kind": "exunit",
        "interpreter": None,
        "tests": len(view.tests),
        "suites": suites,
        "markers": {"registered": [], "used": dict(view.used), "unregistered": []},
        "unmarked": list(view.unmarked),
        "collection_errors": [{"where": w, "message": m} for w, m in view.problems],
        "exunit": {
            "test_paths": list(project.test_paths),
            "excludes": list(project.excludes),
            "includes": list(project.includes),
            "excluded_by_default": [project.to_repo(n) for n in view.excluded],
            "elixir": shutil.which("elixir"),
        },
    }


def discovery_json(discovery: Discovery) -> dict[str, Any]:
    projects = [project_json(p) for p in discovery.projects]
    projects += [mix_json(m) for m in discovery.exunit]
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "repo": str(discovery.repo_root),
        "projects": projects,
    }
    if discovery.repo_commands:
        # The root is no project: its command suites (tools/test.sh…) are the repository's.
        data["commands"] = [suite_json(s) for s in discovery.repo_commands]
    data["gate"] = discovery.gate
    return data


def print_static(report: ProjectDiscovery, stream: TextIO) -> None:
    """The at-once line: what reading the files says, before pytest confirms it."""
    suites = ", ".join(f"{s.name} {s.tests}" for s in report.suites if s.tests) or "none yet"
    stream.write(
        f"{report.project.rel}: ~{len(report.tests)} tests by static scan (suites: {suites})"
        " — collecting…\n"
    )
    stream.flush()


def print_project(report: ProjectDiscovery, stream: TextIO) -> None:
    project = report.project
    version = f", pytest {report.pytest_version}" if report.pytest_version else ""
    stream.write(
        f"\n{project.rel}  —  {len(report.tests)} tests  ({project.interpreter}{version})\n"
    )
    if report.interpreter_error:
        stream.write(f"  cannot collect: {report.interpreter_error}\n")
        return
    print_suites(report.suites, stream)
    registered = ", ".join(report.registered) or "none"
    stream.write(f"  markers registered: {registered}\n")
    if report.used:
        used = ", ".join(f"{name} {count}" for name, count in report.used.items())
        stream.write(f"  markers used: {used}\n")
    for marker in report.unregistered:
        stream.write(f"  unregistered marker: {marker.name} at {marker.where}\n")
    if report.unmarked:
        stream.write(f"  tests without a suite marker: {len(report.unmarked)}\n")
        for nodeid in report.unmarked[:_LIST_LIMIT]:
            stream.write(f"    {nodeid}\n")
        if len(report.unmarked) > _LIST_LIMIT:
            stream.write(f"    … and {len(report.unmarked) - _LIST_LIMIT} more\n")
    for error in report.collection_errors:
        stream.write(
            f"  collection error: {error.where}: {collection_error_headline(error.message)}\n"
        )


def print_suites(suites: Sequence[Suite], stream: TextIO, excluded: Sequence[int] = ()) -> None:
    if not suites:
        return
    stream.write("  suites:\n")
    width = max(len(s.name) for s in suites)
    for index, suite in enumerate(suites):
        if suite.kind == "command":
            where = f"in {suite.cwd}, " if suite.cwd not in (None, ".") else ""
            stream.write(
                f"    {suite.name:<{width}}  command  {suite.command}  ({where}{suite.source})\n"
            )
            continue
        noun = "test" if suite.tests == 1 else "tests"
        line = f"    {suite.name:<{width}}  {suite.kind:<7} {suite.tests:>6} {noun}"
        if index < len(excluded) and excluded[index]:
            line += f" ({excluded[index]} excluded by default)"
        stream.write(line + "\n")


def print_mix(view: MixDiscovery, stream: TextIO) -> None:
    project = view.project
    elixir = shutil.which("elixir") or "elixir not installed"
    stream.write(f"\n{project.rel}  —  {len(view.tests)} ExUnit tests  (mix, {elixir})\n")
    excluded = [view.excluded_in(s) if s.kind == "folder" else 0 for s in view.suites]
    print_suites(view.suites, stream, excluded)
    if project.excludes:
        stream.write(
            f"  excluded by default: {', '.join(project.excludes)}"
            f" ({len(view.excluded)} tests; test/test_helper.exs)\n"
        )
    if view.used:
        used = ", ".join(f"{name} {count}" for name, count in view.used.items())
        stream.write(f"  tags used: {used}\n")
    if view.unmarked:
        stream.write(f"  tests without a tag: {len(view.unmarked)}\n")
    for where, message in view.problems:
        stream.write(f"  problem: {where}: {message}\n")


def print_discovery(discovery: Discovery, stream: TextIO) -> None:
    if not discovery.projects and not discovery.exunit and not discovery.repo_commands:
        stream.write(f"{discovery.repo_root}: no test projects found\n")
    for report in discovery.projects:
        print_project(report, stream)
    for view in discovery.exunit:
        print_mix(view, stream)
    if discovery.repo_commands:
        stream.write("\n.  —  command suites of the repository\n")
        print_suites(discovery.repo_commands, stream)
    stream.flush()

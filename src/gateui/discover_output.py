"""``gateui discover`` output: the JSON contract and the human summary."""

from __future__ import annotations

from typing import Any, TextIO

from gateui.core.discovery import Discovery, ProjectDiscovery
from gateui.printers import failure_headline

_LIST_LIMIT = 8


def project_json(report: ProjectDiscovery) -> dict[str, Any]:
    project = report.project
    data: dict[str, Any] = {
        "root": project.rel,
        "interpreter": str(project.interpreter),
        "pytest_version": report.pytest_version,
        "config_file": (
            str(project.pytest_config.config_file.relative_to(project.repo_root))
            if project.pytest_config
            else None
        ),
        "tests": len(report.tests),
        "suites": [
            {
                "name": s.name,
                "kind": s.kind,
                "tests": s.tests,
                "markers": s.markers,
                "paths": list(s.paths),
                **({"command": s.command} if s.command else {}),
            }
            for s in report.suites
        ],
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


def discovery_json(discovery: Discovery) -> dict[str, Any]:
    return {
        "repo": str(discovery.repo_root),
        "projects": [project_json(p) for p in discovery.projects],
        "gate": discovery.gate,
    }


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
    if report.suites:
        stream.write("  suites:\n")
        width = max(len(s.name) for s in report.suites)
        for suite in report.suites:
            noun = "test" if suite.tests == 1 else "tests"
            stream.write(f"    {suite.name:<{width}}  {suite.kind:<7} {suite.tests:>6} {noun}\n")
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
        stream.write(f"  collection error: {error.where}: {failure_headline(error.message)}\n")


def print_discovery(discovery: Discovery, stream: TextIO) -> None:
    if not discovery.projects:
        stream.write(f"{discovery.repo_root}: no Python test projects found\n")
    for report in discovery.projects:
        print_project(report, stream)
    stream.flush()

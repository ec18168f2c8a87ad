"""``gateui discover``: the static view at once, then real collection per project."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from gateui.cli.config_check import check_config
from gateui.cli.discover_printer import discovery_json, print_discovery, print_static
from gateui.cli.exit_codes import EXIT_OK, EXIT_USAGE
from gateui.core.discovery.discover import (
    Discovery,
    ProjectDiscovery,
    collect_project,
    find_repo_root,
    load_projects,
    static_view,
)


def register(commands: Any) -> None:
    discover = commands.add_parser("discover", help="list projects, suites, markers and problems")
    discover.add_argument("path", nargs="?", default=".", help="repository (default: here)")
    discover.add_argument("--json", action="store_true", help="machine-readable output")
    discover.add_argument(
        "-C", dest="repo", default=".", metavar="DIR", help="run as if started in DIR (as git -C)"
    )
    discover.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace, extra: Sequence[str]) -> int:
    return cmd_discover(Path(args.path), args.json, sys.stdout)


def discover(path: Path, on_static: TextIO | None = None) -> Discovery:
    """Static view of every project at once (printed to ``on_static``), then real collection."""
    repo_root = find_repo_root(path)
    projects = load_projects(repo_root)
    workers = max(1, min(len(projects), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # pytest starts first; the static view is read while it collects.
        futures = [pool.submit(collect_project, p) for p in projects]
        if on_static is not None:
            for project in projects:
                view, _ = static_view(project)
                print_static(view, on_static)
        reports: list[ProjectDiscovery] = [f.result() for f in futures]
    from gateui.cli.gate import describe_gate

    return Discovery(repo_root=repo_root, projects=tuple(reports), gate=describe_gate(repo_root))


def cmd_discover(path: Path, as_json: bool, out: TextIO) -> int:
    result = discover(path, on_static=None if as_json else out)
    if as_json:
        out.write(json.dumps(discovery_json(result), indent=2) + "\n")
    else:
        print_discovery(result, out)
        from gateui.cli.gate_printer import print_gate_description

        print_gate_description(result.gate, out)
    if any(p.interpreter_error for p in result.projects):
        return EXIT_USAGE
    # The report above shows what could be read; a configuration that cannot be used is still
    # exit 2, as in every other command that reads it.
    check_config(result.repo_root)
    return EXIT_OK

"""A ``gateui run`` starts the warm process its run will need before it has planned the run.

What a run costs beyond pytest is mostly serial: gateui's start-up, its imports, listing the tree
and planning — ≈ 0.2 s before pytest's interpreter even starts. A warm process (``warm``) takes
exactly that long to start and import pytest and the tests' libraries, and it needs only the
project and its interpreter. So ``gateui run`` remembers, per repository, which project and
interpreter its last run used (``remember``), and the next run starts that project's warm process
first thing (``warm_early``, before gateui imports anything else), beside its own planning; the
run then forks from it (``adopt`` hands the starting process to a ``WarmPool``).

It is a guess, checked before it is used: the run goes to it only when the planned run is for the
same project and interpreter, with the same environment, installed packages and pytest
configuration (what ``WarmPool`` checks for every run); otherwise the run starts cold and the warm
process is stopped. Where a warm process was refused (a thread alive after its imports, a module
that does not survive a fork), the refusal is remembered with what it depended on, and no warm
process is started early until that changes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gateui.core.running._warm_checks import config_files
from gateui.core.running.warm import WarmPool, modules_file
from gateui.core.running.warm_early import (
    EarlyStart,
    read_hint,
    stamps,
    warm_enabled,
    write_hint,
)
from gateui.core.running.warm_early import hint_path as _hint_path


def hint_path(repo_root: Path) -> Path:
    return Path(_hint_path(str(repo_root)))


def read(repo_root: Path) -> dict[str, Any] | None:
    """The note ``remember`` left in ``repo_root``, as ``warm_early`` reads it."""
    return read_hint(_hint_path(str(repo_root)))


def adopt(early: EarlyStart) -> WarmPool:
    """A ``single_run`` pool that takes over the warm process ``warm_early`` started: the run
    is handed to it once ready, when the planned run matches."""
    pool = WarmPool(Path(early.repo_root), single_run=True)
    pool.prepare(Path(early.project_root), Path(early.interpreter), early.env, early=early)
    return pool


def remember(
    repo_root: Path,
    project_root: Path,
    interpreter: Path,
    env: Mapping[str, str],
    pool: WarmPool | None,
) -> None:
    """Note the project a run went to, for the next run's ``warm_early``; with the refusal the
    pool met, if it met one."""
    hint_env = {k: v for k, v in env.items() if not k.startswith("GATEUI_")}
    merged = {**os.environ, **hint_env}
    pyproject = project_root / "pyproject.toml"
    hint: dict[str, Any] = {
        "project_root": str(project_root),
        "interpreter": str(interpreter),
        "env": hint_env,
        "warm": warm_enabled(project_root),
        "pyproject": stamps([str(pyproject)]),
    }
    refusal = None if pool is None else pool.refused(project_root, interpreter)
    if pool is not None and refusal is not None:
        folders = [str(folder) for folder in refusal.folders]
        modules = modules_file(repo_root, project_root, interpreter, merged)
        hint["refused"] = _refusal_stamps(modules, project_root, folders)
    write_hint(str(repo_root), hint)


def _refusal_stamps(
    modules_file: Path, project_root: Path, folders: Sequence[str]
) -> list[tuple[str, int, int]]:
    """What a refusal depends on: the environment's folders, the pytest configuration and the
    modules to preload (the environment variables are the note's own)."""
    paths = [*folders, *(str(path) for path in config_files(project_root)), str(modules_file)]
    return stamps(paths)

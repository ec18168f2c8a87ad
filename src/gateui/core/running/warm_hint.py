"""A ``gateui run`` starts the warm process its run will need before it has planned the run.

What a run costs beyond pytest is mostly serial: gateui's start-up, its imports, listing the tree
and planning — ≈ 0.2 s before pytest's interpreter even starts. A warm process (``warm``) takes
exactly that long to start and import pytest and the tests' libraries, and it needs only the
project and its interpreter. So ``gateui run`` remembers, per repository, which project and
interpreter its last run used (``remember``), and the next run starts that project's warm process
first thing (``early_pool``), beside its own planning; the run then forks from it.

It is a guess, checked before it is used: the run goes to it only when the planned run is for the
same project and interpreter, with the same environment, installed packages and pytest
configuration (what ``WarmPool`` checks for every run); otherwise the run starts cold and the warm
process is stopped. Where a warm process was refused (a thread alive after its imports, a module
that does not survive a fork), the refusal is remembered with what it depended on, and no warm
process is started early until that changes.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gateui.core.common.paths import STATE_DIR
from gateui.core.running._warm_checks import config_files, mtimes, warm_enabled
from gateui.core.running.warm import WarmPool, warm_supported

HINT_FILE = "run-hint.json"


def hint_path(repo_root: Path) -> Path:
    return repo_root / STATE_DIR / "warm" / HINT_FILE


def guess_repo_root(start: Path, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The work tree ``start`` is in, found as git finds it in the usual case (the nearest
    folder with a ``.git``), without starting git; None where git is told otherwise
    (``GIT_DIR``, ``GIT_WORK_TREE``) or there is no ``.git``. A guess: the run finds its
    repository with git, and a warm process started for another one is simply not used."""
    if "GIT_DIR" in environ or "GIT_WORK_TREE" in environ:
        return None
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def early_pool(repo_root: Path, environ: Mapping[str, str] = os.environ) -> WarmPool | None:
    """A ``single_run`` pool whose warm process for the last run's project is starting now, or
    None: no run to go by, warm processes off or unsupported, or refused last time for reasons
    that still hold."""
    if not warm_supported():
        return None
    hint = _read(hint_path(repo_root))
    if hint is None:
        return None
    project_root, interpreter = Path(hint["project_root"]), Path(hint["interpreter"])
    if not interpreter.exists() or not warm_enabled(project_root):
        return None
    pool = WarmPool(repo_root, single_run=True)
    if pool.up_file(project_root, interpreter).exists():
        return None  # another gateui keeps one for the project: the run is handed to it
    env = {**environ, **hint["env"]}
    refused = hint.get("refused")
    if isinstance(refused, list) and refused == _refusal_stamps(
        pool.modules_file(project_root, interpreter, env), project_root, hint.get("folders", [])
    ):
        return None
    pool.prepare(project_root, interpreter, env)
    return pool


def remember(
    repo_root: Path,
    project_root: Path,
    interpreter: Path,
    env: Mapping[str, str],
    pool: WarmPool | None,
) -> None:
    """Note the project a run went to, for the next run's ``early_pool``; with the refusal the
    pool met, if it met one."""
    hint: dict[str, Any] = {
        "project_root": str(project_root),
        "interpreter": str(interpreter),
        "env": {k: v for k, v in env.items() if not k.startswith("GATEUI_")},
    }
    refusal = None if pool is None else pool.refused(project_root, interpreter)
    if pool is not None and refusal is not None:
        folders = [str(folder) for folder in refusal.folders]
        hint["folders"] = folders
        modules_file = pool.modules_file(project_root, interpreter, {**os.environ, **env})
        hint["refused"] = _refusal_stamps(modules_file, project_root, folders)
    path = hint_path(repo_root)
    text = json.dumps(hint, sort_keys=True)
    with contextlib.suppress(OSError):
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)


def _refusal_stamps(
    modules_file: Path, project_root: Path, folders: Sequence[str]
) -> list[list[object]]:
    """What a refusal depends on, as JSON: the environment's folders, the pytest configuration
    and the modules to preload (the environment variables are the hint's own)."""
    paths = [Path(f) for f in folders]
    paths += [*config_files(project_root), modules_file]
    return [list(stamp) for stamp in mtimes(paths)]


def _read(path: Path) -> dict[str, Any] | None:
    try:
        hint = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(hint, dict):
        return None
    if not all(isinstance(hint.get(k), str) for k in ("project_root", "interpreter")):
        return None
    env = hint.get("env")
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        return None
    folders = hint.get("folders", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        hint.pop("refused", None)  # a refusal whose stamps cannot be checked is forgotten
    return hint

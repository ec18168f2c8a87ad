"""The branch for the header: ``git`` calls made in the discovery worker, never the UI thread."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gateui.core.common.project_files import read_only_git_env


def git_branch(repo_root: Path) -> tuple[str | None, bool]:
    """(branch name or short commit when detached, whether ``repo_root`` is in a git work tree)."""
    env = read_only_git_env()
    try:
        inside = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"],
            cwd=repo_root,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    except OSError:
        return None, False
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None, False
    for argv in (
        ["git", "symbolic-ref", "--quiet", "--short", "HEAD"],
        ["git", "rev-parse", "--short", "HEAD"],
    ):
        result = subprocess.run(argv, cwd=repo_root, capture_output=True, text=True, env=env)
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip(), True
    return None, True

"""Path helpers shared by discovery and the runners: node ids relative to the repository root."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Protocol, TypeVar

from gateui.core.common.errors import GateuiError

STATE_DIR = ".gateui"
"""gateui's folder in a repository (``core.running.results.state_dir`` creates it)."""


def relative_nodeid(nodeid: str, rootdir: Path, repo_root: Path) -> str:
    """Re-root a pytest node id (relative to pytest's rootdir) onto the repository root.

    ``tests/test_x.py::t`` run in ``projects/web_api`` becomes
    ``projects/web_api/tests/test_x.py::t``.
    """
    if not nodeid:
        return nodeid
    return nodeid_prefix(rootdir, repo_root) + nodeid


def nodeid_prefix(rootdir: Path, repo_root: Path) -> str:
    """What ``relative_nodeid`` puts before a non-empty node id: "" when pytest's rootdir is the
    repository root, else the folder between them and a slash."""
    return _prefix(str(rootdir), str(repo_root))


@lru_cache(maxsize=64)
def _prefix(rootdir: str, repo_root: str) -> str:
    # Called for every streamed event: the relpath is worked out once per pair of folders.
    prefix = relative_path(Path(rootdir), Path(repo_root))
    return "" if prefix == "." else prefix + "/"


def relative_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in posix form, "." for the root itself."""
    rel = os.path.relpath(path, root)
    return "." if rel == os.curdir else Path(rel).as_posix()


class _Rooted(Protocol):
    @property
    def root(self) -> Path: ...


RootedT = TypeVar("RootedT", bound=_Rooted)


def deepest_owner(owners: Iterable[RootedT], path: Path) -> RootedT | None:
    """The owner (a project of any kind) whose root holds ``path`` most closely, if any."""
    best: RootedT | None = None
    for owner in owners:
        if (path == owner.root or owner.root in path.parents) and (
            best is None or len(owner.root.parts) > len(best.root.parts)
        ):
            best = owner
    return best


def find_repo_root(path: Path) -> Path:
    """The work tree containing ``path`` (or ``path`` itself outside git).

    Asked of git directly: every command starts here, and the answer is one line. A repository
    git refuses to use (owned by another user, a broken config) is an error that says git's
    reason: taken as "outside git", every later git command would fail or, worse, selection
    would quietly see no change."""
    path = path.resolve()
    if not path.exists():
        raise GateuiError(f"{path}: no such directory")
    if not path.is_dir():
        raise GateuiError(f"{path}: not a directory")
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=path,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return path
    top = result.stdout.strip()
    if result.returncode == 0 and top:
        return Path(top).resolve()
    refusal = git_refusal(result.stderr)
    if refusal:
        raise GateuiError(f"{path}: git will not use this repository: {refusal}")
    return path


def git_refusal(stderr: str) -> str:
    """git's reason on one line, when it failed in a repository for another reason than there
    being none; "" when there is none (``not a git repository``) or it said nothing."""
    if "not a git repository" in stderr:
        return ""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    # git's lines are sentences without a full stop ("…at '/x'", "To add an exception…, call:").
    ended = [line if line.endswith((".", ":")) else line + "." for line in lines[:-1]]
    return " ".join([*ended, *lines[-1:]]).removeprefix("fatal: ")

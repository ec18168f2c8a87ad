"""Path helpers shared by discovery and the runner: node ids relative to the repository root."""

from __future__ import annotations

import os
from pathlib import Path


def relative_nodeid(nodeid: str, rootdir: Path, repo_root: Path) -> str:
    """Re-root a pytest node id (relative to pytest's rootdir) onto the repository root.

    ``tests/test_x.py::t`` run in ``projects/web_api`` becomes
    ``projects/web_api/tests/test_x.py::t``.
    """
    if not nodeid:
        return nodeid
    prefix = relative_path(rootdir, repo_root)
    if prefix == ".":
        return nodeid
    return f"{prefix}/{nodeid}"


def relative_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in posix form, "." for the root itself."""
    rel = os.path.relpath(path, root)
    return "." if rel == os.curdir else Path(rel).as_posix()

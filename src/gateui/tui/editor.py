"""``e``: the user's editor at a failure's line, the terminal handed over to it."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from textual.app import App, SuspendNotSupported

from gateui.core.running.events import TestFinished
from gateui.tui.model import failure_location

# Editors that take ``FILE:LINE`` (with the flag shown) instead of vi's ``+LINE FILE``.
_COLON_STYLE = {
    "code": ["-g"],
    "code-insiders": ["-g"],
    "codium": ["-g"],
    "cursor": ["-g"],
    "subl": [],
    "zed": [],
    "hx": [],
    "helix": [],
}


def editor_command(path: Path, line: int | None, env: Mapping[str, str] | None = None) -> list[str]:
    """``$VISUAL`` or ``$EDITOR`` (default ``vi``) with the file and line in the form it expects."""
    env = os.environ if env is None else env
    base = shlex.split(env.get("VISUAL") or env.get("EDITOR") or "vi")
    name = Path(base[0]).name
    if line is None:
        return [*base, str(path)]
    if name in _COLON_STYLE:
        return [*base, *_COLON_STYLE[name], f"{path}:{line}"]
    return [*base, f"+{line}", str(path)]


def source_file(repo_root: Path, project: str, path: str) -> Path:
    """A traceback path (relative to pytest's rootdir, the project) as a file on disk."""
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate
    for base in (repo_root / project, repo_root):
        if (base / candidate).exists():
            return base / candidate
    return repo_root / candidate


def run_editor(app: App[Any], argv: list[str]) -> int | None:
    """Run the editor with the terminal handed over to it; its exit status (None when it could
    not be started: the app says why)."""
    try:
        with app.suspend():
            return subprocess.run(argv, check=False).returncode
    except SuspendNotSupported:
        # No terminal to hand over (headless): run it anyway, detached from ours.
        return subprocess.run(argv, check=False, stdin=subprocess.DEVNULL).returncode
    except OSError as exc:
        app.notify(f"cannot start the editor {argv[0]!r}: {exc}", severity="error")
        return None


def edit_failure(app: App[Any], event: TestFinished, repo_root: Path) -> str:
    """Open the editor where ``event`` failed (else at the test); a line for the log when the
    editor exited with an error."""
    path, line = failure_location(event)
    argv = editor_command(source_file(repo_root, event.project, path), line)
    code = run_editor(app, argv)
    return f"editor exited with status {code}: {' '.join(argv)}" if code else ""

"""The bundled sample repository of ``gateui demo``, copied to a temporary folder and committed
(the command itself is ``gateui.cli.demo``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SAMPLE_REPO = Path(__file__).resolve().parent / "sample_repo"
_IGNORE = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".gateui", "*.pyc")
# A fixed identity so the demo commit works on a machine with no git identity configured.
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "gateui demo",
    "GIT_AUTHOR_EMAIL": "demo@gateui.invalid",
    "GIT_COMMITTER_NAME": "gateui demo",
    "GIT_COMMITTER_EMAIL": "demo@gateui.invalid",
}


def make_demo_repo(parent: Path | None = None) -> Path:
    """Copy the sample repository into a new temporary folder and commit it to a fresh git repo."""
    base = Path(tempfile.mkdtemp(prefix="gateui-demo-", dir=parent))
    target = base / "bookshelf"
    shutil.copytree(SAMPLE_REPO, target, ignore=_IGNORE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | _GIT_IDENTITY
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "Sample repository for gateui demo"],
    ):
        subprocess.run(command, cwd=target, env=env, check=True, capture_output=True)
    return target

"""A gate run in a worktree imports the commit's code even when the project's virtualenv has the
project installed in editable mode from the user's work tree; other interpreters are untouched."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from gateui.core.gate._import_overlay import write_overlay
from gateui.core.layout.interpreter_info import interpreter_info

pytestmark = pytest.mark.integration


def test_the_overlay_swaps_the_work_tree_for_the_worktree_in_that_environment_only(
    tmp_path: Path,
) -> None:
    user, worktree = tmp_path / "user", tmp_path / "worktree"
    for root, value in ((user, "uncommitted edit"), (worktree, "the commit")):
        (root / "src" / "shelf").mkdir(parents=True)
        (root / "src" / "shelf" / "__init__.py").write_text(f"VALUE = {value!r}\n")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = next((env_dir / "lib").glob("python*/site-packages"))
    # What an editable install leaves behind: a .pth pointing into the user's work tree.
    (site / "_shelf_editable.pth").write_text(f"{user / 'src'}\n")
    # The environment's own sitecustomize keeps running.
    (site / "sitecustomize.py").write_text("import os\nos.environ['OWN_SITECUSTOMIZE'] = 'ran'\n")

    info = interpreter_info(python)
    swap = [
        (entry, str(worktree / path.relative_to(user.resolve())))
        for entry, path in info.paths_inside(user)
    ]
    assert swap == [(str(user / "src"), str(worktree / "src"))]
    overlay = write_overlay(tmp_path / "overlay", info.prefix, swap)
    env = {**os.environ, "PYTHONPATH": str(overlay)}
    probe = "import os, shelf; print(shelf.VALUE, os.environ.get('OWN_SITECUSTOMIZE'))"
    inside = subprocess.run(
        [str(python), "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert inside.stdout.strip() == "the commit ran"
    # Another interpreter with the same PYTHONPATH: no shelf, nothing changed.
    other = subprocess.run(
        [sys.executable, "-c", "import shelf"], env=env, capture_output=True, text=True
    )
    assert other.returncode != 0 and "No module named 'shelf'" in other.stderr

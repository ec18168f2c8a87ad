"""The one rule of what is never the project's, on real folders, and watch mode using it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateui.core.common.project_files import ProjectFiles
from gateui.core.watch.session import ChangeFilter
from helpers import git

pytestmark = pytest.mark.unit


def test_environments_installed_packages_build_output_and_caches_are_not_the_projects(
    tmp_path: Path,
) -> None:
    (tmp_path / "env42").mkdir()
    (tmp_path / "env42" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "build" / "lib").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "build").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "build" / "__init__.py").write_text("")
    own = ProjectFiles(tmp_path)
    assert own.is_project_file("src/pkg/core.py")
    # A package of the project's that happens to be called build.
    assert own.is_project_file("src/pkg/build/steps.py")
    for path in (
        "env42/lib/python3.11/site-packages/x.py",  # a venv by its pyvenv.cfg, whatever its name
        "vendor/site-packages/pkg/tests/test_x.py",
        "web/node_modules/left-pad/index.js",
        "build/lib/pkg/core.py",
        ".hypothesis/examples/abc",
        ".tox/py311/lib/x.py",
        "pkg.egg-info/PKG-INFO",
        "<string>",
        "tests/<unknown>",
    ):
        assert not own.is_project_file(path), path


def test_watch_mode_takes_no_cycle_for_a_venv_created_while_it_watches(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    watching = ChangeFilter(tmp_path.resolve())
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "env")],
        check=True,
        timeout=120,
    )
    (tmp_path / "app.py").write_text("X = 1\n")
    changed = watching(
        [
            str(tmp_path / "env"),
            str(tmp_path / "env" / "bin" / "activate"),
            str(tmp_path / "app.py"),
        ]
    )
    assert changed == {"app.py"}

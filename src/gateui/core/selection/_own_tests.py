"""Only a project's own tests are selected: those under its ``testpaths`` (everywhere in the
project when it has none), never in what is not the project's (a venv, build output).

A ``bench/`` folder with ``test_*.py`` files, or an installed package's tests, are not what a
plain ``pytest`` in the project runs; handed to pytest as arguments they would be collected all
the same, and one collection error there would abort the run of the tests that matter.
"""

from __future__ import annotations

import glob
import os
from pathlib import PurePosixPath

from gateui.core.common.paths import relative_path
from gateui.core.common.project_files import ProjectFiles
from gateui.core.discovery.discover import Project


def testpath_roots(project: Project) -> tuple[str, ...] | None:
    """Repository-relative folders and files where the project's tests live; None when the
    project has no ``testpaths`` (or none of them exists: pytest then falls back to the root)."""
    config = project.pytest_config
    if config is None or not config.testpaths:
        return None
    found: list[str] = []
    for testpath in config.testpaths:
        for match in sorted(glob.glob(testpath, root_dir=config.directory, recursive=True)):
            absolute = os.path.abspath(config.directory / match)
            found.append(relative_path(type(project.root)(absolute), project.repo_root))
    return tuple(found) or None


def is_own_test(key: str, roots: tuple[str, ...] | None, own: ProjectFiles) -> bool:
    """``key`` (a repository-relative file, folder or node id) names tests of the project."""
    path = key.split("::", 1)[0]
    if not own.is_project_file(path):
        return False
    if roots is None:
        return True
    pure = PurePosixPath(path)
    return any(root in (".", path) or PurePosixPath(root) in pure.parents for root in roots)

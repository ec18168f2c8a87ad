"""What is never a file of the project, whether or not ``.gitignore`` says so.

Virtual environments (any folder holding ``pyvenv.cfg``, or a conda environment), installed
packages (``site-packages``), JavaScript dependencies (``node_modules``), build output, tool caches
and tox/nox environments. Selection (what changed), discovery (what is collected), watch mode
(what triggers a cycle), recording (what a test read) and the gate all ask this one rule: a
Python 3.11 ``venv`` writes no ``.gitignore`` into itself, so a repository that does not list its
``.venv/`` would otherwise hand thousands of installed files, and their tests, to every run.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

NOT_PROJECT_DIRS = frozenset(
    {
        # Version control and gateui's own state.
        ".git",
        ".hg",
        ".svn",
        ".gateui",
        # Tool caches.
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        ".benchmarks",
        ".ipynb_checkpoints",
        # Environments and installed packages.
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "site-packages",
        "dist-packages",
        "__pypackages__",
        "node_modules",
        ".eggs",
    }
)
"""Folder names that are never the project's own, wherever they sit."""
NOT_PROJECT_DIR_PATTERNS = ("*.egg-info", "pytest-cache-files-*")
INSTALLED_DIRS = frozenset({"site-packages", "dist-packages", "__pypackages__", "node_modules"})
"""Where installed packages, with their own tests, live outside a virtual environment too
(``pip install --target``, PEP 582, JavaScript tooling)."""
BUILD_DIRS = frozenset({"build", "dist"})
"""Build output, unless the folder is a package of the project's own (holds ``__init__.py``)."""


def is_virtualenv(folder: str | os.PathLike[str]) -> bool:
    """pytest's own test (``_in_venv``): a ``pyvenv.cfg`` (PEP 405) or a conda environment."""
    text = os.fspath(folder)
    return os.path.isfile(os.path.join(text, "pyvenv.cfg")) or os.path.isfile(
        os.path.join(text, "conda-meta", "history")
    )


def not_project_name(name: str) -> bool:
    """A folder name that alone says the folder is not the project's (no disk access)."""
    return name in NOT_PROJECT_DIRS or any(
        fnmatch.fnmatch(name, p) for p in NOT_PROJECT_DIR_PATTERNS
    )


def not_project_folder(folder: str | os.PathLike[str]) -> bool:
    """``folder`` (an existing directory) is an environment, dependency, cache or build output."""
    text = os.fspath(folder)
    name = os.path.basename(text.rstrip(os.sep))
    if not_project_name(name):
        return True
    if name in BUILD_DIRS and not os.path.isfile(os.path.join(text, "__init__.py")):
        return True
    return is_virtualenv(text)


class ProjectFiles:
    """Answers "is this repository-relative path a file of the project?" for one repository.

    Each folder is judged once (a venv's 20,000 files share a few hundred folders), so filtering
    a change costs a dictionary lookup per file and a few stats per new folder.
    """

    def __init__(self, repo_root: Path) -> None:
        self.repo_root = repo_root
        self._folders: dict[str, bool] = {}

    def __contains__(self, rel: object) -> bool:
        if not isinstance(rel, str):
            return False
        return self.is_project_file(rel)

    def is_project_file(self, rel: str) -> bool:
        if not rel or rel.startswith(("/", "../")) or rel == "..":
            return False
        name = rel.rsplit("/", 1)[-1]
        if _pseudo(name):
            return False
        folder = rel.rpartition("/")[0]
        return not folder or self._project_folder(folder)

    def is_project_folder(self, rel: str) -> bool:
        """The repository-relative folder ``rel`` (``a/b`` or ``a/b/``) is the project's."""
        folder = rel.rstrip("/")
        return folder in ("", ".") or (not folder.startswith("/") and self._project_folder(folder))

    def keep(self, rels: Iterable[str]) -> list[str]:
        """The project's files among ``rels``, in their order."""
        return [r for r in rels if self.is_project_file(r)]

    def _project_folder(self, folder: str) -> bool:
        known = self._folders.get(folder)
        if known is not None:
            return known
        parent, _, name = folder.rpartition("/")
        outside = parent and not self._project_folder(parent)
        if outside or not_project_name(name) or _pseudo(name):
            verdict = False
        else:
            # A folder that is gone (a deleted package) is judged by its name alone.
            path = self.repo_root / folder
            verdict = not (path.is_dir() and not_project_folder(path))
        self._folders[folder] = verdict
        return verdict


def _pseudo(name: str) -> bool:
    """``<string>``, ``<unknown>``, ``<frozen os>``: a name Python gives code with no file."""
    return name.startswith("<") and name.endswith(">")


def read_only_git_env() -> dict[str, str]:
    """The environment for a question to git that changes nothing: no optional locks (the index
    refresh a ``git status`` would write), so it never races the user's own git commands."""
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}


def git_ignored(repo_root: Path, rels: Iterable[str]) -> set[str]:
    """The subset of ``rels`` that .gitignore excludes, in one ``git check-ignore`` call (a
    tracked file is never ignored; outside git nothing is)."""
    rels = list(rels)
    if not rels:
        return set()
    try:
        result = subprocess.run(
            ["git", "check-ignore", "--stdin", "-z"],
            cwd=repo_root,
            input="\0".join(rels) + "\0",
            capture_output=True,
            text=True,
            check=False,
            env=read_only_git_env(),
        )
    except OSError:
        return set()
    # Exit 1: none ignored; 128: not a git repository.
    return {p for p in result.stdout.split("\0") if p} if result.returncode == 0 else set()


def is_project_path(repo_root: Path, rel: str) -> bool:
    """One-off form of ``ProjectFiles``."""
    return ProjectFiles(repo_root).is_project_file(rel)


def pytest_ignore_args(project_root: Path) -> list[str]:
    """pytest arguments that keep collection out of installed packages and build output,
    whatever the project's ``norecursedirs`` says (pytest itself already skips virtual
    environments, and hidden folders unless ``norecursedirs`` is replaced)."""
    args = [f"--ignore-glob=*/{name}" for name in sorted(INSTALLED_DIRS)]
    for name in sorted(BUILD_DIRS):
        folder = project_root / name
        if folder.is_dir() and not_project_folder(folder):
            args.append(f"--ignore={name}")
    return args


__all__ = [
    "INSTALLED_DIRS",
    "NOT_PROJECT_DIRS",
    "ProjectFiles",
    "git_ignored",
    "is_project_path",
    "is_virtualenv",
    "not_project_folder",
    "not_project_name",
    "pytest_ignore_args",
]

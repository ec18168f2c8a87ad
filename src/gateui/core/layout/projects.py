"""Where the test projects of a repository are: the root and any sub-project with its own config.

A folder is a project root when it holds a pytest configuration (pytest.ini, a
pyproject/tox/setup.cfg section), or when it is a Python project (pyproject.toml, setup.py,
setup.cfg) whose tests belong to no deeper project. Test files outside every such folder belong
to the repository root, which is also where pytest would be run for them.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath

from gateui.core.common.project_files import ProjectFiles, not_project_folder, read_only_git_env
from gateui.core.layout.pytest_config import has_config_in

_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_DEFAULT_TEST_FILES = ("test_*.py", "*_test.py")


def repo_files(root: Path) -> list[PurePosixPath]:
    """Every file of the project's own in the tree, relative to ``root``.

    In a git work tree git answers (tracked plus untracked, minus .gitignore'd); elsewhere a walk.
    Either way, what ``core.common.project_files`` says is not the project's (a virtual
    environment, installed packages, build output, tool caches) is left out, listed in
    .gitignore or not.
    """
    own = ProjectFiles(root)
    listed = _git_files(root, own)
    if listed is not None:
        return listed
    return list(_walk_files(root))


def checkout_files(root: Path) -> list[PurePosixPath]:
    """``repo_files`` of a fresh checkout of a commit, in one question to git: nothing there is
    untracked or deleted yet, so its files are what git tracks (the project's own of them)."""
    tracked = _git(root, "--cached")
    if tracked is None:
        return repo_files(root)
    return [PurePosixPath(n) for n in ProjectFiles(root).keep(tracked)]


def _git(root: Path, *args: str) -> list[str] | None:
    return _git_at_once(root, args)[0]


def _git_at_once(root: Path, *questions: Sequence[str]) -> list[list[str] | None]:
    """``git ls-files -z`` with each of ``questions``' arguments, the processes all started
    before any is waited for: the listings of a command's start-up overlap instead of queueing
    (each is a few milliseconds of git starting). ``None`` for one that git could not answer."""
    env = read_only_git_env()
    started: list[subprocess.Popen[bytes] | None] = []
    for args in questions:
        try:
            started.append(
                subprocess.Popen(
                    ["git", "ls-files", "-z", *args],
                    cwd=root,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            )
        except OSError:
            started.append(None)
    answers: list[list[str] | None] = []
    for proc in started:
        if proc is None:
            answers.append(None)
            continue
        # Read in turn: a listing larger than a pipe's buffer waits until its turn comes.
        output, _ = proc.communicate()
        if proc.returncode != 0:
            answers.append(None)
            continue
        answers.append([n for n in output.decode(errors="surrogateescape").split("\0") if n])
    return answers


def _git_files(root: Path, own: ProjectFiles) -> list[PurePosixPath] | None:
    # A wholly untracked folder comes as one "folder/" entry: a venv is judged, not listed.
    # Deleted-but-tracked files are still listed by --cached: one more question to git, rather
    # than a stat per file of the repository.
    tracked, untracked, deleted = _git_at_once(
        root,
        ("--cached",),
        ("--others", "--exclude-standard", "--directory", "--no-empty-directory"),
        ("--deleted",),
    )
    if tracked is None or untracked is None:
        return None
    gone = set(deleted or ())
    names = [n for n in tracked if n not in gone] if gone else tracked
    names += [n for n in untracked if not n.endswith("/")]
    folders = [n for n in untracked if n.endswith("/") and own.is_project_folder(n)]
    if folders:
        names += _git(root, "--others", "--exclude-standard", "--", *folders) or []
    return [PurePosixPath(n) for n in own.keep(names)]


def _walk_files(root: Path) -> Iterator[PurePosixPath]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [
            d for d in dirs if not d.startswith(".") and not not_project_folder(Path(folder) / d)
        ]
        rel = PurePosixPath(Path(folder).relative_to(root).as_posix())
        for name in files:
            yield rel / name if str(rel) != "." else PurePosixPath(name)


def is_test_file(path: PurePosixPath, patterns: Iterable[str] = _DEFAULT_TEST_FILES) -> bool:
    return path.suffix == ".py" and any(fnmatch.fnmatch(path.name, p) for p in patterns)


def find_project_roots(repo_root: Path, files: Sequence[PurePosixPath] | None = None) -> list[Path]:
    """Project roots in ``repo_root``, shallowest first (the repository root first if it is one)."""
    files = repo_files(repo_root) if files is None else files
    # Each file's folder once, then the ancestors of those few folders: a branch that adds
    # 20,000 data files in 40 folders costs 40 ancestor walks, not 20,000.
    folders = {PurePosixPath(".")}
    for parts in {path.parts[:-1] for path in files}:
        if parts:
            parent = PurePosixPath(*parts)
            folders.add(parent)
            folders.update(parent.parents)
    candidates: set[PurePosixPath] = set()
    python_projects: set[PurePosixPath] = set()
    for folder in folders:
        absolute = repo_root / folder
        if has_config_in(absolute):
            candidates.add(folder)
        elif any((absolute / name).is_file() for name in _PROJECT_FILES):
            python_projects.add(folder)
    owners: set[PurePosixPath] = set()
    for path in files:
        if not is_test_file(path):
            continue
        owners.add(_deepest_owner(path, candidates | python_projects))
    roots = candidates | owners
    return [repo_root / r if str(r) != "." else repo_root for r in sorted(roots, key=_depth_key)]


def _deepest_owner(path: PurePosixPath, folders: set[PurePosixPath]) -> PurePosixPath:
    for parent in path.parents:
        if parent in folders:
            return parent
    return PurePosixPath(".")


def _depth_key(path: PurePosixPath) -> tuple[int, str]:
    return (0 if str(path) == "." else len(path.parts), str(path))


def sub_project_dirs(project: Path, all_roots: Iterable[Path]) -> list[Path]:
    """Project roots nested inside ``project`` (their tests are theirs, not ``project``'s)."""
    return [r for r in all_roots if r != project and project in r.parents]


def is_excluded(rel: str, patterns: Iterable[str]) -> bool:
    """``rel`` is, or sits inside, a folder that ``[tool.gateui] exclude`` names (globs)."""
    path = PurePosixPath(rel)
    candidates = [rel, *(str(p) for p in path.parents if str(p) != ".")]
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if any(fnmatch.fnmatch(c, pattern) for c in candidates):
            return True
    return False

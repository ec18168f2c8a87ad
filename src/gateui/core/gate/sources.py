"""Reading a repository's files either from a folder or straight from a commit.

The gate is defined by files of the commit being checked (its workflows, its pyproject.toml, its
Makefiles). Reading them from the commit's tree object, without a checkout, lets a pre-push on an
already verified tree answer from the cache in a fraction of a second.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any, Protocol


class FileSource(Protocol):
    def read_text(self, path: str) -> str | None:
        """The file at ``path`` (posix, relative to the repository root), None if absent."""
        ...

    def list_files(self, folder: str) -> list[str]:
        """Names of the files directly in ``folder`` (empty if there is no such folder)."""
        ...

    def is_dir(self, path: str) -> bool: ...

    def describe(self) -> str: ...


class DirSource:
    """Files of a folder on disk (a working tree or a worktree)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read_text(self, path: str) -> str | None:
        try:
            return (self.root / path).read_text(encoding="utf-8", errors="replace")
        except (OSError, ValueError):
            return None

    def list_files(self, folder: str) -> list[str]:
        base = self.root / folder
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_file())

    def is_dir(self, path: str) -> bool:
        return (self.root / path).is_dir()

    def describe(self) -> str:
        return str(self.root)


class GitTreeSource:
    """Files of one commit, read from git's object database (no checkout)."""

    def __init__(self, repo_root: Path, commit: str) -> None:
        import git

        self.repo = git.Repo(repo_root)
        self.commit = commit
        self.tree = self.repo.commit(commit).tree

    def _entry(self, path: str) -> Any:
        clean = PurePosixPath(path).as_posix()
        if clean in (".", ""):
            return self.tree
        try:
            return self.tree / clean
        except KeyError:
            return None

    def read_text(self, path: str) -> str | None:
        entry = self._entry(path)
        if entry is None or entry.type != "blob":
            return None
        data: bytes = entry.data_stream.read()
        return data.decode("utf-8", errors="replace")

    def list_files(self, folder: str) -> list[str]:
        entry = self._entry(folder)
        if entry is None or entry.type != "tree":
            return []
        return sorted(blob.name for blob in entry.blobs)

    def is_dir(self, path: str) -> bool:
        entry = self._entry(path)
        return entry is not None and entry.type == "tree"

    def describe(self) -> str:
        return f"commit {self.commit[:12]}"

    def close(self) -> None:
        self.repo.close()

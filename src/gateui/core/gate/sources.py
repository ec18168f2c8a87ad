"""Reading a repository's files either from a folder or straight from a commit.

The gate is defined by files of the commit being checked (its workflows, its pyproject.toml, its
Makefiles). Reading them from the commit's tree object, without a checkout, lets a pre-push on an
already verified tree answer from the cache in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path, PurePosixPath
from typing import Protocol

from gateui.core.gate.gitops import GitError, clean_env


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
    """Files of one commit, read from git's object database (no checkout).

    One ``git cat-file --batch`` process answers every read: a check reads a dozen files and
    folders, and a git process per read (or GitPython, whose import alone costs more than the
    reads) would be most of a quick check's fixed cost. It also answers which commit a name is
    (``commit``) and the tree of another commit (``tree_of``), and ``at`` gives the files of
    another commit through the same process. ``close()`` ends the process (a source made by
    ``at`` leaves that to the one it came from)."""

    def __init__(
        self, repo_root: Path, commit: str, *, shared_with: GitTreeSource | None = None
    ) -> None:
        self._repo_root = repo_root
        self._owner = shared_with is None
        if shared_with is None:
            self._proc = subprocess.Popen(
                ["git", "-C", str(repo_root), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=clean_env(),
            )
        else:
            self._proc = shared_with._proc
        found = self._object(f"{commit}^{{commit}}")
        if found is None:
            self.close()
            raise GitError(f"{commit!r} is not a commit in {repo_root}")
        self.commit = found[0]
        """The commit's full object id (``commit`` may be any name git knows: ``HEAD``…)."""
        self._id_length = len(self.commit) // 2
        """Bytes of an object id in a raw tree: 20 (SHA-1) or 32 (SHA-256)."""

    def at(self, commit: str) -> GitTreeSource:
        """The files of ``commit``, read by this source's process."""
        return GitTreeSource(self._repo_root, commit, shared_with=self)

    def tree_of(self, commit: str) -> str:
        """The object id of ``commit``'s tree (``git rev-parse COMMIT^{tree}``)."""
        found = self._object(f"{commit}^{{tree}}")
        if found is None:
            raise GitError(f"{commit!r} is not a commit in {self._repo_root}")
        return found[0]

    def _object(self, name: str) -> tuple[str, str, bytes] | None:
        """``(id, type, content)`` of the object git calls ``name``, None when there is none."""
        if "\n" in name or self._proc.stdin is None or self._proc.stdout is None:
            return None
        try:
            self._proc.stdin.write(name.encode("utf-8", errors="surrogateescape") + b"\n")
            self._proc.stdin.flush()
            header = self._proc.stdout.readline().decode(errors="replace").split()
        except OSError as exc:
            raise GitError(f"git cat-file --batch: {exc}") from exc
        if not header:
            raise GitError(f"git cat-file --batch ended while reading {name!r}")
        if len(header) != 3 or not header[2].isdigit():
            return None  # "<name> missing", "<name> ambiguous"
        size = int(header[2])
        content = self._proc.stdout.read(size + 1)[:size]  # the object, then a newline
        if len(content) != size:
            raise GitError(f"git cat-file --batch ended while reading {name!r}")
        return header[0], header[1], content

    def _entry(self, path: str) -> tuple[str, str, bytes] | None:
        clean = PurePosixPath(path).as_posix()
        if clean in (".", ""):
            return self._object(f"{self.commit}^{{tree}}")
        return self._object(f"{self.commit}:{clean}")

    def read_text(self, path: str) -> str | None:
        entry = self._entry(path)
        if entry is None or entry[1] != "blob":
            return None
        return entry[2].decode("utf-8", errors="replace")

    def list_files(self, folder: str) -> list[str]:
        entry = self._entry(folder)
        if entry is None or entry[1] != "tree":
            return []
        entries = _tree_entries(entry[2], self._id_length)
        return sorted(name for mode, name in entries if _is_blob(mode))

    def is_dir(self, path: str) -> bool:
        entry = self._entry(path)
        return entry is not None and entry[1] == "tree"

    def describe(self) -> str:
        return f"commit {self.commit[:12]}"

    def close(self) -> None:
        if not self._owner:
            return
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def _tree_entries(content: bytes, id_length: int) -> list[tuple[str, str]]:
    """``(mode, name)`` of each entry of a raw tree object: ``<mode> <name>\\0<binary id>``, the
    id ``id_length`` bytes long (20 for SHA-1, 32 for SHA-256)."""
    entries: list[tuple[str, str]] = []
    position = 0
    while position < len(content):
        space = content.index(b" ", position)
        nul = content.index(b"\0", space)
        mode = content[position:space].decode()
        entries.append((mode, content[space + 1 : nul].decode("utf-8", "surrogateescape")))
        position = nul + 1 + id_length
    return entries


def _is_blob(mode: str) -> bool:
    """A file (regular, executable, or a symbolic link), not a folder or a submodule."""
    return mode.startswith(("100", "120"))

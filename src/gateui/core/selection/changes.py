"""What changed: files that differ between a base commit and the working tree, per git.

Without ``--since`` the base is HEAD; with ``--since REF`` it is the merge base of REF and HEAD.
Untracked (not ignored) files count as added. A rename counts as a change to both paths, a
deletion as a change to the deleted path. Outside git there is no base: selection then relies on
the recorded file versions alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from gateui.core.common.errors import GateuiError


def blob_id(data: bytes) -> str:
    """git's object id for a file's content (what the recording plugin reports, too)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def file_blob(path: Path) -> str | None:
    try:
        return blob_id(path.read_bytes())
    except OSError:
        return None


@dataclass(frozen=True)
class ChangeSet:
    """The changed paths (repository-relative) and the commit they are measured from."""

    paths: frozenset[str]
    base: str | None = None
    """The base commit's id; None outside git or in a repository with no commit yet."""
    renames: dict[str, str] = field(default_factory=dict)
    """New path → old path."""
    deleted: frozenset[str] = frozenset()


def _repo(repo_root: Path):  # type: ignore[no-untyped-def]
    import git

    try:
        return git.Repo(repo_root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def changed_files(repo_root: Path, since: str | None = None) -> ChangeSet:
    """Files that differ from the base (HEAD, or the merge base with ``since``)."""
    import git

    repo = _repo(repo_root)
    if repo is None:
        if since is not None:
            raise GateuiError(f"{repo_root}: --since needs a git repository")
        return ChangeSet(frozenset())
    try:
        head = repo.head.commit.hexsha
    except ValueError:
        # No commit yet: everything in the tree is new.
        untracked = repo.git.ls_files("--others", "--cached", "--exclude-standard", "-z")
        return ChangeSet(frozenset(p for p in untracked.split("\0") if p))
    base = head
    if since is not None:
        try:
            bases = repo.merge_base(since, "HEAD")
        except git.GitCommandError as exc:
            raise GateuiError(
                f"--since {since}: not a commit git knows ({exc.stderr.strip()})"
            ) from exc
        if not bases:
            raise GateuiError(f"--since {since}: no common ancestor with HEAD")
        base = bases[0].hexsha
    diff = repo.git.diff("--name-status", "-M", "-z", "--no-ext-diff", base)
    paths: set[str] = set()
    renames: dict[str, str] = {}
    deleted: set[str] = set()
    fields = diff.split("\0")
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index]
        if status.startswith(("R", "C")):
            old, new = fields[index + 1], fields[index + 2]
            paths.update((old, new))
            if status.startswith("R"):
                renames[new] = old
                deleted.add(old)
            index += 3
        else:
            path = fields[index + 1]
            paths.add(path)
            if status.startswith("D"):
                deleted.add(path)
            index += 2
    untracked = repo.git.ls_files("--others", "--exclude-standard", "-z")
    paths.update(p for p in untracked.split("\0") if p)
    return ChangeSet(frozenset(paths), base, renames, frozenset(deleted))


def content_at(repo_root: Path, commit: str, path: str) -> bytes | None:
    """A file's content at ``commit`` (None when it did not exist there)."""
    import git

    repo = _repo(repo_root)
    if repo is None:
        return None
    try:
        blob = repo.commit(commit).tree / path
    except (KeyError, ValueError, git.BadName):
        return None
    data: bytes = blob.data_stream.read()
    return data


def keep_blob(repo_root: Path, data: bytes) -> None:
    """Write ``data`` into git's object store (as ``git hash-object -w`` does), so that a file
    version tests ran against stays readable after the file is edited again, committed or not.
    Nothing refers to it: git's garbage collection drops it in time."""
    from io import BytesIO

    import git
    from gitdb.base import IStream  # type: ignore[import-untyped]

    repo = _repo(repo_root)
    if repo is None:
        return
    try:
        if repo.odb.has_object(bytes.fromhex(blob_id(data))):
            return
        repo.odb.store(IStream(b"blob", len(data), BytesIO(data)))
    except (OSError, ValueError, git.GitError):
        return


def blob_content(repo_root: Path, blob: str) -> bytes | None:
    """The content of a blob id if git has it (a committed or staged version of a file)."""
    import git

    repo = _repo(repo_root)
    if repo is None:
        return None
    try:
        data: bytes = repo.odb.stream(bytes.fromhex(blob)).read()
    except (ValueError, git.BadObject, git.BadName, OSError):
        return None
    return data

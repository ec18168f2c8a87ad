"""What changed: files that differ between a base commit and the working tree, per git.

Without ``--since`` the base is HEAD; with ``--since REF`` it is the merge base of REF and HEAD.
Untracked (not ignored) files count as added. A rename counts as a change to both paths, a
deletion as a change to the deleted path. Outside git there is no base: selection then relies on
the recorded file versions alone.

Only the project's files count (``core.common.project_files``): a virtual environment, installed
packages or build output are left out whether or not ``.gitignore`` lists them. An untracked
folder is judged as a whole before its files are listed, so a venv of 20,000 files created in the
repository costs one line of git output, not 20,000.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from gateui.core.common.errors import GateuiError
from gateui.core.common.project_files import ProjectFiles


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
    left_out: tuple[str, ...] = ()
    """Changed folders and files that are not the project's (a venv, build output), sorted."""


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
    own = ProjectFiles(repo_root)
    left_out: set[str] = set()
    try:
        head = repo.head.commit.hexsha
    except ValueError:
        # No commit yet: everything in the tree is new.
        listed = repo.git.ls_files("--cached", "-z").split("\0")
        new_repo = {p for p in listed if p} | _untracked(repo, own, left_out)
        return _project_only(ChangeSet(frozenset(new_repo)), own, left_out)
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
    paths |= _untracked(repo, own, left_out)
    changes = ChangeSet(frozenset(paths), base, renames, frozenset(deleted))
    return _project_only(changes, own, left_out)


def _untracked(repo, own: ProjectFiles, left_out: set[str]) -> set[str]:  # type: ignore[no-untyped-def]
    """Untracked, not ignored files of the project. git names a wholly untracked folder once
    (``--directory``); it is listed file by file only when it is the project's."""
    listed = repo.git.ls_files(
        "--others", "--exclude-standard", "--directory", "--no-empty-directory", "-z"
    )
    files: set[str] = set()
    folders: list[str] = []
    for entry in listed.split("\0"):
        if not entry:
            continue
        if entry.endswith("/"):
            if own.is_project_folder(entry):
                folders.append(entry)
            else:
                left_out.add(entry.rstrip("/"))
        elif os.path.isdir(os.path.join(repo.working_tree_dir, entry)) and not (
            own.is_project_folder(entry)
        ):
            left_out.add(entry)  # git lists a link to a folder (a virtualenv's) as a file
        else:
            files.add(entry)
    if folders:
        inside = repo.git.ls_files("--others", "--exclude-standard", "-z", "--", *folders)
        files.update(p for p in inside.split("\0") if p)
    return files


def _project_only(changes: ChangeSet, own: ProjectFiles, left_out: set[str]) -> ChangeSet:
    kept = frozenset(own.keep(changes.paths))
    dropped = changes.paths - kept
    if not dropped and not left_out:
        return changes
    return replace(
        changes,
        paths=kept,
        renames={new: old for new, old in changes.renames.items() if new in kept},
        deleted=changes.deleted & kept,
        left_out=tuple(sorted(left_out | _folders_of(dropped, own))),
    )


def _folders_of(paths: frozenset[str], own: ProjectFiles) -> set[str]:
    """The outermost folder that is not the project's, for each path (or the path itself)."""
    found: set[str] = set()
    for path in paths:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if not own.is_project_folder(folder):
                found.add(folder)
                break
        else:
            found.add(path)
    return found


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

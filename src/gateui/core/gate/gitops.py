"""Git, as the gate needs it: the exact commit, whether the work tree equals it, and a throwaway
detached worktree of it that is removed again whatever happens (also on Ctrl-C and SIGTERM).

Every git process started here runs with git's own ``GIT_*`` variables cleared: inside a hook git
exports some of them (``GIT_DIR``, ``GIT_INDEX_FILE`` during some operations), and a worktree
command that inherits them would act on the user's repository instead. Nothing here writes to
the user's working tree, index or stashes: status runs with ``--no-optional-locks`` so it does
not even refresh the index.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from gateui.core.common.errors import GateuiError
from gateui.core.common.owned_dirs import owned_tempdir, remove_stale_tempdirs

# Variables that say how to reach a remote or who the user is, not where the repository is:
# harmless to keep, and tests run by the gate may need them.
_KEEP_GIT_VARS = frozenset(
    {
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_ASKPASS",
        "GIT_TERMINAL_PROMPT",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_CONFIG_NOSYSTEM",
    }
)
ZERO_OID_CHARS = frozenset("0")
WORKTREE_PREFIX = "gateui-gate-"
WORKTREE_NAME = "checkout"


def clean_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) without git's repository variables."""
    source = os.environ if base is None else base
    return {k: v for k, v in source.items() if not k.startswith("GIT_") or k in _KEEP_GIT_VARS}


def scrub_git_env() -> None:
    """Drop git's repository variables from this process's environment (for the runner, which
    starts pytest with this process's environment)."""
    for key in list(os.environ):
        if key.startswith("GIT_") and key not in _KEEP_GIT_VARS:
            del os.environ[key]


def is_zero_oid(oid: str) -> bool:
    """An all-zero object name of any length (40 for SHA-1, 64 for SHA-256): no object."""
    return bool(oid) and set(oid) <= ZERO_OID_CHARS


class GitError(GateuiError):
    """A git command failed; the message carries git's own words."""


@dataclass(frozen=True)
class Git:
    """Runs git in one repository with a clean environment."""

    root: Path

    def run(self, *args: str, check: bool = True, input: bytes | None = None) -> str:
        result = subprocess.run(
            ["git", "-C", str(self.root), *args],
            env=clean_env(),
            input=input,
            capture_output=True,
            check=False,
        )
        if check and result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip()
            raise GitError(f"git {' '.join(args)}: {message or f'exit {result.returncode}'}")
        return result.stdout.decode(errors="surrogateescape")

    def try_run(self, *args: str) -> str | None:
        result = subprocess.run(
            ["git", "-C", str(self.root), *args], env=clean_env(), capture_output=True, check=False
        )
        if result.returncode != 0:
            return None
        return result.stdout.decode(errors="surrogateescape")

    # -- objects ---------------------------------------------------------------------------
    def commit_of(self, ref: str) -> str:
        out = self.try_run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if not out:
            raise GitError(f"{ref!r} is not a commit in {self.root}")
        return out.strip()

    def tree_of(self, commit: str) -> str:
        return self.run("rev-parse", f"{commit}^{{tree}}").strip()

    def head(self) -> str | None:
        out = self.try_run("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        return out.strip() if out else None

    def ref_exists(self, ref: str) -> bool:
        return self.try_run("rev-parse", "--verify", "--quiet", ref) is not None

    def git_common_dir(self) -> Path:
        return self._common_dir

    @cached_property
    def _common_dir(self) -> Path:
        """Asked of git once per ``Git`` (a check asks it twice: stale worktrees, the cache)."""
        path = Path(self.run("rev-parse", "--git-common-dir").strip())
        return (path if path.is_absolute() else self.root / path).resolve()

    def git_path(self, name: str) -> Path:
        """``git rev-parse --git-path NAME`` (honours core.hooksPath for "hooks")."""
        out = self.run("rev-parse", "--git-path", name).strip()
        path = Path(out)
        return path if path.is_absolute() else (self.root / path)

    # -- the work tree ---------------------------------------------------------------------
    def is_clean(self) -> bool:
        """No staged, unstaged or untracked (not ignored) change; the index is not refreshed."""
        out = self.run("--no-optional-locks", "status", "--porcelain", "--untracked-files=normal")
        return out.strip() == ""

    def tracked_clean(self) -> bool:
        """No change to tracked files (new untracked files, such as reports, do not count)."""
        out = self.run("--no-optional-locks", "status", "--porcelain", "--untracked-files=no")
        return out.strip() == ""

    def checked_out_equals(self, commit: str) -> bool:
        """The work tree is exactly ``commit``: HEAD is it and nothing differs."""
        return self.head() == commit and self.is_clean()

    # -- history ---------------------------------------------------------------------------
    def merge_base(self, a: str, b: str) -> str | None:
        out = self.try_run("merge-base", a, b)
        return out.strip() if out else None

    def changed_files(self, since: str, commit: str) -> list[str]:
        out = self.run("diff", "--name-only", "-z", "--no-renames", since, commit)
        return [name for name in out.split("\0") if name]

    def new_commits(self, commit: str, exclude: list[str]) -> list[str]:
        """Commits reachable from ``commit`` and from none of ``exclude`` (rev-list syntax)."""
        out = self.run("rev-list", commit, "--not", *exclude)
        return out.split()

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        return self.try_run("merge-base", "--is-ancestor", ancestor, commit) is not None

    def merge_trees(self, base: str, commit: str) -> tuple[str | None, list[str]]:
        """Merge ``commit`` into ``base`` without a work tree (``git merge-tree --write-tree``,
        git 2.38+): (the merged tree, []) or (None, the conflicting files)."""
        options = ["--write-tree", "--name-only", "--no-messages"]
        result = subprocess.run(
            ["git", "-C", str(self.root), "merge-tree", *options, base, commit],
            env=clean_env(),
            capture_output=True,
            check=False,
        )
        lines = result.stdout.decode(errors="surrogateescape").splitlines()
        if result.returncode == 0 and lines:
            return lines[0].strip(), []
        if result.returncode == 1 and lines:
            return None, sorted({line for line in lines[1:] if line.strip()})
        message = result.stderr.decode(errors="replace").strip()
        raise GitError(f"git merge-tree --write-tree: {message or f'exit {result.returncode}'}")

    def merge_commit(self, tree: str, base: str, commit: str) -> str:
        """A commit object of ``tree`` with parents ``base`` and ``commit`` (no ref points to
        it: git's garbage collection removes it in time)."""
        identity = ["-c", "user.name=gateui", "-c", "user.email=gateui@localhost"]
        message = f"Merge {commit} into {base} (the pull request's merge, checked by gateui)"
        out = self.run(*identity, "commit-tree", tree, "-p", base, "-p", commit, "-m", message)
        return out.strip()

    def object_exists(self, oid: str) -> bool:
        return self.try_run("cat-file", "-e", f"{oid}^{{commit}}") is not None

    def remote_default_branch(self, remote: str = "origin") -> str | None:
        out = self.try_run("symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD")
        if out and out.strip().startswith(f"refs/remotes/{remote}/"):
            return out.strip()[len(f"refs/remotes/{remote}/") :]
        return None


@contextlib.contextmanager
def detached_worktree(git: Git, commit: str) -> Iterator[Path]:
    """A temporary detached worktree of ``commit``, removed on exit (exceptions, Ctrl-C and the
    SystemExit the CLI raises on SIGTERM/SIGHUP included). Its folder is marked as this
    process's (``owned_tempdir``): if gateui is killed outright, the next gate removes it."""
    with owned_tempdir(WORKTREE_PREFIX) as parent:
        path = parent / WORKTREE_NAME
        try:
            add_worktree(git, path, commit)
            yield path
        finally:
            remove_worktree(git, path)


def add_worktree(git: Git, path: Path, commit: str) -> None:
    """Check ``commit`` out at ``path`` as a detached worktree, as cheaply as git allows.

    ``worktree add --no-checkout`` only registers the worktree; ``read-tree -u --reset`` then
    writes the files with git's parallel checkout (one worker per core), which on a repository
    of 20,000 files is several times faster than ``worktree add``'s serial checkout (see
    docs/benchmarks.md); below git's own threshold of 100 files the checkout stays serial, as
    starting the workers would cost more than it saves. No hook of the user's runs:
    ``core.hooksPath`` points nowhere, so a ``post-checkout`` hook (husky, lefthook) never acts
    on the gate's checkout."""
    no_hooks = ("-c", f"core.hooksPath={os.devnull}")
    git.run(*no_hooks, "worktree", "add", "--no-checkout", "--detach", "--force", str(path), commit)
    Git(path).run(
        *no_hooks,
        "-c",
        "checkout.workers=0",
        "-c",
        "checkout.thresholdForParallelism=100",
        "read-tree",
        "-u",
        "--reset",
        "HEAD",
    )


def remove_stale_leftovers(git: Git | None = None) -> None:
    """What killed gateui runs left: their temporary folders (with the worktrees in them, and
    git's records of those in their repositories), and ``git``'s records of gate worktrees whose
    folder is gone. A live gateui's worktree is never touched."""
    remove_stale_tempdirs(_unregister_worktree_in)
    if git is None:
        return
    try:
        admins = list((git.git_common_dir() / "worktrees").iterdir())
    except (OSError, GitError):
        return
    temp = Path(tempfile.gettempdir()).resolve()
    for admin in admins:
        try:
            checkout = Path((admin / "gitdir").read_text(encoding="utf-8").strip()).parent
        except OSError:
            continue
        parent = checkout.parent
        if (
            checkout.name == WORKTREE_NAME
            and parent.name.startswith(WORKTREE_PREFIX)
            and parent.parent.resolve() == temp
            and not parent.exists()
        ):
            shutil.rmtree(admin, ignore_errors=True)


def _unregister_worktree_in(folder: Path) -> None:
    admin = worktree_admin_dir(folder / WORKTREE_NAME)
    if admin is not None and admin.is_dir() and admin.parent.name == "worktrees":
        shutil.rmtree(admin, ignore_errors=True)


def remove_worktree(git: Git, path: Path) -> None:
    """Remove ``path`` and git's record of it, even if it is half made.

    Only this worktree's own record goes: ``git worktree prune`` would also forget the user's
    worktrees that merely sit on an unmounted drive.
    """
    admin = worktree_admin_dir(path)
    if admin is None or not admin.is_dir():
        # Half made: let git find and forget it.
        git.try_run("worktree", "remove", "--force", "--force", str(path))
    # Otherwise deleting git's record of it and the folder is all ``worktree remove`` does,
    # without first reading the status of every file. The record goes first: a ``git gc`` the
    # user's commit started meanwhile then never meets a worktree whose files are half gone.
    if admin is not None and admin.is_dir() and admin.parent.name == "worktrees":
        shutil.rmtree(admin, ignore_errors=True)
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)


def worktree_admin_dir(path: Path) -> Path | None:
    """The ``.git/worktrees/NAME`` folder a worktree's ``.git`` file points at."""
    try:
        text = (path / ".git").read_text(encoding="utf-8")
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    return Path(text[len("gitdir:") :].strip())

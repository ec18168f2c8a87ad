"""Checking one commit against its PR gate: the piece ``gateui gate`` and the pre-push hook share.

1. Resolve the commit and its tree; read the gate from the commit's own files (no checkout).
2. Ask the verdict cache (tree + gate + interpreters): a verified tree answers at once.
3. Run in a temporary detached worktree of it, removed afterwards (also on Ctrl-C) — always, even
   when the work tree is that commit: a step's ``git clean -fdx`` or generated files act only
   there, and the verdict does not depend on the ignored files lying in the user's tree. The
   user's working tree, index and stashes are never touched, and an uncommitted fix can never
   make a broken commit pass.
4. Judge each step, then the gate; remember a pass.

``pull_request`` workflows run on the pull request merged into its base (GitHub's
``refs/pull/N/merge``). When the base's remote-tracking branch (``origin/main``) has commits the
checked commit lacks, an inferred gate checks that merge, made without a work tree
(``git merge-tree``); its workflows are read from the merge, and the cache key is the merge's
tree, so a moved base is checked again. A merge that conflicts is a failed check of its own: GitHub
runs no pull_request workflow on a conflicting pull request, so its checks never pass until the
branch is brought up to date.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from gateui.core.common.errors import GateuiError
from gateui.core.discovery.discover import Project, load_projects
from gateui.core.gate._cache import LAST_REPORT, VerdictCache, cache_key, write_json
from gateui.core.gate._declared import GateConfig, parse_gate_config
from gateui.core.gate._runner_env import PullRequest
from gateui.core.gate.gitops import Git, GitError, detached_worktree, remove_stale_leftovers
from gateui.core.gate.infer import declared_gate, infer_gate
from gateui.core.gate.model import (
    CACHE,
    ERROR,
    INVALID,
    KIND_NOT_RUN,
    NOT_REPRODUCED,
    PASS,
    WORKTREE,
    GateDefinition,
    GateStep,
    StepResult,
    gate_verdict,
    not_run_result,
)
from gateui.core.gate.run import Checkout, GateEvent, GateRun
from gateui.core.gate.sources import GitTreeSource
from gateui.core.layout.interpreter import venv_python
from gateui.core.layout.interpreter_info import interpreter_info
from gateui.core.layout.projects import checkout_files


@dataclass
class GateReport:
    verdict: str
    reason: str
    commit: str = ""
    tree: str = ""
    ref: str = ""
    definition: GateDefinition | None = None
    results: list[StepResult] = field(default_factory=list)
    cached: bool = False
    checked_in: str = ""
    duration_s: float = 0.0
    error: str | None = None
    stored: dict[str, Any] | None = None
    """The report as it was cached (a cache hit carries no live results)."""
    merged_with: str = ""
    """The base the commit was merged with for the check ("origin/main 1a2b3c4d5e6f"), as
    GitHub tests a pull request; "" when the commit already contains its base."""
    legs: list[dict[str, Any]] = field(default_factory=list)
    """The matrix legs met: each one's interpreter and environment, or why it did not run."""

    @property
    def on_fail(self) -> str:
        return self.definition.on_fail if self.definition else "block"

    @property
    def on_partial(self) -> str:
        return self.definition.on_partial if self.definition else "warn"

    def as_json(self) -> dict[str, Any]:
        if self.stored is not None:
            data = dict(self.stored)
            data.update(
                {
                    "commit": self.commit,
                    "ref": self.ref,
                    "cached": True,
                    "checked_in": CACHE,
                    "merged_with": self.merged_with,
                    "duration_s": round(self.duration_s, 3),
                }
            )
            return data
        definition = self.definition
        warnings = list(definition.notes) if definition else []
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "commit": self.commit,
            "tree": self.tree,
            "ref": self.ref,
            "source": definition.source if definition else None,
            "base": definition.base if definition else None,
            "on_fail": self.on_fail,
            "on_partial": self.on_partial,
            "cached": self.cached,
            "checked_in": self.checked_in,
            "merged_with": self.merged_with,
            "duration_s": round(self.duration_s, 3),
            "steps": [r.as_json() for r in self.results],
            "not_reproduced": [
                {
                    "name": r.step.name,
                    "origin": r.step.origin,
                    "why": r.why,
                    "to_reproduce": r.remedy,
                }
                for r in self.results
                if r.verdict == NOT_REPRODUCED
            ],
            "legs": self.legs,
            "warnings": warnings,
            "error": self.error,
        }


@dataclass(frozen=True)
class CheckStarted:
    commit: str
    tree: str
    ref: str
    checked_in: str
    definition: GateDefinition
    root: Path
    """Where the steps run."""
    merged_with: str = ""
    """See ``GateReport.merged_with``."""


@dataclass(frozen=True)
class CheckFinished:
    report: GateReport


CheckEvent = CheckStarted | CheckFinished | GateEvent


class GateCheck:
    """Check ``ref`` of the repository at ``repo_root``; iterate ``events()``, the last one is
    ``CheckFinished``. ``cancel()`` from any thread stops the running step."""

    def __init__(
        self,
        repo_root: Path,
        ref: str = "HEAD",
        *,
        base: str | None = None,
        since: str | None = None,
        remote: str = "origin",
        use_cache: bool = True,
        label: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.repo_root = repo_root
        self.ref = ref
        self.label = label or ref
        """How the commit is named in messages and the report (a branch name in a push)."""
        self.base = base
        self.since = since
        self.remote = remote
        self.seed = seed
        # A chosen seed reproduces one particular order: that is a different check.
        self.use_cache = use_cache and seed is None
        self._run: GateRun | None = None
        self._notes: list[str] = []
        self._commits: dict[str, str | None] = {}
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()
        if self._run is not None:
            self._run.cancel()

    def events(self) -> Generator[CheckEvent, None, None]:
        started = time.monotonic()
        git = Git(self.repo_root)
        remove_stale_leftovers(git)
        try:
            # One ``git cat-file --batch`` answers the commit, its files, the tree checked and
            # the files of the merge, if any (a git process for each was ≈ 10 ms per check).
            source = GitTreeSource(self.repo_root, self.ref)
            try:
                commit = source.commit
                config, base = self._config(git, source)
                merge = self._pr_merge(git, commit, base) if config.steps is None else None
                if merge is not None and merge.conflicts:
                    definition = self._definition(git, commit, config, base, source)
                    report = _conflict_report(commit, self.label, definition, merge)
                    report.duration_s = time.monotonic() - started
                    yield CheckFinished(report)
                    return
                checked = merge.commit if merge is not None else commit
                merged_with = merge.describe() if merge is not None else ""
                tree = source.tree_of(checked)
                checked_source = source.at(checked) if checked != commit else source
                definition = self._definition(git, commit, config, base, checked_source)
            finally:
                source.close()
            if self._notes:
                definition = replace(definition, notes=(*definition.notes, *self._notes))
            user_projects = load_projects(self.repo_root)
            interpreters = _interpreters(user_projects, self.repo_root)
            key = cache_key(
                tree,
                definition.fingerprint(),
                [interpreter_info(i).fingerprint() for i in interpreters],
            )
        except GateuiError as exc:
            report = GateReport(ERROR, str(exc), ref=self.ref, error=str(exc))
            report.duration_s = time.monotonic() - started
            yield CheckFinished(report)
            return
        cache = VerdictCache(git.git_common_dir())
        if self.use_cache:
            stored = cache.get(key)
            if stored is not None:
                yield CheckStarted(
                    commit, tree, self.label, CACHE, definition, self.repo_root, merged_with
                )
                report = GateReport(
                    verdict=str(stored.get("verdict")),
                    reason=str(stored.get("reason", "")),
                    commit=commit,
                    tree=tree,
                    ref=self.label,
                    definition=definition,
                    cached=True,
                    checked_in=CACHE,
                    stored=stored,
                    merged_with=merged_with,
                )
                report.duration_s = time.monotonic() - started
                yield CheckFinished(report)
                return
        if not definition.runnable:
            # Nothing would run: no checkout needed to say so.
            left_out = [not_run_result(s) for s in definition.steps]
            verdict, reason = gate_verdict(left_out)
            if not definition.steps and definition.untriggered:
                # GitHub runs no check on this pull request: nothing can fail it.
                verdict = PASS
                reason = (
                    "no workflow runs on this pull request ("
                    + "; ".join(definition.untriggered)
                    + ")"
                )
            report = GateReport(
                verdict,
                reason,
                commit=commit,
                tree=tree,
                ref=self.label,
                definition=definition,
                results=left_out,
                merged_with=merged_with,
            )
            report.duration_s = time.monotonic() - started
            yield CheckFinished(report)
            return
        results: list[StepResult] = []
        legs: list[dict[str, Any]] = []
        checkouts = CheckoutMaker(
            git,
            checked,
            self.repo_root,
            user_projects,
            interpreters[0],
            PullRequest(definition.base, _head_name(self.label), checked),
        )
        with detached_worktree(git, checked) as root:
            checkout = checkouts.in_folder(root)
            yield CheckStarted(commit, tree, self.label, WORKTREE, definition, root, merged_with)
            run = GateRun(definition, checkout, seed=self.seed, new_checkout=checkouts.new)
            self._run = run
            if self._cancelled.is_set():
                run.cancel()
            stream = run.events()
            try:
                yield from stream
            finally:
                stream.close()
            results = run.results
            legs = run.legs.as_json() if run.legs is not None else []
            if run.cancelled:
                raise KeyboardInterrupt
        verdict, reason = gate_verdict(results)
        report = GateReport(
            verdict=verdict,
            reason=reason,
            commit=commit,
            tree=tree,
            ref=self.label,
            definition=definition,
            results=results,
            checked_in=WORKTREE,
            merged_with=merged_with,
            legs=legs,
        )
        report.duration_s = time.monotonic() - started
        data = report.as_json()
        cache.put(key, data)
        with contextlib.suppress(OSError):
            write_json(cache.folder / LAST_REPORT, data)
        yield CheckFinished(report)

    def _config(self, git: Git, source: GitTreeSource) -> tuple[GateConfig, str]:
        """The commit's ``[tool.gateui.gate]`` and the pull request's base branch."""
        config = parse_gate_config(
            source.read_text("pyproject.toml"), self.repo_root / "pyproject.toml"
        )
        named = self.base or config.base
        if named:
            return config, named
        return config, default_base(git, self.remote, lambda ref: self._commit_at(git, ref))

    def _definition(
        self, git: Git, commit: str, config: GateConfig, base: str, checked: GitTreeSource
    ) -> GateDefinition:
        """The gate: declared, or inferred from the workflows of ``checked`` (the merge a pull
        request runs on, or the commit itself)."""
        if config.steps is not None:
            return declared_gate(config, base)
        changed = self._changed(git, commit, base)
        return infer_gate(checked, base, changed, config)

    def _pr_merge(self, git: Git, commit: str, base: str) -> PrMerge | None:
        """The merge GitHub would test when the base's remote-tracking branch has commits that
        ``commit`` lacks (None when it has none, or there is no such branch)."""
        tracking = f"refs/remotes/{self.remote}/{base}"
        if _head_name(self.label) == base:
            return None  # a push to the base branch itself is no pull request into it
        base_commit = self._commit_at(git, tracking)
        if base_commit is None:
            return None
        if git.is_ancestor(base_commit, commit):
            return None
        name = f"{self.remote}/{base}"
        try:
            tree, conflicts = git.merge_trees(base_commit, commit)
        except GitError as exc:
            # git before 2.38 cannot merge without a work tree: the commit alone, said so.
            self._notes.append(f"{name} has moved, but its merge could not be made ({exc})")
            return None
        if tree is None:
            return PrMerge(name, base_commit, "", conflicts)
        return PrMerge(name, base_commit, git.merge_commit(tree, base_commit, commit))

    def _commit_at(self, git: Git, ref: str) -> str | None:
        """The commit ``ref`` names, None when there is no such ref: asked of git once per
        check (the base's branch is looked up by the merge and by the changed files)."""
        if ref not in self._commits:
            out = git.try_run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
            self._commits[ref] = out.strip() if out else None
        return self._commits[ref]

    def _changed(self, git: Git, commit: str, base: str) -> list[str] | None:
        """Files the pull request would change: against the base branch when it is known,
        else against ``since`` (the start of the pushed range); None when nothing is known."""
        for candidate in (f"refs/remotes/{self.remote}/{base}", f"refs/heads/{base}"):
            if self._commit_at(git, candidate) is not None:
                merge_base = git.merge_base(candidate, commit)
                if merge_base and merge_base != commit:
                    return git.changed_files(merge_base, commit)
                break
        if self.since and self.since != commit:
            return git.changed_files(self.since, commit)
        return None


@dataclass(frozen=True)
class PrMerge:
    """The pull request's merge: the commit merged into its moved base."""

    base: str
    """The base as named here ("origin/main")."""
    base_commit: str
    commit: str
    """The merge commit ("" when the merge conflicts)."""
    conflicts: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.base} {self.base_commit[:12]}"


def _conflict_report(
    commit: str, label: str, definition: GateDefinition, merge: PrMerge
) -> GateReport:
    """A merge conflict with the base: the pull request's checks do not run, so never pass."""
    files = ", ".join(merge.conflicts[:5]) + (
        f" … and {len(merge.conflicts) - 5} more" if len(merge.conflicts) > 5 else ""
    )
    why = (
        f"merge conflict with {merge.base} in {files} (GitHub runs no pull_request workflow"
        f" on a conflicting pull request: merge or rebase onto {merge.base} first)"
    )
    step = GateStep(
        name=f"merge with {merge.base}",
        command=f"git merge {merge.base}",
        cwd=".",
        origin=f"the pull request's merge with {merge.base}",
        kind=KIND_NOT_RUN,
        runs_locally=False,
        why_not=why,
        left_out=INVALID,
    )
    results = [not_run_result(step)]
    return GateReport(
        *gate_verdict(results),
        commit=commit,
        ref=label,
        definition=definition,
        results=results,
        merged_with=merge.describe(),
    )


def run_check(check: GateCheck) -> GateReport:
    """Run a check to the end without watching it."""
    report: GateReport | None = None
    for event in check.events():
        if isinstance(event, CheckFinished):
            report = event.report
    assert report is not None
    return report


def precompute_head(repo_root: Path) -> GateCheck | None:
    """For an idle TUI or watch loop: a check of HEAD to run in the background when the work
    tree is clean (checked in a worktree of HEAD), making the push that follows a cache hit (a HEAD
    verified before answers at once). None when the tree is dirty: the commit is not what is on
    disk. Iterate the check's ``events()`` in a worker; ``cancel()`` it when the user acts."""
    git = Git(repo_root)
    try:
        head = git.head()
        if head is None or not git.is_clean():
            return None
    except GateuiError:
        return None
    return GateCheck(repo_root, head, label="HEAD")


def _head_name(label: str) -> str:
    """The pull request's head branch as ``GITHUB_HEAD_REF`` names it."""
    return label.removeprefix("refs/heads/")


def default_base(
    git: Git, remote: str = "origin", commit_at: Callable[[str], str | None] | None = None
) -> str:
    """The branch pull requests target: the remote's default branch, else main, else master.
    ``commit_at``: the check's own lookup of a branch's commit (it asks git for each branch once
    per check; the merge and the changed files ask for the same ones)."""
    found = git.remote_default_branch(remote)
    if found:
        return found

    def exists(ref: str) -> bool:
        return commit_at(ref) is not None if commit_at is not None else git.ref_exists(ref)

    for name in ("main", "master"):
        if exists(f"refs/remotes/{remote}/{name}") or exists(f"refs/heads/{name}"):
            return name
    return "main"


def _interpreters(projects: Sequence[Project], repo_root: Path) -> list[Path]:
    found: list[Path] = []
    for project in projects:
        if project.interpreter not in found:
            found.append(project.interpreter)
    # A repository without a Python project file (a Django app run by ``manage.py``) still
    # has its environment: the ``.venv`` at its root, before gateui's own interpreter.
    return found or [venv_python(repo_root) or Path(sys.executable)]


@dataclass
class CheckoutMaker:
    """The checkouts of one check: the check's own worktree, and a fresh one for each other
    job (``new``), all of one commit."""

    git: Git
    commit: str
    user_root: Path
    user_projects: Sequence[Project]
    default_interpreter: Path
    pull_request: PullRequest
    listing: list[PurePosixPath] | None = None
    """The commit's files, listed in the first checkout (every other has the same)."""

    def in_folder(self, root: Path) -> Checkout:
        if self.listing is None:
            self.listing = checkout_files(root)
        return Checkout(
            root=root,
            user_root=self.user_root,
            projects=projects_in(root, self.user_root, self.user_projects, self.listing),
            default_interpreter=self.default_interpreter,
            pull_request=self.pull_request,
        )

    @contextlib.contextmanager
    def new(self) -> Iterator[Checkout]:
        """A fresh worktree of the commit for another job, as on the runner; removed on exit."""
        with detached_worktree(self.git, self.commit) as root:
            yield self.in_folder(root)


def projects_in(
    root: Path,
    user_root: Path,
    user_projects: Sequence[Project],
    files: Sequence[PurePosixPath] | None = None,
) -> list[Project]:
    """The projects of a checkout, with the interpreters found in the user's work tree (a
    worktree has no ``.venv``; ignored files are not checked out). ``files``: the checkout's
    listing when known (``checkout_files``)."""
    if root == user_root:
        return list(user_projects)
    _link_interpreters(root, user_root, user_projects)
    by_rel = {p.rel: p.interpreter for p in user_projects}
    default = by_rel.get(".") or (user_projects[0].interpreter if user_projects else None)
    projects = []
    for project in load_projects(root, files or None):
        interpreter = by_rel.get(project.rel) or default or project.interpreter
        projects.append(replace(project, interpreter=interpreter))
    return projects


def _link_interpreters(root: Path, user_root: Path, projects: Sequence[Project]) -> None:
    """Interpreters that live inside the user's work tree (``.venv``, a configured
    ``[tool.gateui] python``) are linked into the worktree at the same place, so that
    configuration naming them still resolves there."""
    user = user_root.resolve()
    for project in projects:
        interpreter = Path(os.path.abspath(project.interpreter))
        try:
            rel = interpreter.relative_to(user)
        except ValueError:
            continue
        top = rel.parts[0] if rel.parts else ""
        if not top:
            continue
        link = root / top
        if not link.exists() and not link.is_symlink():
            with contextlib.suppress(OSError):
                link.symlink_to(user / top, target_is_directory=(user / top).is_dir())

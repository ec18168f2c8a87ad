"""Where a check's steps run: each job (and each matrix leg, a job of its own) in a fresh
checkout of the checked commit, as on GitHub.

On the runner every job starts on a new machine from a new checkout, with an empty home: what one
job generates (a build folder, a ``.coverage``, a generated module, an editable install's
metadata) reaches another job only as an artifact (``actions/upload-artifact`` →
``download-artifact``, handed over by ``_artifacts``). Jobs sharing one folder would make the
gate say pass where CI fails (a later job uses the file) and fail where CI passes (a later job
trips over it).

The check's own worktree goes to the first job that runs a step; every other job gets a new
detached worktree of the same commit (``gitops.add_worktree``: parallel checkout, no hooks),
removed as soon as its last step is done — and always at the end, on a failure, Ctrl-C or
SIGTERM (``close()``), or by the next gate when gateui was killed outright (each lives in an owned
temporary folder). While a job runs, the next job's checkout is made in a background thread (a
spare; jobs running at the same time take theirs one after another), so that on a large
repository the checkout is ready when the job's turn comes instead of adding its time to the
check's (``bench/worktree_cost.py``: seconds on 20,000 files). A spare
no job takes (the jobs left were skipped) is removed with the rest. A job's ``HOME``,
``TMPDIR`` and ``RUNNER_TEMP`` are its own too (``ScratchArea`` per job). Outputs
(``steps.<id>.outputs``) stay in memory and are not affected.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from gateui.core.discovery.discover import Project
from gateui.core.gate._runner_env import PullRequest, ScratchArea
from gateui.core.gate.model import GateStep


@dataclass
class Checkout:
    root: Path
    """Where the steps run: a temporary worktree of the commit."""
    user_root: Path
    """The user's work tree (their interpreters live there)."""
    projects: Sequence[Project]
    """The checkout's projects, with the interpreters found in the user's work tree."""
    default_interpreter: Path
    temp: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    pull_request: PullRequest = field(default_factory=lambda: PullRequest("main", "HEAD", ""))
    """What the runner's ``GITHUB_BASE_REF``, ``GITHUB_HEAD_REF`` and ``GITHUB_SHA`` say."""

    @property
    def is_worktree(self) -> bool:
        return self.root != self.user_root

    def interpreter_for(self, cwd: Path) -> Path:
        best: Project | None = None
        for project in self.projects:
            if (cwd == project.root or project.root in cwd.parents) and (
                best is None or len(project.root.parts) > len(best.root.parts)
            ):
                best = project
        return best.interpreter if best else self.default_interpreter


NewCheckout = Callable[[], AbstractContextManager[Checkout]]
"""Makes another fresh checkout of the checked commit, removed when the context is left."""


@dataclass
class JobPlace:
    """A job's checkout and private folders."""

    checkout: Checkout
    scratch: ScratchArea


class _Spare:
    """A checkout being made in a background thread for the next job."""

    def __init__(self, new_checkout: NewCheckout) -> None:
        self._new = new_checkout
        self._held = contextlib.ExitStack()
        self._checkout: Checkout | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._make, name="gateui-job-checkout", daemon=True)
        self._thread.start()

    def _make(self) -> None:
        try:
            self._checkout = self._held.enter_context(self._new())
        except BaseException as exc:  # handed to the job that takes it
            self._error = exc

    def take(self) -> tuple[Checkout, contextlib.ExitStack]:
        self._thread.join()
        if self._error is not None or self._checkout is None:
            self._held.close()
            raise self._error or RuntimeError("the job's checkout was not made")
        return self._checkout, self._held

    def discard(self) -> None:
        self._thread.join()
        self._held.close()


class JobCheckouts:
    """Hands each job of ``steps`` a fresh checkout and scratch area; ``close()`` (or leaving the
    ``with``) removes every one it made."""

    def __init__(
        self,
        first: Checkout,
        new_checkout: NewCheckout,
        steps: Sequence[GateStep],
        scratch_root: Path,
    ) -> None:
        self._first: Checkout | None = first
        self._new = new_checkout
        self._scratch_root = scratch_root
        self._last_step = {step.job: index for index, step in enumerate(steps)}
        self._jobs = list(dict.fromkeys(s.job for s in steps if s.runs_locally))
        """Jobs that may run a step here, in order: each may need a checkout."""
        self._places: dict[str, JobPlace] = {}
        self._held: dict[str, contextlib.ExitStack] = {}
        self._spare: _Spare | None = None
        self.made = 0
        """How many checkouts were made besides the check's own."""
        # Jobs running at the same time ask from their own threads: one at a time takes a
        # checkout (they are made one at a time, ahead, by ``_Spare``), and the jobs' holds are
        # changed under a lock of their own, so a job that ends need not wait for a checkout.
        self._taking = threading.Lock()
        self._holds = threading.Lock()

    def __enter__(self) -> JobCheckouts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def place_for(self, step: GateStep) -> JobPlace:
        """The checkout and scratch area of ``step``'s job, made on its first step."""
        with self._taking:
            return self._place_for(step)

    def _place_for(self, step: GateStep) -> JobPlace:
        place = self._places.get(step.job)
        if place is not None:
            return place
        if self._first is not None:
            checkout, self._first = self._first, None
        else:
            # Kept in ``_spare`` until taken: a Ctrl-C while it is still being made leaves it
            # for ``close()`` to remove.
            spare = self._spare = self._spare or _Spare(self._new)
            checkout, held = spare.take()
            self._spare = None
            with self._holds:
                self._held[step.job] = held
            self.made += 1
        scratch = ScratchArea(self._scratch_root / "jobs" / str(len(self._places)))
        place = self._places[step.job] = JobPlace(checkout, scratch)
        self._prepare_next(step.job)
        return place

    def _prepare_next(self, job: str) -> None:
        """Start making the checkout of the job after ``job``, if there is one."""
        if self._spare is not None or job not in self._jobs:
            return
        later = self._jobs[self._jobs.index(job) + 1 :]
        if any(j not in self._places for j in later):
            self._spare = _Spare(self._new)

    def step_done(self, index: int, step: GateStep) -> None:
        """After a step: its job's checkout goes once the job has no step left."""
        if self._last_step.get(step.job, -1) <= index:
            self.release(step.job)

    def release(self, job: str) -> None:
        with self._holds:
            held = self._held.pop(job, None)
        if held is not None:
            held.close()

    def close(self) -> None:
        """Remove every checkout made (once no job runs: the spare is no longer wanted)."""
        errors: list[BaseException] = []
        spare, self._spare = self._spare, None
        if spare is not None:
            try:
                spare.discard()
            except BaseException as exc:
                errors.append(exc)
        for job in list(self._held):
            try:
                self.release(job)
            except BaseException as exc:  # every checkout goes, even if one removal fails
                errors.append(exc)
        if errors:
            raise errors[0]

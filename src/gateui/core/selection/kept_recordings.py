"""Which tests of a recorded run need not be recorded again.

A test's recording is current when nothing it could observe has changed since it was made: that
is exactly a test the affected selection would not pick now (against HEAD and against the file
versions each recording ran against), in an environment whose recordings exist. Recording such a
test again would write what the store already holds, so a full run records only the rest: the
tests the current change can affect, the tests that failed last time, and every test with no
recording in this environment (new, or never run here). A test left unrecorded (its threads
made too many calls to trace, another tracer held the thread) is left so too until the change
can affect it (selection goes by its imports meanwhile, which selects more, never less):
recording it again would pay, on every run, for the same unrecorded outcome. Recording then
costs what the change touches, not the whole suite.

Used beside pytest's start-up (``core.running._record_skip``): in a thread of its own, with its
own connection to the store and its own reading of the results.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from gateui.core.common.project_files import read_only_git_env
from gateui.core.discovery.discover import Project
from gateui.core.running.injected import RECORD_ENV
from gateui.core.running.pytest_process import CurrentRecordings, PytestCommand
from gateui.core.running.results import ResultsStore
from gateui.core.selection.changes import file_blob
from gateui.core.selection.depstore import DepStore, same_version

if TYPE_CHECKING:
    from gateui.core.selection.changes import ChangeSet
    from gateui.core.selection.selector import Selector


class KeptRecordings:
    """For one run: the recordings its commands need not make again, per project and
    environment. Shared by the run's commands (one selector for all, made once, and only when
    something changed: on a tree where nothing did, every recording is current, and the import
    graph is not worth building).

    ``close()`` never waits: a run shorter than this work must not end later for it. Work still
    going on then is abandoned (nothing is written to the plugin after its run) and the store's
    connection is closed by whoever finishes last.
    """

    def __init__(
        self,
        repo_root: Path,
        projects: Sequence[Project],
        files: Sequence[PurePosixPath] | None = None,
    ) -> None:
        self.repo_root = repo_root
        self.projects = list(projects)
        self._files = files
        self._lock = threading.Lock()
        self._prepared: _Prepared | None = None
        self._selector: Selector | None = None
        self._changes: ChangeSet | None = None
        """git's changes against HEAD, as ``run --affected`` sees them (read with the selector)."""
        self._closed = False

    def prepare(self) -> None:
        with self._lock:
            if self._prepared is not None or self._closed:
                return
            # Its own connection: the run's bookkeeping writes through another, in another
            # thread (SQLite's locking keeps the two apart; WAL lets this one read meanwhile).
            store = DepStore(self.repo_root, warn=_quiet)
            try:
                results = ResultsStore.load(self.repo_root)
                self._prepared = _Prepared(store, results, _tree_changed(self.repo_root))
            except BaseException:
                store.close()
                raise

    def current(self, env: str, project_root: Path) -> list[str]:
        """Repository-relative node ids of ``project_root`` whose recordings in ``env`` are
        current (none once closed)."""
        self.prepare()
        with self._lock:
            prepared = self._prepared
            project = next((p for p in self.projects if p.root == project_root), None)
            if prepared is None or project is None or self._closed:
                return []
            prefix = "" if project.rel == "." else f"{project.rel}/"
            recorded = [n for n in prepared.store.recorded_tests(env) if n.startswith(prefix)]
            if not recorded:
                return []
            failed = set(prepared.results.failed())
            if not prepared.tree_changed and not self._drifted(prepared.store, env):
                return [n for n in recorded if n not in failed]
            if self._selector is None:
                # Imported here, in the thread: a run whose tree did not change never needs them,
                # and none of it is worth delaying pytest's start for.
                from gateui.core.selection.changes import changed_files
                from gateui.core.selection.selector import Selector

                self._selector = Selector(
                    self.repo_root, self.projects, prepared.store, prepared.results, self._files
                )
                self._changes = changed_files(self.repo_root)
            assert self._changes is not None
            chosen = self._selector.select(self._changes, {project.root: env}, only=project)
            if chosen.projects[0].whole is not None:
                return []
            selected = chosen.projects[0].reason_for
            return [n for n in recorded if selected(n) is None]

    def _drifted(self, store: DepStore, env: str) -> bool:
        """Whether a file some recording of ``env`` ran against is no longer that version."""
        seen: dict[str, str | None] = {}
        for rel, blob in store.versions(env):
            if rel not in seen:
                seen[rel] = file_blob(self.repo_root / rel)
            if not same_version(blob, seen[rel]):
                return True
        return False

    def close(self) -> None:
        """Close the store's connection now if no work holds it, else as that work ends."""
        self._closed = True
        if self._lock.acquire(blocking=False):
            try:
                self._release()
            finally:
                self._lock.release()
        else:
            threading.Thread(target=self._close_when_free, daemon=True).start()

    def _close_when_free(self) -> None:
        with self._lock:
            self._release()

    def _release(self) -> None:
        if self._prepared is not None:
            self._prepared.store.close()
            self._prepared = None
            self._selector = None

    def for_command(self, project_root: Path) -> CurrentRecordings:
        """What a pytest command of ``project_root`` asks (``PytestCommand.kept_recordings``)."""
        return _ForCommand(self, project_root)


@dataclass(frozen=True)
class _Prepared:
    store: DepStore
    results: ResultsStore
    tree_changed: bool
    """Whether git sees any change against HEAD (``_tree_changed``)."""


def _tree_changed(repo_root: Path) -> bool:
    """Whether ``git status`` shows anything (a change, a file git does not ignore and does not
    track), or cannot say. Broader than ``changed_files`` (which leaves out what is never the
    project's): a yes only costs the full selection, which makes up its own mind."""
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "-z", "--untracked-files=all"],
            cwd=repo_root,
            capture_output=True,
            check=False,
            env=read_only_git_env(),
        )
    except OSError:
        return True
    return result.returncode != 0 or bool(result.stdout)


class _ForCommand:
    """``KeptRecordings`` seen from one command."""

    def __init__(self, kept: KeptRecordings, project_root: Path) -> None:
        self._kept = kept
        self._root = project_root

    def prepare(self) -> None:
        self._kept.prepare()

    def current(self, env: str) -> list[str]:
        return self._kept.current(env, self._root)


def recorded_full_run(
    commands: Sequence[PytestCommand],
    repo_root: Path,
    projects: Sequence[Project],
    store: DepStore | None,
    files: Sequence[PurePosixPath] | None = None,
) -> tuple[list[PytestCommand], Callable[[], None]]:
    """A full run's ``commands`` recording what each test executes, and — where ``store``
    holds recordings — not again what is current; with what to call once the run is over."""
    commands = [replace(c, env={**c.env, RECORD_ENV: str(repo_root)}) for c in commands]
    if store is None or not store.recorded_any():
        return commands, _nothing
    kept = KeptRecordings(repo_root, projects, files)
    kept_commands = [replace(c, kept_recordings=kept.for_command(c.project_root)) for c in commands]
    return kept_commands, kept.close


def _nothing() -> None:
    """Nothing to close."""


def _quiet(message: str) -> None:
    """A store this cannot open costs recordings, not the run: the run's own store says why."""

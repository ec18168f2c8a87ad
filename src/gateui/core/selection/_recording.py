"""From the plugin's per-test dependency records to the dependency database.

The plugin reports, per test, the functions executed and files opened under the repository root,
and each file's git blob id the first time it sees the file in a session. This sink ties each
test to the exact versions it ran against and keeps a fingerprint of each version, so that a
later change is compared with what the test really saw.

Only the project's files are dependencies: what ``core.common.project_files`` rules out (caches
such as ``.hypothesis/``, virtual environments, pseudo-files like ``<string>``) and what git
ignores (a test's scratch output, local settings) are dropped here, in one ``git check-ignore``
per batch, so that a file a test writes on every run does not select that test forever.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from gateui.core.common.project_files import ProjectFiles, git_ignored
from gateui.core.running.events import Event, RunSummary, SessionStarted, TestFinished
from gateui.core.selection._fingerprints import fingerprint
from gateui.core.selection.changes import blob_id, keep_blob
from gateui.core.selection.depstore import DepStore, TestRecording

_FLUSH_AFTER_S = 2.0
"""Recordings are written at least this often while a run goes on (and at its end): an
interrupted run keeps what it recorded, and a fast run writes a few large batches instead of one
per couple of hundred tests (each batch costs a transaction and a ``git check-ignore``)."""
_FLUSH_EVERY = 5000
"""...or once this many wait, whichever comes first (memory stays bounded)."""


class RecordingSink:
    """Feed it a run's events; it writes recordings in batches and at the end of the run."""

    def __init__(self, store: DepStore, repo_root: Path) -> None:
        self.store = store
        self.repo_root = repo_root
        self.env: str | None = None
        self._blobs: dict[str, str] = {}
        self._pending: list[TestRecording] = []
        self._flushed_at = time.monotonic()
        self._printed: set[tuple[str, str]] = set()
        """File versions whose fingerprint is known to be stored (asked once per run)."""
        self._own = ProjectFiles(repo_root)
        self._dependency: dict[str, bool] = {}
        """Path → whether it is a dependency (the project's, not git-ignored), judged once."""

    def handle(self, event: Event) -> None:
        if isinstance(event, SessionStarted):
            self.flush()
            self.env = event.env
            # Blob ids are announced once per pytest session (one per project).
            self._blobs = {}
        elif isinstance(event, TestFinished) and event.deps is not None:
            deps = event.deps
            self._blobs.update(deps.get("shas", {}))
            functions: dict[str, list[str]] = dict(deps.get("funcs", {}))
            reads: list[str] = list(deps.get("reads", []))
            blobs = {f: self._blobs[f] for f in [*functions, *reads] if f in self._blobs}
            self._pending.append(
                TestRecording(
                    nodeid=event.nodeid,
                    recorded=bool(deps.get("recorded", True)),
                    functions=functions,
                    reads=reads,
                    blobs=blobs,
                    markers=event.markers,
                )
            )
            if (
                len(self._pending) >= _FLUSH_EVERY
                or time.monotonic() - self._flushed_at >= _FLUSH_AFTER_S
            ):
                self.flush()
        elif isinstance(event, RunSummary):
            self.flush()

    def flush(self) -> None:
        self._flushed_at = time.monotonic()
        if not self._pending or self.env is None:
            self._pending = []
            return
        self._pending = self._project_files_only(self._pending)
        self.store.save(self.env, self._pending)
        for recording in self._pending:
            for rel in recording.functions:
                blob = recording.blobs.get(rel)
                if blob is None or (rel, blob) in self._printed:
                    continue
                self._printed.add((rel, blob))
                if not self.store.has_print(rel, blob):
                    self._remember_print(rel, blob)
        self._pending = []

    def _project_files_only(self, recordings: list[TestRecording]) -> list[TestRecording]:
        unknown = {
            f for r in recordings for f in [*r.functions, *r.reads] if f not in self._dependency
        }
        if unknown:
            own = {f for f in unknown if self._own.is_project_file(f)}
            ignored = git_ignored(self.repo_root, own)
            self._dependency.update({f: f in own and f not in ignored for f in unknown})
        keep = self._dependency
        return [r if _all_kept(r, keep) else _kept_only(r, keep) for r in recordings]

    def _remember_print(self, rel: str, blob: str) -> None:
        """Fingerprint the version the test ran against, if it is still the one on disk (if it
        was edited meanwhile, git may still have it; else the change counts as total)."""
        try:
            data = (self.repo_root / rel).read_bytes()
        except OSError:
            return
        if blob_id(data) != blob:
            return
        # Module-level edits are diffed against the version the tests ran: keep it.
        keep_blob(self.repo_root, data)
        print_ = fingerprint(data)
        if print_ is not None:
            self.store.save_print(rel, blob, print_)


def _all_kept(recording: TestRecording, keep: dict[str, bool]) -> bool:
    return all(keep[f] for f in recording.functions) and all(keep[f] for f in recording.reads)


def _kept_only(recording: TestRecording, keep: dict[str, bool]) -> TestRecording:
    return replace(
        recording,
        functions={f: n for f, n in recording.functions.items() if keep[f]},
        reads=[f for f in recording.reads if keep[f]],
        blobs={f: b for f, b in recording.blobs.items() if keep.get(f, False)},
    )

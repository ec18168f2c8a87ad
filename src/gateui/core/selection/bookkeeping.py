"""What every run leaves behind, whoever drives it (CLI, watch, TUI): the last result of each
test, and what each test executed and read."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gateui.core.running.events import Event, TestFinished
from gateui.core.running.results import ResultsStore

if TYPE_CHECKING:
    from gateui.core.selection.depstore import DepStore


class Bookkeeping:
    """Feed it every event of a run; ``close()`` saves (also after a cancelled run: tests that
    finished keep their results and recordings)."""

    def __init__(self, repo_root: Path, store: DepStore | None = None) -> None:
        self.repo_root = repo_root
        # Read when first asked about: a run that only records results never reads the store.
        self.results = ResultsStore.later(repo_root)
        self.store = store
        self.sink = None
        if store is not None:
            # Imported here: a run that records nothing (`gateui run --no-record`) need not
            # load the recorder and the fingerprinting behind it.
            from gateui.core.selection._recording import RecordingSink

            self.sink = RecordingSink(store, repo_root)

    def handle(self, event: Event) -> None:
        if isinstance(event, TestFinished):
            self.results.record(event)
        if self.sink is not None:
            self.sink.handle(event)

    def save(self) -> None:
        if self.sink is not None:
            self.sink.flush()
        try:
            self.results.save(self.repo_root)
        except OSError as exc:
            # Results are a cache too: the run's verdict stays the tests'. Said once: a store
            # that could not be written has said it already.
            from gateui.core.selection.depstore import NOT_RECORDING, say_on_stderr

            if self.store is None or self.store.not_recording is None:
                warn = self.store.warn if self.store is not None else say_on_stderr
                warn(f"{NOT_RECORDING}: cannot save results in {self.repo_root} ({exc.strerror})")

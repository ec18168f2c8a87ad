"""Which tests a recorded run need not record again, told to the plugin while pytest starts.

Recording costs every test it covers, but most tests of a full run record what the store already
holds: nothing they executed or read has changed. Which ones is a selection (``core.selection``
answers it, through ``CurrentRecordings``); it needs the session's environment key, which the
plugin reports as the session starts, and its own set-up (the import graph, git's changes) takes
a few hundred milliseconds. So it is worked out in a thread beside pytest's start-up and collection
and written to a pipe the plugin reads without waiting: until the list has ended every test
records, as before, so a late or failed answer costs time, never a recording.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Collection
from typing import Protocol

from gateui.core.running.process_group import widen_pipe

RECORD_SKIP_ENV = "GATEUI_RECORD_SKIP"
"""The plugin's name for the pipe (``fd:N``); its own copy lives in the plugin."""
END = "."
"""The list's last line: without it the plugin records every test."""


class CurrentRecordings(Protocol):
    """What decides which recordings are current (``core.selection.kept_recordings``)."""

    def prepare(self) -> None:
        """The work that does not need the environment key (run while pytest starts)."""

    def current(self, env: str) -> Collection[str]:
        """Repository-relative node ids whose recordings in ``env`` are current."""


class RecordSkipFeed:
    """One run's pipe: ``child_fd`` goes to pytest; the thread writes the list and closes it."""

    def __init__(self, kept: CurrentRecordings) -> None:
        self._kept = kept
        self.child_fd, self._write_fd = os.pipe()
        # The whole list fits in the pipe, so that the plugin finds it complete when collection
        # ends and leaves the recorder out of every test (a list of thousands of node ids is
        # over the default 64 KiB, and the rest only came as the first tests ran).
        widen_pipe(self._write_fd)
        self._env: str | None = None
        self._prefix = ""
        self._session = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def env(self) -> dict[str, str]:
        return {RECORD_SKIP_ENV: f"fd:{self.child_fd}"}

    def started(self) -> None:
        """The child holds its read end now: begin (the parent's copy is closed, so that the
        writer sees a broken pipe, never a hang, when pytest ends without reading)."""
        os.close(self.child_fd)
        self._thread = threading.Thread(target=self._feed, name="gateui-record-skip", daemon=True)
        self._thread.start()

    def session_started(self, env: str | None, prefix: str) -> None:
        """The plugin reported its session: its environment key (None: it does not record) and
        the prefix that turns its node ids into repository-relative ones."""
        self._env = env
        self._prefix = prefix
        self._session.set()

    def close(self) -> None:
        """The run is over (or never started): the thread stops waiting."""
        self._session.set()
        if self._thread is None:
            for fd in (self.child_fd, self._write_fd):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _feed(self) -> None:
        try:
            self._kept.prepare()
            self._session.wait()
            if self._env is None:
                return
            prefix = self._prefix
            current = self._kept.current(self._env)
            # Each id on its line, then END: a list cut short is never taken for a whole one.
            lines = [n[len(prefix) :] + "\n" for n in current if n.startswith(prefix)]
            data = ("".join(lines) + END).encode()
            view = memoryview(data)
            while view:
                view = view[os.write(self._write_fd, view) :]
        except Exception:  # a cache's answer: without it every test records
            pass
        finally:
            with contextlib.suppress(OSError):
                os.close(self._write_fd)

"""The results store: per node id, the last outcome, duration, failure text and when it ran.

It lives in memory while a run streams and is saved under the repository's state folder
(``.gateui/``, which ignores itself the way ``.pytest_cache`` does), so the next run can put the
tests that failed last time first.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from gateui.core.common.paths import STATE_DIR as STATE_DIR
from gateui.core.running.events import TestFinished

_RESULTS_FILE = "results.json"
_FORMAT = 1


@dataclass(frozen=True, slots=True)
class TestRecord:
    """What gateui remembers of one test."""

    __test__ = False  # not a test class for pytest

    nodeid: str
    outcome: str
    duration_s: float
    failure: str
    """The traceback of the last failure or error; empty otherwise."""
    finished_at: float
    """Unix time the result arrived."""


_RECORD_FIELDS = tuple(f.name for f in fields(TestRecord))
_RECORD_KEYS = frozenset(_RECORD_FIELDS)


def _newer(saved: TestRecord, mine: TestRecord) -> bool:
    """Whether a saved record is newer than this process's (raises TypeError if a time is
    not a number)."""
    return bool(mine.finished_at < saved.finished_at)


def _saved_items(repo_root: Path) -> list[Any]:
    """The saved records as they were written (JSON objects), or none when there is no store
    or it cannot be read (it is a cache: losing it costs a reordering, never a result)."""
    try:
        data = json.loads((repo_root / STATE_DIR / _RESULTS_FILE).read_text())
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return []
        tests = data["tests"]
    except (OSError, ValueError, KeyError):
        return []
    return [t for t in tests if isinstance(t, dict)] if isinstance(tests, list) else []


def state_dir(repo_root: Path) -> Path:
    """gateui's folder in the repository, created with a ``.gitignore`` that ignores it whole."""
    folder = repo_root / STATE_DIR
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by gateui: local state, never committed\n*\n")
    return folder


class ResultsStore:
    """Last known result per node id (repository-relative).

    A store made with ``later`` reads the saved one only when first asked about it: a run that
    only adds results never reads it (``save`` merges with what is saved anyway), which spared
    every run reading thousands of records it never looked at."""

    def __init__(self, records: Iterable[TestRecord] = ()) -> None:
        self._records: dict[str, TestRecord] = {r.nodeid: r for r in records}
        self._unread: Path | None = None
        """The repository whose saved store is still to be merged in (see ``later``)."""

    def __len__(self) -> int:
        self._read()
        return len(self._records)

    def __iter__(self) -> Iterator[TestRecord]:
        self._read()
        return iter(self._records.values())

    def get(self, nodeid: str) -> TestRecord | None:
        self._read()
        return self._records.get(nodeid)

    def record(self, event: TestFinished, now: float | None = None) -> TestRecord:
        failure = event.longrepr if event.outcome in ("failed", "error") else ""
        record = TestRecord(
            nodeid=event.nodeid,
            outcome=event.outcome,
            duration_s=event.duration_s,
            failure=failure,
            finished_at=time.time() if now is None else now,
        )
        self._records[event.nodeid] = record
        return record

    def failed(self) -> list[str]:
        """Node ids whose last result was a failure or an error."""
        self._read()
        return [r.nodeid for r in self._records.values() if r.outcome in ("failed", "error")]

    # -- persistence -------------------------------------------------------------------------
    @classmethod
    def load(cls, repo_root: Path) -> ResultsStore:
        """The saved store, or an empty one when there is none or it cannot be read (it is a
        cache: losing it costs a reordering, never a result); a record that cannot be read is
        left out."""
        store = cls.later(repo_root)
        store._read()
        return store

    @classmethod
    def later(cls, repo_root: Path) -> ResultsStore:
        """The saved store, read when first asked about (never, by a run that only records)."""
        store = cls()
        store._unread = repo_root
        return store

    def _read(self) -> None:
        """Merge in the saved store if it is still unread: the newer result of each test wins,
        the saved order first."""
        root = self._unread
        if root is None:
            return
        self._unread = None
        ours = self._records
        merged: dict[str, TestRecord] = {}
        for item in _saved_items(root):
            try:
                saved = TestRecord(**item)
                mine = ours.get(saved.nodeid)
                merged[saved.nodeid] = saved if mine is None or _newer(saved, mine) else mine
            except TypeError:  # not a record as gateui writes them: left out
                continue
        for nodeid, record in ours.items():
            merged.setdefault(nodeid, record)
        self._records = merged

    def save(self, repo_root: Path) -> None:
        """Merge with what is on disk (the newer result of each test wins: another run — the
        CLI while the TUI watches — may have saved meanwhile), then write atomically, so a
        concurrent reader sees the old file or the new one, never half."""
        folder = state_dir(repo_root)
        # Compared as saved: a saved record that stays is written back as it was read, never
        # built (building every saved one was half of a large run's save). One that cannot be
        # read is left out.
        ours = self._records
        merged: dict[str, TestRecord | dict[str, Any]] = {}
        for item in _saved_items(repo_root):
            try:
                nodeid = item["nodeid"]
                if item.keys() != _RECORD_KEYS or not isinstance(nodeid, str):
                    continue
                mine = ours.get(nodeid)
                if mine is None or mine.finished_at < item["finished_at"]:
                    merged[nodeid] = item
                else:
                    merged[nodeid] = mine
            except (TypeError, KeyError):
                continue
        for nodeid, record in ours.items():
            merged.setdefault(nodeid, record)
        # Plain dicts and one ``json.dumps``: ``asdict`` deep-copies every field and
        # ``json.dump`` encodes in pure Python, both felt at the end of every large run.
        tests = [
            r if isinstance(r, dict) else {name: getattr(r, name) for name in _RECORD_FIELDS}
            for r in merged.values()
        ]
        text = json.dumps({"format": _FORMAT, "tests": tests}, separators=(",", ":"))
        # What was saved is now the whole store: read again when next asked about.
        self._records = {k: r for k, r in merged.items() if not isinstance(r, dict)}
        self._unread = repo_root
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".results-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            os.replace(tmp, folder / _RESULTS_FILE)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

"""The dependency database: what each test executed and read, per environment, per file version.

SQLite in WAL mode under ``.gateui/`` (never committed). Each recording row names the exact file
version (git blob id) the test ran against, so a change is judged against what that test really
saw: an interrupted run, two watchers or an old recording never make a change disappear. SQLite's
locking makes concurrent writers (two watchers, CLI and TUI) safe; each test's rows are replaced
in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateui.core.running.results import state_dir
from gateui.core.selection._fingerprints import ModulePrint

_SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tests (
    env TEXT NOT NULL, nodeid TEXT NOT NULL, recorded INTEGER NOT NULL,
    markers TEXT NOT NULL, PRIMARY KEY (env, nodeid));
CREATE TABLE IF NOT EXISTS executed (
    env TEXT NOT NULL, nodeid TEXT NOT NULL, file TEXT NOT NULL, blob TEXT NOT NULL,
    functions TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS executed_by_file ON executed (env, file, blob);
CREATE INDEX IF NOT EXISTS executed_by_test ON executed (env, nodeid);
CREATE TABLE IF NOT EXISTS reads (
    env TEXT NOT NULL, nodeid TEXT NOT NULL, file TEXT NOT NULL, blob TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS reads_by_file ON reads (env, file, blob);
CREATE INDEX IF NOT EXISTS reads_by_test ON reads (env, nodeid);
CREATE TABLE IF NOT EXISTS prints (
    file TEXT NOT NULL, blob TEXT NOT NULL, module TEXT NOT NULL, functions TEXT NOT NULL,
    fixtures TEXT NOT NULL, PRIMARY KEY (file, blob));
"""
MISSING_BLOB = "-"
"""The blob recorded for a file that could not be read when the test ran (counts as changed)."""


@dataclass(frozen=True)
class TestRecording:
    """One test's recording, as the plugin reported it (paths repository-relative)."""

    __test__ = False  # not a test class for pytest

    nodeid: str
    recorded: bool
    """False when another tracer (a debugger, coverage on 3.11) kept gateui from recording."""
    functions: dict[str, list[str]]
    reads: list[str]
    blobs: dict[str, str]
    markers: tuple[str, ...] = ()


class DepStore:
    """Read and write recordings for one repository."""

    def __init__(self, repo_root: Path) -> None:
        self.path = state_dir(repo_root) / "deps.sqlite"
        self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        with self.db:
            self.db.executescript(_SCHEMA)
            version = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if version is None:
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (_SCHEMA_VERSION,))

    def close(self) -> None:
        self.db.close()

    # -- writing ---------------------------------------------------------------------------
    def save(self, env: str, recordings: Sequence[TestRecording]) -> None:
        """Replace these tests' rows for ``env`` in one transaction."""
        if not recordings:
            return
        with self.db:
            for rec in recordings:
                key = (env, rec.nodeid)
                self.db.execute("DELETE FROM executed WHERE env=? AND nodeid=?", key)
                self.db.execute("DELETE FROM reads WHERE env=? AND nodeid=?", key)
                self.db.execute(
                    "INSERT OR REPLACE INTO tests VALUES (?, ?, ?, ?)",
                    (env, rec.nodeid, int(rec.recorded), json.dumps(list(rec.markers))),
                )
                self.db.executemany(
                    "INSERT INTO executed VALUES (?, ?, ?, ?, ?)",
                    [
                        (env, rec.nodeid, f, rec.blobs.get(f, MISSING_BLOB), json.dumps(names))
                        for f, names in rec.functions.items()
                    ],
                )
                self.db.executemany(
                    "INSERT INTO reads VALUES (?, ?, ?, ?)",
                    [(env, rec.nodeid, f, rec.blobs.get(f, MISSING_BLOB)) for f in rec.reads],
                )

    def save_print(self, file: str, blob: str, print_: ModulePrint) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO prints VALUES (?, ?, ?, ?, ?)",
                (
                    file,
                    blob,
                    print_.module,
                    json.dumps(print_.functions),
                    json.dumps(sorted(print_.fixtures)),
                ),
            )

    # -- reading ---------------------------------------------------------------------------
    def has_print(self, file: str, blob: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM prints WHERE file=? AND blob=?", (file, blob)
        ).fetchone()
        return row is not None

    def load_print(self, file: str, blob: str) -> ModulePrint | None:
        row = self.db.execute(
            "SELECT module, functions, fixtures FROM prints WHERE file=? AND blob=?", (file, blob)
        ).fetchone()
        if row is None:
            return None
        return ModulePrint(row[0], json.loads(row[1]), frozenset(json.loads(row[2])))

    def tests(self, env: str) -> dict[str, tuple[bool, tuple[str, ...]]]:
        """Every test recorded for ``env``: node id → (recorded for real, markers)."""
        rows = self.db.execute("SELECT nodeid, recorded, markers FROM tests WHERE env=?", (env,))
        return {n: (bool(r), tuple(json.loads(m))) for n, r, m in rows}

    def versions(self, env: str) -> Iterator[tuple[str, str]]:
        """Every (file, blob) some recording of ``env`` ran against, executed or read."""
        yield from self.db.execute(
            "SELECT DISTINCT file, blob FROM executed WHERE env=? "
            "UNION SELECT DISTINCT file, blob FROM reads WHERE env=?",
            (env, env),
        )

    def executed(self, env: str, file: str, blob: str) -> Iterator[tuple[str, list[str]]]:
        """(node id, functions executed) for tests that ran against this file version."""
        rows = self.db.execute(
            "SELECT nodeid, functions FROM executed WHERE env=? AND file=? AND blob=?",
            (env, file, blob),
        )
        for nodeid, functions in rows:
            yield nodeid, json.loads(functions)

    def executed_everywhere(self, env: str) -> Iterator[tuple[str, str, list[str]]]:
        """(node id, file, functions executed) for every recording of ``env``: one query, for
        matching what tests executed against the names a change touched."""
        rows = self.db.execute("SELECT nodeid, file, functions FROM executed WHERE env=?", (env,))
        for nodeid, file, functions in rows:
            yield nodeid, file, json.loads(functions)

    def executed_in(self, env: str, file: str) -> set[str]:
        """Every function of ``file`` some recorded test of ``env`` executed (any version)."""
        rows = self.db.execute("SELECT functions FROM executed WHERE env=? AND file=?", (env, file))
        found: set[str] = set()
        for (functions,) in rows:
            found.update(json.loads(functions))
        return found

    def readers(self, env: str, file: str, blob: str) -> list[str]:
        rows = self.db.execute(
            "SELECT nodeid FROM reads WHERE env=? AND file=? AND blob=?", (env, file, blob)
        )
        return [r[0] for r in rows]

    def executed_by(self, env: str, nodeid: str) -> dict[str, list[str]]:
        """What one test executed, file → functions (for ``gateui explain``)."""
        rows = self.db.execute(
            "SELECT file, functions FROM executed WHERE env=? AND nodeid=?", (env, nodeid)
        )
        return {f: json.loads(names) for f, names in rows}

    def forget(self, env: str, nodeids: Iterable[str]) -> None:
        with self.db:
            for nodeid in nodeids:
                for table in ("tests", "executed", "reads"):
                    self.db.execute(f"DELETE FROM {table} WHERE env=? AND nodeid=?", (env, nodeid))

"""The dependency database: what each test executed and read, per environment, per file version.

SQLite in WAL mode under ``.gateui/`` (never committed). Kept small (≈ 7 MB per 10,000 tests of a
real suite; docs/benchmarks.md): every text — environment key, node id, file, blob id, function
name — is written once in ``names`` and the rows of the other tables hold its integer id; a list
of functions a test executed in a file is itself a name, the ids of its functions (most tests
share their lists); the tables are keyed by what identifies a row (``WITHOUT ROWID``), with no
index beside the one selection needs. Only the few most recently recorded environments are kept,
the prints of file versions no recording names are dropped, and names nothing refers to any more
(old blob ids, old lists) are collected once they are as many as the rest (``_names_gc``). Each
recording row names the exact file version (git blob id) the test ran against, so a change is
judged against what that test really saw: an interrupted run, two watchers or an old recording
never make a change disappear. SQLite's locking makes concurrent writers (two watchers, CLI and
TUI) safe; each test's rows are replaced in one transaction.

The store is a cache, never a reason for a run to fail. A damaged file (garbage, truncated,
"malformed") is set aside next to itself and rebuilt, with one warning naming it. A store that
cannot be written (a read-only checkout or file, a full disk) turns recording off for the rest of
the process, with one warning that says why; selection then works from an empty in-memory store,
that is from the import graph alone, which selects more, never less.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gateui.core.running.results import STATE_DIR, state_dir
from gateui.core.selection import _names_gc
from gateui.core.selection._fingerprints import ModulePrint

_SCHEMA_VERSION = "3"
_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
# ``executed_by_file`` holds ``functions`` too (and the key, as every index of a WITHOUT ROWID
# table does): the tests of a changed file are answered from the index alone, with no search of
# the table per row (4x faster on 2,000 tests). Ids of names are never reused (AUTOINCREMENT): a
# connection still holding the id of a name another one collected finds nothing under it, never
# another text (``_names_gc``).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS names (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS tests (
    env INTEGER NOT NULL, nodeid INTEGER NOT NULL, recorded INTEGER NOT NULL,
    markers TEXT NOT NULL, PRIMARY KEY (env, nodeid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS executed (
    env INTEGER NOT NULL, nodeid INTEGER NOT NULL, file INTEGER NOT NULL, blob INTEGER NOT NULL,
    functions INTEGER NOT NULL, PRIMARY KEY (env, nodeid, file)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS executed_by_file ON executed (env, file, blob, functions);
CREATE TABLE IF NOT EXISTS reads (
    env INTEGER NOT NULL, nodeid INTEGER NOT NULL, file INTEGER NOT NULL, blob INTEGER NOT NULL,
    PRIMARY KEY (env, nodeid, file)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reads_by_file ON reads (env, file, blob);
CREATE TABLE IF NOT EXISTS prints (
    file TEXT NOT NULL, blob TEXT NOT NULL, module TEXT NOT NULL, functions TEXT NOT NULL,
    fixtures TEXT NOT NULL, PRIMARY KEY (file, blob));
"""
MISSING_BLOB = "-"
"""The blob recorded for a file that could not be read when the test ran (counts as changed)."""


def same_version(recorded: str, current: str | None) -> bool:
    """Whether a file is still the version a recording ran against (``current``: its blob now,
    None when it is gone); a file absent then and still absent has not changed."""
    return current == recorded or (current is None and recorded == MISSING_BLOB)


STORE_FILE = "deps.sqlite"
DAMAGED_SUFFIX = ".damaged"
"""A damaged store is renamed to ``deps.sqlite.damaged`` (replacing an older one) and rebuilt."""
NOT_RECORDING = "running without recording"
KEPT_ENVIRONMENTS = 4
"""Recordings of this many environments (interpreter + installed packages) are kept, the most
recently recorded; older ones are pruned when a new one records."""
_OLD_TABLES = ("tests", "executed", "reads", "names")
_CHUNK = 500  # names looked up per query (SQLite limits the parameters of one statement)

# SQLite's primary result codes for a file that is not (or no longer) a usable database.
_DAMAGED_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_ERROR})
_T = TypeVar("_T")


def say_on_stderr(message: str) -> None:
    """The default for store warnings: one line on stderr (the TUI captures stderr)."""
    try:
        sys.stderr.write(f"gateui: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # nowhere to say it: the warning is not worth failing the run for


def _is_damage(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return not isinstance(exc, sqlite3.OperationalError)
    return (code & 0xFF) in _DAMAGED_CODES


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

    def __init__(self, repo_root: Path, warn: Callable[[str], None] = say_on_stderr) -> None:
        self.path = repo_root / STATE_DIR / STORE_FILE
        self.warn = warn
        self.not_recording: str | None = None
        """Why recordings are not being kept (None while they are)."""
        self._recorded = False
        """Whether this connection saved recordings (whose old versions may now be unused)."""
        self._ids: dict[str, int] = {}
        """Text → its row in ``names``; forgotten when another connection collects unused names."""
        self._texts: dict[int, str] = {}
        """The other way round, for the names of functions in lists."""
        self._data_version: int | None = None
        self._generation = ""
        self.db = self._open()

    # -- opening and recovering ------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            state_dir(self.path.parent.parent)
        except OSError as exc:
            return self._unwritable(f"cannot create {self.path.parent} ({_why(exc)})")
        try:
            return self._connect()
        except sqlite3.Error as exc:
            if not _is_damage(exc):
                return self._unwritable(f"cannot write {self.path} ({exc})")
            first = exc
        try:
            self._set_aside(first)
            return self._connect()
        except (OSError, sqlite3.Error) as exc:
            return self._unwritable(f"cannot rebuild {self.path} ({_why(exc)})")

    def _connect(self) -> sqlite3.Connection:
        new = not self.path.exists() or self.path.stat().st_size == 0
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            if new:
                # Pages freed by pruning go back to the file system (``_prune``); an older
                # layout is vacuumed into this mode below.
                db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            upgraded = False
            with db:
                db.executescript(_META)
                version = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                if version is not None and version[0] != _SCHEMA_VERSION:
                    # An older layout: recordings are a cache, they start afresh.
                    for table in _OLD_TABLES:
                        db.execute(f"DROP TABLE IF EXISTS {table}")
                    db.execute("DELETE FROM meta WHERE key LIKE 'env:%'")
                    _names_gc.renumbered(db)
                    upgraded = True
                db.executescript(_SCHEMA)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (_SCHEMA_VERSION,))
            if upgraded:
                # Only a smaller file: where another connection is busy, it is left for later.
                with contextlib.suppress(sqlite3.OperationalError):
                    db.execute("PRAGMA auto_vacuum=INCREMENTAL")
                    db.execute("VACUUM")
            # A store cut short can open and then fail page by page: have SQLite look first.
            check = db.execute("PRAGMA quick_check(1)").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed ({check})")
        except BaseException:
            db.close()
            raise
        return db

    def _set_aside(self, exc: sqlite3.Error) -> None:
        """Keep the damaged file for a look (``deps.sqlite.damaged``) and start afresh."""
        aside = self.path.with_name(self.path.name + DAMAGED_SUFFIX)
        self.path.replace(aside)
        for suffix in ("-wal", "-shm"):
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists():
                companion.replace(aside.with_name(aside.name + suffix))
        self.warn(
            f"{self.path} was damaged ({exc}); set aside as {aside.name} and rebuilt "
            "(recordings start afresh)"
        )

    def _unwritable(self, why: str) -> sqlite3.Connection:
        """Recording off from here on; an empty store in memory answers every question."""
        self._stop_recording(why)
        db = sqlite3.connect(":memory:", check_same_thread=False)
        with db:
            db.executescript(_META + _SCHEMA)
        return db

    def _stop_recording(self, why: str) -> None:
        if self.not_recording is None:
            self.not_recording = why
            self.warn(f"{NOT_RECORDING}: {why}")

    def _write(self, action: Callable[[], None]) -> None:
        """Run one write transaction; a store that stops taking writes stops recording."""
        if self.not_recording is not None:
            return
        try:
            action()
        except sqlite3.Error as exc:
            self._forget_ids()  # names added in the rolled-back transaction do not exist
            self._stop_recording(f"cannot write {self.path} ({exc})")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction, taken before anything is read: no other connection collects
        names between the ids this one checks and the rows it writes with them."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self._check_names()
            yield

    def _check_names(self) -> None:
        """Forget the ids of names when another connection has collected names since."""
        (version,) = self.db.execute("PRAGMA data_version").fetchone()
        if version == self._data_version:
            return
        self._data_version = version
        generation = _names_gc.generation(self.db)
        if generation != self._generation:
            self._generation = generation
            self._forget_ids()

    def _forget_ids(self) -> None:
        self._ids.clear()
        self._texts.clear()

    def _read(self, query: Callable[[], _T], empty: _T) -> _T:
        """Answer one question; a store that fails to answer knows nothing (selects more)."""
        try:
            return query()
        except sqlite3.Error as exc:
            self._stop_recording(f"cannot read {self.path} ({exc})")
            return empty

    def close(self) -> None:
        """Close the connection; after a run that recorded, drop what no recording names any
        more: the prints of old file versions and, once they are many, unused names (each edit
        of a file adds a version: a long watch session would otherwise keep every one)."""
        if self._recorded:
            self._write(self._prune)
        self.db.close()

    def _prune(self) -> None:
        with self._transaction():
            self.db.execute(
                "DELETE FROM prints WHERE (file, blob) NOT IN ("
                "SELECT f.text, b.text FROM (SELECT DISTINCT file, blob FROM executed) e "
                "JOIN names f ON f.id = e.file JOIN names b ON b.id = e.blob)"
            )
            if _names_gc.due(self.db):
                _names_gc.collect(self.db)
                self._forget_ids()
                self._generation = _names_gc.generation(self.db)
        (free,) = self.db.execute("PRAGMA freelist_count").fetchone()
        (pages,) = self.db.execute("PRAGMA page_count").fetchone()
        if free * 4 > pages:  # a quarter of the file unused: give it back
            # As a script: stepped to the end (one ``execute`` step frees a single page).
            self.db.executescript("PRAGMA incremental_vacuum;")

    # -- writing ---------------------------------------------------------------------------
    def save(self, env: str, recordings: Sequence[TestRecording]) -> None:
        """Replace these tests' rows for ``env`` in one transaction."""
        if recordings:
            self._write(lambda: self._save(env, recordings))
            self._recorded = True

    def _save(self, env: str, recordings: Sequence[TestRecording]) -> None:
        # A test recorded twice in one batch: its last recording replaces the first.
        recordings = list({rec.nodeid: rec for rec in recordings}.values())
        with self._transaction():
            texts = {env, MISSING_BLOB}
            function_lists: set[tuple[str, ...]] = set()
            for rec in recordings:
                texts.add(rec.nodeid)
                texts.update(rec.functions)
                texts.update(rec.reads)
                texts.update(rec.blobs.values())
                function_lists.update(tuple(names) for names in rec.functions.values())
            texts.update(name for names in function_lists for name in names)
            ids = self._intern(texts)
            # Most tests share their function lists: each is encoded once, as a name itself.
            encoded = {
                key: _names_gc.encode_functions([ids[name] for name in key])
                for key in function_lists
            }
            ids = self._intern(encoded.values())
            lists = {key: ids[text] for key, text in encoded.items()}
            env_id = ids[env]
            nodes = [(env_id, ids[rec.nodeid]) for rec in recordings]
            self.db.executemany("DELETE FROM executed WHERE env=? AND nodeid=?", nodes)
            self.db.executemany("DELETE FROM reads WHERE env=? AND nodeid=?", nodes)
            # Tests share their markers too: each set encoded once.
            markers = {m: json.dumps(list(m)) for m in {tuple(rec.markers) for rec in recordings}}
            self.db.executemany(
                "INSERT OR REPLACE INTO tests VALUES (?, ?, ?, ?)",
                [
                    (env_id, node, int(rec.recorded), markers[tuple(rec.markers)])
                    for (_, node), rec in zip(nodes, recordings, strict=True)
                ],
            )
            executed = []
            reads = []
            for (_, node), rec in zip(nodes, recordings, strict=True):
                blobs = rec.blobs
                executed += [
                    (env_id, node, ids[f], ids[blobs.get(f, MISSING_BLOB)], lists[tuple(n)])
                    for f, n in rec.functions.items()
                ]
                reads += [
                    (env_id, node, ids[f], ids[blobs.get(f, MISSING_BLOB)]) for f in rec.reads
                ]
            self.db.executemany("INSERT INTO executed VALUES (?, ?, ?, ?, ?)", executed)
            self.db.executemany("INSERT INTO reads VALUES (?, ?, ?, ?)", reads)
            self._seen(env)

    def _intern(self, texts: Iterable[str]) -> dict[str, int]:
        """The ``names`` row of each text, adding those not there yet."""
        known = self._ids
        missing = [t for t in texts if t not in known]
        if missing:
            self.db.executemany(
                "INSERT OR IGNORE INTO names (text) VALUES (?)", [(t,) for t in missing]
            )
            for start in range(0, len(missing), _CHUNK):
                chunk = missing[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(
                    f"SELECT text, id FROM names WHERE text IN ({marks})", chunk
                ).fetchall()
                known.update(rows)
        return known

    def _seen(self, env: str) -> None:
        """Note when ``env`` last recorded; a new one prunes all but the latest few."""
        key = f"env:{env}"
        new = self.db.execute("SELECT 1 FROM meta WHERE key=?", (key,)).fetchone() is None
        # A counter, not a clock: two saves within one clock tick still have an order.
        self.db.execute(
            "INSERT OR REPLACE INTO meta SELECT ?, COALESCE(MAX(CAST(value AS INTEGER)), 0) + 1 "
            "FROM meta WHERE key LIKE 'env:%'",
            (key,),
        )
        if not new:
            return
        rows = self.db.execute(
            "SELECT key FROM meta WHERE key LIKE 'env:%' ORDER BY CAST(value AS INTEGER) DESC"
        ).fetchall()
        for (old_key,) in rows[KEPT_ENVIRONMENTS:]:
            old_id = self._name_id(old_key[len("env:") :])
            if old_id is not None:
                for table in ("tests", "executed", "reads"):
                    self.db.execute(f"DELETE FROM {table} WHERE env=?", (old_id,))
            self.db.execute("DELETE FROM meta WHERE key=?", (old_key,))

    def _name_id(self, text: str) -> int | None:
        known = self._ids.get(text)
        if known is not None:
            return known
        row = self.db.execute("SELECT id FROM names WHERE text=?", (text,)).fetchone()
        if row is None:
            return None
        self._ids[text] = row[0]
        return int(row[0])

    def save_print(self, file: str, blob: str, print_: ModulePrint) -> None:
        row = (
            file,
            blob,
            print_.module,
            json.dumps(print_.functions),
            json.dumps(sorted(print_.fixtures)),
        )

        def insert() -> None:
            with self._transaction():
                self.db.execute("INSERT OR REPLACE INTO prints VALUES (?, ?, ?, ?, ?)", row)

        self._write(insert)

    def forget(self, env: str, nodeids: Iterable[str]) -> None:
        def delete() -> None:
            with self._transaction():
                env_id = self._name_id(env)
                for nodeid in nodeids:
                    node = self._name_id(nodeid)
                    if env_id is None or node is None:
                        continue
                    for table in ("tests", "executed", "reads"):
                        self.db.execute(
                            f"DELETE FROM {table} WHERE env=? AND nodeid=?", (env_id, node)
                        )

        self._write(delete)

    # -- reading ---------------------------------------------------------------------------
    def _rows(self, sql: str, params: tuple[str | int, ...]) -> list[Any]:
        return self._read(lambda: self.db.execute(sql, params).fetchall(), [])

    def has_print(self, file: str, blob: str) -> bool:
        return bool(self._rows("SELECT 1 FROM prints WHERE file=? AND blob=?", (file, blob)))

    def load_print(self, file: str, blob: str) -> ModulePrint | None:
        rows = self._rows(
            "SELECT module, functions, fixtures FROM prints WHERE file=? AND blob=?", (file, blob)
        )
        if not rows:
            return None
        module, functions, fixtures = rows[0]
        return ModulePrint(module, json.loads(functions), frozenset(json.loads(fixtures)))

    def recorded_any(self) -> bool:
        """Whether any test of any environment has a recording here."""
        return bool(self._rows("SELECT 1 FROM tests LIMIT 1", ()))

    def recorded_tests(self, env: str) -> list[str]:
        """The tests ``env`` has a row for: recorded, or left unrecorded (``recorded`` false)."""
        return [n for (n,) in self._test_rows(env, "")]

    def tests(self, env: str) -> dict[str, tuple[bool, tuple[str, ...]]]:
        """Every test recorded for ``env``: node id → (recorded for real, markers)."""
        rows = self._test_rows(env, ", t.recorded, t.markers")
        return {n: (bool(r), tuple(json.loads(m))) for n, r, m in rows}

    def _test_rows(self, env: str, columns: str) -> list[Any]:
        """(node id, *``columns``) of each test ``env`` has a row for."""
        ids = self._ids_of(env)
        if ids is None:
            return []
        return self._rows(
            f"SELECT n.text{columns} FROM tests t JOIN names n ON n.id = t.nodeid WHERE t.env=?",
            ids,
        )

    def _ids_of(self, *texts: str) -> tuple[int, ...] | None:
        """The ``names`` rows of ``texts``; None when one is unknown (nothing recorded it)."""

        def look_up() -> tuple[int, ...] | None:
            self._check_names()
            found: list[int] = []
            for text in texts:
                known = self._name_id(text)
                if known is None:
                    return None
                found.append(known)
            return tuple(found)

        return self._read(look_up, None)

    def _function_lists(self, keys: Iterable[int]) -> dict[int, list[str]]:
        """Each list of functions (by the id of its name) as the functions' names."""
        wanted = set(keys)
        texts = self._texts_of(wanted)
        lists = {key: _names_gc.decode_functions(texts.get(key, "")) for key in wanted}
        names = self._texts_of({n for functions in lists.values() for n in functions})
        return {
            key: [names[n] for n in functions if n in names] for key, functions in lists.items()
        }

    def _texts_of(self, ids: set[int]) -> dict[int, str]:
        known = self._texts
        missing = sorted(i for i in ids if i not in known)
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            known.update(
                self._rows(f"SELECT id, text FROM names WHERE id IN ({marks})", tuple(chunk))
            )
        return known

    def versions(self, env: str) -> Iterator[tuple[str, str]]:
        """Every (file, blob) some recording of ``env`` ran against, executed or read."""
        ids = self._ids_of(env)
        if ids is None:
            return
        yield from self._rows(
            "SELECT f.text, b.text FROM ("
            "SELECT DISTINCT file, blob FROM executed WHERE env=?1 "
            "UNION SELECT DISTINCT file, blob FROM reads WHERE env=?1) AS v "
            "JOIN names f ON f.id = v.file JOIN names b ON b.id = v.blob",
            ids,
        )

    def executed(self, env: str, file: str, blob: str) -> Iterator[tuple[str, list[str]]]:
        """(node id, functions executed) for tests that ran against this file version."""
        ids = self._ids_of(env, file, blob)
        if ids is None:
            return
        rows = self._rows(
            "SELECT n.text, e.functions FROM executed e JOIN names n ON n.id = e.nodeid "
            "WHERE e.env=? AND e.file=? AND e.blob=?",
            ids,
        )
        lists = self._function_lists(key for _, key in rows)
        for nodeid, key in rows:
            yield nodeid, lists[key]

    def ran_against(self, env: str, file: str, blob: str) -> set[str]:
        """The tests that ran against this file version (their node ids alone: nothing of
        what they executed is decoded)."""
        ids = self._ids_of(env, file, blob)
        if ids is None:
            return set()
        rows = self._rows(
            "SELECT n.text FROM executed e JOIN names n ON n.id = e.nodeid "
            "WHERE e.env=? AND e.file=? AND e.blob=?",
            ids,
        )
        return {nodeid for (nodeid,) in rows}

    def executed_everywhere(self, env: str) -> Iterator[tuple[str, str, list[str]]]:
        """(node id, file, functions executed) for every recording of ``env``: one query, for
        matching what tests executed against the names a change touched."""
        ids = self._ids_of(env)
        if ids is None:
            return
        rows = self._rows(
            "SELECT n.text, f.text, e.functions FROM executed e "
            "JOIN names n ON n.id = e.nodeid JOIN names f ON f.id = e.file WHERE e.env=?",
            ids,
        )
        lists = self._function_lists(key for _, _, key in rows)
        for nodeid, file, key in rows:
            yield nodeid, file, lists[key]

    def executed_in(self, env: str, file: str) -> set[str]:
        """Every function of ``file`` some recorded test of ``env`` executed (any version)."""
        ids = self._ids_of(env, file)
        if ids is None:
            return set()
        rows = self._rows("SELECT DISTINCT functions FROM executed WHERE env=? AND file=?", ids)
        found: set[str] = set()
        for functions in self._function_lists(key for (key,) in rows).values():
            found.update(functions)
        return found

    def readers(self, env: str, file: str, blob: str) -> list[str]:
        ids = self._ids_of(env, file, blob)
        if ids is None:
            return []
        rows = self._rows(
            "SELECT n.text FROM reads r JOIN names n ON n.id = r.nodeid "
            "WHERE r.env=? AND r.file=? AND r.blob=?",
            ids,
        )
        return [r[0] for r in rows]

    def executed_by(self, env: str, nodeid: str) -> dict[str, list[str]]:
        """What one test executed, file → functions (for ``gateui explain``)."""
        ids = self._ids_of(env, nodeid)
        if ids is None:
            return {}
        rows = self._rows(
            "SELECT f.text, e.functions FROM executed e JOIN names f ON f.id = e.file "
            "WHERE e.env=? AND e.nodeid=?",
            ids,
        )
        lists = self._function_lists(key for _, key in rows)
        return {f: lists[key] for f, key in rows}


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)

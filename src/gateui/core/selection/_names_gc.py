"""Names of the dependency store nothing refers to any more, collected.

Every text the store keeps is a row of ``names`` that other rows refer to by id. A recording
replaced by a newer one leaves its old blob ids and lists of functions behind: a long watch session
would keep the id of every file version it ever recorded. So the names nothing refers to are
deleted — in bulk, when the store holds at least twice as many names as the last collection kept
(and ``MIN_NAMES``): one pass over every row, paid once per doubling.

Other connections (a second watcher, the TUI beside a hook) keep the ids of names in memory. A
collection raises the generation in ``meta`` (``GENERATION_KEY``); a connection reads it inside
each write transaction, and before each answer when another connection has written since
(``PRAGMA data_version``), and forgets its ids when it moved. Ids are never reused
(``AUTOINCREMENT``), so an id a connection held across a collection matches nothing rather than
another text.
"""

from __future__ import annotations

import sqlite3

GENERATION_KEY = "names_generation"
_KEPT_KEY = "names_after_gc"
MIN_NAMES = 5_000
"""Below this many names a store is small whatever it holds: no collection."""

# Every column that holds the id of a name, table by table.
_REFERENCES = {
    "tests": ("env", "nodeid"),
    "executed": ("env", "nodeid", "file", "blob", "functions"),
    "reads": ("env", "nodeid", "file", "blob"),
}


def generation(db: sqlite3.Connection) -> str:
    row = db.execute("SELECT value FROM meta WHERE key=?", (GENERATION_KEY,)).fetchone()
    return "0" if row is None else str(row[0])


def due(db: sqlite3.Connection) -> bool:
    """Whether the store holds enough names for a collection to be worth its pass."""
    (count,) = db.execute("SELECT COUNT(*) FROM names").fetchone()
    row = db.execute("SELECT value FROM meta WHERE key=?", (_KEPT_KEY,)).fetchone()
    kept = 0 if row is None else int(row[0])
    return bool(count >= MIN_NAMES and count >= 2 * kept)


def collect(db: sqlite3.Connection) -> int:
    """Delete every name no row refers to, inside the caller's write transaction; returns how
    many. A list of functions refers to the names of its functions (``encode_functions``)."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS used_names (id INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM temp.used_names")
    for table, columns in _REFERENCES.items():
        for column in columns:
            db.execute(f"INSERT OR IGNORE INTO temp.used_names SELECT {column} FROM {table}")
    lists = db.execute(
        "SELECT text FROM names WHERE id IN (SELECT functions FROM executed)"
    ).fetchall()
    db.executemany(
        "INSERT OR IGNORE INTO temp.used_names VALUES (?)",
        ((function,) for (text,) in lists for function in decode_functions(text)),
    )
    removed = db.execute(
        "DELETE FROM names WHERE id NOT IN (SELECT id FROM temp.used_names)"
    ).rowcount
    db.execute("DELETE FROM temp.used_names")
    (kept,) = db.execute("SELECT COUNT(*) FROM names").fetchone()
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_KEPT_KEY, str(kept)))
    _next_generation(db)
    return int(removed)


def renumbered(db: sqlite3.Connection) -> None:
    """Every name is gone (the table made anew): ids other connections hold mean nothing."""
    db.execute("DELETE FROM meta WHERE key=?", (_KEPT_KEY,))
    _next_generation(db)


def _next_generation(db: sqlite3.Connection) -> None:
    db.execute(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        (GENERATION_KEY, str(int(generation(db)) + 1)),
    )


def encode_functions(ids: list[int]) -> str:
    """A list of functions as the text of its name: the ids of the functions' names."""
    return " ".join(map(str, ids))


def decode_functions(text: str) -> list[int]:
    # Never anything else but ids (``encode_functions``); a damaged text names no function.
    return [int(part) for part in text.split() if part.isdigit()]

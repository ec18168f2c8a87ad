"""The dependency store stays small: names written once, old environments pruned, an older
layout rebuilt rather than misread."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from gateui.core.selection import _names_gc
from gateui.core.selection._fingerprints import fingerprint
from gateui.core.selection.depstore import KEPT_ENVIRONMENTS, STORE_FILE, DepStore, TestRecording

pytestmark = pytest.mark.unit
BENCH = Path(__file__).resolve().parents[1] / "bench"


def _recording(nodeid: str, blob: str = "b1") -> TestRecording:
    return TestRecording(
        nodeid=nodeid,
        recorded=True,
        functions={"src/app.py": ["main", "helper"], "tests/test_app.py": [nodeid[-6:]]},
        reads=["data/table.csv"],
        blobs={"src/app.py": blob, "tests/test_app.py": "t1", "data/table.csv": "d1"},
    )


def test_what_tests_share_is_written_once_and_read_back_whole(tmp_path: Path) -> None:
    store = DepStore(tmp_path)
    tests = [f"tests/test_app.py::test_{n:04d}" for n in range(300)]
    store.save("env-a", [_recording(t) for t in tests])
    db = sqlite3.connect(tmp_path / ".gateui" / STORE_FILE)
    names = {row[0] for row in db.execute("SELECT text FROM names")}
    db.close()
    # Per test: its node id, its own function and its own list of functions (a name made of
    # the function's id). Shared, once: the environment, 3 files, 3 blobs, the missing-blob
    # mark, the two shared functions and their list. Not one per row.
    assert len(names) == 3 * 300 + 11
    assert {"src/app.py", "main", "helper"} <= names
    assert dict(store.executed("env-a", "src/app.py", "b1"))[tests[7]] == ["main", "helper"]
    assert sorted(store.readers("env-a", "data/table.csv", "d1")) == tests
    assert ("src/app.py", "b1") in set(store.versions("env-a"))
    assert store.executed_by("env-a", tests[0]) == {
        "src/app.py": ["main", "helper"],
        "tests/test_app.py": ["t_0000"],
    }
    assert store.executed_in("env-a", "src/app.py") == {"main", "helper"}
    # A test recorded again replaces its rows: the newer blob, not both.
    store.save("env-a", [_recording(tests[0], blob="b2")])
    assert tests[0] not in dict(store.executed("env-a", "src/app.py", "b1"))
    assert tests[0] in dict(store.executed("env-a", "src/app.py", "b2"))
    store.forget("env-a", [tests[1]])
    assert tests[1] not in store.tests("env-a")
    assert tests[1] not in store.readers("env-a", "data/table.csv", "d1")
    store.close()


def test_only_the_latest_environments_are_kept(tmp_path: Path) -> None:
    store = DepStore(tmp_path)
    envs = [f"env-{n}" for n in range(KEPT_ENVIRONMENTS + 2)]
    for env in envs:
        store.save(env, [_recording("tests/test_app.py::test_one")])
    kept = [env for env in envs if store.tests(env)]
    assert kept == envs[-KEPT_ENVIRONMENTS:]
    assert list(store.executed(envs[0], "src/app.py", "b1")) == []
    # Recording again in a kept environment prunes nothing.
    store.save(envs[-1], [_recording("tests/test_app.py::test_two")])
    assert [env for env in envs if store.tests(env)] == kept
    store.close()


def test_a_store_of_the_older_layout_is_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / ".gateui"
    folder.mkdir()
    db = sqlite3.connect(folder / STORE_FILE)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema', '1');"
        "CREATE TABLE tests (env TEXT, nodeid TEXT, recorded INTEGER, markers TEXT);"
        "INSERT INTO tests VALUES ('env-a', 'tests/test_old.py::test_x', 1, '[]');"
        "CREATE TABLE executed (env TEXT, nodeid TEXT, file TEXT, blob TEXT, functions TEXT);"
    )
    db.commit()
    db.close()
    store = DepStore(tmp_path)
    assert store.not_recording is None
    assert store.tests("env-a") == {}
    store.save("env-a", [_recording("tests/test_app.py::test_one")])
    assert list(store.tests("env-a")) == ["tests/test_app.py::test_one"]
    # Rebuilt in the mode that gives pruned pages back to the file system.
    assert store.db.execute("PRAGMA auto_vacuum").fetchone() == (2,)
    store.close()


def test_prints_of_versions_no_recording_names_are_dropped(tmp_path: Path) -> None:
    """Every edit a run records adds a file version: its print stays only while a recording
    names that version (in any environment)."""
    source = b"def main():\n    return 1\n\n\ndef helper():\n    return 2\n"
    print_ = fingerprint(source)
    assert print_ is not None
    store = DepStore(tmp_path)
    one, two = "tests/test_app.py::test_one", "tests/test_app.py::test_two"
    store.save("env-a", [_recording(one, blob="b1"), _recording(two, blob="b1")])
    store.save("env-b", [_recording(one, blob="b1")])
    for blob in ("b1", "b2", "b3"):
        store.save_print("src/app.py", blob, print_)
    # Both tests of env-a move on to b2; env-b still names b1; nothing names b3.
    store.save("env-a", [_recording(one, blob="b2"), _recording(two, blob="b2")])
    store.close()
    again = DepStore(tmp_path)
    kept = {blob for blob in ("b1", "b2", "b3") if again.has_print("src/app.py", blob)}
    assert kept == {"b1", "b2"}
    # A connection that recorded nothing leaves the prints alone.
    again.save_print("src/app.py", "b3", print_)
    again.close()
    assert DepStore(tmp_path).has_print("src/app.py", "b3")


def _names(root: Path) -> set[str]:
    db = sqlite3.connect(root / ".gateui" / STORE_FILE)
    try:
        return {text for (text,) in db.execute("SELECT text FROM names")}
    finally:
        db.close()


def _moved_on(nodeid: str, step: int) -> TestRecording:
    """The recording of ``nodeid`` after the ``step``-th edit: a new version of the source,
    and the test now runs a function of that step's name."""
    return TestRecording(
        nodeid=nodeid,
        recorded=True,
        functions={"src/app.py": ["main", f"step_{step}"]},
        reads=["data/table.csv"],
        blobs={"src/app.py": f"blob-{step}", "data/table.csv": "d1"},
    )


def test_names_no_recording_refers_to_are_collected_once_they_are_as_many_as_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_names_gc, "MIN_NAMES", 40)
    tests = [f"tests/test_app.py::test_{n:02d}" for n in range(30)]
    in_use = len(tests) + 9  # node ids; env, 2 files, 2 blobs, 2 functions, 1 list, "-"
    for step in range(16):
        store = DepStore(tmp_path)
        store.save("env-a", [_moved_on(t, step) for t in tests])
        store.close()
        names = _names(tmp_path)
        # Never more than twice what the recordings use, plus what one save adds.
        assert len(names) <= 2 * in_use + 3
    # Collected twice (each edit adds 3 names): what the latest recordings name is all there,
    # the early versions are gone.
    assert {"blob-15", "step_15", "main", "src/app.py", tests[0]} <= names
    assert not {"blob-0", "step_0", "blob-12", "step_12"} & names
    store = DepStore(tmp_path)
    assert dict(store.executed("env-a", "src/app.py", "blob-15"))[tests[3]] == ["main", "step_15"]
    assert list(store.executed("env-a", "src/app.py", "blob-0")) == []
    assert sorted(store.readers("env-a", "data/table.csv", "d1")) == tests
    assert store.executed_in("env-a", "src/app.py") == {"main", "step_15"}
    (free,) = store.db.execute("PRAGMA freelist_count").fetchone()
    (pages,) = store.db.execute("PRAGMA page_count").fetchone()
    assert free * 4 <= pages
    store.close()


def test_a_connection_that_held_ids_of_collected_names_writes_and_reads_with_the_new_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two watchers on one repository: one collects names the other still has ids for."""
    monkeypatch.setattr(_names_gc, "MIN_NAMES", 10)
    early, late, last = (f"tests/test_app.py::test_{n}" for n in ("early", "late", "last"))
    holder = DepStore(tmp_path)
    holder.save("env-a", [_moved_on(early, 0)])  # holds the ids of blob-0 and step_0
    assert dict(holder.executed("env-a", "src/app.py", "blob-0")) == {early: ["main", "step_0"]}
    collector = DepStore(tmp_path)
    collector.save("env-a", [_moved_on(early, 1)])
    collector.close()  # nothing names blob-0 or step_0 now: collected
    assert "blob-0" not in _names(tmp_path)
    # Another connection records against blob-0 again: a name made anew, under a new id.
    writer = DepStore(tmp_path)
    writer.save("env-a", [_moved_on(late, 0)])
    writer.close()
    # The holder reads it under the new id...
    assert dict(holder.executed("env-a", "src/app.py", "blob-0")) == {late: ["main", "step_0"]}
    # ...and after another collection, writes with ids that exist. (Tests recorded and then
    # forgotten leave names enough behind for a second collection to be due.)
    collector = DepStore(tmp_path)
    fillers = [f"tests/test_app.py::test_filler_{n}" for n in range(30)]
    collector.save("env-a", [_moved_on(t, 2) for t in (late, *fillers)])
    collector.forget("env-a", fillers)
    collector.close()
    assert "blob-0" not in _names(tmp_path)
    holder.save("env-a", [_moved_on(last, 0)])
    holder.close()
    reader = DepStore(tmp_path)
    assert dict(reader.executed("env-a", "src/app.py", "blob-0")) == {last: ["main", "step_0"]}
    reader.close()


def test_a_suite_shaped_like_a_real_one_keeps_under_a_kilobyte_per_test(tmp_path: Path) -> None:
    """Issue 14's bound, 10 MB per 10,000 tests, on 2,000 recordings shaped like starlette's
    (``bench/_store_shape.py``; ``bench/store_size.py`` measures it at any size)."""
    sys.path.insert(0, str(BENCH))
    try:
        from _store_shape import ENV, shaped_recordings
    finally:
        sys.path.remove(str(BENCH))
    recordings = [TestRecording(**fields) for fields in shaped_recordings(2000)]
    store = DepStore(tmp_path)
    for start in range(0, len(recordings), 100):  # as a run saves them: in batches
        store.save(ENV, recordings[start : start + 100])
    store.close()
    size = sum(p.stat().st_size for p in (tmp_path / ".gateui").glob(STORE_FILE + "*"))
    assert size / len(recordings) <= 1_000

"""The dependency store stays small: names written once, old environments pruned, an older
layout rebuilt rather than misread."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gateui.core.selection._fingerprints import fingerprint
from gateui.core.selection.depstore import KEPT_ENVIRONMENTS, STORE_FILE, DepStore, TestRecording

pytestmark = pytest.mark.unit


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
    # One name per node id and per distinct function list (each test's own, plus the one they
    # share), and the 9 shared texts (environment, 3 files, 3 blobs, the missing-blob mark and
    # the shared list) once: not one per row.
    assert len(names) == 2 * 300 + 9
    assert "src/app.py" in names and '["main", "helper"]' in names
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

"""The results store: what gateui remembers of each test between runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gateui.core.running.events import TestFinished
from gateui.core.running.results import ResultsStore
from helpers import CliResult, git


def finished(nodeid: str, outcome: str, text: str = "") -> TestFinished:
    return TestFinished(nodeid, nodeid.split("::")[0], 1, outcome, 0.25, longrepr=text)


@pytest.mark.unit
def test_store_keeps_the_last_result_and_round_trips(tmp_path: Path) -> None:
    store = ResultsStore()
    store.record(finished("t.py::a", "failed", "E assert 1 == 2"), now=10.0)
    store.record(finished("t.py::b", "skipped", "why"), now=11.0)
    store.record(finished("t.py::c", "error", "E boom"), now=12.0)
    assert store.failed() == ["t.py::a", "t.py::c"]
    store.record(finished("t.py::a", "passed"), now=13.0)
    assert store.failed() == ["t.py::c"]
    store.save(tmp_path)
    loaded = ResultsStore.load(tmp_path)
    assert loaded.get("t.py::a") == store.get("t.py::a")
    record = loaded.get("t.py::c")
    assert record is not None
    assert (record.outcome, record.failure, record.finished_at) == ("error", "E boom", 12.0)
    # A skip reason is not a failure text.
    skipped = loaded.get("t.py::b")
    assert skipped is not None and skipped.failure == ""


@pytest.mark.unit
def test_an_unreadable_store_is_an_empty_one(tmp_path: Path) -> None:
    (tmp_path / ".gateui").mkdir()
    (tmp_path / ".gateui" / "results.json").write_text("{not json")
    assert len(ResultsStore.load(tmp_path)) == 0


@pytest.mark.integration
def test_a_run_records_results_without_dirtying_the_work_tree(
    sample_repo: Callable[[str], Path], cli: Callable[..., CliResult]
) -> None:
    repo = sample_repo("passrate_backend")
    assert cli(["run"], repo).code == 1
    data = json.loads((repo / ".gateui" / "results.json").read_text())
    outcomes = {t["nodeid"]: t["outcome"] for t in data["tests"]}
    assert len(outcomes) == 60
    assert [n for n, o in outcomes.items() if o == "failed"] == [
        "backend/tests/test_pricing.py::test_round_up_to_multiple[10-5-10]"
    ]
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.unit
def test_saving_merges_with_a_store_another_run_saved_meanwhile(tmp_path: Path) -> None:
    tui = ResultsStore.load(tmp_path)
    cli = ResultsStore.load(tmp_path)
    tui.record(finished("t.py::a", "failed", "E boom"), now=10.0)
    cli.record(finished("t.py::b", "passed"), now=11.0)
    cli.record(finished("t.py::a", "passed"), now=12.0)
    cli.save(tmp_path)
    tui.save(tmp_path)  # older news about a must not win, b must not be dropped
    merged = ResultsStore.load(tmp_path)
    a, b = merged.get("t.py::a"), merged.get("t.py::b")
    assert a is not None and a.outcome == "passed"
    assert b is not None and b.outcome == "passed"


@pytest.mark.unit
def test_saving_over_a_store_with_an_unreadable_record_keeps_the_readable_ones(
    tmp_path: Path,
) -> None:
    def saved(nodeid: str, outcome: str, at: object) -> dict[str, object]:
        return {
            "nodeid": nodeid,
            "outcome": outcome,
            "duration_s": 0.1,
            "failure": "",
            "finished_at": at,
        }

    (tmp_path / ".gateui").mkdir()
    records = [
        saved("t.py::a", "failed", 5.0),
        {"nodeid": "t.py::x", "outcome": "passed"},  # fields missing
        "not a record",
        saved("t.py::c", "passed", 20.0),
        saved("t.py::b", "passed", "late"),  # not a time
    ]
    store_file = tmp_path / ".gateui" / "results.json"
    store_file.write_text(json.dumps({"format": 1, "tests": records}))
    store = ResultsStore()
    store.record(finished("t.py::a", "passed"), now=10.0)
    store.record(finished("t.py::b", "failed", "E boom"), now=11.0)
    store.save(tmp_path)
    merged = {r.nodeid: (r.outcome, r.finished_at) for r in ResultsStore.load(tmp_path)}
    assert merged == {
        "t.py::a": ("passed", 10.0),
        "t.py::b": ("failed", 11.0),
        "t.py::c": ("passed", 20.0),
    }


@pytest.mark.unit
@pytest.mark.parametrize("save_first", [False, True], ids=["asked", "saved-then-asked"])
def test_a_store_read_later_answers_as_one_read_at_once(tmp_path: Path, save_first: bool) -> None:
    saved = ResultsStore()
    saved.record(finished("t.py::a", "failed", "E old"), now=5.0)
    saved.record(finished("t.py::c", "passed"), now=20.0)
    saved.record(finished("t.py::x", "error", "E boom"), now=7.0)
    saved.save(tmp_path)

    def this_run(store: ResultsStore) -> ResultsStore:
        store.record(finished("t.py::a", "passed"), now=10.0)
        store.record(finished("t.py::b", "failed", "E new"), now=11.0)
        return store

    at_once = this_run(ResultsStore.load(tmp_path))
    later = this_run(ResultsStore.later(tmp_path))
    if save_first:
        later.save(tmp_path)
    assert later.failed() == at_once.failed() == ["t.py::x", "t.py::b"]
    assert len(later) == len(at_once) == 4
    assert [r.nodeid for r in later] == [r.nodeid for r in at_once]
    assert later.get("t.py::c") == at_once.get("t.py::c") == saved.get("t.py::c")
    assert later.get("t.py::a") == at_once.get("t.py::a")
    on_disk = ResultsStore.load(tmp_path)
    expected = at_once if save_first else saved
    assert [(r.nodeid, r.outcome) for r in on_disk] == [(r.nodeid, r.outcome) for r in expected]

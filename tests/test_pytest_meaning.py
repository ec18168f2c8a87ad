"""Runs mean what pytest means: its collection order within a module, its counts (xfailed,
xpassed, deselected), through real pytest subprocesses and the real event plugin."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from gateui.core.running.events import Event, ItemCollected, RunSummary, TestFinished
from gateui.core.running.pytest_process import PytestCommand, PytestProcess

pytestmark = pytest.mark.integration

# A module-scoped fixture that may be set up only once per process, as a server bound to a fixed
# port is: a module split in two sets it up twice.
_ONCE_PER_PROCESS = """\
import pytest

_started = []


@pytest.fixture(scope="module")
def server():
    assert not _started, "the module's server was started twice"
    _started.append(1)
    yield


def test_one(server):
    pass


def test_two(server):
    pass
"""


def _events(root: Path, *args: str, env: dict[str, str] | None = None) -> list[Event]:
    command = PytestCommand(
        project_root=root,
        repo_root=root,
        interpreter=Path(sys.executable),
        args=args,
        env=env or {},
    )
    return list(PytestProcess(command).events())


def _summary(events: list[Event]) -> RunSummary:
    found = [e for e in events if isinstance(e, RunSummary)]
    assert len(found) == 1
    return found[0]


def test_a_selection_keeps_each_module_whole_in_pytest_order(tmp_path: Path) -> None:
    (tmp_path / "test_server.py").write_text(_ONCE_PER_PROCESS)
    (tmp_path / "test_other.py").write_text("def test_fast():\n    pass\n")
    # Failed first, then fastest first, test by test: this order splits test_server.py.
    selection = tmp_path / "selection.json"
    order = ["test_server.py::test_two", "test_other.py::test_fast", "test_server.py::test_one"]
    selection.write_text(json.dumps({"nodeids": order, "order": order}))

    events = _events(tmp_path, env={"GATEUI_SELECT": str(selection)})

    ran = [e.nodeid for e in events if isinstance(e, TestFinished)]
    assert ran == [
        "test_server.py::test_one",
        "test_server.py::test_two",
        "test_other.py::test_fast",
    ]
    assert _summary(events).errors == 0
    assert _summary(events).passed == 3


def test_expected_failures_are_xfailed_and_xpassed_not_skipped_or_passed(tmp_path: Path) -> None:
    (tmp_path / "test_expect.py").write_text(
        "import pytest\n"
        "@pytest.mark.xfail(reason='known bug')\n"
        "def test_known_bug():\n    assert False\n"
        "@pytest.mark.xfail(reason='fixed?')\n"
        "def test_fixed_already():\n    pass\n"
        "@pytest.mark.skip(reason='not here')\n"
        "def test_skipped():\n    pass\n"
        "def test_plain():\n    pass\n"
    )
    events = _events(tmp_path)
    results = {e.nodeid.split("::")[1]: e.result for e in events if isinstance(e, TestFinished)}
    assert results == {
        "test_known_bug": "xfailed",
        "test_fixed_already": "xpassed",
        "test_skipped": "skipped",
        "test_plain": "passed",
    }
    summary = _summary(events)
    assert (summary.passed, summary.skipped, summary.xfailed, summary.xpassed) == (1, 1, 1, 1)
    assert summary.selected == 4
    assert summary.ok


def test_deselected_tests_are_counted_as_pytest_counts_them(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(
        '[pytest]\nmarkers =\n    property: slow generated cases\naddopts = -m "not property"\n'
    )
    (tmp_path / "test_mixed.py").write_text(
        "import pytest\n"
        "@pytest.mark.property\n"
        "def test_generated():\n    pass\n"
        "def test_plain():\n    pass\n"
        "def test_other():\n    pass\n"
    )
    summary = _summary(_events(tmp_path, "-k", "not other"))
    assert (summary.selected, summary.passed, summary.deselected) == (1, 1, 2)


def test_discovery_collection_names_tests_the_addopts_deselect(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text('[pytest]\naddopts = -m "not property"\n')
    (tmp_path / "test_mixed.py").write_text(
        "import pytest\n@pytest.mark.property\ndef test_generated():\n    pass\n"
        "def test_plain():\n    pass\n"
    )
    command = PytestCommand(
        project_root=tmp_path,
        repo_root=tmp_path,
        interpreter=Path(sys.executable),
        args=("--collect-only", "-qq"),
        collect_items=True,
    )
    items = [e for e in PytestProcess(command).events() if isinstance(e, ItemCollected)]
    assert {(i.nodeid, i.deselected) for i in items} == {
        ("test_mixed.py::test_plain", False),
        ("test_mixed.py::test_generated", True),
    }

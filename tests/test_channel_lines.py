"""The event channel's lines, read many at a time: each keyed line is one event, in order, and a
line that is not one (a forged line, one cut short, a stranger's) costs only itself.

gateui decodes all the lines of one read in a single JSON call; these tests hold that batch
decoding to what reading line by line gives.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateui.core.running.channel import KeyedLines
from gateui.core.running.events import SessionStarted, TestFinished, TestStarted

pytestmark = pytest.mark.unit

KEY = "k" * 32


def _line(event: dict[str, Any], key: str = KEY) -> bytes:
    return (key + " " + json.dumps(event)).encode()


def _result(nodeid: str, outcome: str = "passed") -> dict[str, Any]:
    return {"e": "test", "nodeid": nodeid, "path": "t.py", "line": 1, "outcome": outcome}


def test_a_batch_gives_every_event_in_order_and_counts_results() -> None:
    lines = [_line({"e": "plugin_loaded"}), _line({"e": "session_start", "rootdir": "/r"})]
    for index in range(50):
        lines.append(_line({"e": "test_start", "nodeid": f"t.py::t{index}", "path": "t.py"}))
        lines.append(_line(_result(f"t.py::t{index}", "failed" if index % 7 == 0 else "passed")))
    reader = KeyedLines(KEY)
    events = list(reader.events(lines))
    assert reader.plugin_loaded
    assert isinstance(events[0], SessionStarted)
    assert reader.results == 50
    kinds = [type(e) for e in events[1:]]
    assert kinds == [TestStarted, TestFinished] * 50
    finished = [e for e in events if isinstance(e, TestFinished)]
    assert [e.nodeid for e in finished] == [f"t.py::t{i}" for i in range(50)]
    assert [e.outcome for e in finished].count("failed") == 8


@pytest.mark.parametrize(
    "bad",
    [
        b'{"e":"test","nodeid":"cut',  # a line cut short by a dying process
        b'{"e":"test"},{"e":"test","nodeid":"x","outcome":"passed"}',  # two values in one line
        b"1]",  # something that would close the batch's own brackets
        b"",  # the key and nothing else
    ],
)
def test_a_bad_keyed_line_costs_only_itself(bad: bytes) -> None:
    good = [_line(_result(f"t.py::t{i}")) for i in range(3)]
    lines = [good[0], KEY.encode() + b" " + bad, good[1], good[2]]
    events = list(KeyedLines(KEY).events(lines))
    assert [e.nodeid for e in events if isinstance(e, TestFinished)] == [
        "t.py::t0",
        "t.py::t1",
        "t.py::t2",
    ]


def test_lines_without_the_key_are_counted_never_taken() -> None:
    lines = [
        _line(_result("t.py::mine")),
        _line(_result("t.py::forged"), key="f" * 32),
        b"plain output",
        b"   ",
    ]
    reader = KeyedLines(KEY)
    events = list(reader.events(lines))
    assert [e.nodeid for e in events if isinstance(e, TestFinished)] == ["t.py::mine"]
    assert reader.strangers == 2
    assert reader.results == 1
    assert "ignored 2 event lines" in reader.warnings()[0]

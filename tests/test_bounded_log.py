"""gateui's logs keep their newest whole lines and stay under their bound."""

from __future__ import annotations

import re
from pathlib import Path

from gateui.core.common.bounded_log import append_line

STAMPED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d line \d+$")


def test_a_log_past_its_bound_keeps_its_newest_whole_lines(tmp_path: Path) -> None:
    log = tmp_path / ".gateui" / "warm.log"
    for number in range(2000):
        append_line(log, f"line {number}", limit=4096)
        assert log.stat().st_size <= 4096
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[-1].endswith(" line 1999")
    assert all(STAMPED.match(line) for line in lines)  # no line cut in two
    numbers = [int(line.rsplit(" ", 1)[1]) for line in lines]
    assert numbers == list(range(numbers[0], 2000))  # the newest, in order, none missing
    assert len(lines) >= 4096 // 2 // len(lines[-1].encode()) - 1
    assert not list(log.parent.glob("*.tmp"))


def test_a_log_under_its_bound_is_only_appended_to(tmp_path: Path) -> None:
    log = tmp_path / "warm.log"
    log.write_text("an earlier line\n", encoding="utf-8")
    append_line(log, "line 1")
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "an earlier line" and STAMPED.match(lines[1])

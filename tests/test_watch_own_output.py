"""``gateui watch --no-tui > out.txt`` inside the repository: gateui's own output is no change."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import small_repo

pytestmark = pytest.mark.integration

GUARD_S = 60  # against a hang only, never a measurement
SETTLE_S = 3.0
"""Longer than the watcher's debounce and burst wait: a cycle that output would start shows."""


def _wait_for(path: Path, text: str, count: int, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + GUARD_S
    while time.monotonic() < deadline:
        content = path.read_text() if path.exists() else ""
        if content.count(text) >= count:
            return content
        time.sleep(0.1)
    # Say where gateui was: still running, its threads' stacks (faulthandler, on SIGABRT).
    state = f"exited {proc.returncode}" if proc.poll() is not None else "still running"
    if proc.poll() is None:
        proc.send_signal(signal.SIGABRT)
        proc.wait(timeout=GUARD_S)
    err = path.with_name("err.txt").read_text()
    raise AssertionError(
        f"{path.name} never showed {text!r} {count} times; gateui {state}:\n{content}\n"
        f"stderr:\n{err}"
    )


def _cycles(content: str) -> list[str]:
    return [line for line in content.splitlines() if line.startswith("── changed:")]


def test_watch_writing_into_the_repository_does_not_watch_itself(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    out, err = repo / "out.txt", repo / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateui", "watch", "--no-tui"],
            cwd=repo,
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONFAULTHANDLER": "1"},
        )
    try:
        _wait_for(out, "watching for changes", 1, proc)
        time.sleep(SETTLE_S)
        settled = out.read_text()
        assert settled.count("watching for changes") == 1, settled
        assert not any("out.txt" in c or "err.txt" in c for c in _cycles(settled)), settled

        calc = repo / "src" / "calc.py"
        calc.write_text(calc.read_text().replace("return a + b", "return b + a"))
        _wait_for(out, "watching for changes", 2, proc)
        time.sleep(SETTLE_S)
        content = out.read_text()
        cycles = _cycles(content)
        assert len(cycles) == 2, content
        assert cycles[-1].startswith("── changed: src/calc.py →"), content
        assert content.count("watching for changes") == 2, content
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=GUARD_S)
    assert code == 130, err.read_text()

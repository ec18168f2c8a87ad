"""``watch --no-tui`` as a watch mode of its own: keys on a terminal (through a real pty and a
real ``gateui watch`` process), a clear screen per cycle, ``--now``, and ``watch_ignore``."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateui.core.common.config import load_gateui_config
from gateui.core.common.errors import ConfigError
from gateui.core.watch.session import ChangeFilter, glob_match
from helpers import init_repo

WAIT_S = 90  # generous: a guard against hanging, never a measurement


def _repo(root: Path) -> Path:
    (root / "pyproject.toml").write_text('[tool.gateui]\nwatch_ignore = ["docs/**"]\n')
    (root / "tests").mkdir()
    (root / "tests" / "test_a.py").write_text(
        "def test_one():\n    pass\n\ndef test_two():\n    pass\n"
    )
    (root / "tests" / "test_b.py").write_text("def test_three():\n    assert 1 + 1 == 3\n")
    return init_repo(root)


class Terminal:
    """A real ``gateui`` process on a pseudo-terminal: what a user sees and types."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.master, slave = os.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateui", *args],
            cwd=cwd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"},
            start_new_session=True,
        )
        os.close(slave)
        self.seen = ""
        self.cursor = 0

    def wait_for(self, text: str) -> str:
        """Everything printed from where the last wait stopped until ``text`` appears."""
        start = self.cursor
        deadline = time.monotonic() + WAIT_S
        while text not in self.seen[start:]:
            assert time.monotonic() < deadline, f"never saw {text!r} in:\n{self.seen[start:]}"
            ready, _, _ = select.select([self.master], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                self.seen += chunk.decode(errors="replace")
        assert text in self.seen[start:], self.seen[start:]
        self.cursor = self.seen.index(text, start) + len(text)
        return self.seen[start : self.cursor]

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 9)
        self.process.wait(timeout=WAIT_S)
        os.close(self.master)


@pytest.mark.integration
def test_keys_on_a_terminal_run_all_failed_and_filtered_tests_then_quit(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    terminal = Terminal(["watch", "--no-tui", "--now", "--clear"], repo)
    try:
        first = terminal.wait_for("2 passed, 1 failed in")
        assert "\x1b[2J" in first  # --clear
        assert "assert 1 + 1 == 3" in first  # the failure's report, before the summary
        terminal.wait_for("q quit")

        terminal.type("f")
        failed = terminal.wait_for("watching for changes")
        assert "running the 1 failed tests" in failed
        assert "\n1 failed in" in failed

        terminal.type("t")
        terminal.wait_for("test name pattern")
        terminal.type("test_one\n")
        named = terminal.wait_for("watching for changes")
        assert "1 passed, 2 deselected in" in named

        terminal.type("p")
        terminal.wait_for("file pattern")
        terminal.type("test_b\n")
        by_file = terminal.wait_for("watching for changes")
        # both filters hold: test_b's only test is not named test_one
        assert "1 deselected in" in by_file

        terminal.type("q")
        assert terminal.process.wait(timeout=WAIT_S) == 0
    finally:
        terminal.close()


@pytest.mark.unit
def test_watch_ignore_globs_keep_changes_from_starting_a_cycle(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "docs" / "api").mkdir(parents=True)
    changed = [repo / "docs" / "api" / "index.md", repo / "tests" / "test_a.py"]
    for path in changed:
        path.write_text("changed\n")
    config = load_gateui_config(repo / "pyproject.toml")
    kept = ChangeFilter(repo, config.watch_ignore)(str(p) for p in changed)
    assert kept == {"tests/test_a.py"}
    assert glob_match("docs/a/b.md", "docs/**")
    assert glob_match("src/x/README.md", "*.md")
    assert not glob_match("src/docs.py", "docs/**")


@pytest.mark.unit
def test_a_bad_watch_ignore_names_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.gateui]\nwatch_ignore = "docs"\n'
    )
    with pytest.raises(ConfigError, match="watch_ignore must be a list of file globs") as caught:
        load_gateui_config(tmp_path / "pyproject.toml")
    assert "pyproject.toml:5" in str(caught.value)

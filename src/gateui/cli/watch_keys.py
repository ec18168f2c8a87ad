"""Keys of ``gateui watch --no-tui`` on a terminal, as Jest, Vitest and pytest-watcher have them:
``a`` runs all, ``f`` the failed tests, ``p`` filters by file, ``t`` by test name, ``c`` clears
the filters, ``enter`` runs again, ``q`` quits.

``WatchKeys`` decides what a key means (a unit that tests can drive); ``TerminalKeys`` reads them
from a terminal in cbreak mode and puts the terminal back as it was."""

from __future__ import annotations

import os
import sys
import termios
import threading
import tty
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TextIO

from gateui.core.discovery.discover import Project
from gateui.core.layout.static_scan import scan_project
from gateui.core.plan.run_plan import RunRequest
from gateui.core.running.results import ResultsStore
from gateui.core.watch.session import ManualRun, WatchSession, glob_match

USAGE = (
    "» a run all · f run failed · p filter by file · t filter by test name · c clear filters"
    " · enter run again · q quit"
)

ReadLine = Callable[[str], str]
"""Asks for a line after a prompt (the file or test-name pattern)."""


class WatchKeys:
    """What each key does to a watch session."""

    def __init__(
        self,
        session: WatchSession,
        projects: list[Project],
        repo_root: Path,
        request: RunRequest,
        out: TextIO,
    ) -> None:
        self.session = session
        self.projects = projects
        self.repo_root = repo_root
        self.base = request
        self.out = out
        self.file_pattern = ""
        self.test_pattern = ""
        self.files: tuple[str, ...] = ()
        self.last: ManualRun | None = None

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def request(self) -> RunRequest:
        """The user's request narrowed by the filters: what every cycle runs from now on."""
        return replace(
            self.base,
            paths=self.files or self.base.paths,
            keyword=self.test_pattern or self.base.keyword,
        )

    def filters_text(self) -> str:
        parts = []
        if self.file_pattern:
            parts.append(f"files matching {self.file_pattern!r}")
        if self.test_pattern:
            parts.append(f"tests matching {self.test_pattern!r}")
        return " and ".join(parts)

    def press(self, key: str, read_line: ReadLine) -> bool:
        """Act on one key; False when the user quits."""
        if key == "q":
            self.session.stop()
            return False
        if key == "a":
            self._run(self.request(), "all tests")
        elif key == "f":
            self._run_failed()
        elif key == "p":
            self._filter_files(read_line("file pattern » ").strip())
        elif key == "t":
            self.test_pattern = read_line("test name pattern » ").strip()
            self._filtered()
        elif key == "c":
            self.file_pattern, self.test_pattern, self.files = "", "", ()
            self._filtered()
        elif key in ("\r", "\n"):
            self._run(self.last.request if self.last else self.request(), "all tests", again=True)
        elif key in ("w", "h", "?"):
            self.say(USAGE)
        return True

    def _run(self, request: RunRequest, what: str, again: bool = False) -> None:
        if again and self.last is not None:
            run = self.last
        else:
            narrowed = self.filters_text()
            run = ManualRun(request, f"{what} ({narrowed})" if narrowed else what)
        self.last = run
        self.session.run_now(run)

    def _run_failed(self) -> None:
        failed = ResultsStore.load(self.repo_root).failed()
        if not failed:
            self.say("» no failed tests to run")
            return
        paths = tuple(str(self.repo_root / n.split("::", 1)[0]) + _rest(n) for n in failed)
        self._run(replace(self.base, paths=paths), f"the {len(failed)} failed tests")

    def _filter_files(self, pattern: str) -> None:
        if not pattern:
            self.file_pattern, self.files = "", ()
            self._filtered()
            return
        files = self.test_files(pattern)
        if not files:
            self.say(f"» no test file matches {pattern!r}; the filter stays as it was")
            return
        self.file_pattern, self.files = pattern, tuple(str(self.repo_root / f) for f in files)
        self._filtered()

    def test_files(self, pattern: str) -> list[str]:
        """Repository-relative test files whose path holds ``pattern`` (or matches it as a
        glob)."""
        found: set[str] = set()
        for project in self.projects:
            scan = scan_project(project.root, project.pytest_config, project.nested)
            for test in scan.tests:
                rel = project.to_repo(test.path)
                name = PurePosixPath(rel).name
                if pattern in rel or glob_match(rel, pattern) or glob_match(name, pattern):
                    found.add(rel)
        return sorted(found)

    def _filtered(self) -> None:
        request = self.request()
        self.session.request = request
        narrowed = self.filters_text()
        self.say(f"» watching {narrowed}" if narrowed else "» filters cleared: watching all")
        self._run(request, "all tests")


def _rest(nodeid: str) -> str:
    _, sep, rest = nodeid.partition("::")
    return sep + rest


class TerminalKeys:
    """Reads keys from a terminal in a thread; ``close`` puts the terminal back."""

    def __init__(self, keys: WatchKeys, fd: int | None = None) -> None:
        self.keys = keys
        self.fd = sys.stdin.fileno() if fd is None else fd
        self.saved = termios.tcgetattr(self.fd)
        self.thread = threading.Thread(target=self._loop, name="gateui-watch-keys", daemon=True)

    def start(self) -> None:
        tty.setcbreak(self.fd)
        self.thread.start()

    def close(self) -> None:
        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    def _read_line(self, prompt: str) -> str:
        """A line typed with echo, as a shell reads it; then back to single keys."""
        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        try:
            self.keys.out.write(prompt)
            self.keys.out.flush()
            line = b""
            while not line.endswith(b"\n"):
                chunk = os.read(self.fd, 1)
                if not chunk:
                    break
                line += chunk
            return line.decode(errors="replace")
        finally:
            tty.setcbreak(self.fd)

    def _loop(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 1)
            except OSError:
                return
            if not data:
                return
            if not self.keys.press(data.decode(errors="replace"), self._read_line):
                return


def keys_possible(stream: TextIO) -> bool:
    """Keys only on a terminal: in a pipe or a script, stdin is the caller's."""
    try:
        return os.isatty(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False

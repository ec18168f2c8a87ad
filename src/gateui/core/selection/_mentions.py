"""Which test files mention a file's name: each test file read once per selection.

A changed data file that no recording ties to a test selects the test files that name it. A
branch switch can change thousands of such files at once; reading every test file for each of
them made the cost grow with changed files times test files. Here each test file is read once
and split into name-like words, so each changed file costs a set lookup per test file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

_WORD = re.compile(rb"[\w.\-]+")


class TestFileWords:
    """The name-like words of test files, read on first use."""

    __test__ = False  # not a test class for pytest

    def __init__(self) -> None:
        self._words: dict[str, frozenset[bytes] | None] = {}
        self._content: dict[str, bytes] = {}

    def _read(self, repo_root: Path, test_file: str) -> frozenset[bytes] | None:
        if test_file not in self._words:
            try:
                data = (repo_root / test_file).read_bytes()
            except OSError:
                self._words[test_file] = None
                return None
            self._content[test_file] = data
            words = _WORD.findall(data)
            # "reads notes.txt." ends a sentence, ".env" starts with a dot: both forms count.
            self._words[test_file] = frozenset(words) | {w.strip(b".-") for w in words}
        return self._words[test_file]

    def mentions(self, repo_root: Path, test_files: Sequence[str], name: str) -> list[str]:
        needle = name.encode()
        # A name made of word characters is found among the words; any other by a search.
        as_word = _WORD.fullmatch(needle) is not None
        found = []
        for test_file in test_files:
            words = self._read(repo_root, test_file)
            if words is None:
                continue
            if needle in words if as_word else needle in self._content[test_file]:
                found.append(test_file)
        return found

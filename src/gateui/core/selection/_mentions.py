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
    """Which test files hold which name-like words, read on first use."""

    __test__ = False  # not a test class for pytest

    def __init__(self) -> None:
        self._read: set[str] = set()
        self._content: dict[str, bytes] = {}
        self._files_with: dict[bytes, list[str]] = {}
        self._indexed: list[Sequence[str]] = []
        """The lists of test files read already (by identity: the selector asks with the same
        list for every changed file of a project)."""

    def _index(self, repo_root: Path, test_files: Sequence[str]) -> None:
        if any(done is test_files for done in self._indexed):
            return
        self._indexed.append(test_files)
        for test_file in test_files:
            if test_file in self._read:
                continue
            self._read.add(test_file)
            try:
                data = (repo_root / test_file).read_bytes()
            except OSError:
                continue
            self._content[test_file] = data
            words = _WORD.findall(data)
            # "reads notes.txt." ends a sentence, ".env" starts with a dot: both forms count.
            for word in set(words) | {w.strip(b".-") for w in words}:
                self._files_with.setdefault(word, []).append(test_file)

    def mentions(self, repo_root: Path, test_files: Sequence[str], name: str) -> list[str]:
        self._index(repo_root, test_files)
        needle = name.encode()
        if _WORD.fullmatch(needle) is not None:
            # A name made of word characters is found among the words.
            found = set(self._files_with.get(needle, ()))
            return [f for f in test_files if f in found] if found else []
        return [f for f in test_files if needle in self._content.get(f, b"")]

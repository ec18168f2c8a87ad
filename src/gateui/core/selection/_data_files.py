"""Which tests a changed data file selects beyond the tests recorded reading it.

Two shapes of test data reach tests without a recorded read: a file read once and kept (the
tests after the first use what was read), and a file read as pytest collects (a conftest's
``pytest_generate_tests`` parametrizing over a folder's files), when no test runs yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from pathlib import PurePosixPath

from gateui.core.selection.depstore import DepStore


def kept_data_users(
    store: DepStore, env: str, readers: Mapping[str, Sequence[str]], test_files: Set[str]
) -> Iterator[tuple[str, str, str, str]]:
    """(node id, file, function, data file): the tests that ran code beside a changed data file
    (in its folder and those above it, not tests) that one of its recorded ``readers`` ran. What
    reads a file once and keeps it (python-dateutil's zoneinfo tarball, read for the first test
    that asks for a zone) serves the later tests from that code, without reading the file. One
    pass over the recordings, however many data files changed."""
    beside: dict[tuple[str, str], str] = {}
    for rel, tests in readers.items():
        folders = {str(folder) for folder in PurePosixPath(rel).parents}
        for nodeid in tests:
            for file, functions in store.executed_by(env, nodeid).items():
                if str(PurePosixPath(file).parent) in folders and file not in test_files:
                    for function in functions:
                        beside.setdefault((file, function), rel)
    if not beside:
        return
    for nodeid, file, functions in store.executed_everywhere(env):
        hit = next((f for f in functions if (file, f) in beside), None)
        if hit is not None:
            yield nodeid, file, hit, beside[file, hit]


def nearest_tests(test_files: Iterable[str], project_rel: str, rel: str) -> tuple[str, list[str]]:
    """The test files of the nearest folder at or above ``rel`` that holds some, below the
    project's root (a file beside the project's configuration is not test data), and that
    folder; ("", []) when there is none."""
    root = PurePosixPath(project_rel)
    by_folder: dict[PurePosixPath, list[str]] = {}
    for test_file in test_files:
        by_folder.setdefault(PurePosixPath(test_file).parent, []).append(test_file)
    for folder in PurePosixPath(rel).parents:
        if folder == root or root not in (folder, *folder.parents):
            break
        if folder in by_folder:
            return str(folder), by_folder[folder]
    return "", []

"""Recordings shaped like a real suite's, for measuring the dependency store without running one.

The shape is starlette 0.37.2's as gateui recorded it (795 tests): each test executes its own
test function and a fixture in its test file and functions in 7 of the project's modules, lists
of 4-12 qualified names of which about half are shared with other tests, 40-hex blob ids. Plain
data (``shaped_recordings`` returns dicts), so that any version of gateui's ``TestRecording`` can
be built from it.
"""

from __future__ import annotations

import hashlib
from typing import Any

ENV = "c7ce969b66fd6e58ca0beec6bd0cafcbc9260849"
MODULES = 30
TEST_FILES = 40


def _blob(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def shaped_recordings(tests: int) -> list[dict[str, Any]]:
    """``tests`` recordings as ``TestRecording`` keyword arguments."""
    modules = [f"src/package/module_{m:02d}.py" for m in range(MODULES)]
    pool = {m: [f"Class{j % 5}.method_number_{j:02d}" for j in range(40)] for m in modules}
    blobs = {m: _blob(m) for m in modules}
    recordings = []
    for n in range(tests):
        test_file = f"tests/test_area_{n % TEST_FILES:02d}.py"
        nodeid = f"{test_file}::TestBehaviour::test_case_number_{n:05d}[variant-{n % 3}]"
        executed = {test_file: [f"TestBehaviour.test_case_number_{n:05d}", "fixture_client"]}
        for k in range(7):
            module = modules[(n * 7 + k * 11) % MODULES]
            start = (n // (2 + k)) % 30
            executed[module] = pool[module][start : start + 4 + (n + k) % 9]
        recordings.append(
            {
                "nodeid": nodeid,
                "recorded": True,
                "functions": executed,
                "reads": [],
                "blobs": {**blobs, test_file: _blob(test_file)},
                "markers": ("unit",),
            }
        )
    return recordings

"""A step's counts say what pytest says: an expected failure (``xfail``) is ``xfailed``, as pytest
and ``gateui run`` count it, never ``skipped`` (a skipped test did not run; an xfailed one ran
and failed as expected). Real repository, real workflow, the real ``gateui gate``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from helpers import gate_report, init_repo

pytestmark = pytest.mark.integration

TESTS = """
    import pytest

    def test_ok():
        pass

    @pytest.mark.skip(reason="not on this platform")
    def test_skipped():
        pass

    @pytest.mark.xfail(reason="a known bug", strict=True)
    def test_known_bug():
        assert 1 == 2
"""


def test_an_xfailed_test_is_counted_as_xfailed_not_skipped(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_mod.py").write_text(textwrap.dedent(TESTS).lstrip())
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - name: Tests\n"
        "        run: python -m pytest -p no:cacheprovider tests\n"
    )
    init_repo(repo)
    # By hand: `python -m pytest tests` → "1 passed, 1 skipped, 1 xfailed".
    code, report = gate_report(repo, "--no-cache")
    assert (code, report["verdict"]) == (0, "pass"), report
    (step,) = [s for s in report["steps"] if s["name"] == "Tests"]
    assert step["tests"] == {"passed": 1, "failed": 0, "skipped": 1, "xfailed": 1, "errors": 0}
    assert step["reason"] == "exit 0 — 1 passed, 1 skipped, 1 xfailed"

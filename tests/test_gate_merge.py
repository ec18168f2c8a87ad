"""Pull request workflows run on the pull request merged into its base: when ``origin/main`` has
moved on, the gate checks that merge (a conflict is a failed check of its own), and a moved base
is never answered from the cache of the commit alone. Real repositories, a real bare remote, the
real ``gateui gate``."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from helpers import gate_report, git, init_repo, run_cli

pytestmark = pytest.mark.integration

WORKFLOW = """
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m pytest -q
"""


def write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main with add() and its test, pushed to a bare origin; the branch ``feature`` from it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    write(
        repo,
        {
            ".github/workflows/ci.yml": WORKFLOW,
            "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
            "calc.py": "def add(a, b):\n    return a + b\n",
            "tests/test_calc.py": "from calc import add\n\n\ndef test_add():\n"
            "    assert add(1, 2) == 3\n",
        },
    )
    init_repo(repo)
    git(tmp_path, "init", "-q", "--bare", str(tmp_path / "origin.git"))
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(repo, "push", "-q", "origin", "main")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def move_main(repo: Path, files: dict[str, str], message: str) -> str:
    """Commit on main and push it (origin/main moves); back on feature afterwards."""
    git(repo, "checkout", "-q", "main")
    sha = commit(repo, files, message)
    git(repo, "push", "-q", "origin", "main")
    git(repo, "checkout", "-q", "feature")
    return sha


def gate(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    return gate_report(repo, *args)


NEW_TEST = {
    "tests/test_more.py": "from calc import add\n\n\ndef test_add_more():\n"
    "    assert add(2, 2) == 4\n"
}
# On main meanwhile: add() renamed to plus(), its callers updated — not the feature's new test.
RENAME = {
    "calc.py": "def plus(a, b):\n    return a + b\n",
    "tests/test_calc.py": "from calc import plus\n\n\ndef test_plus():\n"
    "    assert plus(1, 2) == 3\n",
}


def test_the_merge_with_a_moved_base_is_checked_as_github_does(repo: Path) -> None:
    # By hand: the feature commit alone → pytest passes (2 passed). Merged into origin/main
    # (`git merge origin/main`, no conflict) → tests/test_more.py cannot import add → exit 2.
    commit(repo, NEW_TEST, "a test of add")
    main = move_main(repo, RENAME, "rename add to plus")
    code, report = gate(repo, "--no-cache")
    assert (code, report["verdict"]) == (1, "fail"), report
    assert report["merged_with"] == f"origin/main {main[:12]}"
    assert "tests/test_more.py" in report["reason"]
    # The user's branch and work tree are untouched: no merge was made there.
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "feature"
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / "calc.py").read_text().startswith("def plus")


def test_a_commit_that_contains_its_base_is_checked_alone(repo: Path) -> None:
    commit(repo, NEW_TEST, "a test of add")
    code, report = gate(repo, "--no-cache")
    assert (code, report["verdict"]) == (0, "pass"), report
    assert report["merged_with"] == ""


def test_a_merge_conflict_with_the_base_is_a_failed_check_naming_the_files(repo: Path) -> None:
    # By hand: `git merge origin/main` → CONFLICT (content) in calc.py. GitHub runs no
    # pull_request workflow on a conflicting pull request: its checks cannot pass.
    commit(repo, {"calc.py": "def add(a, b):\n    return b + a\n"}, "feature edits add")
    move_main(repo, {"calc.py": "def add(a, b):\n    return sum((a, b))\n"}, "main edits add")
    result = run_cli(["gate", "--no-cache"], repo)
    assert result.code == 1, result.stdout + result.stderr
    assert "merge conflict with origin/main in calc.py" in result.stdout
    code, report = gate(repo, "--no-cache")
    assert (code, report["verdict"]) == (1, "fail")
    assert report["reason"].startswith("merge with origin/main: merge conflict with origin/main")
    assert git(repo, "status", "--porcelain") == ""


def test_a_moved_base_is_not_answered_from_the_cache_of_the_commit(repo: Path) -> None:
    commit(repo, NEW_TEST, "a test of add")
    code, first = gate(repo)
    assert (code, first["verdict"], first["cached"]) == (0, "pass", False), first
    code, again = gate(repo)
    assert (code, again["cached"]) == (0, True)
    move_main(repo, RENAME, "rename add to plus")
    code, moved = gate(repo)
    assert (code, moved["verdict"], moved["cached"]) == (1, "fail", False), moved


def test_a_push_to_the_base_branch_itself_is_not_merged(repo: Path) -> None:
    from gateui.core.gate.check import GateCheck, run_check

    move_main(repo, RENAME, "rename add to plus")
    git(repo, "checkout", "-q", "main")
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    commit(repo, NEW_TEST, "a test of add, on main")
    # Checked as the branch `feature` would be: merged with origin/main, which breaks it.
    as_feature = run_check(GateCheck(repo, "HEAD", label="feature", use_cache=False))
    assert as_feature.merged_with and as_feature.verdict == "fail"
    # As a push of main: no pull request into itself; the commit alone passes.
    as_main = run_check(GateCheck(repo, "HEAD", label="main", use_cache=False))
    assert (as_main.merged_with, as_main.verdict) == ("", "pass")

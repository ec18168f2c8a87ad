"""Well-known actions that check code run here as the command they run on the runner: the
official pre-commit action, ruff's action, black's; a tool missing here makes the step
``partial`` naming it, never a pass or a false fail. Real repositories, real workflows, the
real tools, the real ``gateui gate``."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from helpers import gate_report, init_repo

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent

# A local pre-commit hook (nothing to download): no line may say TODO.
PRE_COMMIT_CONFIG = """repos:
  - repo: local
    hooks:
      - id: no-todo
        name: no TODO left
        entry: "TODO"
        language: pygrep
        types: [python]
"""


def make_repo(tmp_path: Path, steps: str, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    body = textwrap.indent(textwrap.dedent(steps).strip("\n"), " " * 6)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: pull_request\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n" + body + "\n"
    )
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return init_repo(repo)


def gate(repo: Path) -> tuple[int, dict[str, Any]]:
    return gate_report(repo, "--no-cache")


def only_step(report: dict[str, Any], prefix: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in report["steps"] if s["name"].startswith(prefix)]
    assert len(found) == 1, [s["name"] for s in report["steps"]]
    return found[0]


@pytest.mark.parametrize(("source", "verdict"), [("x = 1\n", "pass"), ("x = 1  # TODO\n", "fail")])
def test_the_pre_commit_action_runs_pre_commit_run_all_files(
    tmp_path: Path, source: str, verdict: str
) -> None:
    if not (BIN / "pre-commit").exists():
        pytest.skip("pre-commit is not installed beside this interpreter")
    repo = make_repo(
        tmp_path,
        "- uses: pre-commit/action@v3.0.1",
        {".pre-commit-config.yaml": PRE_COMMIT_CONFIG, "pkg/mod.py": source},
    )
    code, report = gate(repo)
    assert report["verdict"] == verdict, report
    assert code == (0 if verdict == "pass" else 1)
    step = only_step(report, "Run pre-commit/action")
    assert step["verdict"] == verdict
    assert step["command"] == "pre-commit run --show-diff-on-failure --color=always --all-files"
    if verdict == "fail":
        assert any("pkg/mod.py:1:x = 1  # TODO" in line for line in step["output_tail"]), step


def test_the_pre_commit_actions_extra_args_replace_all_files(tmp_path: Path) -> None:
    if not (BIN / "pre-commit").exists():
        pytest.skip("pre-commit is not installed beside this interpreter")
    repo = make_repo(
        tmp_path,
        """
        - uses: pre-commit/action@v3.0.1
          with:
            extra_args: no-todo --files pkg/clean.py
        """,
        {
            ".pre-commit-config.yaml": PRE_COMMIT_CONFIG,
            "pkg/clean.py": "x = 1\n",
            "pkg/dirty.py": "y = 2  # TODO\n",
        },
    )
    code, report = gate(repo)
    # Only pkg/clean.py is checked, as on the runner: the TODO in pkg/dirty.py is not seen.
    assert (code, report["verdict"]) == (0, "pass"), report


@pytest.mark.parametrize("action", ["astral-sh/ruff-action@v3", "chartboost/ruff-action@v1"])
def test_ruffs_action_runs_ruff_check_on_its_src(tmp_path: Path, action: str) -> None:
    if not (BIN / "ruff").exists():
        pytest.skip("ruff is not installed beside this interpreter")
    repo = make_repo(
        tmp_path,
        f"""
        - uses: {action}
          with:
            src: pkg
        """,
        {"pkg/mod.py": "import os\n", "elsewhere/mod.py": "import sys\n"},
    )
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    step = only_step(report, f"Run {action}")
    assert step["command"] == "ruff check pkg"
    tail = "\n".join(step["output_tail"])
    assert "pkg/mod.py" in tail and "F401" in tail
    assert "elsewhere" not in tail


def test_a_checking_action_whose_tool_is_missing_is_partial_naming_it(tmp_path: Path) -> None:
    search = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    if shutil.which("black", path=search):
        pytest.skip("black is installed here: the missing-tool case cannot be shown")
    repo = make_repo(tmp_path, "- uses: psf/black@stable", {"pkg/mod.py": "x=1\n"})
    code, report = gate(repo)
    assert (code, report["verdict"]) == (3, "partial"), report
    step = only_step(report, "Run psf/black")
    assert step["command"] == "black --check --diff ."
    assert step["verdict"] == "not-reproduced"
    assert step["why"] == "black not found here"


def test_an_unknown_action_that_is_not_setup_makes_the_verdict_partial(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "- uses: example-org/license-check@v2", {"pkg/mod.py": "x = 1\n"})
    code, report = gate(repo)
    assert (code, report["verdict"]) == (3, "partial"), report
    step = only_step(report, "Run example-org/license-check")
    assert step["verdict"] == "not-reproduced"
    assert "runs only on GitHub" in step["reason"]


def test_pre_commit_that_cannot_set_up_its_hooks_here_is_partial_not_failed(
    tmp_path: Path,
) -> None:
    if not (BIN / "pre-commit").exists():
        pytest.skip("pre-commit is not installed beside this interpreter")
    # A hook repository pre-commit cannot fetch here (on CI it can): pre-commit exits 3.
    config = f"repos:\n  - repo: {tmp_path / 'no-such-hook-repo'}\n    rev: v1\n    hooks:\n"
    config += "      - id: anything\n"
    repo = make_repo(
        tmp_path,
        "- uses: pre-commit/action@v3.0.1",
        {".pre-commit-config.yaml": config, "pkg/mod.py": "x = 1\n"},
    )
    code, report = gate(repo)
    assert (code, report["verdict"]) == (3, "partial"), report
    step = only_step(report, "Run pre-commit/action")
    assert step["verdict"] == "not-reproduced"
    assert step["why"].startswith("pre-commit could not set up its hooks here (An unexpected")

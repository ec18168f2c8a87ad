"""Each job of a gate check starts from a fresh checkout, as on GitHub: real repositories, real
workflows of several jobs, the real ``gateui gate``.

On the runner every job (and every matrix leg) starts on a new machine with a new checkout: a
file one job generates (a build folder, a ``.coverage``, a generated module) reaches another job
only as an artifact (``actions/upload-artifact`` → ``download-artifact``). A gate whose jobs share
one folder says pass where CI fails (a later job uses the file) and fail where CI passes (a later
job trips over it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import assert_no_worktree_left, git, init_repo, run_cli, worktrees_listed

pytestmark = pytest.mark.integration


def make_repo(tmp_path: Path, workflow: str, extra: dict[str, str] | None = None) -> Path:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    (repo / "pyproject.toml").write_text('[project]\nname = "r"\nversion = "0"\n')
    (repo / ".gitignore").write_text("build/\n.coverage\n")
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(textwrap.dedent(workflow).lstrip())
    for name, text in (extra or {}).items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return init_repo(repo)


def gate(repo: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli(["gate", "--json", "--no-cache"], repo)
    assert result.stdout.strip(), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return result.code, data


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    """The verdict of each step run here (checkout and artifact actions are gateui's own)."""
    return {
        s["name"]: s["verdict"]
        for s in report["steps"]
        if s["runs_locally"] and not s["command"].startswith("actions/")
    }


# CI (by hand, each job in its own fresh clone): `build` writes build/version.txt and passes;
# `check` starts from a new checkout, `test -f build/version.txt` exits 1: the check fails.
USES_ANOTHER_JOBS_FILE = """
    on: pull_request
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: generate
            run: mkdir -p build && echo 1.0 > build/version.txt
      check:
        needs: [build]
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: use the generated file
            run: test -f build/version.txt
"""


def test_a_job_does_not_see_a_file_another_job_generated(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, USES_ANOTHER_JOBS_FILE)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    assert verdicts(report) == {"generate": "pass", "use the generated file": "fail"}
    assert_no_worktree_left(repo)


# CI: `coverage` leaves .coverage and build/ in its own checkout and passes; `package` starts
# from a new checkout where `mkdir build` succeeds and no .coverage exists: the check passes.
TRIPS_OVER_ANOTHER_JOBS_FILE = """
    on: pull_request
    jobs:
      coverage:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: measure
            run: |
              echo data > .coverage
              mkdir build
      package:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: fresh build folder
            run: |
              test ! -e .coverage
              mkdir build
"""


def test_a_job_does_not_trip_over_a_file_another_job_left(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, TRIPS_OVER_ANOTHER_JOBS_FILE)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    assert verdicts(report) == {"measure": "pass", "fresh build folder": "pass"}
    assert_no_worktree_left(repo)


# CI: each matrix leg runs on its own runner: `touch leftover` after checking it is absent
# passes in both legs.
MATRIX_LEGS = """
    on: pull_request
    jobs:
      parts:
        runs-on: ubuntu-latest
        strategy:
          matrix:
            part: [one, two]
        steps:
          - uses: actions/checkout@v4
          - name: run part
            run: |
              test ! -e leftover
              touch leftover
              ./part-${{ matrix.part }}.sh
"""


def test_each_matrix_leg_starts_from_its_own_checkout(tmp_path: Path) -> None:
    script = "#!/bin/sh\necho part\n"
    repo = make_repo(tmp_path, MATRIX_LEGS, {"part-one.sh": script, "part-two.sh": script})
    for name in ("part-one.sh", "part-two.sh"):
        (repo / name).chmod(0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "executable")
    code, report = gate(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    assert verdicts(report) == {"run part (part=one)": "pass", "run part (part=two)": "pass"}
    assert_no_worktree_left(repo)


# CI: the artifact is the hand-over between jobs; an output written to $GITHUB_OUTPUT stays with
# its job. `report` gets report.txt by download-artifact (not by sharing a folder): passes.
ARTIFACT_AND_OUTPUTS = """
    on: pull_request
    jobs:
      produce:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - id: make
            name: make the report
            run: |
              mkdir -p out && echo ok > out/report.txt && echo scratch > out/scratch.txt
              echo "count=3" >> "$GITHUB_OUTPUT"
          - name: read the output
            run: test "${{ steps.make.outputs.count }}" = 3
          - uses: actions/upload-artifact@v4
            with:
              name: report
              path: out/report.txt
      consume:
        needs: [produce]
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - uses: actions/download-artifact@v4
            with:
              name: report
              path: got
          - name: only the artifact came over
            run: |
              grep -qx ok got/report.txt
              test ! -e out
"""


def test_artifacts_and_step_outputs_are_still_handed_over(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, ARTIFACT_AND_OUTPUTS)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    ran = verdicts(report)
    assert ran["read the output"] == "pass"
    assert ran["only the artifact came over"] == "pass"
    assert_no_worktree_left(repo)


# CI: `first` fails, so `second` (needs: first) is skipped; the check fails.
SKIPPED_SECOND_JOB = """
    on: pull_request
    jobs:
      first:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: broken
            run: exit 3
      second:
        needs: [first]
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: never runs
            run: true
"""


def test_a_checkout_made_ahead_for_a_job_that_is_skipped_is_removed(tmp_path: Path) -> None:
    # While `first` runs, the checkout of `second` is made ahead; `second` never runs.
    repo = make_repo(tmp_path, SKIPPED_SECOND_JOB)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    assert verdicts(report) == {"broken": "fail", "never runs": "skipped"}
    assert_no_worktree_left(repo)


# Three jobs: the second sleeps (the third's checkout is made meanwhile); the gate is
# interrupted while the second runs.
SLOW_SECOND_JOB = """
    on: pull_request
    jobs:
      first:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: quick
            run: touch build-marker
      second:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: slow
            run: sleep 60
      third:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: after
            run: true
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_gate_removes_every_jobs_checkout(
    tmp_path: Path, sig: signal.Signals
) -> None:
    # One job at a time, so that the third job's checkout is made ahead while the second runs
    # (jobs running at the same time, interrupted: test_gate_concurrent_jobs.py).
    one_at_a_time = (
        '[project]\nname = "r"\nversion = "0"\n[tool.gateui.gate]\nconcurrent_jobs = 1\n'
    )
    repo = make_repo(tmp_path, SLOW_SECOND_JOB, {"pyproject.toml": one_at_a_time})
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateui", "gate", "--no-cache"],
        cwd=repo,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + 60
    while "▸ slow" not in seen and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
    assert "▸ slow" in seen, seen
    # The check's worktree (first's), the second job's, and the third's being made ahead.
    while worktrees_listed(repo) < 4:
        assert time.monotonic() < deadline, "the third job's checkout is never made ahead"
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert_no_worktree_left(repo)
    assert git(repo, "status", "--porcelain", "--ignored") == ""


# CI: `plain` runs the tests in a fresh checkout: the generated file is absent, its test skips,
# the job passes; `generated` writes generated.txt ("bad") first, then the same test command
# fails. The check fails.
SAME_COMMAND_AFTER_ANOTHER_STEP = """
    on: pull_request
    jobs:
      plain:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python -m pytest -q -p no:cacheprovider
      generated:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - name: generate
            run: echo bad > generated.txt
          - run: python -m pytest -q -p no:cacheprovider
"""
GENERATED_TEST = """
import pathlib

import pytest


def test_generated_file_is_valid():
    path = pathlib.Path(__file__).parent.parent / "generated.txt"
    if not path.exists():
        pytest.skip("nothing generated")
    assert path.read_text() == "ok\\n"
"""


def test_the_same_command_after_another_step_of_its_job_runs_again(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path, SAME_COMMAND_AFTER_ANOTHER_STEP, {"tests/test_generated.py": GENERATED_TEST}
    )
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    origins = [s["origin"] for s in report["steps"] if s["verdict"] == "fail"]
    assert origins == [
        ".github/workflows/ci.yml, generated, Run python -m pytest -q -p no:cacheprovider"
    ]


# CI: `advisory` lets its test step fail (continue-on-error); `required` runs the same command
# and fails. The check fails.
SAME_COMMAND_DIFFERENT_RULES = """
    on: pull_request
    jobs:
      advisory:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python -m pytest -q -p no:cacheprovider
            continue-on-error: true
      required:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python -m pytest -q -p no:cacheprovider
"""


def test_the_same_command_under_other_rules_is_judged_by_its_own(tmp_path: Path) -> None:
    failing = "def test_fails():\n    assert 1 == 2\n"
    repo = make_repo(tmp_path, SAME_COMMAND_DIFFERENT_RULES, {"tests/test_fails.py": failing})
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report

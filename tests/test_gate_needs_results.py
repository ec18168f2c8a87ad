"""How a needed job ended (``needs.<job>.result``): read by a job's ``if:``, a step's ``if:`` or
a command, decided when the job starts, as on the runner, where every needed job has ended; never
guessed where a needed job did not wholly run here. Real repositories, real ``gateui gate``.

(The corpus's ``needs-result-*`` scenarios compare the same patterns with CI's steps run by hand.)
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from helpers import init_repo, run_cli

pytestmark = pytest.mark.integration


def gate(tmp_path: Path, workflow: str) -> tuple[int, dict[str, Any]]:
    repo = tmp_path / "repo"
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(textwrap.dedent(workflow).lstrip())
    (repo / "pyproject.toml").write_text('[project]\nname = "r"\nversion = "0"\n')
    init_repo(repo)
    result = run_cli(["gate", "--json", "--no-cache"], repo)
    assert result.stdout.strip(), result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return result.code, report


def verdict_of(report: dict[str, Any], name: str) -> tuple[str, str]:
    (step,) = [s for s in report["steps"] if s["name"] == name]
    return step["verdict"], step["reason"]


# `check` reads `build`'s result in a command; `build` used an action that cannot run here, so
# how it ended on CI is not known: `check` must not be run on a guess.
UNKNOWN_NEED = """
    on: pull_request
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: some-org/compile-things@v3
          - run: "true"
      check:
        if: always()
        needs: [build]
        runs-on: ubuntu-latest
        steps:
          - name: all green
            run: test "${{ needs.build.result }}" = success
"""


def test_a_needed_job_not_wholly_run_here_is_never_guessed(tmp_path: Path) -> None:
    code, report = gate(tmp_path, UNKNOWN_NEED)
    verdict, reason = verdict_of(report, "all green")
    assert verdict == "not-reproduced", reason
    assert "needs.build.result" in reason
    assert report["verdict"] == "partial"
    assert code == 3


# One leg of `m` fails: the matrix job failed. `after` runs under always() and reports it.
MATRIX_LEG_FAILS = """
    on: pull_request
    jobs:
      m:
        runs-on: ubuntu-latest
        strategy:
          fail-fast: false
          matrix:
            n: [1, 2]
        steps:
          - name: leg
            run: test ${{ matrix.n }} = 1
      after:
        if: always()
        needs: [m]
        runs-on: ubuntu-latest
        steps:
          - name: says how m ended
            run: |
              echo "m: ${{ needs.m.result }}"
              test "${{ needs.m.result }}" = failure
          - name: only on success
            if: needs.m.result == 'success'
            run: exit 1
"""


def test_a_failed_leg_makes_the_matrix_jobs_result_a_failure(tmp_path: Path) -> None:
    code, report = gate(tmp_path, MATRIX_LEG_FAILS)
    assert verdict_of(report, "says how m ended")[0] == "pass"
    verdict, reason = verdict_of(report, "only on success")
    assert verdict == "skipped", reason
    assert report["verdict"] == "fail"  # the failing leg
    assert code == 1


# `deploy-notes` has no status function: GitHub adds success(), so it is skipped when the job it
# needs was skipped (its if: is false on a pull request), whatever else its if: says.
SKIPPED_NEED = """
    on: pull_request
    jobs:
      release:
        if: github.event_name == 'push'
        runs-on: ubuntu-latest
        steps:
          - run: "true"
      deploy-notes:
        needs: [release]
        if: needs.release.result != 'failure'
        runs-on: ubuntu-latest
        steps:
          - name: would fail
            run: exit 1
      report:
        needs: [release]
        if: always() && needs.release.result == 'skipped'
        runs-on: ubuntu-latest
        steps:
          - name: sees the skip
            run: echo "release was ${{ needs.release.result }}"
"""


def test_a_skipped_need_skips_a_job_without_a_status_function(tmp_path: Path) -> None:
    code, report = gate(tmp_path, SKIPPED_NEED)
    verdict, reason = verdict_of(report, "would fail")
    assert verdict == "skipped", reason
    verdict, reason = verdict_of(report, "sees the skip")
    assert verdict == "pass", reason
    assert report["verdict"] == "pass"
    assert code == 0


# re-actors/alls-green with `allowed-failures: flaky`: the flaky job fails, the check says
# green (its contract: a job allowed to fail may end any way); the gate still fails on the job.
ALLOWED_TO_FAIL = """
    on: pull_request
    jobs:
      flaky:
        runs-on: ubuntu-latest
        steps:
          - name: flaky step
            run: exit 1
      solid:
        runs-on: ubuntu-latest
        steps:
          - run: "true"
      check:
        if: always()
        needs: [flaky, solid]
        runs-on: ubuntu-latest
        steps:
          - name: all green
            uses: re-actors/alls-green@release/v1
            with:
              allowed-failures: flaky
              jobs: ${{ toJSON(needs) }}
          - name: not decidable here
            uses: re-actors/alls-green@release/v1
            with:
              jobs: ${{ toJSON(github) }}
"""


def test_alls_green_decides_by_its_allow_lists_and_names_what_it_cannot(tmp_path: Path) -> None:
    code, report = gate(tmp_path, ALLOWED_TO_FAIL)
    assert verdict_of(report, "all green")[0] == "pass"
    assert verdict_of(report, "flaky step")[0] == "fail"
    verdict, reason = verdict_of(report, "not decidable here")
    assert verdict == "not-reproduced" and "toJSON(needs)" in reason
    assert report["verdict"] == "fail" and code == 1

"""What a step writes to ``$GITHUB_OUTPUT`` becomes ``steps.<id>.outputs`` for the job's later
steps (in their script and their ``env``), ``$GITHUB_ENV`` and ``$GITHUB_PATH`` carry over, as on
the runner; an output of a step that did not run here makes the reader partial, never a guess.
Real repositories, real workflows, the real ``gateui gate``."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from helpers import gate_report, init_repo

pytestmark = pytest.mark.integration

PRODUCE = """
- id: version
  run: |
    echo "value=42" >> "$GITHUB_OUTPUT"
    echo "EXTRA=from-env" >> "$GITHUB_ENV"
    mkdir -p "$RUNNER_TEMP/bin"
    printf '#!/bin/sh\\necho tool-ran\\n' > "$RUNNER_TEMP/bin/mytool"
    chmod +x "$RUNNER_TEMP/bin/mytool"
    echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
"""


def make_repo(tmp_path: Path, steps: str) -> Path:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    body = textwrap.indent(textwrap.dedent(steps).strip("\n"), " " * 6)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: pull_request\njobs:\n  check:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n" + body + "\n"
    )
    (repo / "README.md").write_text("hello\n")
    return init_repo(repo)


def gate(repo: Path) -> tuple[int, dict[str, Any]]:
    return gate_report(repo, "--no-cache")


def check_step(expected: str) -> str:
    return f"""
- name: Check
  env:
    FROM_OUTPUT: ${{{{ steps.version.outputs.value }}}}
  run: |
    test "${{{{ steps.version.outputs.value }}}}" = {expected}
    test "$FROM_OUTPUT" = {expected}
    test "$EXTRA" = from-env
    mytool
    test "${{{{ steps.version.outputs.never-written }}}}" = ""
"""


def test_outputs_env_and_path_reach_the_later_steps(tmp_path: Path) -> None:
    code, report = gate(make_repo(tmp_path, PRODUCE + check_step("42")))
    assert (code, report["verdict"]) == (0, "pass"), report


def test_a_wrong_output_value_fails_the_reader(tmp_path: Path) -> None:
    # The same check expecting 43: it fails, so the value 42 really is what the step read.
    code, report = gate(make_repo(tmp_path, PRODUCE + check_step("43")))
    assert (code, report["verdict"]) == (1, "fail"), report
    (check,) = [s for s in report["steps"] if s["name"] == "Check"]
    assert check["verdict"] == "fail"


def test_an_output_of_a_step_not_run_here_is_partial(tmp_path: Path) -> None:
    steps = """
    - id: py
      uses: actions/setup-python@v5
      with:
        python-version: "3.12"
    - name: Show version
      run: test -n "${{ steps.py.outputs.python-version }}"
    """
    code, report = gate(make_repo(tmp_path, steps))
    assert (code, report["verdict"]) == (3, "partial"), report
    (show,) = [s for s in report["steps"] if s["name"] == "Show version"]
    assert show["verdict"] == "not-reproduced"
    assert show["why"] == (
        "it uses steps.py.outputs.python-version, from a step that did not run here"
    )


NEEDS_OUTPUTS = """\
on: pull_request
jobs:
  decide:
    runs-on: ubuntu-latest
    outputs:
      flag: ${{ steps.pick.outputs.flag }}
    steps:
      - id: pick
        run: echo "flag=no" >> "$GITHUB_OUTPUT"
  check:
    needs: decide
    runs-on: ubuntu-latest
    steps:
      - name: Only when flagged
        if: needs.decide.outputs.flag == 'yes'
        run: exit 1
      - name: Always
        run: echo fine
  gated:
    needs: decide
    if: needs.decide.outputs.flag == 'yes'
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
"""


def gate_workflow(tmp_path: Path, workflow: str) -> tuple[int, dict[str, Any]]:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(workflow)
    init_repo(repo)
    return gate(repo)


def test_an_if_on_another_jobs_output_is_decided_when_the_job_starts(tmp_path: Path) -> None:
    # On CI the flag is "no": both `exit 1` are skipped and the check passes. The jobs that need
    # `decide` start after it ended, so its outputs are known there: the if:s are decided then.
    code, report = gate_workflow(tmp_path, NEEDS_OUTPUTS)
    assert (code, report["verdict"]) == (0, "pass"), report
    by_name = {s["name"]: s for s in report["steps"]}
    assert by_name["Always"]["verdict"] == "pass"
    flagged = by_name["Only when flagged"]
    assert flagged["verdict"] == "skipped"
    assert "needs.decide.outputs.flag == 'yes'" in flagged["reason"]
    (gated,) = [s for s in report["steps"] if s["command"] == "exit 1" and s is not flagged]
    assert gated["verdict"] == "skipped" and "its job's if:" in gated["reason"], gated


UNKNOWN_NEEDS_OUTPUTS = NEEDS_OUTPUTS.replace(
    """      - id: pick
        run: echo "flag=no" >> "$GITHUB_OUTPUT"
""",
    """      - id: pick
        uses: some-org/decide-flag@v1
""",
)


def test_an_if_on_an_output_not_known_here_is_partial_never_a_guess(tmp_path: Path) -> None:
    # The flag comes from an action that runs only on GitHub: guessing "runs" would be a false
    # fail, guessing "skipped" could be a false pass. Each is named as not reproduced instead.
    code, report = gate_workflow(tmp_path, UNKNOWN_NEEDS_OUTPUTS)
    assert (code, report["verdict"]) == (3, "partial"), report
    by_name = {s["name"]: s for s in report["steps"]}
    assert by_name["Always"]["verdict"] == "pass"
    flagged = by_name["Only when flagged"]
    assert flagged["verdict"] == "not-reproduced"
    assert "needs.decide.outputs.flag" in flagged["reason"]
    (gated,) = [
        s for s in report["steps"] if s["command"] == "exit 1" and s["name"] != "Only when flagged"
    ]
    assert gated["verdict"] == "not-reproduced" and "its job runs" in gated["reason"], gated


# `version` maps its step's output to a job output; `check` and `check-env`, which need it, read
# it in a script and in env; `unknown-reader` reads an output whose step did not run here.
JOB_OUTPUTS = """
on: pull_request
jobs:
  version:
    runs-on: ubuntu-latest
    outputs:
      number: ${{ steps.v.outputs.number }}
      unknown: ${{ steps.never.outputs.value }}
    steps:
      - id: v
        run: echo "number=EXPECTED" >> "$GITHUB_OUTPUT"
  check:
    needs: version
    runs-on: ubuntu-latest
    steps:
      - name: Read in the script
        run: test "${{ needs.version.outputs.number }}" = 1.2.3
  check-env:
    needs: version
    runs-on: ubuntu-latest
    steps:
      - name: Read in env
        env:
          NUMBER: ${{ needs.version.outputs.number }}
        run: test "$NUMBER" = 1.2.3
  unknown-reader:
    needs: version
    runs-on: ubuntu-latest
    steps:
      - name: Read an output of a step that did not run
        run: echo "${{ needs.version.outputs.unknown }}"
"""


@pytest.mark.parametrize(("written", "verdict"), [("1.2.3", "pass"), ("9.9.9", "fail")])
def test_a_jobs_outputs_reach_the_jobs_that_need_it(
    tmp_path: Path, written: str, verdict: str
) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    workflow = JOB_OUTPUTS.replace("EXPECTED", written)
    (repo / ".github" / "workflows" / "ci.yml").write_text(workflow)
    init_repo(repo)
    _, report = gate(repo)
    by_name = {s["name"]: s for s in report["steps"]}
    assert by_name["Read in the script"]["verdict"] == verdict, report
    assert by_name["Read in env"]["verdict"] == verdict, report
    # An output whose step did not run here is not guessed: that reader is not reproduced.
    unknown = by_name["Read an output of a step that did not run"]
    assert unknown["verdict"] == "not-reproduced", unknown
    assert "needs.version.outputs.unknown" in unknown["reason"], unknown
    assert report["verdict"] == ("partial" if verdict == "pass" else "fail"), report

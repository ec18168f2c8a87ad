"""Local composite actions (``uses: ./.github/actions/x``): their steps become the job's, with
their inputs filled in, as the runner runs them; what cannot run here is named; a missing
``action.yml`` fails as on GitHub.

(The corpus's ``composite-action-*`` scenarios compare whole checks with CI's steps run by hand.)
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from gateui.core.gate._composite import Unexpanded, with_local_actions
from gateui.core.gate.model import INVALID, UNREPRODUCED
from gateui.core.gate.workflows import Step, step_from
from helpers import init_repo, run_cli

SETUP = """
name: setup
inputs:
  python-version:
    default: "3.12"
  check:
    default: "true"
runs:
  using: composite
  steps:
    - uses: actions/setup-python@v5
      with:
        python-version: ${{ inputs.python-version }}
    - name: Check
      if: inputs.check == 'true'
      shell: bash
      run: echo "checking on ${{ inputs.python-version }} from ${{ github.action_path }}"
    - uses: ./.github/actions/inner
"""
INNER = """
runs:
  using: composite
  steps:
    - name: Inner
      shell: bash
      run: echo inner ${{ matrix.n }}
"""


def expanded(step: dict[str, Any], files: dict[str, str]) -> list[Step | Unexpanded]:
    steps = [step_from(0, step)]
    return list(with_local_actions(steps, files.get, lambda text: text.replace("X", "resolved")))


@pytest.mark.unit
def test_the_steps_come_with_inputs_defaults_and_nested_actions_filled_in() -> None:
    files = {
        ".github/actions/setup/action.yml": SETUP,
        ".github/actions/inner/action.yml": INNER,
    }
    found = expanded({"name": "Set up", "uses": "./.github/actions/setup", "with": {}}, files)
    assert all(isinstance(step, Step) for step in found)
    steps = [step for step in found if isinstance(step, Step)]
    assert [s.name for s in steps] == [
        "Set up / Run actions/setup-python@v5",
        "Set up / Check",
        "Set up / Run ./.github/actions/inner / Inner",
    ]
    assert steps[0].with_ == {"python-version": "3.12"}
    assert steps[1].condition is True
    assert steps[1].run == 'echo "checking on 3.12 from .github/actions/setup"'
    # Expressions of the job (matrix, steps) stay for the job's run to fill.
    assert steps[2].run == "echo inner ${{ matrix.n }}"


@pytest.mark.unit
def test_given_inputs_are_resolved_in_the_job_and_a_false_input_condition_holds() -> None:
    files = {
        ".github/actions/setup/action.yml": SETUP,
        ".github/actions/inner/action.yml": INNER,
    }
    step = {"uses": "./.github/actions/setup", "with": {"python-version": "X", "check": "no"}}
    steps = [s for s in expanded(step, files) if isinstance(s, Step)]
    assert steps[0].with_ == {"python-version": "resolved"}
    assert steps[1].condition is False


@pytest.mark.unit
@pytest.mark.parametrize(
    ("files", "left_out", "why"),
    [
        ({}, INVALID, "no action.yml"),
        (
            {".github/actions/setup/action.yml": "runs:\n  using: node20\n  main: index.js\n"},
            UNREPRODUCED,
            "node20 action",
        ),
        (
            {
                ".github/actions/setup/action.yml": (
                    "runs:\n  using: composite\n  steps:\n"
                    "    - if: always() && inputs.x == '1'\n      shell: bash\n      run: 'true'\n"
                )
            },
            UNREPRODUCED,
            "mixes inputs and the job's status",
        ),
    ],
)
def test_what_cannot_be_run_as_steps_is_named(
    files: dict[str, str], left_out: str, why: str
) -> None:
    (found,) = expanded({"uses": "./.github/actions/setup"}, files)
    assert isinstance(found, Unexpanded)
    assert found.left_out == left_out and why in found.why


MISSING_ACTION = """
    on: pull_request
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: ./.github/actions/setup
          - run: "true"
"""


@pytest.mark.integration
def test_a_local_action_missing_from_the_commit_fails_the_check(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(textwrap.dedent(MISSING_ACTION).lstrip())
    init_repo(repo)
    result = run_cli(["gate", "--json", "--no-cache"], repo)
    report = json.loads(result.stdout)
    assert (result.code, report["verdict"]) == (1, "fail"), report
    (step,) = [s for s in report["steps"] if s["command"] == "./.github/actions/setup"]
    assert step["verdict"] == "fail" and "no action.yml" in step["reason"]

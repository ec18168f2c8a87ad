"""Workflow files are read with libyaml's parser where PyYAML has it, and give exactly what the
pure-Python parser gives: the same data, the same lines for messages, the same words for a file
that is not valid YAML."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from gateui.core.gate import workflows
from gateui.core.gate.workflows import WorkflowError, parse_workflow

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML without libyaml"),
]

SCENARIOS = Path(__file__).resolve().parent / "gate_scenarios"
WORKFLOWS = sorted(SCENARIOS.glob("*/repo/.github/workflows/*.y*ml"))


def _read(path: Path) -> tuple[str, object]:
    """What reading ``path`` gives: the workflow and the lines its parts were found at, or
    the error's message."""
    try:
        flow = parse_workflow(path.name, path.read_text(encoding="utf-8"))
    except WorkflowError as exc:
        return "error", str(exc)
    lines = {
        "jobs": dict(flow.line_of_job),
        "steps": [
            [(step.index, getattr(step, "line", None)) for step in job.steps] for job in flow.jobs
        ],
        "problems": [(str(p), p.line) for p in flow.problems],
    }
    # (Schema problems are exceptions, equal only to themselves: compared by their words.)
    return "workflow", (replace(flow, problems=()), lines)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parts[-5])
def test_libyaml_reads_every_scenario_workflow_as_the_python_parser_does(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _read(path)
    monkeypatch.setattr(workflows, "_LIBYAML", False)
    assert fast == _read(path)


def test_a_file_that_is_not_yaml_is_worded_by_the_python_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = 'on: pull_request\njobs:\n  t:\n    steps:\n      - run: echo "unclosed\n    x: [\n'
    with pytest.raises(WorkflowError) as fast:
        parse_workflow("ci.yml", text)
    monkeypatch.setattr(workflows, "_LIBYAML", False)
    with pytest.raises(WorkflowError) as slow:
        parse_workflow("ci.yml", text)
    assert str(fast.value) == str(slow.value)
    assert fast.value.line == slow.value.line
    assert str(fast.value).startswith("ci.yml:")
    assert "invalid YAML" in str(fast.value)

"""How a gate is worded: where a commit was checked, and what its steps are (the gate's model is
imported by these functions themselves, not by every command that words results)."""

from __future__ import annotations

import pytest

from gateui.core.gate.model import CACHE, INVALID, UNREPRODUCED, WORKTREE, GateDefinition, GateStep
from gateui.wording import gate_steps_text, place_text

pytestmark = pytest.mark.unit


def _step(name: str, runs_locally: bool, left_out: str = "") -> GateStep:
    return GateStep(
        name=name,
        command=f"run {name}",
        cwd=".",
        origin=f"ci.yml, test, {name}",
        kind="exec",
        runs_locally=runs_locally,
        left_out=left_out,
    )


def test_a_cached_verdict_and_a_worktree_are_worded_apart() -> None:
    assert place_text(CACHE) == "from the cache (this tree was verified before)"
    assert place_text(WORKTREE) == "in a temporary worktree of that commit"


def test_steps_are_counted_by_why_they_do_not_run_here() -> None:
    definition = GateDefinition(
        source=".github/workflows/ci.yml",
        steps=(
            _step("lint", True),
            _step("tests", True),
            _step("deploy", False, UNREPRODUCED),
            _step("broken", False, INVALID),
            _step("setup", False, "setup"),
        ),
    )
    text = gate_steps_text(definition)
    assert "2 step(s) run here" in text
    assert "1 cannot run here" in text
    assert "1 invalid workflow file(s)" in text
    assert "1 left out" in text

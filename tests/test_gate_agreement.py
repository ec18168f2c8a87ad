"""The gate says what CI says: ``gateui gate --json`` on every scenario of tests/gate_scenarios,
compared with the CI verdict recorded there (found by running the workflow's steps by hand,
bench/ci_by_hand.py, which shares no code with the gate).

- never a false pass (the gate says pass where CI fails);
- every other disagreement is a ``partial`` the scenario declares (``partial_here``), whose
  reason names what could not be reproduced here; agreement over the corpus stays >= 97%;
- the recorded verdicts are still what the by-hand runner finds (one scenario per area).

The tool environments the scenarios name are built once from the package index (cached under
~/.cache/gateui-scenarios); where that cannot be done, the tests skip and say why.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from ci_by_hand import scenario_verdict  # noqa: E402
from gate_agreement import (  # noqa: E402
    AGREE,
    FALSE_PASS,
    PARTIAL,
    Outcome,
    gate_scenario,
    why_partial,
)
from scenario_kit import Scenario, ToolsUnavailable, scenarios  # noqa: E402

pytestmark = pytest.mark.integration

CORPUS = scenarios()
AGREEMENT_FLOOR = 0.97


def _gate(scenario: Scenario) -> Outcome:
    try:
        return gate_scenario(scenario)
    except ToolsUnavailable as exc:
        pytest.skip(f"{scenario.name}: {exc}")


def _described(outcome: Outcome) -> str:
    steps = {s["name"]: s["verdict"] for s in outcome.report.get("steps", [])}
    return (
        f"{outcome.scenario.name} ({outcome.scenario.area}): {outcome.scenario.why}\n"
        f"CI: {outcome.scenario.expected} {outcome.scenario.recorded.get('failed')}\n"
        f"gate: {outcome.gate} ({outcome.outcome}): {outcome.reason}\n"
        f"{why_partial(outcome.report)}\nsteps: {steps}"
    )


@pytest.mark.parametrize("scenario", CORPUS, ids=[s.name for s in CORPUS])
def test_the_gate_agrees_with_ci(scenario: Scenario) -> None:
    outcome = _gate(scenario)
    assert outcome.outcome != FALSE_PASS, _described(outcome)
    if scenario.partial_here:
        # An explained disagreement: the gate cannot reproduce this here and says so.
        assert outcome.outcome == PARTIAL, _described(outcome)
        assert scenario.partial_here in why_partial(outcome.report), _described(outcome)
    else:
        assert outcome.outcome == AGREE, _described(outcome)


def test_the_corpus_covers_what_the_gate_must_get_right() -> None:
    areas = {s.area for s in CORPUS}
    needed = {
        "working-dir",
        "pass-rate",
        "random-order",
        "reruns",
        "strict-markers",
        "coverage",
        "make",
        "tox",
        "nox",
        "scripts",
        "django",
        "lint",
        "runner-files",
        "ci-env",
        "timezone",
        "timeout",
        "triggers",
        "if",
        "invalid-workflow",
        "ignored-files",
        "shell",
    }
    assert needed <= areas, needed - areas
    assert len(CORPUS) >= 35
    unrecorded = [s.name for s in CORPUS if s.expected not in ("pass", "fail")]
    assert unrecorded == []
    # Both verdicts are well represented: a gate that always said one thing would not pass.
    verdicts = [s.expected for s in CORPUS]
    assert min(verdicts.count("pass"), verdicts.count("fail")) >= 15


def test_declared_explained_disagreements_keep_agreement_at_97_percent() -> None:
    # Each scenario's test above holds the gate to exact agreement, or to the `partial` it
    # declares: so the declarations bound the agreement the corpus measures.
    counted = CORPUS
    agreeing = [s for s in counted if not s.partial_here]
    assert len(agreeing) / len(counted) >= AGREEMENT_FLOOR, [
        s.name for s in counted if s.partial_here
    ]


def _one_per_area() -> list[Scenario]:
    chosen: dict[str, Scenario] = {}
    for scenario in CORPUS:
        if not scenario.slow:
            chosen.setdefault(scenario.area, scenario)
    return list(chosen.values())


@pytest.mark.parametrize("scenario", _one_per_area(), ids=lambda s: s.name)
def test_the_recorded_ci_verdict_is_what_running_the_steps_by_hand_gives(
    scenario: Scenario,
) -> None:
    try:
        found = scenario_verdict(scenario)
    except ToolsUnavailable as exc:
        pytest.skip(f"{scenario.name}: {exc}")
    recorded = (scenario.expected, scenario.recorded.get("failed"))
    assert (found.verdict, found.failed) == recorded, "\n".join(found.log)

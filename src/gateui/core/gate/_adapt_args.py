"""A pytest step's arguments as they can run with the interpreter at hand: options whose plugin
is not installed there are dropped (and the step's warnings say so), and the checks a declared
gate asks for are added."""

from __future__ import annotations

from gateui.core.commands.pytest_args import PytestArg, plugin_of, split_pytest_args
from gateui.core.gate.model import KIND_RANDOM_ORDER, GateStep, StepOutcome
from gateui.core.layout.interpreter_info import InterpreterInfo


def adapt_args(
    step: GateStep, args: list[str], info: InterpreterInfo, outcome: StepOutcome
) -> tuple[list[str], bool]:
    """Drop options whose plugin the interpreter lacks (saying so); add declared checks.
    Returns the arguments and whether gateui must shuffle the order itself."""
    kept: list[str] = []
    shuffle = False
    missing: dict[str, list[PytestArg]] = {}
    for arg in split_pytest_args(args):
        flag = plugin_of(arg)
        if flag is not None and (
            not info.has(flag.distribution)
            or (step.kind == KIND_RANDOM_ORDER and flag.label == "random order")
        ):
            missing.setdefault(flag.distribution, []).append(arg)
            continue
        kept.extend(arg.tokens)
    where = str(info.path)
    for distribution, dropped in missing.items():
        words = " ".join(" ".join(a.tokens) for a in dropped)
        if step.kind == KIND_RANDOM_ORDER and distribution == "pytest-random-order":
            continue
        if distribution == "pytest-random-order":
            shuffle = True
            outcome.warnings.append(
                f"pytest-random-order is not installed in {where}: instead of {words},"
                " gateui shuffled the tests itself (the seed is reported)"
            )
        elif distribution == "pytest-cov":
            floor = step.thresholds.cov_fail_under
            if floor is not None:
                # CI fails the step below the floor: a pass here would claim what was not
                # checked. The tests still run (a failing test fails the step as on CI).
                _floor_not_checked(outcome, where, floor)
            else:
                outcome.warnings.append(
                    f"pytest-cov is not installed in {where}: ran without {words}"
                )
        elif distribution == "pytest-xdist":
            outcome.warnings.append(
                f"pytest-xdist is not installed in {where}: ran serially without {words}"
            )
        else:
            outcome.warnings.append(
                f"{distribution} is not installed in {where}: ran without {words}"
            )
    thresholds = step.thresholds
    names = {a.name for a in split_pytest_args(kept)}
    if thresholds.strict_markers and "--strict-markers" not in names:
        kept.append("--strict-markers")
    if thresholds.cov_fail_under is not None and step.declared:
        if info.has("pytest-cov"):
            if "--cov" not in names:
                kept.append("--cov")
            if "--cov-fail-under" not in names:
                kept.append(f"--cov-fail-under={thresholds.cov_fail_under:g}")
        else:
            _floor_not_checked(outcome, where, thresholds.cov_fail_under)
    return kept, shuffle


def _floor_not_checked(outcome: StepOutcome, where: str, floor: float) -> None:
    outcome.not_reproduced = (
        f"pytest-cov is not installed in {where}: the coverage floor of {floor:g}%"
        " cannot be checked here"
    )
    outcome.remedy = f"install pytest-cov in {where}"

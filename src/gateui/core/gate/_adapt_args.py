"""A pytest step's arguments as they can run with the interpreter at hand: options whose plugin
is not installed there are dropped (and the step's warnings say so), and the checks a declared
gate asks for are added."""

from __future__ import annotations

from gateui.core.commands.pytest_args import (
    PytestArg,
    option_value,
    plugin_of,
    split_pytest_args,
)
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
        if distribution == "pytest-random-order" and not step.declared:
            # CI's random order cannot be reproduced without its plugin; gateui shuffles by
            # itself only where a declared gate asks for it.
            outcome.unverified = (
                f"CI runs the tests in a random order ({words}), and pytest-random-order is"
                f" not installed in {where}: they ran in their usual order"
            )
            outcome.remedy = "install pytest-random-order there to check this step"
            outcome.warnings.append(
                f"pytest-random-order is not installed in {where}: ran without {words}"
            )
        elif distribution == "pytest-random-order":
            shuffle = True
            outcome.warnings.append(
                f"pytest-random-order is not installed in {where}: instead of {words},"
                " gateui shuffled the tests itself (the seed is reported)"
            )
        elif distribution == "pytest-cov":
            floor = step.thresholds.cov_fail_under
            text = f"pytest-cov is not installed in {where}: ran without {words}"
            if floor is not None:
                text += f"; the coverage floor of {floor:g}% is NOT checked here"
            outcome.warnings.append(text)
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
    floor = thresholds.cov_fail_under
    # A floor CI's own arguments set is already in them; a declared one (on a declared step, or
    # over an inferred step: the stricter of the two) is added, as the last word.
    given = option_value(kept, "--cov-fail-under")
    if floor is not None and (step.declared or given is None or _number(given) != floor):
        if info.has("pytest-cov"):
            if "--cov" not in names:
                kept.append("--cov")
            if given is None or _number(given) != floor:
                kept.append(f"--cov-fail-under={floor:g}")
        else:
            # Never a pass with a floor that was not checked.
            outcome.unverified = (
                f"the coverage floor of {floor:g}% is not checked: pytest-cov is not installed"
                f" in {where}"
            )
            outcome.remedy = "install pytest-cov there to check this step"
    return kept, shuffle


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None

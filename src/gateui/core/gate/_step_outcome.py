"""Counting a step's outcome from its events, and the small judgements made over it (which exit
status is worse, which command the shell could not find, a reproducible shuffled order)."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from gateui.core.gate.model import (
    StepOutcome,
)
from gateui.core.running.events import (
    CollectionError,
    Event,
    TestFinished,
)
from gateui.core.running.headline import collection_error_headline


def tally(outcome: StepOutcome, event: Event) -> None:
    if isinstance(event, TestFinished):
        outcome.had_test_events = True
        if event.outcome == "passed":
            outcome.passed += 1
        elif event.outcome == "failed":
            outcome.failed += 1
            outcome.failed_tests.append(event.nodeid)
        elif event.result == "xfailed":
            outcome.xfailed += 1
        elif event.outcome == "skipped":
            outcome.skipped += 1
        else:
            outcome.errors += 1
            outcome.error_tests.append(event.nodeid)
    elif isinstance(event, CollectionError):
        first = next((line for line in event.message.splitlines() if line.strip()), "")
        headline = collection_error_headline(event.message) or first
        outcome.collection_errors.append((event.nodeid or ".", headline[:300]))


def merge_outcome(into: StepOutcome, part: StepOutcome) -> None:
    into.passed += part.passed
    into.failed += part.failed
    into.skipped += part.skipped
    into.xfailed += part.xfailed
    into.errors += part.errors
    into.failed_tests.extend(part.failed_tests)
    into.error_tests.extend(part.error_tests)
    into.collection_errors.extend(part.collection_errors)
    into.collected.extend(part.collected)
    into.crashed = into.crashed or part.crashed
    into.crash_message = into.crash_message or part.crash_message
    into.output_tail = part.output_tail or into.output_tail
    into.had_test_events = into.had_test_events or part.had_test_events
    into.warnings.extend(w for w in part.warnings if w not in into.warnings)


def worse_exit(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a != 0 else b


def shuffle_nodeids(nodeids: Sequence[str], seed: int) -> list[str]:
    """Modules in a shuffled order, the tests of each module shuffled too (reproducible)."""
    rng = random.Random(seed)
    modules: dict[str, list[str]] = {}
    for nodeid in nodeids:
        modules.setdefault(nodeid.split("::", 1)[0], []).append(nodeid)
    names = list(modules)
    rng.shuffle(names)
    ordered: list[str] = []
    for name in names:
        tests = modules[name]
        rng.shuffle(tests)
        ordered.extend(tests)
    return ordered


def missing_command(tail: Sequence[str]) -> str | None:
    for line in reversed(tail):
        match = re.search(r"(?:^|: )([^\s:]+): (?:command )?not found", line)
        if match:
            return match.group(1)
        match = re.search(r"(\S+): No such file or directory", line)
        if match:
            return match.group(1)
    return None


_MAKE_127 = re.compile(r"^make(?:\[\d+\])?: \*\*\* .*Error 127$")


def missing_command_under_make(tail: Sequence[str]) -> str | None:
    """The command a make recipe could not find (make says ``Error 127`` for the recipe, and
    fails with its own exit status, 2)."""
    if not any(_MAKE_127.match(line.strip()) for line in tail):
        return None
    return missing_command(tail)


_READ_ONLY = re.compile(r"Read-only file system:? '?(?P<path>/[^']*)'?")


def sandbox_write(tail: Sequence[str]) -> str | None:
    """The path a step failed to write because the gate's sandbox keeps it read-only (a
    ``make package`` whose ``requirements`` target installs into the project's environment):
    on CI the runner's whole filesystem is the job's to write."""
    for line in reversed(tail):
        found = _READ_ONLY.search(line)
        if found:
            return found["path"]
    return None


_NO_MODULE = re.compile(r"^\S*python[\d.]*: No module named ([\w.]+)$")


def missing_module(tail: Sequence[str]) -> str | None:
    """The module ``python -m <module>`` could not find (its own message, not a traceback's)."""
    for line in reversed(tail[-5:]):
        match = _NO_MODULE.match(line.strip())
        if match:
            return match.group(1)
    return None


def pre_commit_setup_failure(tail: Sequence[str]) -> str | None:
    """Why pre-commit could not even start its hooks (exit 3: it could not fetch or build a
    hook's environment, which on CI it can), or None when it ran them."""
    for line in tail:
        text = line.strip()
        if text.startswith("An unexpected error has occurred:"):
            return "pre-commit could not set up its hooks here (" + text[:200] + ")"
    return None


def note_order_seed(outcome: StepOutcome, option: str) -> None:
    """A random-order plugin ran the tests in the order of ``option`` ("--randomly-seed=N")."""
    value = option.rpartition("=")[2]
    if value.isdigit():
        outcome.seed = outcome.seed if outcome.seed is not None else int(value)
        outcome.seed_option = outcome.seed_option or option


def with_order_seed(outcome: StepOutcome, pytest_line: bool) -> None:
    """Make the step's ``reproduce`` line replay the plugin's random order."""
    option = outcome.seed_option
    if not option or not outcome.reproduce or option.split("=")[0] in outcome.reproduce:
        return
    if pytest_line:
        outcome.reproduce = f"{outcome.reproduce} {option}"
    else:
        outcome.reproduce = f"export PYTEST_ADDOPTS={option}; {outcome.reproduce}"

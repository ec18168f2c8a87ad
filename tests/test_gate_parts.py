"""The small parts of the gate: GitHub expressions, pytest arguments, shuffling, pushed refs,
the rule book's wording."""

from __future__ import annotations

import pytest

from gateui.core.commands.classify import (
    classify_script,
)
from gateui.core.commands.pytest_args import (
    plugin_of,
    split_pytest_args,
    unmarked_check_markers,
)
from gateui.core.gate._expressions import (
    Contexts,
    JobStatus,
    StrictMapping,
    Unresolvable,
    condition,
    substitute,
)
from gateui.core.gate._step_outcome import shuffle_nodeids
from gateui.core.gate.hooks import parse_pushed_refs
from gateui.core.gate.model import (
    FAIL,
    PASS,
    GateStep,
    StepOutcome,
    Thresholds,
    judge,
    percent,
)

pytestmark = pytest.mark.unit


def contexts() -> Contexts:
    return Contexts(
        {
            "github": StrictMapping("github", {"event_name": "pull_request", "base_ref": "main"}),
            "matrix": {"python-version": "3.11", "os": {"name": "ubuntu"}, "n": 3.0},
            "env": {"SUITE": "unit"},
            "inputs": {},
        }
    )


def test_substitution_of_known_contexts() -> None:
    ctx = contexts()
    assert substitute("py${{ matrix.python-version }}", ctx) == "py3.11"
    assert substitute("${{ matrix.os.name }}-${{ matrix.n }}", ctx) == "ubuntu-3"
    assert substitute("-m ${{ env.SUITE }}", ctx) == "-m unit"
    assert substitute("${{ matrix.missing }}", ctx) == ""
    assert substitute("${{ format('{0}-{1}', env.SUITE, 2) }}", ctx) == "unit-2"
    assert substitute("${{ inputs.flag || 'default' }}", ctx) == "default"


@pytest.mark.parametrize(
    "text",
    [
        "${{ secrets.TOKEN }}",
        "${{ github.sha }}",
        "${{ hashFiles('x') }}",
        "${{ steps.a.outputs.b }}",
    ],
)
def test_what_only_the_runner_knows_is_unresolvable(text: str) -> None:
    with pytest.raises(Unresolvable):
        substitute(text, contexts())


def test_if_conditions_with_and_without_status_functions() -> None:
    ctx = contexts()
    ok, failed = JobStatus(failed=False), JobStatus(failed=True)
    assert condition("github.event_name == 'pull_request'", ctx, ok)
    assert not condition("github.event_name == 'pull_request'", ctx, failed)  # implicit success()
    assert not condition("${{ github.event_name == 'push' }}", ctx, ok)
    assert condition("always()", ctx, failed)
    assert condition("failure()", ctx, failed) and not condition("failure()", ctx, ok)
    assert condition("!cancelled() && contains(github.base_ref, 'MAI')", ctx, failed)
    assert condition("startsWith(matrix.python-version, '3.')", ctx, ok)


def test_pytest_arguments_are_grouped_with_their_values() -> None:
    args = split_pytest_args(
        [
            "tests/",
            "-v",
            "-n",
            "auto",
            "--cov=core",
            "--cov",
            "src",
            "-mslow",
            "-k",
            "a or b",
            "--junitxml=r.xml",
            "--random-order",
            "tests/x.py::t[1]",
        ]
    )
    positional = [a.value for a in args if a.name is None]
    assert positional == ["tests/", "tests/x.py::t[1]"]
    by_name = {a.name: a.value for a in args if a.name}
    assert by_name["-n"] == "auto"
    assert by_name["-m"] == "slow"
    assert by_name["--cov"] == "src"
    assert by_name["-k"] == "a or b"
    plugins = {plugin_of(a).distribution for a in args if plugin_of(a)}  # type: ignore[union-attr]
    assert plugins == {"pytest-xdist", "pytest-cov", "pytest-random-order"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-m", "not unit and not integration", "--co", "-q"], ("unit", "integration")),
        (
            ["--collect-only", "-m", "not (unit or integration or e2e)"],
            ("unit", "integration", "e2e"),
        ),
        (["-m", "not unit and not integration"], None),
        (["--co", "-m", "unit or integration"], None),
    ],
)
def test_the_every_test_is_marked_idiom(args: list[str], expected: tuple[str, ...] | None) -> None:
    assert unmarked_check_markers(args) == expected


def test_classifying_a_whole_script() -> None:
    assert classify_script("pip install -e .\npytest").kind == "test"
    assert classify_script("ruff check .\nruff format --check .").kind == "lint"
    assert classify_script("cd backend && make test").kind == "test"
    assert classify_script("echo hi").kind == "neutral"


def test_shuffle_is_reproducible_and_keeps_module_buckets() -> None:
    ids = [f"tests/test_{m}.py::t{i}" for m in "abc" for i in range(5)]
    first = shuffle_nodeids(ids, 1234)
    assert first == shuffle_nodeids(ids, 1234)
    assert sorted(first) == sorted(ids)
    assert first != ids
    modules = [n.split("::")[0] for n in first]
    # Each module's tests stay together.
    assert [m for i, m in enumerate(modules) if i == 0 or modules[i - 1] != m] == list(
        dict.fromkeys(modules)
    )


def test_pushed_refs_are_parsed_from_git_lines() -> None:
    sha1, sha256 = "a" * 40, "b" * 64
    data = (
        f"refs/heads/main {sha1} refs/heads/main {'0' * 40}\n"
        f"(delete) {'0' * 64} refs/heads/old {sha256}\n"
        f"refs/tags/v1 {sha1} refs/tags/v1 {'0' * 40}\n"
        "garbage\n"
    ).encode()
    refs = parse_pushed_refs(data)
    assert len(refs) == 3
    assert refs[0].is_new and not refs[0].is_delete and refs[0].branch == "main"
    assert refs[1].is_delete
    assert refs[2].is_tag


def _step(**kwargs: object) -> GateStep:
    base: dict[str, object] = {
        "name": "unit",
        "command": "pytest",
        "cwd": ".",
        "origin": "x",
        "kind": "pytest",
        "runs_locally": True,
    }
    base.update(kwargs)
    return GateStep(**base)  # type: ignore[arg-type]


def test_the_rule_book_wording() -> None:
    outcome = StepOutcome(
        exit_code=1,
        passed=58,
        failed=2,
        failed_tests=["tests/a.py::t1", "tests/b.py::t2"],
        had_test_events=True,
    )
    declared = _step(declared=True, thresholds=Thresholds(min_pass_rate=98))
    result = judge(declared, outcome, {})
    assert result.verdict == FAIL
    assert result.reason == "pass rate 96.7% < 98% — 2 failed: tests/a.py::t1, tests/b.py::t2"
    # The same results from CI: the exit status decides, continue-on-error lets CI go on.
    ci = judge(_step(continue_on_error=True), outcome, {})
    assert ci.verdict == PASS
    assert ci.reason.endswith("continue-on-error: CI goes on")
    nothing = judge(_step(), StepOutcome(exit_code=5), {})
    assert nothing.verdict == FAIL and "no tests collected" in nothing.reason
    # Just below the threshold is never shown rounded up to it.
    assert percent(97.96, 98) == "97.96%"
    assert percent(98.333) == "98.3%"

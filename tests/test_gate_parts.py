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
from gateui.core.commands.roles import (
    CHECK,
    NEUTRAL,
    PUBLISH,
    SETUP,
    line_role,
    script_commands,
    script_role,
)
from gateui.core.gate._actions import action_role, artifact_action, local_command
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
    KIND_DOWNLOAD_ARTIFACT,
    KIND_UPLOAD_ARTIFACT,
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # What the runner alone knows is never read where the rest decides, as on GitHub.
        ("github.event_name == 'push' && startsWith(github.ref, 'refs/tags')", False),
        ("startsWith(github.ref, 'refs/tags') && github.event_name == 'push'", False),
        ("github.event_name == 'pull_request' || secrets.TOKEN != ''", True),
        ("secrets.TOKEN != '' || github.event_name == 'pull_request'", True),
        ("!(github.sha == 'x' && matrix.os.name == 'windows')", True),
        ("hashFiles('x') != '' && false", False),
    ],
)
def test_an_if_is_decided_where_what_only_the_runner_knows_cannot_change_it(
    text: str, expected: bool
) -> None:
    assert condition(text, contexts(), JobStatus(failed=False)) is expected


@pytest.mark.parametrize(
    "text",
    [
        "github.event_name == 'pull_request' && startsWith(github.ref, 'refs/tags')",
        "github.event_name == 'push' || secrets.TOKEN != ''",
        "!(github.sha == 'x')",
        "contains(github.sha, matrix.os.name)",
        "success() && needs.build.outputs.ok == 'true'",
    ],
)
def test_an_if_that_hangs_on_what_only_the_runner_knows_is_unresolvable(text: str) -> None:
    with pytest.raises(Unresolvable):
        condition(text, contexts(), JobStatus(failed=False))


def test_after_a_failure_an_unknown_if_without_a_status_function_does_not_run() -> None:
    # GitHub's implicit ``success() &&`` decides it, whatever the runner-only value is.
    assert condition("github.sha == 'x'", contexts(), JobStatus(failed=True)) is False


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


@pytest.mark.parametrize(
    ("line", "kind", "detail"),
    [
        # The project's script, never the shell builtin `test`.
        ("scripts/test", CHECK, "scripts/test"),
        ("./scripts/validate.sh", CHECK, "./scripts/validate.sh"),
        # Launchers are judged by what they run.
        ("uvx --with=tox-uv tox run -e py311-tests", CHECK, "tox run"),
        ("uv run --frozen ruff check .", CHECK, "ruff check"),
        ("poetry run mypy src", CHECK, "mypy src"),
        ("hatch run lint:check", CHECK, "lint:check"),
        ("pipx run nox -s tests", CHECK, "nox"),
        ("tox run -e py311", CHECK, "tox run"),
        ("python manage.py test", CHECK, "python manage.py"),
        ("pre-commit run --all-files", CHECK, "pre-commit run"),
        ("black --check .", CHECK, "black"),
        ("git diff --exit-code", CHECK, "git diff"),
        ("echo ok", NEUTRAL, ""),
        # Environment setup.
        ("pip install -e .[test]", SETUP, "pip install"),
        ("python -m pip install --upgrade pip", SETUP, "python -m pip install"),
        ("uv sync --frozen", SETUP, "uv sync"),
        ("poetry install --with dev", SETUP, "poetry install"),
        ("pipx install hatch", SETUP, "pipx install"),
        ("curl -sSL https://install.python-poetry.org | python3 -", SETUP, "curl -sSL"),
        ("sudo apt-get install -y libpq-dev", SETUP, "apt-get install"),
        # Publishing: a line that publishes never runs here, whatever else it does.
        ("twine upload dist/*", PUBLISH, "twine upload"),
        ("python -m build && twine upload dist/*", PUBLISH, "twine upload"),
        ("docker push ghcr.io/o/app:1", PUBLISH, "docker push"),
        ("git push origin HEAD:gh-pages", PUBLISH, "git push"),
        ("uv publish", PUBLISH, "uv publish"),
        ("gh release create v1", PUBLISH, "gh release"),
    ],
)
def test_a_command_is_judged_by_what_it_runs(line: str, kind: str, detail: str) -> None:
    assert (line_role(line).kind, line_role(line).detail) == (kind, detail)


def test_scripts_and_make_targets_are_judged_by_their_content_not_their_name() -> None:
    files = {
        "scripts/deploy.sh": "#!/bin/sh\nset -e\npython -m pytest -q\n",
        "scripts/test": "#!/usr/bin/env bash\npython -m build\ntwine upload dist/*\n",
        "scripts/bootstrap": "#!/bin/bash\npip install -r requirements.txt\n",
        "Makefile": "PY ?= python\ninstall:\n\t$(PY) -m pip install -e .\n"
        "release: check\n\ttwine upload dist/*\ncheck:\n\t$(PY) -m pytest\n",
    }
    read = files.get
    assert line_role("./scripts/deploy.sh", read).kind == CHECK
    assert line_role("scripts/test", read).kind == PUBLISH
    assert line_role("scripts/bootstrap", read).kind == SETUP
    assert line_role("make install", read).kind == SETUP
    assert line_role("make check", read).kind == CHECK
    assert line_role("make release", read).kind == PUBLISH


def test_a_heredoc_body_belongs_to_its_command() -> None:
    script = "pip install junitparser\npython - <<'EOF'\nimport sys\ngit push\nEOF\n"
    commands = script_commands(script)
    assert [c.role.kind for c in commands] == [SETUP, CHECK]
    assert commands[1].lines[-1] == "EOF"
    # A checker with an install line is a check; install-only is setup.
    assert script_role(script).kind == CHECK
    assert script_role("pip install -U pip\npip install -e .").kind == SETUP


@pytest.mark.parametrize(
    ("uses", "left_out"),
    [
        ("actions/checkout@v4", "setup"),
        ("actions/setup-python@v5", "setup"),
        ("astral-sh/setup-uv@v5", "setup"),
        ("actions/cache/restore@v4", "setup"),
        ("step-security/harden-runner@v2", "setup"),
        ("styfle/cancel-workflow-action@0.12.1", "setup"),
        ("pypa/gh-action-pypi-publish@release/v1", "publish"),
        ("codecov/codecov-action@v4", "publish"),
        ("pre-commit/action@v3.0.1", "unreproduced"),
        ("example-org/license-check@v2", "unreproduced"),
        ("./.github/actions/lint", "unreproduced"),
        ("docker://alpine:3", "unreproduced"),
    ],
)
def test_which_actions_are_environment_publishing_or_unreproduced(uses: str, left_out: str) -> None:
    assert action_role(uses).left_out == left_out
    assert artifact_action(uses) is None


def test_artifact_actions_are_performed_by_gateui() -> None:
    assert artifact_action("actions/upload-artifact@v4") == KIND_UPLOAD_ARTIFACT
    assert artifact_action("actions/download-artifact@v4.1.8") == KIND_DOWNLOAD_ARTIFACT
    assert artifact_action("actions/upload-pages-artifact@v3") is None


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


@pytest.mark.parametrize(
    ("uses", "inputs", "script", "cwd"),
    [
        (
            "pre-commit/action@v3.0.1",
            {},
            "pre-commit run --show-diff-on-failure --color=always --all-files",
            None,
        ),
        (
            "pre-commit/action@v3.0.1",
            {"extra_args": "ruff --files a.py"},
            "pre-commit run --show-diff-on-failure --color=always ruff --files a.py",
            None,
        ),
        ("astral-sh/ruff-action@v3", {}, "ruff check .", None),
        (
            "astral-sh/ruff-action@v3",
            {"args": "format --check", "src": "src tests"},
            "ruff format --check src tests",
            None,
        ),
        (
            "chartboost/ruff-action@v1",
            {"args": "--select F401"},
            "ruff check --select F401 .",
            None,
        ),
        ("psf/black@stable", {}, "black --check --diff .", None),
        ("psf/black@24.1.0", {"options": "--check", "src": "./src"}, "black --check ./src", None),
        (
            "jakebailey/pyright-action@v2",
            {"project": "pyrightconfig.ci.json", "working-directory": "backend"},
            "pyright --project pyrightconfig.ci.json",
            "backend",
        ),
    ],
)
def test_checking_actions_become_the_command_they_run(
    uses: str, inputs: dict[str, str], script: str, cwd: str | None
) -> None:
    command = local_command(uses, inputs)
    assert command is not None
    assert (command.script, command.working_directory) == (script, cwd)


def test_other_actions_have_no_local_command() -> None:
    assert local_command("actions/checkout@v4", {}) is None
    assert local_command("example-org/license-check@v2", {}) is None

"""Inferring the PR gate from GitHub Actions workflows, rule by rule, on workflow files written
into a folder (no git, no pytest run)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gateui.core.common.errors import ConfigError
from gateui.core.gate.infer import infer_gate, load_gate
from gateui.core.gate.model import (
    KIND_NOT_RUN,
    KIND_PYTEST,
    KIND_SHELL,
    KIND_UPLOAD_ARTIFACT,
    LEFT_OUT_PUBLISH,
    LEFT_OUT_SECRETS,
    LEFT_OUT_SETUP,
    UNREPRODUCED,
    GateDefinition,
    GateStep,
)
from gateui.core.gate.sources import DirSource
from helpers import SAMPLES

pytestmark = pytest.mark.unit


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def gate_of(root: Path, base: str = "main", changed: list[str] | None = None) -> GateDefinition:
    return infer_gate(DirSource(root), base, changed)


def step(definition: GateDefinition, name: str) -> GateStep:
    matches = [s for s in definition.steps if s.name == name]
    assert matches, [s.name for s in definition.steps]
    return matches[0]


def runnable(definition: GateDefinition) -> list[str]:
    return [s.name for s in definition.steps if s.runs_locally]


WF = ".github/workflows"


def test_on_key_read_as_yaml_true_and_only_pull_request_workflows_count(tmp_path: Path) -> None:
    # PyYAML reads the bare key `on` as the boolean True.
    write(
        tmp_path,
        {
            f"{WF}/pr.yml": """
                on: pull_request
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    steps:
                      - run: pytest
            """,
            f"{WF}/push-only.yml": """
                on:
                  push:
                    branches: [main]
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    steps:
                      - run: pytest -m slow
            """,
            f"{WF}/target.yaml": """
                "on": [pull_request_target]
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    steps:
                      - run: python -m pytest tests/smoke
            """,
        },
    )
    gate = gate_of(tmp_path)
    assert gate.sources == (f"{WF}/pr.yml", f"{WF}/target.yaml")
    assert gate.source == f"{WF}/pr.yml, {WF}/target.yaml"
    assert [s.command for s in gate.steps] == ["pytest", "python -m pytest tests/smoke"]
    assert gate.steps[0].origin == f"{WF}/pr.yml, t, Run pytest"


def test_branches_filter_is_matched_against_the_pull_requests_base(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            f"{WF}/main-only.yml": """
                on:
                  pull_request:
                    branches: [main, 'release/**']
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    steps:
                      - run: pytest
            """,
            f"{WF}/not-main.yml": """
                on:
                  pull_request:
                    branches-ignore: [main]
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    steps:
                      - run: pytest -m integration
            """,
        },
    )
    into_main = gate_of(tmp_path, base="main")
    assert into_main.sources == (f"{WF}/main-only.yml",)
    assert any("branches-ignore" in note for note in into_main.notes)
    into_release = gate_of(tmp_path, base="release/2.0")
    assert into_release.sources == (f"{WF}/main-only.yml", f"{WF}/not-main.yml")
    into_dev = gate_of(tmp_path, base="dev")
    assert into_dev.sources == (f"{WF}/not-main.yml",)


def test_paths_filters_against_the_changed_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            f"{WF}/backend.yml": """
                on:
                  pull_request:
                    paths: ['backend/**', '!backend/docs/**']
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    steps:
                      - run: pytest backend
            """,
            f"{WF}/code.yml": """
                on:
                  pull_request:
                    paths-ignore: ['**.md']
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    steps:
                      - run: pytest
            """,
        },
    )
    assert gate_of(tmp_path, changed=["backend/app.py"]).sources == (
        f"{WF}/backend.yml",
        f"{WF}/code.yml",
    )
    # A negated pattern wins when it comes last.
    assert gate_of(tmp_path, changed=["backend/docs/x.py"]).sources == (f"{WF}/code.yml",)
    # Only ignored files changed: the workflow does not run.
    docs_only = gate_of(tmp_path, changed=["README.md", "backend/docs/guide.md"])
    assert docs_only.sources == ()
    assert any("paths-ignore" in note for note in docs_only.notes)
    # No change range known: filters are not applied, and the notes say so.
    unknown = gate_of(tmp_path, changed=None)
    assert unknown.sources == (f"{WF}/backend.yml", f"{WF}/code.yml")
    assert any("paths filter not checked" in note for note in unknown.notes)


def test_local_reusable_workflow_is_followed_with_its_inputs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            f"{WF}/ci.yml": """
                on: pull_request
                jobs:
                  call:
                    uses: ./.github/workflows/tests.yml
                    with:
                      folder: backend
                  elsewhere:
                    uses: octo/shared/.github/workflows/lint.yml@v1
            """,
            f"{WF}/tests.yml": """
                on:
                  workflow_call:
                    inputs:
                      folder:
                        type: string
                      markers:
                        type: string
                        default: "not slow"
                jobs:
                  pytest:
                    runs-on: ubuntu-latest
                    defaults:
                      run:
                        working-directory: ${{ inputs.folder }}
                    steps:
                      - name: Tests
                        run: pytest -m "${{ inputs.markers }}"
            """,
        },
    )
    gate = gate_of(tmp_path)
    tests = step(gate, "Tests")
    assert tests.runs_locally
    assert tests.cwd == "backend"
    assert tests.command == 'pytest -m "not slow"'
    assert tests.kind == KIND_PYTEST
    assert tests.pytest_args == ("-m", "not slow")
    assert tests.origin == f"{WF}/tests.yml, call → pytest, Tests"
    remote = step(gate, "elsewhere")
    assert not remote.runs_locally
    assert "reusable workflow in another repository" in remote.why_not
    assert remote.left_out == UNREPRODUCED


def test_working_directory_precedence_step_then_job_then_workflow(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            f"{WF}/ci.yml": """
                on: pull_request
                defaults:
                  run:
                    working-directory: from-workflow
                jobs:
                  job-defaults:
                    runs-on: ubuntu-latest
                    defaults:
                      run:
                        working-directory: ./from-job
                    steps:
                      - name: job level
                        run: pytest
                      - name: step level
                        working-directory: from-step/sub/..
                        run: pytest -x
                  workflow-defaults:
                    runs-on: ubuntu-latest
                    steps:
                      - name: workflow level
                        run: pytest -q
                      - name: outside
                        working-directory: ../elsewhere
                        run: pytest -ra
            """,
        },
    )
    gate = gate_of(tmp_path)
    assert step(gate, "job level").cwd == "from-job"
    assert step(gate, "step level").cwd == "from-step"
    assert step(gate, "workflow level").cwd == "from-workflow"
    outside = step(gate, "outside")
    assert not outside.runs_locally
    assert "outside the checkout" in outside.why_not


def test_matrix_and_env_are_substituted_or_marked_not_reproducible(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            f"{WF}/ci.yml": """
                on: pull_request
                env:
                  SUITE: unit
                jobs:
                  same-everywhere:
                    runs-on: ubuntu-latest
                    strategy:
                      matrix:
                        python: ["3.10", "3.11", "3.12"]
                    steps:
                      - uses: actions/setup-python@v5
                        with:
                          python-version: ${{ matrix.python }}
                      - name: Tests
                        run: pytest -m ${{ env.SUITE }}
                  per-shard:
                    runs-on: ubuntu-latest
                    strategy:
                      matrix:
                        shard: [a, b]
                        include:
                          - shard: b
                            extra: "-x"
                    env:
                      TOKEN: ${{ secrets.TOKEN }}
                    steps:
                      - name: Shard
                        run: pytest tests/${{ matrix.shard }} ${{ matrix.extra }}
                      - name: Deploy preview
                        run: ./scripts/test-preview.sh ${{ secrets.PREVIEW_KEY }}
                      - name: Commit
                        run: pytest --sha ${{ github.sha }}
            """,
        },
    )
    gate = gate_of(tmp_path)
    tests = step(gate, "Tests")
    assert tests.command == "pytest -m unit"
    assert ("SUITE", "unit") in tests.env
    assert any("3 matrix combinations" in note for note in tests.notes)
    assert runnable(gate).count("Tests") == 1
    shard_a = step(gate, "Shard (shard=a)")
    shard_b = step(gate, "Shard (shard=b, extra=-x)")
    assert shard_a.command == "pytest tests/a"
    assert shard_b.command == "pytest tests/b -x"
    assert shard_a.job != shard_b.job
    # An env value from secrets is left unset, and said so.
    assert not any(name == "TOKEN" for name, _ in shard_a.env)
    assert any("env TOKEN needs secrets" in note for note in shard_a.notes)
    # A step that needs secrets is left out (CI's verdict on a fork's PR cannot hang on it).
    preview = step(gate, "Deploy preview (shard=a)")
    assert not preview.runs_locally
    assert preview.left_out == LEFT_OUT_SECRETS
    assert "secrets.PREVIEW_KEY" in preview.why_not
    # What only the runner knows makes the step not reproducible here.
    commit = step(gate, "Commit (shard=a)")
    assert "github.sha" in commit.why_not
    assert commit.left_out == UNREPRODUCED


def test_matrix_from_an_expression_is_not_reproducible(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            f"{WF}/ci.yml": """
                on: pull_request
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    strategy:
                      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
                    steps:
                      - run: pytest
            """,
        },
    )
    (only,) = gate_of(tmp_path).steps
    assert not only.runs_locally
    assert "matrix is computed on the CI runner" in only.why_not


def test_setup_and_publishing_are_left_out_lint_and_build_run(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            f"{WF}/ci.yml": """
                on: pull_request
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    steps:
                      - uses: actions/checkout@v4
                      - name: Install
                        run: |
                          python -m pip install --upgrade pip
                          pip install -e .[test]
                      - name: Lint
                        run: ruff check . && mypy src
                      - name: Build
                        run: python -m build
                      - name: Publish
                        run: twine upload dist/*
                      - name: Unit tests
                        run: |
                          pip install pytest-xdist
                          export FAST=1
                          python -m pytest -n auto tests/unit
                      - uses: actions/upload-artifact@v4
            """,
        },
    )
    gate = gate_of(tmp_path)
    # gateui hands artifacts over to later jobs itself: the upload is performed here.
    assert runnable(gate) == ["Lint", "Build", "Unit tests", "Run actions/upload-artifact@v4"]
    assert step(gate, "Run actions/upload-artifact@v4").kind == KIND_UPLOAD_ARTIFACT
    left_out = {s.name: (s.left_out, s.why_not) for s in gate.steps if not s.runs_locally}
    assert left_out["Run actions/checkout@v4"] == (
        LEFT_OUT_SETUP,
        "environment setup (actions/checkout@v4)",
    )
    assert left_out["Install"] == (LEFT_OUT_SETUP, "environment setup (python -m pip install)")
    assert left_out["Publish"] == (LEFT_OUT_PUBLISH, "publishing (twine upload)")
    unit = step(gate, "Unit tests")
    # A check script keeps its own lines; its install line is never executed here.
    assert unit.kind == KIND_SHELL
    assert "export FAST=1" in unit.command
    assert "gateui: not run here: pip install pytest-xdist" in unit.command
    assert any("not run here: pip install pytest-xdist" in note for note in unit.notes)


def test_pytest_in_its_forms(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            f"{WF}/ci.yml": """
                on: pull_request
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    steps:
                      - name: bare
                        run: pytest -q tests
                      - name: module
                        run: python3 -m pytest -m smoke
                      - name: uv
                        run: uv run --frozen pytest -x
                      - name: poetry
                        run: poetry run pytest --maxfail=1
                      - name: with env
                        run: COVERAGE=1 pytest tests/unit
                      - name: shell needed
                        run: pytest tests/$SUITE | tee log.txt
            """,
        },
    )
    gate = gate_of(tmp_path)
    forms = {s.name: (s.kind, s.pytest_entry, s.pytest_args) for s in gate.steps if s.runs_locally}
    assert forms["bare"] == (KIND_PYTEST, "console", ("-q", "tests"))
    assert forms["module"] == (KIND_PYTEST, "module", ("-m", "smoke"))
    assert forms["uv"] == (KIND_PYTEST, "console", ("-x",))
    assert forms["poetry"] == (KIND_PYTEST, "console", ("--maxfail=1",))
    assert forms["with env"][2] == ("tests/unit",)
    assert ("COVERAGE", "1") in step(gate, "with env").env
    assert any("uv run" in note for note in step(gate, "uv").notes)
    assert forms["shell needed"][0] == KIND_SHELL


def test_make_tox_nox_and_test_scripts(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "backend/Makefile": """
                PYTHON ?= python
                all: check
                check:
                \t$(PYTHON) -m pytest tests
                docs:
                \tmkdocs build
            """.replace("\\t", "\t"),
            f"{WF}/ci.yml": """
                on: pull_request
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    defaults:
                      run:
                        working-directory: backend
                    steps:
                      - name: make by name
                        run: make test-unit
                      - name: make by recipe
                        run: make check
                      - name: make docs
                        run: make docs
                      - name: tox
                        run: tox -e py311
                      - name: nox
                        run: nox -s tests
                      - name: script
                        run: ./tools/test.sh --smoke-backend
                      - name: python script
                        run: python tests/scripts/parse_pytest_output.py report.xml
                      - name: deploy script
                        run: ./scripts/deploy.sh
            """,
        },
    )
    gate = gate_of(tmp_path)
    # Every one runs: none installs or publishes (a script is judged by its content, and
    # ./scripts/deploy.sh does not exist: running it fails here as on CI).
    assert runnable(gate) == [
        "make by name",
        "make by recipe",
        "make docs",
        "tox",
        "nox",
        "script",
        "python script",
        "deploy script",
    ]
    assert all(s.cwd == "backend" for s in gate.steps if s.runs_locally)


def test_services_other_os_and_step_conditions(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            f"{WF}/ci.yml": """
                on: pull_request
                jobs:
                  db:
                    runs-on: ubuntu-latest
                    services:
                      postgres:
                        image: postgres:16
                    steps:
                      - run: pytest -m integration
                  windows:
                    runs-on: windows-latest
                    steps:
                      - run: pytest
                  push-only:
                    if: github.event_name == 'push'
                    runs-on: ubuntu-latest
                    steps:
                      - run: pytest -m nightly
                  conditions:
                    runs-on: ubuntu-latest
                    steps:
                      - name: main
                        run: pytest
                      - name: always
                        if: always()
                        run: pytest --lf
                      - name: on failure
                        if: failure()
                        run: ./tools/test-report.sh
                      - name: on push
                        if: github.event_name == 'push'
                        run: pytest -m slow
                      - name: allowed to fail
                        continue-on-error: true
                        run: pytest -m flaky
            """,
        },
    )
    gate = gate_of(tmp_path)
    db = step(gate, "Run pytest -m integration")
    assert not db.runs_locally and "service containers (postgres)" in db.why_not
    windows = next(s for s in gate.steps if s.job.endswith("#windows"))
    assert "runs on windows-latest" in windows.why_not
    assert not any(s.job.endswith("#push-only") for s in gate.steps)
    assert any("job push-only does not run on a pull request" in n for n in gate.notes)
    assert step(gate, "always").runs_after_failure
    assert not step(gate, "main").runs_after_failure
    assert step(gate, "on failure").only_after_failure
    assert not step(gate, "on push").runs_locally
    assert step(gate, "allowed to fail").continue_on_error


def test_the_sample_repositories_gates(tmp_path: Path) -> None:
    web = gate_of(SAMPLES / "web_api_monorepo")
    assert web.source == f"{WF}/ci-fast.yml"
    lint, smoke = web.runnable
    assert (lint.name, lint.command) == ("Lint", "ruff check projects")
    assert (smoke.name, smoke.command, smoke.cwd, smoke.kind) == (
        "Run backend smoke",
        "./tools/test.sh --smoke-backend",
        ".",
        KIND_SHELL,
    )
    assert smoke.origin == f"{WF}/ci-fast.yml, backend-fast, Run backend smoke"
    # A pull request into another branch does not run ci-fast (branches: [main]).
    assert gate_of(SAMPLES / "web_api_monorepo", base="develop").steps == ()

    passrate = gate_of(SAMPLES / "passrate_backend")
    full = step(passrate, "Run full test suite")
    assert full.continue_on_error and full.cwd == "backend"
    assert full.thresholds.cov_fail_under == 50
    assert full.writes_report == "backend/pytest_report.xml"
    check = step(passrate, "Check test pass rate (98%+ required)")
    assert check.reads_report == "backend/pytest_report.xml"
    assert check.pass_rate_floor == 98
    assert step(passrate, "Tests are independent of execution order").thresholds.random_order
    lance = step(passrate, "Run integration tests against LanceDB")
    assert not lance.runs_locally and "lancedb" in lance.why_not
    assert lance.left_out == UNREPRODUCED

    strict = gate_of(SAMPLES / "strict_markers_backend")
    assert runnable(strict) == [
        "Unit tests",
        "Integration tests",
        "Every test is unit or integration",
    ]
    every = step(strict, "Every test is unit or integration")
    assert every.marker_intent == ("unit", "integration")
    assert every.kind == KIND_PYTEST


def test_a_declared_gate_replaces_inference(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            f"{WF}/ci.yml": """
                on: pull_request
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    steps:
                      - run: pytest
            """,
            "pyproject.toml": """
                [tool.gateui.gate]
                on_fail = "warn"
                min_pass_rate = 98
                require_markers = ["unit", "integration"]
                steps = [
                  { name = "unit", suite = "unit", random_order = true },
                  { command = "./tools/test.sh --smoke-backend" },
                  { command = "python -m pytest -x", cwd = "backend", min_pass_rate = 100 },
                ]
            """,
        },
    )
    gate = load_gate(DirSource(tmp_path), tmp_path, "main", None)
    assert gate.source == "pyproject.toml"
    assert gate.on_fail == "warn"
    names = [s.name for s in gate.steps]
    assert names == [
        "unit",
        "unit in random order",
        "./tools/test.sh --smoke-backend",
        "python -m pytest -x",
        "every test is unit or integration",
    ]
    unit = gate.steps[0]
    assert unit.declared and unit.suite == "unit" and unit.thresholds.min_pass_rate == 98
    assert gate.steps[2].kind == "exec"
    backend = gate.steps[3]
    assert (backend.kind, backend.cwd, backend.thresholds.min_pass_rate) == (
        KIND_PYTEST,
        "backend",
        100,
    )
    assert backend.origin.startswith("pyproject.toml:")
    assert all(s.kind != KIND_NOT_RUN for s in gate.steps)


def test_declared_thresholds_without_steps_add_to_the_inferred_gate(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            f"{WF}/ci.yml": """
                on: pull_request
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    steps:
                      - run: pytest
            """,
            "pyproject.toml": """
                [tool.gateui.gate]
                base = "develop"
                strict_markers = true
            """,
        },
    )
    gate = load_gate(DirSource(tmp_path), tmp_path, "main", None)
    assert gate.base == "develop"
    (only,) = gate.steps
    assert only.thresholds.strict_markers and not only.declared


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        ('on_fail = "maybe"', "on_fail must be one of block, warn", 2),
        ('on_partial = "ignore"', "on_partial must be one of warn, block, allow", 2),
        ("colour = 1", "unknown key 'colour'", 2),
        ("min_pass_rate = 120", "between 0 and 100", 2),
        ('steps = [\n  { name = "x" },\n]', "selects nothing", 3),
        ('steps = [\n  { suite = "unit" },\n  { command = "make", suite = "x" },\n]', "command", 4),
        ('steps = [\n  { suite = "unit", retries = 2 },\n]', "unknown key 'retries'", 3),
        ('require_markers = "not a list!"', "list of marker names", 2),
    ],
)
def test_bad_gate_configuration_names_file_and_line(
    tmp_path: Path, body: str, message: str, line: int
) -> None:
    text = "[tool.gateui.gate]\n" + body + "\n"
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_gate(DirSource(tmp_path), tmp_path, "main", None)
    assert message in caught.value.message
    assert caught.value.line == line
    assert caught.value.path == tmp_path / "pyproject.toml"

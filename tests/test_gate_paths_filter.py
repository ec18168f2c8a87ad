"""``dorny/paths-filter`` as the gate gives it: the action's outputs for the files a pull request
changes, with picomatch's globs (``dot`` on), and what it cannot answer named, never guessed.

(The corpus's ``paths-filter-*`` scenarios run the same through ``gateui gate`` against CI's
steps run by hand.)
"""

from __future__ import annotations

import json

import pytest

from gateui.core.gate._paths_filter import (
    FilterOutputs,
    NotAnswered,
    is_paths_filter,
    paths_filter_outputs,
)

pytestmark = pytest.mark.unit

CHANGED = [
    "backend/api/app.py",
    "backend/pyproject.toml",
    ".github/workflows/ci.yml",
    "docs/guide.md",
    "README.md",
]


def outputs(filters: str, changed: list[str] | None = None, **inputs: str) -> dict[str, str]:
    answer = paths_filter_outputs(
        {"filters": filters, **inputs}, CHANGED if changed is None else changed, lambda _: None
    )
    assert isinstance(answer, FilterOutputs), answer
    return dict(answer.outputs)


def test_each_filter_says_whether_a_changed_file_matches_and_how_many() -> None:
    found = outputs(
        """
        backend:
          - 'backend/**/*.{py,toml}'
        frontend:
          - 'frontend/**'
        markdown: '**/*.md'
        """
    )
    assert found["backend"] == "true" and found["backend_count"] == "2"
    assert found["frontend"] == "false" and found["frontend_count"] == "0"
    assert found["markdown"] == "true" and found["markdown_count"] == "2"
    assert json.loads(found["changes"]) == ["backend", "markdown"]


def test_dot_folders_match_and_a_lone_negation_matches_every_other_file() -> None:
    found = outputs(
        """
        workflows: ['.github/**']
        not_docs: ['!**/*.md']
        """
    )
    assert found["workflows"] == "true" and found["workflows_count"] == "1"
    assert found["not_docs_count"] == "3"


def test_every_rule_must_match_under_the_every_quantifier() -> None:
    filters = "python_not_tests:\n  - '**/*.py'\n  - '!**/tests/**'\n"
    # some (the default): the first rule alone matches a test file.
    assert outputs(filters, ["a/tests/x.py"])["python_not_tests"] == "true"
    every = {"predicate-quantifier": "every"}
    assert outputs(filters, ["a/tests/x.py"], **every)["python_not_tests"] == "false"
    assert outputs(filters, ["a/x.py"], **every)["python_not_tests"] == "true"


def test_yaml_anchors_and_json_file_lists() -> None:
    found = outputs(
        """
        shared: &shared
          - 'docs/**'
        site:
          - *shared
          - 'README.md'
        """,
        None,
        **{"list-files": "json"},
    )
    assert json.loads(found["site_files"]) == ["docs/guide.md", "README.md"]


def test_filters_from_a_file_of_the_commit() -> None:
    files = {".github/filters.yml": "docs: ['docs/**']\n"}
    answer = paths_filter_outputs({"filters": ".github/filters.yml"}, CHANGED, files.get)
    assert isinstance(answer, FilterOutputs)
    assert dict(answer.outputs)["docs"] == "true"
    missing = paths_filter_outputs({"filters": ".github/none.yml"}, CHANGED, files.get)
    assert isinstance(missing, NotAnswered) and ".github/none.yml" in missing.why


@pytest.mark.parametrize(
    ("inputs", "changed", "why"),
    [
        ({"filters": "docs: ['docs/**']"}, None, "not known here"),
        ({"filters": "added:\n  - added|modified: '**'\n"}, CHANGED, "change type"),
        ({"filters": "docs: ['docs/**']", "list-files": "shell"}, CHANGED, "list-files"),
        ({"filters": "docs: [unclosed"}, CHANGED, "not valid YAML"),
        ({}, CHANGED, "no filters"),
    ],
)
def test_what_it_cannot_answer_is_named(
    inputs: dict[str, str], changed: list[str] | None, why: str
) -> None:
    answer = paths_filter_outputs(inputs, changed, lambda _: None)
    assert isinstance(answer, NotAnswered)
    assert why in answer.why


def test_the_script_writes_the_outputs_as_the_runner_reads_them() -> None:
    answer = paths_filter_outputs({"filters": "docs: ['docs/**']"}, CHANGED, lambda _: None)
    assert isinstance(answer, FilterOutputs)
    lines = answer.script().splitlines()
    assert lines[1:-1] == ["docs=true", "docs_count=1", 'changes=["docs"]']
    assert is_paths_filter("dorny/paths-filter@v3") and not is_paths_filter("dorny/other@v1")

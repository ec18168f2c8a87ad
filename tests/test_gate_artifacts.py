"""Artifacts between jobs: ``actions/upload-artifact`` in one job, ``actions/download-artifact``
in a job that ``needs`` it, handed over locally as the runner would; an artifact that cannot be
produced here makes the consuming job ``partial``, never a false fail. Real repositories, real
workflows, the real ``gateui gate``."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from helpers import gate_report, init_repo

pytestmark = pytest.mark.integration

# The consumer's check, as a "combine, fail under" job does: every part must be there.
COMBINE = """
import pathlib, sys
folder = pathlib.Path(sys.argv[1])
parts = sorted(p.name for p in folder.iterdir() if p.is_file())
print("combined:", parts)
if len(parts) < int(sys.argv[2]):
    sys.exit(f"only {len(parts)} part(s) of {sys.argv[2]}: fail under")
"""


def make_repo(tmp_path: Path, workflow: str) -> Path:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    (repo / "pyproject.toml").write_text('[project]\nname = "r"\nversion = "0"\n')
    (repo / "combine.py").write_text(COMBINE.lstrip())
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(textwrap.dedent(workflow).lstrip())
    return init_repo(repo)


def gate(repo: Path) -> tuple[int, dict[str, Any]]:
    return gate_report(repo, "--no-cache")


def step(report: dict[str, Any], name: str) -> dict[str, Any]:
    for each in report["steps"]:
        if each["name"] == name:
            found: dict[str, Any] = each
            return found
    raise AssertionError(f"no step {name!r} in {[s['name'] for s in report['steps']]}")


PRODUCE_AND_COMBINE = """
on: pull_request
jobs:
  produce:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Make parts
        run: |
          mkdir -p reports
          {make}
      - uses: actions/upload-artifact@v4
        with:
          name: parts
          path: reports/*.txt
  combine:
    needs: produce
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/download-artifact@v4
        with:
          name: parts
          path: collected
      - name: Combine, fail under 2 parts
        run: python combine.py collected 2
"""


def test_a_job_that_needs_another_gets_its_artifact_at_the_path_it_names(
    tmp_path: Path,
) -> None:
    make = "echo a > reports/a.txt; echo b > reports/b.txt; echo x > reports/skip.log"
    repo = make_repo(tmp_path, PRODUCE_AND_COMBINE.format(make=make))
    code, report = gate(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    upload = step(report, "Run actions/upload-artifact@v4")
    assert upload["verdict"] == "pass"
    assert upload["reason"] == "kept 2 file(s) as artifact parts for later jobs"
    download = step(report, "Run actions/download-artifact@v4")
    assert download["reason"] == "copied 2 file(s) of artifact parts into collected"
    combined = step(report, "Combine, fail under 2 parts")
    assert combined["verdict"] == "pass", combined


def test_the_consumers_own_check_still_fails_on_what_was_handed_over(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, PRODUCE_AND_COMBINE.format(make="echo a > reports/a.txt"))
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    combined = step(report, "Combine, fail under 2 parts")
    assert combined["verdict"] == "fail"
    assert "only 1 part(s) of 2: fail under" in combined["reason"]


def test_an_artifact_not_produced_here_makes_the_consuming_job_partial_not_failed(
    tmp_path: Path,
) -> None:
    # The producer needs a tool this machine lacks: its parts cannot be made here.
    make = "gateui-absent-report-tool --out reports"
    repo = make_repo(tmp_path, PRODUCE_AND_COMBINE.format(make=make))
    code, report = gate(repo)
    assert (code, report["verdict"]) == (3, "partial"), report
    assert step(report, "Make parts")["verdict"] == "not-reproduced"
    download = step(report, "Run actions/download-artifact@v4")
    assert download["verdict"] == "not-reproduced"
    assert "artifact parts is not here: no files found for artifact parts" in download["reason"]
    assert "'Make parts', not reproduced here" in download["reason"]
    combined = step(report, "Combine, fail under 2 parts")
    assert combined["verdict"] == "not-reproduced"
    assert combined["reason"].startswith("not run here: artifact parts is not here")
    assert all(s["verdict"] != "fail" for s in report["steps"])


MATRIX_HIDDEN = """
on: pull_request
jobs:
  shard:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        shard: [1, 2]
    steps:
      - uses: actions/checkout@v4
      - run: echo data > .part-${{{{ matrix.shard }}}}
      - uses: actions/upload-artifact@v4
        with:
          name: part-${{{{ matrix.shard }}}}
          path: .part-*
{hidden}
  combine:
    needs: shard
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/download-artifact@v4
        with:
          pattern: part-*
          merge-multiple: true
          path: all
      - name: Combine
        run: python combine.py all 2
"""


def test_matrix_artifacts_by_pattern_merged_with_hidden_files_asked_for(tmp_path: Path) -> None:
    hidden = "          include-hidden-files: true"
    repo = make_repo(tmp_path, MATRIX_HIDDEN.format(hidden=hidden))
    code, report = gate(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    download = step(report, "Run actions/download-artifact@v4")
    assert download["reason"].endswith("of 2 artifact(s) into all"), download
    assert step(report, "Combine")["verdict"] == "pass"  # both parts arrived


def test_hidden_files_are_left_out_as_upload_artifact_v4_does(tmp_path: Path) -> None:
    # Since upload-artifact v4.4, ".part-1" is not uploaded without include-hidden-files: on CI
    # the download finds nothing. Here the consuming job cannot be reproduced: partial, with why.
    repo = make_repo(tmp_path, MATRIX_HIDDEN.format(hidden=""))
    code, report = gate(repo)
    assert (code, report["verdict"]) == (3, "partial"), report
    uploads = [s for s in report["steps"] if s["name"].startswith("Run actions/upload-artifact")]
    assert uploads and all("no files found for artifact part-" in s["reason"] for s in uploads)
    assert step(report, "Combine")["verdict"] == "not-reproduced"
    download = step(report, "Run actions/download-artifact@v4")
    assert download["verdict"] == "not-reproduced"


def test_an_artifact_of_a_job_that_cannot_run_here_is_partial_not_failed(tmp_path: Path) -> None:
    # The producer needs a service container: it is not reproduced, so neither is its upload.
    workflow = PRODUCE_AND_COMBINE.format(make="echo a > reports/a.txt").replace(
        "  produce:\n    runs-on: ubuntu-latest\n",
        "  produce:\n    runs-on: ubuntu-latest\n"
        "    services:\n      db:\n        image: postgres\n",
    )
    repo = make_repo(tmp_path, workflow)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (3, "partial"), report
    download = step(report, "Run actions/download-artifact@v4")
    assert download["verdict"] == "not-reproduced"
    assert "its upload did not run here" in download["reason"]
    assert "service containers" in download["reason"]
    assert step(report, "Combine, fail under 2 parts")["verdict"] == "not-reproduced"

"""``gateui gate`` on the sample repositories: real git, real pytest, the real CLI."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateui.cli.gate import describe_gate
from gateui.cli.gate_printer import print_gate_description
from gateui.core.gate._step_outcome import shuffle_nodeids
from gateui.core.gate.check import precompute_head, run_check
from helpers import CliResult, gate_report, git, init_repo

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]
Sample = Callable[[str], Path]

PRICING_FAILURE = "backend/tests/test_pricing.py::test_round_up_to_multiple[10-5-10]"


def commit_files(repo: Path, files: dict[str, str], message: str = "change") -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def workflow_repo(root: Path, workflow: str, files: dict[str, str] | None = None) -> Path:
    """A committed repository whose CI workflow is ``workflow``, with ``files``."""
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(workflow)
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    return init_repo(root)


def gate_json(cli: Cli, repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli(["gate", "--json", *args], repo)
    assert result.stdout.strip(), result.stderr
    return result.code, json.loads(result.stdout)


def step_named(report: dict[str, Any], name: str) -> dict[str, Any]:
    for step in report["steps"]:
        if step["name"] == name:
            found: dict[str, Any] = step
            return found
    raise AssertionError(f"no step {name!r} in {[s['name'] for s in report['steps']]}")


def test_declared_pass_rate_threshold_on_the_98_percent_backend(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("passrate_backend")
    commit_files(
        repo,
        {
            "pyproject.toml": """
                [tool.gateui.gate]
                min_pass_rate = 98
                steps = [{ name = "full suite", command = "pytest tests/", cwd = "backend" }]
            """
        },
    )
    code, report = gate_json(cli, repo)
    assert code == 0, report
    assert report["verdict"] == "pass"
    assert report["source"] == "pyproject.toml"
    full = step_named(report, "full suite")
    # 59 passed, 1 failed = 98.33%: at least 98%, so the user's gate passes, though pytest exits 1.
    assert full["exit_code"] == 1
    assert full["tests"] == {"passed": 59, "failed": 1, "skipped": 0, "xfailed": 0, "errors": 0}
    assert full["reason"].startswith("pass rate 98.3% ≥ 98%")
    assert full["failed_tests"] == [PRICING_FAILURE]
    assert set(full) >= {"name", "command", "verdict", "reason", "duration_s", "reproduce"}
    assert full["reproduce"].startswith("cd backend && ")

    commit_files(
        repo,
        {
            "backend/tests/test_extra.py": """
                def test_new_rounding():
                    assert round(2.5) == 3
            """
        },
    )
    code, report = gate_json(cli, repo)
    assert code == 1
    assert report["verdict"] == "fail"
    full = step_named(report, "full suite")
    new = "backend/tests/test_extra.py::test_new_rounding"
    assert full["reason"] == f"pass rate 96.7% < 98% — 2 failed: {new}, {PRICING_FAILURE}"
    assert report["reason"] == f"full suite: {full['reason']}"


def _order_seeds() -> tuple[int, int]:
    """A seed that runs the order-dependent pair the wrong way round, and one that does not."""
    ids = [
        "backend/tests/test_order_dependent.py::test_register_csv_exporter",
        "backend/tests/test_order_dependent.py::test_lookup_csv_exporter",
    ]
    bad = next(s for s in range(1, 100) if shuffle_nodeids(ids, s)[0] == ids[1])
    good = next(s for s in range(1, 100) if shuffle_nodeids(ids, s)[0] == ids[0])
    return bad, good


def test_random_order_without_the_plugin_is_shuffled_by_gateui_with_the_seed_reported(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("passrate_backend")
    commit_files(
        repo,
        {
            "pyproject.toml": """
                [[tool.gateui.gate.steps]]
                name = "order"
                cwd = "backend"
                command = "pytest tests/test_order_dependent.py --random-order"
            """
        },
    )
    bad, good = _order_seeds()
    code, report = gate_json(cli, repo, "--seed", str(bad))
    assert code == 1
    order = step_named(report, "order")
    assert order["seed"] == bad
    assert order["reason"] == (
        "exit 1 — 1 failed: backend/tests/test_order_dependent.py::test_lookup_csv_exporter"
        f" (random order, seed {bad})"
    )
    warnings = " ".join(order["warnings"])
    # Not installed in the project's interpreter: said so, and no result invented for it.
    assert "pytest-random-order is not installed" in warnings
    assert f"gateui gate --seed {bad}" in warnings
    # The command to reproduce it names the tests in the order they ran.
    assert order["reproduce"].index("test_lookup_csv_exporter") < order["reproduce"].index(
        "test_register_csv_exporter"
    )
    assert "-p no:randomly" in order["reproduce"]

    code, report = gate_json(cli, repo, "--seed", str(good))
    assert code == 0
    assert step_named(report, "order")["reason"] == f"exit 0 — 2 passed (random order, seed {good})"


def test_every_test_is_unit_or_integration(sample_repo: Sample, cli: Cli) -> None:
    repo = sample_repo("strict_markers_backend")
    config = """
        [tool.gateui.gate]
        require_markers = ["unit", "integration"]
        steps = []
    """
    commit_files(repo, {"pyproject.toml": config})
    code, report = gate_json(cli, repo)
    # The typo'd marker is a collection error under --strict-markers.
    assert code == 1
    rule = step_named(report, "every test is unit or integration")
    assert rule["verdict"] == "fail"
    assert rule["reason"].startswith("collection error in backend/tests/api/test_billing_api.py:")
    assert "'intergration' not found in `markers`" in rule["reason"]

    billing = repo / "backend/tests/api/test_billing_api.py"
    billing.write_text(billing.read_text().replace("intergration", "integration"))
    git(repo, "commit", "-q", "-am", "fix the marker typo")
    code, report = gate_json(cli, repo)
    assert code == 1
    rule = step_named(report, "every test is unit or integration")
    assert rule["reason"] == (
        "1 test(s) are neither unit nor integration:"
        " backend/tests/test_llm_helpers.py::test_truncate_for_prompt_cuts_at_word_boundary"
    )

    helper = repo / "backend/tests/test_llm_helpers.py"
    helper.write_text("import pytest\n\npytestmark = pytest.mark.unit\n" + helper.read_text())
    git(repo, "commit", "-q", "-am", "mark the helper test")
    code, report = gate_json(cli, repo)
    assert code == 0, report
    assert step_named(report, "every test is unit or integration")["reason"] == (
        "every test is unit or integration"
    )


def test_the_inferred_every_test_check_keeps_cis_verdict_and_warns(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("strict_markers_backend")
    billing = repo / "backend/tests/api/test_billing_api.py"
    billing.write_text(billing.read_text().replace("intergration", "integration"))
    git(repo, "commit", "-q", "-am", "fix the marker typo")
    code, report = gate_json(cli, repo)
    assert report["source"] == ".github/workflows/ci.yml"
    assert code == 0, report
    assert step_named(report, "Unit tests")["reason"] == "exit 0 — 15 passed"
    assert step_named(report, "Integration tests")["reason"] == "exit 0 — 7 passed"
    check = step_named(report, "Every test is unit or integration")
    # As written, the CI step passes while a test is unmarked: CI's verdict stands, and
    # gateui says what the step meant to catch.
    assert check["verdict"] == "pass"
    assert (
        check["reason"]
        == "exit 0 — 1 test(s) are neither unit nor integration (CI passes this step)"
    )
    assert any(
        "backend/tests/test_llm_helpers.py::test_truncate_for_prompt_cuts_at_word_boundary" in w
        for w in check["warnings"]
    )


def test_a_failing_make_step_names_the_collection_error_and_skips_the_rest_of_the_job(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("strict_markers_backend")
    code, report = gate_json(cli, repo)
    assert code == 1
    unit = step_named(report, "Unit tests")
    assert unit["command"] == "make test-unit"
    assert unit["cwd"] == "backend"
    assert unit["origin"] == ".github/workflows/ci.yml, tests, Unit tests"
    assert unit["reason"].startswith(
        "exit 2 — collection error in backend/tests/api/test_billing_api.py"
    )
    later = step_named(report, "Integration tests")
    assert later["verdict"] == "skipped"
    assert "earlier step of its job failed" in later["reason"]


def test_cache_hit_worktree_removed_and_the_users_state_untouched(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("web_api_monorepo")
    # What an idle TUI does in the background on a clean tree.
    background = precompute_head(repo)
    assert background is not None
    first = run_check(background).as_json()
    assert first["verdict"] == "pass", first
    assert (first["cached"], first["checked_in"]) == (False, "worktree")
    smoke = step_named(first, "Run backend smoke")
    assert smoke["reason"] == "exit 0 — 26 passed"
    assert smoke["origin"] == ".github/workflows/ci-fast.yml, backend-fast, Run backend smoke"
    code, second = gate_json(cli, repo)
    assert code == 0
    assert (second["cached"], second["checked_in"]) == (True, "cache")
    assert second["tree"] == first["tree"]

    # A stash, a staged change and an uncommitted fix on top of a broken commit.
    ranges = repo / "projects/web_api/web_api/ranges.py"
    good = ranges.read_text()
    (repo / "docs/usage_guide.md").write_text("stashed edit\n")
    git(repo, "stash", "-q")
    ranges.write_text(good.replace("min(end, size - 1)", "min(end, size)"))
    git(repo, "commit", "-q", "-am", "off by one")
    ranges.write_text(good)
    (repo / "README.md").write_text("staged edit\n")
    git(repo, "add", "README.md")
    before = [git(repo, *args) for args in _STATE]
    assert precompute_head(repo) is None

    code, report = gate_json(cli, repo)
    assert code == 1
    assert report["checked_in"] == "worktree"
    assert report["commit"] == git(repo, "rev-parse", "HEAD").strip()
    smoke = step_named(report, "Run backend smoke")
    assert "projects/web_api/tests/test_download_range.py::test_parse_range" in smoke["reason"]
    assert [git(repo, *args) for args in _STATE] == before
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert not (repo / ".git/worktrees").exists() or not any((repo / ".git/worktrees").iterdir())


_STATE = (
    ("status", "--porcelain", "--untracked-files=all"),
    ("stash", "list"),
    ("diff", "--cached"),
    ("diff",),
)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_gate_removes_its_worktree(sample_repo: Sample, sig: signal.Signals) -> None:
    repo = sample_repo("web_api_monorepo")
    commit_files(
        repo,
        {
            "pyproject.toml": """
                [tool.gateui.gate]
                steps = [{ name = "slow", command = "python -c 'import time; time.sleep(60)'" }]
            """
        },
    )
    (repo / "README.md").write_text("dirty: forces a worktree\n")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateui", "gate"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + 60
    while "▸ slow" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    assert "temporary worktree" in seen
    time.sleep(0.3)
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 2
    proc.send_signal(sig)
    proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert git(repo, "status", "--porcelain") == " M README.md\n"


def test_discover_shows_where_each_gate_step_comes_from(sample_repo: Sample, cli: Cli) -> None:
    repo = sample_repo("web_api_monorepo")
    result = cli(["discover", "--json"], repo)
    assert result.code == 0, result.stderr
    gate = json.loads(result.stdout)["gate"]
    assert gate["source"] == ".github/workflows/ci-fast.yml"
    by_name = {s["name"]: s for s in gate["steps"]}
    smoke = by_name["Run backend smoke"]
    assert {k: smoke[k] for k in ("command", "cwd", "origin", "runs_locally")} == {
        "command": "./tools/test.sh --smoke-backend",
        "cwd": ".",
        "origin": ".github/workflows/ci-fast.yml, backend-fast, Run backend smoke",
        "runs_locally": True,
    }
    # Lint is a check: it runs. Installing is the environment's business: left out.
    assert by_name["Lint"]["runs_locally"] is True
    assert by_name["Install"]["runs_locally"] is False
    assert by_name["Install"]["why_not"] == "environment setup (pip install)"
    assert by_name["Install"]["left_out"] == "setup"
    # The human listing, from the same description.
    plain = io.StringIO()
    print_gate_description(describe_gate(repo), plain)
    assert "PR gate (from .github/workflows/ci-fast.yml):" in plain.getvalue()
    assert "runs here:   Run backend smoke: ./tools/test.sh --smoke-backend" in plain.getvalue()


_MATRIX_WORKFLOW = """\
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ["3.10", "3.11", "3.12"]
    steps:
      - uses: actions/checkout@v4
      - name: Set up Python ${{ matrix.python }}
        uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python }}
      - run: pip install pytest
      - run: python -m pytest -q
      - uses: codecov/codecov-action@v4
  docs:
    runs-on: ubuntu-latest
    steps:
      - run: echo docs
      - uses: peaceiris/actions-gh-pages@v4
"""


def test_discover_says_a_reason_shared_by_left_out_steps_once(tmp_path: Path, cli: Cli) -> None:
    workflow_repo(tmp_path, _MATRIX_WORKFLOW, {"test_one.py": "def test_one():\n    pass\n"})
    result = cli(["discover"], tmp_path)
    assert result.code == 0, result.stderr
    out = result.stdout
    steps = json.loads(cli(["discover", "--json"], tmp_path).stdout)["gate"]["steps"]
    # What decides the verdict, step by step: each leg's pytest runs here.
    assert out.count("  runs here:   Run python -m pytest -q") == 3
    # Left out by design, said once per reason with how many...
    assert "  not run here: 3 steps — environment setup (actions/checkout@v4)\n" in out
    assert "  not run here: 3 steps — publishing (codecov/codecov-action@v4)\n" in out
    assert out.count("actions/checkout@v4") == 1
    # ...and a reason of one step named with it, as before.
    assert "  not run here: Run peaceiris/actions-gh-pages@v4 — publishing" in out
    assert len(steps) == 3 * 5 + 2  # every one of them still in the JSON
    # A leg's step is named as GitHub names it in that leg.
    named = [s["name"] for s in steps if s["name"].startswith("Set up Python")]
    assert named == [f"Set up Python {v} (python={v})" for v in ("3.10", "3.11", "3.12")]


_NEEDS_THE_NETWORK = """\
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Fetch the fixtures
        run: python -c "import urllib.request; urllib.request.urlopen('https://fixtures.gateui-tests.invalid/')"
"""


@pytest.mark.parametrize(
    ("probe", "verdict"),
    [("gateui-probe.invalid", "partial"), ("localhost", "fail")],
    ids=["ci-network-unreachable", "ci-network-reachable"],
)
def test_a_step_cut_off_from_cis_network_is_not_reproduced_never_failed(
    tmp_path: Path, probe: str, verdict: str
) -> None:
    workflow_repo(tmp_path, _NEEDS_THE_NETWORK)
    # The probe stands in for github.com: a name that resolves nowhere (offline here), or one
    # that always does (the failure is CI's too: the fixtures' host does not exist anywhere).
    code, report = gate_report(tmp_path, "--no-cache", env={"GATEUI_NETWORK_PROBE": probe})
    fetch = step_named(report, "Fetch the fixtures")
    assert report["verdict"] == verdict, report
    if verdict == "partial":
        assert code == 3
        assert f"it needs the network, and {probe} cannot be reached from here" in fetch["reason"]
        assert "fixtures.gateui-tests.invalid" in fetch["reason"] or "Name" in fetch["reason"]
    else:
        assert code == 1
        assert "cannot be reached" not in fetch["reason"]


def test_a_tool_a_make_recipe_cannot_find_is_not_reproduced(tmp_path: Path) -> None:
    """more-itertools' CI runs ``make coverage``, whose recipe runs ``coverage`` that an
    earlier ``make requirements`` (setup, left out here) installs: make fails with 2, and
    it is the tool that is missing here, not the code that fails."""
    workflow_repo(
        tmp_path,
        "on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: make coverage\n",
        {"Makefile": "coverage:\n\tgateui-tests-missing-tool run -m pytest\n"},
    )
    code, report = gate_report(tmp_path, "--no-cache")
    assert (code, report["verdict"]) == (3, "partial"), report
    step = step_named(report, "Run make coverage")
    assert step["reason"].startswith("gateui-tests-missing-tool not found here"), step


def test_cannot_evaluate_exits_2_and_says_why(sample_repo: Sample, cli: Cli) -> None:
    repo = sample_repo("e2e_requirements")
    result = cli(["gate"], repo)
    assert result.code == 2
    assert "no step of the gate runs here" in result.stdout
    bad_ref = cli(["gate", "no-such-branch"], repo)
    assert bad_ref.code == 2
    assert "'no-such-branch' is not a commit" in bad_ref.stderr
    pyproject = repo / "pyproject.toml"
    lines = len(pyproject.read_text().splitlines())
    pyproject.write_text(pyproject.read_text() + "\n[tool.gateui.gate]\non_fail = 'never'\n")
    git(repo, "commit", "-q", "-am", "bad gate")
    config = cli(["gate", "--json"], repo)
    assert config.code == 2
    error = json.loads(config.stdout)["error"]
    assert f"pyproject.toml:{lines + 3}: tool.gateui.gate.on_fail must be one of" in error

"""``gateui run --no-record`` loads only what it uses: the gate's workflow parser, the affected
selector and the dependency store are for other commands (or for recording) and cost every plain
run start-up time. A broken gate table is still refused by ``run``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

_LOADED = """
import json, sys
from gateui.cli.main import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""

UNUSED_BY_A_PLAIN_RUN = (
    "gateui.core.gate.infer",
    "gateui.core.gate.workflows",
    "yaml",
    "gateui.core.selection.affected",
    "gateui.core.selection.selector",
    "gateui.core.selection.depstore",
    "gateui.core.selection._recording",
    # The JUnit XML writer and its XML library: for --junitxml only.
    "gateui.core.running.junit_writer",
    "xml.etree.ElementTree",
)


def _run_in_process(repo: Path, tmp_path: Path, *args: str) -> dict[str, object]:
    out = tmp_path / "loaded.json"
    completed = subprocess.run(
        [sys.executable, "-c", _LOADED, str(out), "run", *args, "-C", str(repo)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.exists(), completed.stderr
    loaded: dict[str, object] = json.loads(out.read_text())
    return loaded


def test_a_plain_run_without_recording_loads_no_gate_or_selector(
    sample_repo: Callable[[str], Path], tmp_path: Path
) -> None:
    repo = sample_repo("faults")
    loaded = _run_in_process(repo, tmp_path, "--no-record")
    assert loaded["code"] == 0
    modules = set(loaded["modules"])  # type: ignore[call-overload]
    assert "gateui.cli.run" in modules
    assert modules.isdisjoint(UNUSED_BY_A_PLAIN_RUN), modules & set(UNUSED_BY_A_PLAIN_RUN)


def test_a_declared_gate_table_is_still_checked_by_run(
    sample_repo: Callable[[str], Path], tmp_path: Path
) -> None:
    repo = sample_repo("faults")
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + '\n[tool.gateui.gate]\non_fail = "sometimes"\n',
        encoding="utf-8",
    )
    loaded = _run_in_process(repo, tmp_path, "--no-record")
    assert loaded["code"] == 2
    assert "gateui.core.gate.infer" in set(loaded["modules"])  # type: ignore[call-overload]

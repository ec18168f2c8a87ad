"""The CI pass-rate gate script (tests/scripts/parse_pytest_output.py)."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "scripts" / "parse_pytest_output.py"


@pytest.fixture(scope="module")
def gate():
    spec = importlib.util.spec_from_file_location("parse_pytest_output", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_report(tmp_path, tests, failures=0, errors=0, skipped=0):
    report = tmp_path / "report.xml"
    report.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites>'
        f'<testsuite name="pytest" tests="{tests}" failures="{failures}" '
        f'errors="{errors}" skipped="{skipped}"></testsuite></testsuites>'
    )
    return str(report)


@pytest.mark.parametrize(
    ("tests", "failures", "skipped", "status"),
    [(60, 1, 0, 0), (60, 2, 0, 1), (52, 1, 2, 0)],
)
def test_gate_threshold(gate, tmp_path, capsys, tests, failures, skipped, status):
    assert gate.main([write_report(tmp_path, tests, failures, skipped=skipped)]) == status
    assert "Pass rate:" in capsys.readouterr().out


def test_unreadable_report(gate, tmp_path):
    assert gate.main([str(tmp_path / "missing.xml")]) == 2

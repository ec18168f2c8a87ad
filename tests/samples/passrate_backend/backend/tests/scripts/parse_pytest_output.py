#!/usr/bin/env python3
"""Compute the pass rate from a pytest JUnit XML report and enforce a minimum.

    python tests/scripts/parse_pytest_output.py pytest_report.xml [--min 98.0]

pass rate = passed / (tests - skipped) * 100, where passed = tests - failures
- errors - skipped. Exit status: 0 when the rate is at least the minimum,
1 when it is below (or nothing ran), 2 when the report cannot be read.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET

DEFAULT_MIN_PASS_RATE = 98.0


def summarize(path: str) -> dict[str, int]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in totals:
            totals[key] += int(suite.get(key, 0))
    totals["passed"] = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
    return totals


def pass_rate(totals: dict[str, int]) -> float:
    executed = totals["tests"] - totals["skipped"]
    return 100.0 * totals["passed"] / executed if executed else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="JUnit XML written by pytest --junitxml")
    parser.add_argument("--min", type=float, default=DEFAULT_MIN_PASS_RATE, dest="minimum")
    args = parser.parse_args(argv)

    try:
        totals = summarize(args.report)
    except (OSError, ET.ParseError) as exc:
        print(f"cannot read {args.report}: {exc}", file=sys.stderr)
        return 2

    rate = pass_rate(totals)
    executed = totals["tests"] - totals["skipped"]
    print(
        f"Pass rate: {rate:.2f}% ({totals['passed']}/{executed} passed, "
        f"{totals['failures']} failed, {totals['errors']} errors, {totals['skipped']} skipped)"
    )
    if executed == 0:
        print("FAIL: no tests ran")
        return 1
    if rate < args.minimum:
        print(f"FAIL: pass rate {rate:.2f}% is below the required {args.minimum:.1f}%")
        return 1
    print(f"OK: pass rate meets the required {args.minimum:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fail CI when the pass rate of a JUnit report is below --min percent."""
import argparse
import sys
import xml.etree.ElementTree as ET

parser = argparse.ArgumentParser()
parser.add_argument("report")
parser.add_argument("--min", type=float, default=90.0)
args = parser.parse_args()
root = ET.parse(args.report).getroot()
suite = root if root.tag == "testsuite" else root.find("testsuite")
total = int(suite.get("tests"))
bad = int(suite.get("failures")) + int(suite.get("errors"))
skipped = int(suite.get("skipped"))
rate = 100.0 * (total - skipped - bad) / max(1, total - skipped)
print(f"pass rate {rate:.2f}% (minimum {args.min}%)")
sys.exit(0 if rate >= args.min else 1)

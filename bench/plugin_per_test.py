"""The event plugin's own code per test, without pytest around it.

5,000 synthetic passing tests (three ``TestReport`` objects each: setup, call, teardown) are fed
straight to ``pytest_runtest_logstart`` and ``pytest_runtest_logreport`` of a
``GateuiEventPlugin`` writing to /dev/null; the best CPU time of ``--repeat`` passes, per test.
With ``--baseline SRC`` (another gateui's ``src``) both plugins run, alternating, each in its own
subprocess so that neither imports the other's module.

    .venv/bin/python bench/plugin_per_test.py --baseline /tmp/base/src
    .venv/bin/python bench/plugin_per_test.py --quick     # a smoke check of the benchmark
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src"

_MEASURE = """
import sys, time
sys.path.insert(0, sys.argv[1])
import gateui_events
from _pytest.reports import TestReport

class Config:
    class pluginmanager:
        @staticmethod
        def hasplugin(name):
            return False

plugin = gateui_events.GateuiEventPlugin(Config, gateui_events._Channel("/dev/null"))
tests = int(sys.argv[2])
reports = []
for i in range(tests):
    nodeid = f"tests/test_mod_{i // 100}.py::test_{i}"
    location = (f"tests/test_mod_{i // 100}.py", i, f"test_{i}")
    phases = [TestReport(nodeid, location, {}, "passed", None, when, [], 0.0001)
              for when in ("setup", "call", "teardown")]
    reports.append((nodeid, location, phases))
best = float("inf")
for _ in range(int(sys.argv[3])):
    start = time.process_time()
    for nodeid, location, phases in reports:
        plugin.pytest_runtest_logstart(nodeid, location)
        for report in phases:
            plugin.pytest_runtest_logreport(report)
    best = min(best, time.process_time() - start)
print(best * 1e6 / tests)
"""


def per_test_us(src: Path, tests: int, repeat: int) -> float:
    plugin_dir = src / "gateui" / "pytest_plugin"
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(plugin_dir), str(tests), str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, metavar="SRC", help="another gateui's src")
    parser.add_argument("--tests", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7, help="passes per process (best kept)")
    parser.add_argument("--rounds", type=int, default=3, help="processes per arm, alternating")
    parser.add_argument("--quick", action="store_true", help="500 tests, 1 pass, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.tests, args.repeat, args.rounds = 500, 1, 1
    arms = {"this": SOURCE}
    if args.baseline is not None:
        arms["baseline"] = args.baseline
    results: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(args.rounds):
        for name, src in arms.items():
            results[name].append(per_test_us(src, args.tests, args.repeat))
    for name, values in results.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"{name}: best {min(values):.2f} µs per test ({shown})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

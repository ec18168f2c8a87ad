"""What per-test recording costs inside pytest, and what a narrower tracing window would cost.

An experiment, not a benchmark of a user-facing command: each variant runs pytest in-process
(one fresh interpreter per run) with gateui's event plugin loaded and events written to
/dev/null, and measures the process's CPU time for the run (``time.process_time``):

  off             the plugin without recording (GATEUI_RECORD unset)
  record          the plugin as shipped, recording on (what ``gateui run`` does by default)
  narrow          the tracer switched on only around the test function (``pytest_pyfunc_call``)
                  and fixture setup (``pytest_fixture_setup``) instead of around the whole
                  ``pytest_runtest_setup/call/teardown`` hooks
  narrow+teardown like ``narrow`` but keeping the whole teardown hook traced (yield-fixture
                  finalizers run there)

The ``narrow`` variants monkeypatch ``gateui_events._Recorder`` in the benchmark process only
(gateui's code is untouched); they depend on that class's method names (start, stop, harvest
and the three runtest hook wrappers) and print the recorded dependencies of the last test so a
reader can check that the narrower window still sees the test function.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _util import (
    PYTHON,
    bench_env,
    command_line,
    generate_repo,
    git_commit_all,
    load_average,
    machine,
    median,
    source_fingerprint,
    table,
)

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "src" / "gateui" / "pytest_plugin"
VARIANTS = ("off", "record", "narrow", "narrow+teardown")

_RUNNER = r"""
import contextlib, io, json, os, sys, time
import pytest
import gateui_events as ge

mode = sys.argv[1]
if mode != "off":
    os.environ["GATEUI_RECORD"] = os.getcwd()
R = ge._Recorder
if mode.startswith("narrow"):
    def passthrough(self, item):
        yield
    hooks = ["pytest_runtest_setup", "pytest_runtest_call"]
    if mode == "narrow":
        hooks.append("pytest_runtest_teardown")
    for name in hooks:
        setattr(R, name, pytest.hookimpl(hookwrapper=True, tryfirst=True)(passthrough))
    def pyfunc(self, pyfuncitem):
        self.start()
        try:
            yield
        finally:
            self.stop()
    def fixture(self, fixturedef, request):
        self.start()
        try:
            yield
        finally:
            self.stop()
    def logstart(self, nodeid, location):
        self.codes.clear()
        self.opened.clear()
        self.blocked = False
    R.pytest_pyfunc_call = pytest.hookimpl(hookwrapper=True)(pyfunc)
    R.pytest_fixture_setup = pytest.hookimpl(hookwrapper=True)(fixture)
    R.pytest_runtest_logstart = logstart
last = []
harvest = R.harvest
def recorded(self, *args):
    deps = harvest(self, *args)
    last[:] = [deps]
    return deps
R.harvest = recorded
started = time.process_time()
with contextlib.redirect_stdout(io.StringIO()):
    rc = pytest.main(["-p", "gateui_events", "-p", "no:cacheprovider"])
cpu = time.process_time() - started
print(json.dumps({"rc": int(rc), "cpu_s": cpu, "last": last[0] if last else None}, default=list))
"""


def run_variant(repo: Path, variant: str) -> dict[str, object]:
    env = bench_env({"PYTHONPATH": str(PLUGIN_DIR), "GATEUI_EVENTS": "/dev/null"})
    result = subprocess.run(
        [str(PYTHON), "-c", _RUNNER, variant],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    if data["rc"] != 0:
        raise SystemExit(f"{variant}: pytest exited {data['rc']}")
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, one repetition: a smoke check")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (default 3)")
    args = parser.parse_args()
    modules, per_module = (5, 20) if args.quick else (20, 100)
    if args.quick:
        args.reps = 1
    print(f"command: {command_line()}")
    print(f"machine: {machine()}")
    print(f"gateui: {source_fingerprint()}")
    print(f"at start: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="gateui-bench-rec-") as tmp:
        repo = Path(tmp) / "repo"
        total = generate_repo(repo, modules, per_module)
        git_commit_all(repo)
        print(f"repo: {modules} modules x {per_module} tests = {total} tests")
        cpu: dict[str, list[float]] = {v: [] for v in VARIANTS}
        last: dict[str, object] = {}
        run_variant(repo, "off")  # warm-up
        for rep in range(1, args.reps + 1):
            for variant in VARIANTS:
                data = run_variant(repo, variant)
                cpu[variant].append(float(str(data["cpu_s"])))
                last[variant] = data["last"]
            print(f"  rep {rep}: " + "  ".join(f"{v}={cpu[v][-1]:.2f}s" for v in VARIANTS))
    base = median(cpu["off"])
    rows = []
    for variant in VARIANTS:
        value = median(cpu[variant])
        per_test_ms = (value - base) / total * 1000
        rows.append([variant, f"{value:.2f}", f"{value / base:.2f}", f"{per_test_ms:+.3f}"])
    print(f"\n{total} tests, {args.reps} repetitions, CPU seconds of the pytest process, medians")
    print(table(["variant", "CPU s", "vs off", "extra ms per test"], rows))
    print(f"at end: {load_average()}")
    for variant in VARIANTS[1:]:
        print(f"last test's recorded deps ({variant}): {last[variant]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The dependency store's size, and how fast selection reads it, on recordings shaped like a
real suite's (``_store_shape``: starlette's shape, scaled to ``--tests``).

Each arm saves the recordings in batches of 100 (as a run does) into a fresh ``.gateui/`` and
closes the store, then reads it as selection does: every test recorded for the environment,
every recording at once (``executed_everywhere``), and the tests of each file version
(``executed``, every version the store knows). Reported: bytes on disk, MB per 10,000 tests,
save time, and the best read times of ``--rounds``. With ``--baseline SRC`` (another gateui's
``src``) both layouts run, each in its own subprocess.

    git archive 5785050 src | tar -x -C /tmp/base
    .venv/bin/python bench/store_size.py --baseline /tmp/base/src
    .venv/bin/python bench/store_size.py --quick     # a smoke check of the benchmark
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _util import machine, table

SOURCE = Path(__file__).resolve().parent.parent / "src"
BENCH = Path(__file__).resolve().parent

_MEASURE = """
import json, sys, tempfile, time
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from gateui.core.selection.depstore import STORE_FILE, DepStore, TestRecording
from _store_shape import ENV, shaped_recordings

tests, rounds = int(sys.argv[3]), int(sys.argv[4])
recordings = [TestRecording(**fields) for fields in shaped_recordings(tests)]
with tempfile.TemporaryDirectory() as folder:
    root = Path(folder)
    start = time.perf_counter()
    store = DepStore(root)
    for first in range(0, tests, 100):
        store.save(ENV, recordings[first : first + 100])
    store.close()
    save = time.perf_counter() - start
    size = sum(p.stat().st_size for p in (root / ".gateui").glob(STORE_FILE + "*"))
    best = {}
    for _ in range(rounds):
        store = DepStore(root)
        times = {}
        start = time.perf_counter()
        assert len(store.tests(ENV)) == tests
        times["tests"] = time.perf_counter() - start
        start = time.perf_counter()
        everywhere = sum(1 for _ in store.executed_everywhere(ENV))
        times["everywhere"] = time.perf_counter() - start
        versions = list(store.versions(ENV))
        start = time.perf_counter()
        per_version = sum(len(list(store.executed(ENV, f, b))) for f, b in versions)
        times["per_version"] = time.perf_counter() - start
        assert everywhere == per_version
        store.close()
        best = {k: min(v, best.get(k, v)) for k, v in times.items()}
print(json.dumps({"size": size, "save": save, **best}))
"""


def measure(src: Path, tests: int, rounds: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(src), str(BENCH), str(tests), str(rounds)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{src}: the measurement failed\n{out.stderr}")
    figures: dict[str, float] = json.loads(out.stdout)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 tests, 1 round: a smoke check")
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another gateui's src folder")
    args = parser.parse_args()
    tests, rounds = (300, 1) if args.quick else (args.tests, args.rounds)
    arms = [("gateui", SOURCE)] + ([("baseline", args.baseline)] if args.baseline else [])
    print(f"# {machine()}")
    print(f"# {' '.join(sys.argv)}  ({tests} tests, {rounds} read rounds, best of)")
    rows = []
    for name, src in arms:
        f = measure(src, tests, rounds)
        rows.append(
            [
                name,
                str(int(f["size"])),
                f"{f['size'] / 1e6 * 10_000 / tests:.2f}",
                f"{f['save'] * 1000:.0f}",
                f"{f['tests'] * 1000:.1f}",
                f"{f['everywhere'] * 1000:.1f}",
                f"{f['per_version'] * 1000:.1f}",
            ]
        )
    header = ["arm", "bytes", "MB per 10,000 tests", "save ms", "tests ms"]
    print(table([*header, "everywhere ms", "per version ms"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

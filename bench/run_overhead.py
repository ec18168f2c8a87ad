"""Streaming overhead of ``gateui run`` over plain pytest, on thousands of trivial tests.

Arms, run in turn within each round, every other round in reverse (A B C D E, E D C B A, ...;
the first round is a warm-up and is discarded; ``--arms`` keeps only some, for more rounds in
the same time), all with the same interpreter (gateui's venv python), ``-p no:cacheprovider`` and
PYTHONDONTWRITEBYTECODE=1, all output to /dev/null:

  pytest       python -m pytest -p no:cacheprovider
  plugin       the same with gateui's event plugin loaded, events written to /dev/null
               (what the plugin alone costs inside pytest, without gateui reading the stream)
  gateui       gateui run -C REPO -- -p no:cacheprovider (the default: recording on, if the
               installed gateui records what each test executes); the tree is unchanged since
               the last round, so tests whose recordings are current are not recorded again
  gateui-record-all
               the same after removing the dependency store (untimed): every test records, as
               in a repository's first run (only when the gateui has kept recordings)
  gateui-after-edit
               the same after committing an edit of one test (untimed): the recordings name the
               version before it, so gateui works out what the edit affects (the full selector)
               and records that test again
  gateui-no-record
               gateui run --no-record -C REPO -- -p no:cacheprovider (only when ``run`` has it)
  gateui-no-record-cold
               the same after removing the note of the last run's project (untimed): no warm
               process is started early, the run starts cold (only when gateui has the note)
  gateui-json  gateui run --json -C REPO -- -p no:cacheprovider

``--baseline SRC`` adds ``base-gateui-no-record`` and ``base-gateui``: the same two commands with
another gateui's source (``SRC`` is its ``src`` folder, for instance ``git archive`` of an older
commit), run by the same interpreter through ``python -m gateui`` with SRC first on PYTHONPATH,
and the new gateui's two arms run the same way (``new-gateui-no-record``, ``new-gateui``), so a
change is measured against what it replaces in the same rounds, not against figures of another day.

Reported: each arm's median seconds and the median of the per-round ratios to ``pytest``, with
a 95% interval of that median (order statistics; no assumption about the noise, which on a
shared machine is not normal), and the verdicts on the targets (streaming ≤ 1.05; recording
≤ 1.15, ≤ 1.05 on Python 3.12+): ``met`` when the whole interval is under the target,
``MISSED`` when it is over, ``cannot tell`` otherwise.
Then gateui's own peak RSS and CPU time, measured two ways on separate (untimed) runs:
a wrapper that calls ``gateui.cli.main`` in-process and reads ``getrusage(RUSAGE_SELF)``
(pytest is a child, so it is not counted; RUSAGE_CHILDREN gives pytest's peak for comparison),
and polling ``VmHWM`` in /proc/PID/status of the real console script.

``--profile FILE`` additionally runs ``python -m cProfile -o FILE -m gateui run ...`` once and
prints the top functions of gateui's parent process.
"""

from __future__ import annotations

import argparse
import json
import pstats
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from _interpreters import (
    add_interpreter_options,
    bench_venv,
    compile_gateui,
    has_monitoring,
    use_interpreter,
)
from _util import (
    GATEUI,
    NO_CACHE,
    PYTHON,
    Timing,
    bench_env,
    chosen_arms,
    command_line,
    commit_everything,
    forget_recordings,
    forget_warm_hint,
    generate_repo,
    git_commit_all,
    load_average,
    machine,
    median,
    median_interval,
    source_fingerprint,
    table,
    target_verdict,
    time_command,
)

SOURCE = Path(__file__).resolve().parent.parent / "src"
PLUGIN_DIR = SOURCE / "gateui" / "pytest_plugin"
TARGET_RATIO = 1.05
RECORDING_TARGET = 1.15
RECORDING_TARGET_MONITORING = 1.05

_RUSAGE_WRAPPER = """
import json, resource, sys
from gateui.cli.main import main
out = sys.argv[1]
rc = main(sys.argv[2:])
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as handle:
    json.dump({"rc": rc, "self_maxrss_kib": me.ru_maxrss, "self_cpu_s": me.ru_utime + me.ru_stime,
               "children_maxrss_kib": kids.ru_maxrss,
               "children_cpu_s": kids.ru_utime + kids.ru_stime}, handle)
sys.exit(rc)
"""


@dataclass(frozen=True)
class Arm:
    name: str
    argv: list[str]
    env: dict[str, str]
    before: Callable[[], None] | None = None
    """Run before each timing of the arm, untimed."""


def _edit_one_test(repo: Path) -> Callable[[], None]:
    """Toggle one test's body and commit it: a change nothing but that test can observe."""

    def edit() -> None:
        path = repo / "tests" / "test_mod_0.py"
        text = path.read_text()
        plain, edited = "    assert 0 == 0\n", "    assert 0 == 0, 'edited'\n"
        path.write_text(
            text.replace(edited, plain) if edited in text else text.replace(plain, edited)
        )
        commit_everything(repo, "edit one test")

    return edit


def _timed(arm: Arm, repo: Path) -> Timing:
    if arm.before is not None:
        arm.before()
    return time_command(arm.argv, repo, arm.env)


def arms(repo: Path, python: Path = PYTHON, baseline: Path | None = None) -> list[Arm]:
    base = bench_env()
    plugin_env = bench_env(
        {"PYTHONPATH": str(PLUGIN_DIR), "GATEUI_EVENTS": "/dev/null", "PYTHONUNBUFFERED": "1"}
    )
    run = [str(GATEUI), "run"]
    result = [
        Arm("pytest", [str(python), "-m", "pytest", *NO_CACHE], base),
        Arm("plugin", [str(python), "-m", "pytest", "-p", "gateui_events", *NO_CACHE], plugin_env),
        Arm("gateui", [*run, "-C", str(repo), "--", *NO_CACHE], base),
        Arm("gateui-json", [*run, "--json", "-C", str(repo), "--", *NO_CACHE], base),
    ]
    if _run_supports("--no-record"):
        # Since per-test recording (affected selection) is on by default: what it costs.
        no_record = [*run, "--no-record", "-C", str(repo), "--", *NO_CACHE]
        result.insert(3, Arm("gateui-no-record", no_record, base))
        if (SOURCE / "gateui" / "core" / "running" / "warm_hint.py").exists():
            # Without the hint of the last run's project: no warm process started early.
            cold = partial(forget_warm_hint, repo)
            result.insert(4, Arm("gateui-no-record-cold", no_record, base, cold))
    if (SOURCE / "gateui" / "core" / "selection" / "kept_recordings.py").exists():
        # Every test recorded, as in a first run: the arm above records only what changed.
        full = [*run, "-C", str(repo), "--", *NO_CACHE]
        result.append(Arm("gateui-record-all", full, base, partial(forget_recordings, repo)))
        result.append(Arm("gateui-after-edit", full, base, _edit_one_test(repo)))
    if baseline is not None:
        for label, src in (("base", baseline), ("new", SOURCE)):
            module = [str(PYTHON), "-m", "gateui", "run"]
            env = bench_env({"PYTHONPATH": str(src)})
            tail = ["-C", str(repo), "--", *NO_CACHE]
            result.append(Arm(f"{label}-gateui-no-record", [*module, "--no-record", *tail], env))
            result.append(Arm(f"{label}-gateui", [*module, *tail], env))
    return result


def _run_supports(option: str) -> bool:
    usage = subprocess.run([str(GATEUI), "run", "--help"], capture_output=True, text=True)
    return option in usage.stdout


def check_sanity(repo: Path, expected: int) -> None:
    """gateui must actually run every test (a fast broken arm would look like no overhead)."""
    result = subprocess.run(
        [str(GATEUI), "run", "--json", "-C", str(repo), "--", *NO_CACHE],
        cwd=repo,
        env=bench_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    if result.returncode != 0 or summary.get("passed") != expected:
        raise SystemExit(f"sanity check failed: rc={result.returncode} summary={summary}")


def measure_rusage(repo: Path) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        argv = [str(PYTHON), "-c", _RUSAGE_WRAPPER, out.name, "run", "-C", str(repo)]
        subprocess.run(
            [*argv, "--", *NO_CACHE],
            cwd=repo,
            env=bench_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        data: dict[str, float] = json.loads(Path(out.name).read_text())
    return data


def measure_vmhwm(repo: Path, interval_s: float = 0.02) -> int:
    """Peak RSS (KiB) of the real ``gateui`` process, last VmHWM read before it exits."""
    proc = subprocess.Popen(
        [str(GATEUI), "run", "-C", str(repo), "--", *NO_CACHE],
        cwd=repo,
        env=bench_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    status = Path(f"/proc/{proc.pid}/status")
    peak = 0
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(interval_s)
    return peak


def profile(repo: Path, out: Path, top: int = 25) -> None:
    argv = [str(PYTHON), "-m", "cProfile", "-o", str(out), "-m", "gateui", "run", "-C", str(repo)]
    argv += ["--", *NO_CACHE]
    print(f"\nprofile: {shlex.join(argv)}")
    subprocess.run(
        argv, cwd=repo, env=bench_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    stats = pstats.Stats(str(out))
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, one round, no warm-up: a smoke check"
    )
    parser.add_argument("--rounds", type=int, help="rounds including the warm-up (default 8)")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="also cProfile gateui once")
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    add_interpreter_options(parser, "pytest==8.4.2")
    parser.add_argument(
        "--arms",
        help="only these arms, comma-separated (pytest is always run): fewer arms, more rounds",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="SRC",
        help="another gateui's src folder: its run arms alternate with this one's",
    )
    args = parser.parse_args()
    python = PYTHON if args.python is None else bench_venv(args.python, args.pytest)
    modules, per_module = (5, 20) if args.quick else (50, 100)
    rounds = args.rounds or (1 if args.quick else 8)
    warm_up = 0 if args.quick else 1  # a smoke check measures its one round

    print(f"command: {command_line()}")
    print(f"machine: {machine()}")
    fingerprint = source_fingerprint()
    print(f"gateui: {fingerprint}")
    print(f"at start: {load_average()}")
    tmp = Path(tempfile.mkdtemp(prefix="gateui-bench-run-"))
    repo = tmp / "repo"
    total = generate_repo(repo, modules, per_module)
    git_commit_all(repo)
    if args.python is not None:
        use_interpreter(repo, python)
    print(f"repo: {repo} ({modules} modules x {per_module} tests = {total} tests)")
    print(f"tests run by: {python}")
    compile_gateui(python)
    check_sanity(repo, total)

    if args.baseline is not None:
        subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(args.baseline)], check=True)
        print(f"baseline gateui: {args.baseline.resolve()}")
    the_arms = arms(repo, python, args.baseline)
    try:
        kept = chosen_arms(args.arms, [arm.name for arm in the_arms])
    except ValueError as exc:
        parser.error(str(exc))
    the_arms = [arm for arm in the_arms if arm.name in kept]
    for arm in the_arms:
        print(f"arm {arm.name}: {shlex.join(arm.argv)}")
    times: dict[str, list[Timing]] = {arm.name: [] for arm in the_arms}
    for index in range(rounds):
        # Every other round in reverse, so that an arm is not always the one after another
        # (a machine slowing down over a round would favour whichever runs first).
        order = the_arms if index % 2 == 0 else the_arms[::-1]
        timed = {arm.name: _timed(arm, repo) for arm in order}
        row = {arm.name: timed[arm.name] for arm in the_arms}
        label = "warm-up, discarded" if index < warm_up else f"round {index + 1 - warm_up}"
        cells = [f"{k}={v.wall_s:.3f}s/{v.cpu_s:.3f}cpu" for k, v in row.items()]
        print(f"  {label}: " + "  ".join(cells) + f"  [{load_average()}]", flush=True)
        if index >= warm_up:
            for name, timing in row.items():
                times[name].append(timing)

    def ratios(name: str, attr: str) -> list[float]:
        pairs = zip(times[name], times["pytest"], strict=True)
        return [getattr(t, attr) / getattr(p, attr) for t, p in pairs]

    rows = []
    for arm in the_arms:
        walls = [t.wall_s for t in times[arm.name]]
        cpus = [t.cpu_s for t in times[arm.name]]
        rows.append(
            [
                arm.name,
                f"{median(walls):.3f}",
                f"{min(walls):.3f}..{max(walls):.3f}",
                f"{median(ratios(arm.name, 'wall_s')):.3f}",
                "{:.3f}..{:.3f}".format(*median_interval(ratios(arm.name, "wall_s"))),
                f"{median(cpus):.3f}",
                f"{median(ratios(arm.name, 'cpu_s')):.3f}",
            ]
        )
    print(f"\n{total} tests, {rounds - warm_up} measured rounds (+{warm_up} warm-up)")
    header = [
        "arm",
        "wall median s",
        "wall min..max s",
        "wall ratio",
        "95% interval",
        "CPU median s",
        "CPU ratio",
    ]
    print(table(header, rows))
    print("(ratios: median over rounds of arm / pytest in the same round)")
    if args.baseline is not None:
        for kind in ("gateui-no-record", "gateui"):
            # The new source's arm run the baseline's way, else its console script's (--arms
            # may keep either, or neither).
            mine = f"new-{kind}" if f"new-{kind}" in times else kind
            if mine not in times or f"base-{kind}" not in times:
                continue
            new, old = times[mine], times[f"base-{kind}"]
            cpu = median([n.cpu_s / o.cpu_s for n, o in zip(new, old, strict=True)])
            wall = median([n.wall_s / o.wall_s for n, o in zip(new, old, strict=True)])
            print(f"{mine} / base-{kind}: CPU {cpu:.3f}, wall {wall:.3f}")
    # The targets: streaming alone <= 1.05; with recording <= 1.15 before Python 3.12, and
    # <= 1.05 with sys.monitoring (3.12+).
    recording_target = RECORDING_TARGET_MONITORING if has_monitoring(python) else RECORDING_TARGET
    for name, target, what in (
        ("gateui-no-record", TARGET_RATIO, "streaming (--no-record)"),
        ("gateui", recording_target, "recording (the default)"),
    ):
        if name in times:
            verdict = target_verdict(ratios(name, "wall_s"), target)
            print(f"{what}, wall ratio <= {target}: {verdict}")

    usage = measure_rusage(repo)
    hwm = measure_vmhwm(repo)
    print("\ngateui parent process (separate, untimed runs):")
    print(
        table(
            ["measure", "value"],
            [
                [
                    "peak RSS, getrusage(SELF) in wrapper",
                    f"{usage['self_maxrss_kib'] / 1024:.1f} MiB",
                ],
                ["peak RSS, VmHWM polled (console script)", f"{hwm / 1024:.1f} MiB"],
                ["CPU time user+sys (wrapper)", f"{usage['self_cpu_s']:.3f} s"],
                [
                    "pytest child peak RSS (RUSAGE_CHILDREN)",
                    f"{usage['children_maxrss_kib'] / 1024:.1f} MiB",
                ],
                ["pytest child CPU user+sys", f"{usage['children_cpu_s']:.3f} s"],
            ],
        )
    )
    if args.profile:
        profile(repo, args.profile)
    print(f"at end: {load_average()}")
    if source_fingerprint() != fingerprint:
        print(f"WARNING: gateui's source changed during the run (now {source_fingerprint()})")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept: {repo}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

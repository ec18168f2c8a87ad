"""What the event plugin and the recorder cost inside pytest, in instructions executed.

CPU time on this shared 2-core machine moves by several per cent with the load of the moment,
more than most changes to the plugin are worth. The number of instructions a process executes
does not: ``valgrind --tool=cachegrind --cache-sim=no`` counts them (a run takes about 40 times
as long), with the hash seed fixed. The count is not time (an instruction that misses the
cache costs more than one that hits), but a change that removes work removes instructions, and
it shows with no noise to average away.

Arms, on a generated repository of trivial tests (``--tests``, default 1,000; ``--quick``: one
test, no plugin-only arm, and unless ``--python`` a virtualenv of pytest alone, whose pytest
starts on a third fewer instructions than gateui's: each run under valgrind takes seconds), all
with ``-p no:cacheprovider`` and PYTHONDONTWRITEBYTECODE=1, the plugin's bytecode compiled first
for the interpreter (as an install does):

  plain     python -m pytest
  plugin    the same with gateui's event plugin, events written to /dev/null
  record    the plugin with recording on (GATEUI_RECORD): every test recorded, as in a first run
  kept      recording on with every test's recording current (the record-skip list names them
            all): the default ``gateui run`` on an unchanged tree

``--baseline SRC`` adds the plugin and record arms of another gateui's ``src`` (``git archive``
of an older commit). ``--python`` picks the interpreter (a virtualenv with pytest; by default
gateui's own, ``--quick``: ``_interpreters.lean_pytest_venv``). Reported: instructions per arm,
their excess over ``plain`` per test, and the ratio to ``plain`` — which includes pytest's
start-up, so it shrinks with more tests.

    .venv/bin/python bench/plugin_instructions.py --baseline /tmp/base/src \\
        --python ~/.cache/gateui-bench/venvs/py312-pytest-8.4.2/bin/python
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _interpreters import lean_pytest_venv
from _util import (
    NO_CACHE,
    PYTHON,
    bench_env,
    command_line,
    generate_repo,
    git_commit_all,
    load_average,
    machine,
    table,
)

from gateui.core.running._record_skip import END as RECORD_SKIP_END
from gateui.core.running._record_skip import RECORD_SKIP_ENV

SOURCE = Path(__file__).resolve().parent.parent / "src"
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(
    argv: list[str], cwd: Path, env: dict[str, str], pass_fds: tuple[int, ...] = ()
) -> int:
    valgrind = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
    ]
    done = subprocess.run(
        [*valgrind, *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        pass_fds=pass_fds,
    )
    found = _REFS.search(done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind:\n{done.stderr[-2000:]}")
    if done.returncode != 0:
        raise SystemExit(f"pytest failed ({done.returncode}):\n{done.stdout[-2000:]}")
    return int(found.group(1).replace(",", ""))


def kept_instructions(argv: list[str], repo: Path, env: dict[str, str]) -> int:
    """The count of a recording run whose record-skip list names every test (gateui sends it
    through a pipe; a file read to its end is the same to the plugin)."""
    collect = [argv[0], "-m", "pytest", *NO_CACHE, "--collect-only", "-q"]
    listed = subprocess.run(collect, cwd=repo, env=env, capture_output=True, text=True, check=True)
    nodeids = [line for line in listed.stdout.splitlines() if "::" in line]
    with tempfile.TemporaryFile() as skip:
        skip.write(("\n".join([*nodeids, RECORD_SKIP_END])).encode())
        skip.seek(0)
        fd = skip.fileno()
        return instructions(argv, repo, {**env, RECORD_SKIP_ENV: f"fd:{fd}"}, (fd,))


def compile_plugin(python: Path, src: Path) -> None:
    implementation = src / "gateui" / "pytest_plugin_implementation"
    subprocess.run([str(python), "-m", "compileall", "-q", str(implementation)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 test, no plugin-only arm, a venv of pytest alone (unless --python): a smoke check",
    )
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--python", type=Path, help="a Python with pytest (default: gateui's)")
    parser.add_argument("--baseline", type=Path, metavar="SRC", help="another gateui's src")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing measured")
        return 0
    tests = 1 if args.quick else args.tests
    if args.python is None:
        # gateui's development plugins (xdist, textual's snapshots...) load in every arm: a smoke
        # check runs where pytest starts on fewer instructions, each one slow under valgrind.
        args.python = lean_pytest_venv() if args.quick else PYTHON
    sides = [("", SOURCE)] + ([("base-", args.baseline)] if args.baseline else [])
    with tempfile.TemporaryDirectory(prefix="gateui-instr-") as scratch:
        repo = Path(scratch) / "repo"
        generate_repo(repo, max(1, tests // 100), 100 if tests >= 100 else tests)
        git_commit_all(repo)
        # A fixed hash seed: set and dict orders, and so the work done, repeat exactly.
        base_env = {"PYTHONHASHSEED": "0"}
        pytest_argv = [str(args.python), "-m", "pytest", *NO_CACHE, "-q"]
        counts = {"plain": instructions(pytest_argv, repo, bench_env(base_env))}
        for label, src in sides:
            compile_plugin(args.python, src)
            plugin_env = {
                **base_env,
                "PYTHONPATH": str(src / "gateui" / "pytest_plugin"),
                "GATEUI_EVENTS": "/dev/null",
            }
            argv = [str(args.python), "-m", "pytest", "-p", "gateui_events", *NO_CACHE, "-q"]
            if not args.quick:
                counts[f"{label}plugin"] = instructions(argv, repo, bench_env(plugin_env))
            record_env = {**plugin_env, "GATEUI_RECORD": str(repo)}
            counts[f"{label}record"] = instructions(argv, repo, bench_env(record_env))
            counts[f"{label}kept"] = kept_instructions(argv, repo, bench_env(record_env))
    plain = counts["plain"]
    rows = [
        [
            arm,
            f"{count:,}",
            f"{(count - plain) / tests:,.0f}" if arm != "plain" else "",
            f"{count / plain:.3f}",
        ]
        for arm, count in counts.items()
    ]
    print(f"# {command_line()}")
    print(f"# {machine()}; {load_average()}; {tests} trivial tests; {args.python}")
    print(table(["arm", "instructions", "over plain, per test", "ratio to plain"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

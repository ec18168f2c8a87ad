"""What matrix legs cost a pre-push: ``legs = "local"`` against ``legs = "all"``.

A generated repository of --tests trivial tests whose CI job runs on a matrix of Python 3.10,
3.11 and 3.12 (``actions/setup-python``, ``pip install pytest``, ``python -m pytest``). Two
branches differ only in ``[tool.gateui.gate] legs``. Measured:

1. The first build of each leg's environment (a fresh cache folder: virtualenv, or ``python -m
   venv`` where virtualenv cannot, and the job's ``pip install``), as the gate reports it.
2. Then, with the environments reused (a pre-push's steady state), rounds alternating the arms:
     local     ``gateui gate --no-cache local`` (one leg: the local interpreter's version)
     all       ``gateui gate --no-cache all`` (three legs)
     by-hand   each leg's ``python -m pytest`` run by hand with the leg environments' pythons
   The first round is a warm-up and is discarded.

    .venv/bin/python bench/gate_legs.py [--rounds 5] [--tests 600]

``--quick`` (a smoke check of the benchmark itself): 50 tests, one round, and a matrix of the
local Python only, so a single leg environment is built.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _util import (
    GATEUI,
    bench_env,
    command_line,
    generate_repo,
    git_commit_all,
    load_average,
    machine,
    median,
    table,
    time_command,
)

VERSIONS = ("3.10", "3.11", "3.12")
WORKFLOW = """name: CI
on: [pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: {versions}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
      - run: pip install pytest
      - run: python -m pytest -p no:cacheprovider -q
"""


def _git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def _make_repo(root: Path, tests: int, versions: tuple[str, ...]) -> Path:
    repo = root / "repo"
    repo.mkdir()
    generate_repo(repo, modules=max(1, tests // 50), tests_per_module=50, total_tests=tests)
    (repo / ".github" / "workflows").mkdir(parents=True)
    matrix = json.dumps(list(versions))
    (repo / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW.replace("{versions}", matrix))
    git_commit_all(repo)
    for setting in ("local", "all"):
        _git(repo, "checkout", "-q", "-b", setting, "main")
        (repo / "pyproject.toml").write_text(f'[tool.gateui.gate]\nlegs = "{setting}"\n')
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"legs = {setting}")
    _git(repo, "checkout", "-q", "main")
    return repo


def _gate_json(repo: Path, branch: str, env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(
        [str(GATEUI), "gate", "--json", "--no-cache", branch],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    data: dict[str, object] = json.loads(result.stdout)
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tests", type=int, default=600)
    parser.add_argument("--quick", action="store_true", help="50 tests, 1 round, 1 leg")
    options = parser.parse_args()
    versions: tuple[str, ...] = VERSIONS
    if options.quick:
        options.rounds, options.tests = 1, 50
        versions = (f"{sys.version_info.major}.{sys.version_info.minor}",)
    with tempfile.TemporaryDirectory(prefix="gate-legs-bench-") as folder:
        root = Path(folder)
        repo = _make_repo(root, options.tests, versions)
        env = bench_env({"XDG_CACHE_HOME": str(root / "cache")})

        first = _gate_json(repo, "all", env)
        legs = first["legs"]
        assert isinstance(legs, list)
        builds = []
        pythons: list[Path] = []
        for leg in legs:
            environment = leg["environment"]
            builds.append(
                [leg["python"], leg["interpreter"]["version"], f"{environment['seconds']:.1f}"]
            )
            pythons.append(Path(environment["path"]) / "bin" / "python")
        print(f"first gate (builds every leg): verdict {first['verdict']}")
        print(table(["leg", "interpreter", "environment built (s)"], builds))

        times: dict[str, list[float]] = {"local": [], "all": [], "by-hand": []}
        for round_number in range(options.rounds + 1):
            measured = {
                "local": time_command(
                    [str(GATEUI), "gate", "--no-cache", "local"],
                    repo,
                    env,
                    # With other legs not run the verdict is partial (3).
                    check_rc=3 if len(versions) > 1 else 0,
                ).wall_s,
                "all": time_command([str(GATEUI), "gate", "--no-cache", "all"], repo, env).wall_s,
                "by-hand": sum(
                    time_command(
                        [str(p), "-m", "pytest", "-p", "no:cacheprovider", "-q"], repo, env
                    ).wall_s
                    for p in pythons
                ),
            }
            if round_number:
                for arm, value in measured.items():
                    times[arm].append(value)
        local, every, by_hand = (median(times[a]) for a in ("local", "all", "by-hand"))
        print()
        print(
            table(
                ["arm", "median wall (s)", "vs local", "vs by hand"],
                [
                    ['legs = "local" (1 leg)', f"{local:.2f}", "1.00", "—"],
                    [
                        f'legs = "all" ({len(versions)} legs)',
                        f"{every:.2f}",
                        f"{every / local:.2f}",
                        f"{every / by_hand:.2f}",
                    ],
                    [
                        f"{len(versions)} legs by hand",
                        f"{by_hand:.2f}",
                        f"{by_hand / local:.2f}",
                        "1.00",
                    ],
                ],
            )
        )
        print(f"\n{machine()}; {load_average()}; {options.rounds} rounds")
        print(command_line())


if __name__ == "__main__":
    main()

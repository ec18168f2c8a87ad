"""Matrix legs in the gate: each leg runs on the Python it names, in an environment built by the
job's own install commands and kept between runs; a leg that cannot run here is partial, with
the reason. Real pyenv interpreters, real pip installs, real gate runs in real git repositories.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gateui.core.gate._leg_env import environment_key, project_reinstalls
from gateui.core.gate._legs import choose_versions
from gateui.core.gate._python_finder import FoundPython, find_python
from gateui.core.gate.check import GateCheck
from gateui.core.gate.infer import infer_gate
from gateui.core.gate.sources import DirSource
from helpers import alive, gate_report, init_repo, run_cli

PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
CACHE_HOME = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gateui-tests"
"""The leg environments of these tests, kept between test runs (``gateui/legs`` in it)."""


LEGCALC_PYPROJECT = """
    [build-system]
    requires = ["setuptools>=61"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "legcalc"
    version = "0.1"

    [tool.setuptools.packages.find]
    where = ["src"]
"""
"""An installable package ``legcalc`` (``src/legcalc``) for the leg environment tests."""
EDITABLE_LEGCALC_WORKFLOW = """
    on: pull_request
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/setup-python@v5
            with:
              python-version: "3.12"
          - run: pip install -e . pytest
          - name: Tests
            run: pytest -q
"""
"""A 3.12 leg that installs the project editable, then runs its tests."""


def _has_pyenv(version: str) -> bool:
    return (
        any(p.name.startswith(version + ".") for p in PYENV.glob("*")) if PYENV.is_dir() else False
    )


needs_310_312 = pytest.mark.skipif(
    not (_has_pyenv("3.10") and _has_pyenv("3.12")),
    reason="needs Python 3.10 and 3.12 under pyenv",
)


@pytest.fixture(scope="session")
def package_index() -> None:
    """The package index as pip sees it (its configuration, mirrors and all): skip without it."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "index", "versions", "pytest-rerunfailures"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("the package index does not answer (pip index timed out)")
    if result.returncode != 0 or "pytest-rerunfailures" not in result.stdout:
        pytest.skip(f"the package index is unreachable: {result.stderr.strip()[-200:]}")


def make_repo(root: Path, workflow: str, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/ci.yml").write_text(textwrap.dedent(workflow).lstrip())
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return init_repo(root)


def gate(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    return gate_report(repo, "--no-cache", *args, env={"XDG_CACHE_HOME": str(CACHE_HOME)})


def steps_by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in report["steps"]}


VERSION_TEST = """
    import os
    import sys


    def test_runs_on_the_legs_python():
        wanted = os.environ["LEG_PYTHON"]
        assert "%d.%d" % sys.version_info[:2] == wanted
        with open("ran-on.txt", "a") as out:
            out.write(sys.executable + "\\n")
"""

MATRIX_WORKFLOW = """
    name: CI
    on: [pull_request]
    jobs:
      test:
        runs-on: ubuntu-latest
        strategy:
          matrix:
            python-version: ["3.12", "3.10", "2.6", "3.11"]
            exclude:
              - python-version: "3.11"
        env:
          LEG_PYTHON: ${{ matrix.python-version }}
        steps:
          - uses: actions/checkout@v4
          - uses: actions/setup-python@v5
            with:
              python-version: ${{ matrix.python-version }}
          - run: python -m pip install --upgrade pip
          - run: pip install -r requirements.txt
          - name: Tests
            run: pytest -q
"""


@pytest.mark.integration
@needs_310_312
def test_each_leg_runs_on_the_python_it_names_and_a_missing_one_is_partial(
    tmp_path: Path, package_index: None
) -> None:
    repo = make_repo(
        tmp_path / "repo",
        MATRIX_WORKFLOW,
        {"requirements.txt": "pytest\n", "tests/test_version.py": VERSION_TEST},
    )
    code, report = gate(repo)
    steps = steps_by_name(report)
    assert "Tests (python-version=3.11)" not in steps  # excluded by the matrix
    for version in ("3.12", "3.10"):
        step = steps[f"Tests (python-version={version})"]
        assert step["verdict"] == "pass", step
        assert step["reason"] == "exit 0 — 1 passed"
        assert step["leg"]["interpreter"]["version"].startswith(version + ".")
        assert step["leg"]["interpreter"]["path"].startswith(str(PYENV))
    missing = steps["Tests (python-version=2.6)"]
    assert missing["verdict"] == "not-reproduced"
    assert missing["why"] == (
        "2.6 leg not reproduced: no Python 2.6 found (looked in pyenv, uv and PATH)"
    )
    assert (report["verdict"], code) == ("partial", 3)
    assert "1 not reproduced here: Tests (python-version=2.6)" in report["reason"]
    legs = {leg["python"]: leg for leg in report["legs"]}
    assert set(legs) == {"3.12", "3.10", "2.6"}
    assert legs["2.6"]["not_run"].startswith("2.6 leg not reproduced")
    # The environment was built by the job's installs: pip and the requirements, nothing else.
    for version in ("3.12", "3.10"):
        folder = Path(legs[version]["environment"]["path"])
        assert folder.is_relative_to(CACHE_HOME / "gateui" / "legs")
        python = folder / "bin" / "python"
        listed = subprocess.run(
            [str(python), "-m", "pip", "list", "--format=json"],
            capture_output=True,
            text=True,
            check=True,
        )
        names = {p["name"].lower() for p in json.loads(listed.stdout)}
        assert "pytest" in names and "gateui" not in names

    again_code, again = gate(repo)
    assert (again["verdict"], again_code) == ("partial", 3)
    reused = {leg["python"]: leg.get("environment", {}).get("reused") for leg in again["legs"]}
    assert reused == {"3.12": True, "3.10": True, "2.6": None}
    assert {leg["python"]: leg["environment"]["path"] for leg in again["legs"][:2]} == {
        v: legs[v]["environment"]["path"] for v in ("3.12", "3.10")
    }


@pytest.mark.integration
@needs_310_312
def test_a_changed_requirements_file_builds_a_new_environment_and_a_leg_fails_on_its_python(
    tmp_path: Path, package_index: None
) -> None:
    """A test that only fails on 3.10 fails the 3.10 leg; a changed dependency file is a new
    environment (another key), the old one stays for the old content."""
    workflow = MATRIX_WORKFLOW.replace('"3.12", "3.10", "2.6", "3.11"', '"3.12", "3.10"')
    repo = make_repo(
        tmp_path / "repo",
        workflow,
        {
            "requirements.txt": "pytest\n",
            "tests/test_new_syntax.py": """
                import sys


                def test_only_on_311_and_later():
                    assert sys.version_info >= (3, 11), "needs 3.11"
            """,
        },
    )
    code, first = gate(repo)
    steps = steps_by_name(first)
    assert steps["Tests (python-version=3.12)"]["verdict"] == "pass"
    failing = steps["Tests (python-version=3.10)"]
    assert failing["verdict"] == "fail"
    assert "tests/test_new_syntax.py::test_only_on_311_and_later" in failing["reason"]
    assert (first["verdict"], code) == ("fail", 1)

    (repo / "requirements.txt").write_text("pytest\niniconfig\n")
    subprocess.run(["git", "commit", "-qam", "more"], cwd=repo, check=True)
    _, second = gate(repo)
    before = {leg["python"]: leg["environment"]["path"] for leg in first["legs"]}
    after = {leg["python"]: leg["environment"]["path"] for leg in second["legs"]}
    assert all(before[v] != after[v] for v in before)


@pytest.mark.integration
@needs_310_312
def test_a_ci_installed_plugin_is_in_the_legs_environment(
    tmp_path: Path, package_index: None
) -> None:
    """The project's own interpreter lacks pytest-rerunfailures and pytest-cov; CI installs
    them, and the steps that rely on them pass in the leg's environment as on CI."""
    local = subprocess.run(
        [sys.executable, "-c", "import pytest_rerunfailures"], capture_output=True, check=False
    )
    assert local.returncode != 0, "this test needs a local environment without the plugin"
    repo = make_repo(
        tmp_path / "repo",
        """
        on: pull_request
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.12"
              - run: pip install pytest pytest-rerunfailures pytest-cov
              - name: Flaky once
                run: pytest -q --reruns 2 -p no:cacheprovider tests/test_flaky.py
              - name: Coverage floor
                run: pytest -q --cov=calc --cov-fail-under=90 tests/test_calc.py
        """,
        {
            "calc.py": "def add(a, b):\n    return a + b\n",
            "tests/test_calc.py": "from calc import add\n\n\ndef test_add():\n"
            "    assert add(1, 2) == 3\n",
            "tests/test_flaky.py": """
                from pathlib import Path


                def test_passes_on_the_second_try():
                    marker = Path("flaky-marker")
                    if not marker.exists():
                        marker.write_text("once")
                        raise AssertionError("first try fails")
            """,
            "conftest.py": "",
        },
    )
    code, report = gate(repo)
    steps = steps_by_name(report)
    assert steps["Flaky once"]["verdict"] == "pass", steps["Flaky once"]
    coverage = steps["Coverage floor"]
    assert coverage["verdict"] == "pass", coverage
    assert coverage["leg"]["interpreter"]["version"].startswith("3.12.")
    assert (report["verdict"], code) == ("pass", 0)


@pytest.mark.integration
@needs_310_312
def test_a_plugin_option_ci_does_not_install_is_never_dropped_in_a_leg(
    tmp_path: Path, package_index: None
) -> None:
    """The leg's environment is CI's: ``--cov-fail-under`` without pytest-cov is not run
    without its floor (a pass that checked nothing); pytest refuses it, and the step is not
    reproduced."""
    repo = make_repo(
        tmp_path / "repo",
        """
        on: pull_request
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.12"
              - run: pip install -r requirements.txt
              - name: Coverage floor
                run: pytest -q --cov=calc --cov-fail-under=90
        """,
        {
            "requirements.txt": "pytest\n",
            "calc.py": "def add(a, b):\n    return a + b\n",
            "tests/test_calc.py": "from calc import add\n\n\ndef test_add():\n"
            "    assert add(1, 2) == 3\n",
        },
    )
    code, report = gate(repo)
    step = steps_by_name(report)["Coverage floor"]
    assert step["verdict"] == "not-reproduced", step
    assert "rejects --cov=calc --cov-fail-under=90" in step["why"]
    assert not any("NOT checked" in w for w in step["warnings"])
    assert (report["verdict"], code) == ("partial", 3)


@pytest.mark.integration
@needs_310_312
def test_an_environment_that_cannot_be_built_is_partial_with_pips_reason(
    tmp_path: Path, package_index: None
) -> None:
    repo = make_repo(
        tmp_path / "repo",
        """
        on: pull_request
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.12"
              - run: pip install pytest gateui-no-such-package-xyz
              - name: Tests
                run: pytest -q --reruns 2
        """,
        {"tests/test_x.py": "def test_x():\n    assert True\n"},
    )
    code, report = gate(repo)
    step = steps_by_name(report)["Tests"]
    assert step["verdict"] == "not-reproduced"
    assert step["why"].startswith(
        "3.12 leg not reproduced: its environment cannot be built:"
        " `pip install pytest gateui-no-such-package-xyz` failed (exit 1) on Python 3.12."
    )
    assert "gateui-no-such-package-xyz" in step["why"].split("failed", 1)[1]
    assert (report["verdict"], code) == ("partial", 3)
    assert "environment" not in report["legs"][0]


@pytest.mark.integration
@needs_310_312
def test_a_reused_environment_imports_the_commit_under_check(
    tmp_path: Path, package_index: None
) -> None:
    """``pip install -e .`` in a cached environment is installed again from each checkout: a
    broken commit fails on a reused environment, never passes on the code it was built from."""
    repo = make_repo(
        tmp_path / "repo",
        EDITABLE_LEGCALC_WORKFLOW,
        {
            "pyproject.toml": LEGCALC_PYPROJECT,
            "src/legcalc/__init__.py": "def add(a, b):\n    return a + b\n",
            "tests/test_add.py": "from legcalc import add\n\n\ndef test_add():\n"
            "    assert add(2, 2) == 4\n",
        },
    )
    code, first = gate(repo)
    assert (first["verdict"], code) == ("pass", 0), first["reason"]
    (repo / "src/legcalc/__init__.py").write_text("def add(a, b):\n    return a - b\n")
    subprocess.run(["git", "commit", "-qam", "broken"], cwd=repo, check=True)
    code, second = gate(repo)
    assert second["legs"][0]["environment"]["reused"] is True
    # A new worktree each check: the editable install is pointed at it, without pip.
    assert second["legs"][0]["environment"]["project"] == "repointed"
    assert (second["verdict"], code) == ("fail", 1)
    assert "tests/test_add.py::test_add" in steps_by_name(second)["Tests"]["reason"]


@pytest.mark.integration
def test_legs_local_runs_the_local_version_and_names_the_others(
    tmp_path: Path, package_index: None
) -> None:
    local = "{}.{}".format(*sys.version_info[:2])
    other = "3.12" if local != "3.12" else "3.10"
    if not _has_pyenv(other) or find_python(local) is None:
        pytest.skip(f"needs Python {local} and {other} here")
    workflow = MATRIX_WORKFLOW.replace(
        '"3.12", "3.10", "2.6", "3.11"', f'"{other}", "{local}"'
    ).replace('- python-version: "3.11"', '- python-version: "9.9"')
    repo = make_repo(
        tmp_path / "repo",
        workflow,
        {
            "requirements.txt": "pytest\n",
            "tests/test_version.py": VERSION_TEST,
            "pyproject.toml": '[tool.gateui.gate]\nlegs = "local"\n',
        },
    )
    code, report = gate(repo)
    steps = steps_by_name(report)
    assert steps[f"Tests (python-version={local})"]["verdict"] == "pass"
    skipped = steps[f"Tests (python-version={other})"]
    assert skipped["verdict"] == "not-reproduced"
    assert skipped["why"] == f'{other} leg not run here: [tool.gateui.gate] legs = "local"'
    assert (report["verdict"], code) == ("partial", 3)


@pytest.mark.integration
@pytest.mark.parametrize("value", ['"some"', "0", "true", '"2"'])
def test_a_bad_legs_setting_is_refused_naming_the_key(tmp_path: Path, value: str) -> None:
    repo = make_repo(
        tmp_path / "repo",
        "on: pull_request\njobs: {}\n",
        {"pyproject.toml": f"[tool.gateui.gate]\nbase = 'main'\nlegs = {value}\n"},
    )
    result = run_cli(["gate"], repo)
    assert result.code == 2, result.stdout + result.stderr
    assert "pyproject.toml:3: tool.gateui.gate.legs must be" in result.stderr
    assert "got " in result.stderr


@pytest.mark.unit
def test_choosing_legs() -> None:
    versions = ["3.9", "3.10", "3.11", "3.12", "3.13"]
    assert choose_versions(versions, "all", (3, 11, 7)) == versions
    assert choose_versions(versions, "local", (3, 11, 7)) == ["3.11"]
    found_here = [v for v in versions if find_python(v) is not None]
    # The local version, then the newest and the oldest found here.
    chosen = choose_versions(versions, "3", (3, 11, 7))
    assert chosen[0] == "3.11"
    others = sorted((v for v in found_here if v != "3.11"), key=lambda v: int(v.split(".")[1]))
    assert chosen[1:] == [others[-1], others[0]][: len(chosen) - 1]
    # No leg has the local version: "local" runs the newest found here.
    assert (
        choose_versions(["3.10", "3.12"], "local", (3, 11, 0))
        == ([v for v in ["3.10", "3.12"] if find_python(v)][-1:])
    )


@pytest.mark.unit
@needs_310_312
def test_finding_interpreters_by_version() -> None:
    found = find_python("3.10")
    assert found is not None and found.version.startswith("3.10.")
    assert found.where == "pyenv"
    exact = find_python(found.version)
    assert exact is not None and exact.path == found.path
    assert find_python("2.6") is None
    assert find_python("pypy3.10") is None
    newest = find_python("3.x")  # setup-python's "the newest 3"
    assert newest is not None and newest.version.startswith("3.")
    assert tuple(map(int, newest.version.split(".")[:2])) >= (3, 12)


@pytest.mark.unit
def test_inference_reads_legs_and_their_installs(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        """
        on: pull_request
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ["3.10", "3.12"]
                include:
                  - python: "3.12"
                    extra: "pytest-cov"
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: ${{ matrix.python }}
              - run: |
                  sudo apt-get install -y libxml2-dev
                  python -m pip install --upgrade pip
                  pip install -e '.[test]' ${{ matrix.extra }}
              - name: Tests
                working-directory: backend
                run: |
                  pip install -r requirements-dev.txt
                  pytest -q
          docs:
            runs-on: ubuntu-latest
            steps:
              - run: pip install sphinx
              - run: sphinx-build docs out
          db:
            runs-on: ubuntu-latest
            services:
              postgres:
                image: postgres:16
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.12"
              - run: pip install pytest
              - run: pytest
        """,
        {"backend/requirements-dev.txt": "pytest\n"},
    )
    gate_def = infer_gate(DirSource(repo), "main", None)
    tests = {s.name: s for s in gate_def.steps if s.name.startswith("Tests")}
    assert set(tests) == {"Tests (python=3.10)", "Tests (python=3.12, extra=pytest-cov)"}
    leg = tests["Tests (python=3.12, extra=pytest-cov)"].leg
    assert leg is not None and leg.python == "3.12"
    assert leg.installs == (
        (".", "python -m pip install --upgrade pip"),
        (".", "pip install -e '.[test]' pytest-cov"),
        ("backend", "pip install -r requirements-dev.txt"),
    )
    assert leg.not_replayed == ("sudo apt-get install -y libxml2-dev",)
    step = tests["Tests (python=3.10)"]
    assert step.leg is not None and step.leg.installs[1] == (".", "pip install -e '.[test]'")
    assert any("installed in the leg's environment instead" in n for n in step.notes)
    # No setup-python: no leg, the project's environment as before.
    docs = [s for s in gate_def.steps if s.command == "sphinx-build docs out"]
    assert docs and docs[0].leg is None
    # A services job is not reproduced, saying whether a container engine answers here.
    db = [s for s in gate_def.steps if s.job.endswith("#db") and s.command == "pytest"]
    assert db and not db[0].runs_locally and db[0].leg is None
    assert "service containers (postgres); " in db[0].why_not
    assert "answer" in db[0].why_not or "no container engine" in db[0].why_not


@pytest.mark.unit
def test_what_an_environment_is_keyed_by_and_what_is_installed_again(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text("[project]\nname = 'a'\n")
    (checkout / "pkg" / "pyproject.toml").write_text("[project]\nname = 'b'\n")
    (checkout / "requirements.txt").write_text("-e .\n-r requirements/more.txt\n")
    (checkout / "requirements").mkdir()
    (checkout / "requirements" / "more.txt").write_text("pytest\n")
    base = FoundPython(Path("/usr/bin/python3.12"), "3.12.1", "PATH")
    installs = [
        (".", "python -m pip install --upgrade pip"),
        (".", "pip install -r requirements.txt"),
        (".", "pip install -e '.[test]' pytest-cov ./pkg"),
    ]
    key = environment_key(base, installs, checkout)
    assert project_reinstalls(installs, checkout) == [
        (".", "python -m pip install --no-deps -e ."),
        (".", "python -m pip install --no-deps -e '.[test]' ./pkg"),
    ]
    # An included requirements file, a local project's metadata, the interpreter: a new key.
    (checkout / "requirements" / "more.txt").write_text("pytest<9\n")
    changed_include = environment_key(base, installs, checkout)
    (checkout / "pkg" / "pyproject.toml").write_text("[project]\nname = 'b2'\n")
    changed_project = environment_key(base, installs, checkout)
    other_python = environment_key(FoundPython(base.path, "3.12.2", "PATH"), installs, checkout)
    assert len({key, changed_include, changed_project, other_python}) == 4
    # The code itself is not in the key: it is installed again from each checkout.
    (checkout / "pkg" / "module.py").write_text("x = 1\n")
    assert environment_key(base, installs, checkout) == changed_project


@pytest.mark.unit
def test_legs_that_install_different_versions_are_not_merged(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        """
        on: pull_request
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                django: ["4.2", "5.1"]
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.12"
              - run: pip install "django==${{ matrix.django }}" pytest
              - run: pytest
        """,
        {},
    )
    steps = [s for s in infer_gate(DirSource(repo), "main", None).steps if s.runs_locally]
    assert [(s.name, s.leg.installs if s.leg else None) for s in steps] == [
        ("Run pytest (django=4.2)", ((".", 'pip install "django==4.2" pytest'),)),
        ("Run pytest (django=5.1)", ((".", 'pip install "django==5.1" pytest'),)),
    ]


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in command and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


@pytest.mark.integration
@needs_310_312
def test_cancelling_the_gate_stops_an_environment_build_and_everything_it_started(
    tmp_path: Path, package_index: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = f"gateui-slow-build-{os.getpid()}-{tmp_path.name}"
    repo = make_repo(
        tmp_path / "repo",
        """
        on: pull_request
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.12"
              - run: pip install ./slowpkg
              - run: pytest
        """,
        {
            "slowpkg/setup.py": f"""
                import subprocess
                import sys

                # Builds forever: a child that sleeps, named so the test can look for it.
                subprocess.run([sys.executable, "-c", "import time; time.sleep(600)", "{marker}"])
            """,
        },
    )
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    check = GateCheck(repo, use_cache=False)
    events: list[object] = []

    def consume() -> None:
        with contextlib.suppress(KeyboardInterrupt):
            for event in check.events():
                events.append(event)

    worker = threading.Thread(target=consume)
    worker.start()
    deadline = time.monotonic() + 180
    while not _processes_mentioning(marker):
        assert time.monotonic() < deadline, f"the build never started: {events}"
        assert worker.is_alive(), f"the gate ended before building: {events}"
        time.sleep(0.2)
    check.cancel()
    worker.join(timeout=30)
    assert not worker.is_alive()
    deadline = time.monotonic() + 10
    while _processes_mentioning(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_mentioning(marker) == []
    assert not any(p.is_dir() for p in (tmp_path / "cache" / "gateui" / "legs").glob("py3.12*")), (
        "a half-built environment was kept"
    )


def test_a_failed_build_releases_its_lock_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TUI and watch run the gate again in the same process: a build that failed (or was
    cancelled) must not keep its environment locked until that process ends."""
    import fcntl

    from gateui.core.gate._leg_env import LegBuildError, LegEnvironments, legs_folder

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    version = ".".join(str(part) for part in sys.version_info[:3])
    base = FoundPython(Path(sys.executable), version, "PATH")
    installs = [(".", "pip install --no-index gateui-no-such-package-xyz")]
    environments = LegEnvironments()
    with pytest.raises(LegBuildError):
        environments.get(base, installs, checkout)
    (lock,) = legs_folder().glob("*.lock")
    handle = os.open(lock, os.O_RDWR)
    try:
        # Raises BlockingIOError while the failed build still holds it.
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(handle)
        environments.close()


@pytest.mark.unit
def test_only_a_project_that_builds_no_code_is_repointed(tmp_path: Path) -> None:
    from gateui.core.gate._editable_repoint import can_repoint

    def project(name: str, files: dict[str, str]) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for file, text in files.items():
            (folder / file).write_text(textwrap.dedent(text))
        return folder

    hatch = project(
        "hatch",
        {"pyproject.toml": '[build-system]\nbuild-backend = "hatchling.build"\n'},
    )
    plain_setup = project("plain", {"setup.py": "from setuptools import setup\nsetup()\n"})
    extension = project(
        "ext",
        {
            "setup.py": "from setuptools import Extension, setup\n"
            "setup(ext_modules=[Extension('fast', ['fast.c'])])\n"
        },
    )
    maturin = project("rust", {"pyproject.toml": '[build-system]\nbuild-backend = "maturin"\n'})
    hooked = project(
        "hooked",
        {
            "pyproject.toml": '[build-system]\nbuild-backend = "hatchling.build"\n'
            "[tool.hatch.build.hooks.custom]\n"
        },
    )
    versioned = project(
        "versioned",
        {
            "pyproject.toml": '[build-system]\nbuild-backend = "hatchling.build"\n'
            '[tool.hatch.build.hooks.vcs]\nversion-file = "src/v/_version.py"\n'
        },
    )
    wheel_hooked = project(
        "wheel_hooked",
        {
            "pyproject.toml": '[build-system]\nbuild-backend = "hatchling.build"\n'
            "[tool.hatch.build.targets.wheel.hooks.mypyc]\n"
        },
    )
    # hatch-vcs's hook writes a version file, kept with the environment: no code is built.
    assert can_repoint([hatch, plain_setup, versioned])
    for builds_code in (extension, maturin, hooked, wheel_hooked, tmp_path / "missing"):
        assert not can_repoint([hatch, builds_code]), builds_code.name


@pytest.mark.integration
@needs_310_312
def test_two_jobs_on_one_leg_each_import_their_own_checkout(
    tmp_path: Path, package_index: None
) -> None:
    """Two jobs with the same Python and installs share the kept environment, but each job runs
    in its own fresh checkout: the environment's editable install follows the job that uses it,
    never the checkout of the job before."""
    job = """
            runs-on: ubuntu-latest
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.12"
              - run: pip install -e . pytest
    """
    check = (
        "python -c 'import legcalc, os, pathlib;"
        " assert pathlib.Path(legcalc.__file__).resolve().is_relative_to("
        'pathlib.Path(os.environ["GITHUB_WORKSPACE"]).resolve()), legcalc.__file__\''
    )
    workflow = "on: pull_request\njobs:\n" + "".join(
        f"  {name}:\n"
        + textwrap.indent(textwrap.dedent(job).strip("\n"), "    ")
        + f"\n      - name: {name} imports its checkout\n        run: {check} {name}\n"
        for name in ("first", "second")
    )
    repo = make_repo(
        tmp_path / "repo",
        workflow,
        {
            "pyproject.toml": LEGCALC_PYPROJECT,
            "src/legcalc/__init__.py": "def add(a, b):\n    return a + b\n",
        },
    )
    code, report = gate(repo)
    steps = steps_by_name(report)
    # (The job's name on the command line: equal steps would be run once, for both jobs.)
    assert steps["first imports its checkout"]["verdict"] == "pass", steps
    assert steps["second imports its checkout"]["verdict"] == "pass", steps
    assert (report["verdict"], code) == ("pass", 0), report["reason"]


@pytest.mark.integration
@needs_310_312
def test_a_repointed_environment_keeps_the_files_its_install_generated(
    tmp_path: Path, package_index: None
) -> None:
    """A version file the install writes into the checkout (setuptools-scm's ``write_to``,
    hatch-vcs's ``version-file``: ignored, never committed) is in every new checkout a reused
    environment is pointed at, as the install on CI leaves it; without it the package would
    not import there, a failure CI never has."""
    setup = (
        "from pathlib import Path\n"
        "from setuptools import setup\n"
        "# As a version-file hook does: written at every build, ignored by git.\n"
        "Path('src/legcalc/_version.py').write_text('version = \"0.1\"\\n')\n"
        "setup()\n"
    )
    repo = make_repo(
        tmp_path / "repo",
        EDITABLE_LEGCALC_WORKFLOW,
        {
            "pyproject.toml": LEGCALC_PYPROJECT,
            "setup.py": setup,
            ".gitignore": "src/legcalc/_version.py\n",
            "src/legcalc/__init__.py": "from legcalc._version import version\n\n\n"
            "def add(a, b):\n    return a + b\n",
            "tests/test_add.py": "from legcalc import add, version\n\n\ndef test_add():\n"
            "    assert add(2, 2) == 4 and version\n",
        },
    )
    code, first = gate(repo)
    assert (first["verdict"], code) == ("pass", 0), first["reason"]
    (repo / "tests" / "test_more.py").write_text("def test_more():\n    assert True\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "more"], cwd=repo, check=True)
    code, second = gate(repo)
    assert second["legs"][0]["environment"]["reused"] is True
    assert second["legs"][0]["environment"]["project"] == "repointed"
    assert (second["verdict"], code) == ("pass", 0), second["reason"]


@pytest.mark.unit
def test_environments_used_this_week_are_kept_beyond_the_newest_twelve(tmp_path: Path) -> None:
    """A count alone rebuilt environments in turn as soon as the work of a week (or one run of
    the scenario corpus) needed one more than it kept: each rebuild is ≈ 10 s of pip."""
    import fcntl

    from gateui.core.gate import _leg_env

    day = 86400.0
    now = time.time()

    def environment(name: str, used_days_ago: float) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / _leg_env.METADATA).write_text("{}")
        used = now - used_days_ago * day
        os.utime(folder / _leg_env.METADATA, (used, used))
        return folder

    this_week = [environment(f"week-{n:02}", 1 + 0.1 * n) for n in range(20)]
    old_in_use = environment("old-in-use", 30)
    old = [environment(f"old-{n}", 30 + n) for n in range(3)]
    # A run using it holds its lock (flock: another open of the file is another holder).
    handle = os.open(f"{old_in_use}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _leg_env._prune(tmp_path, keep=this_week[0])
    finally:
        os.close(handle)
    assert all(folder.is_dir() for folder in this_week)
    assert old_in_use.is_dir()
    assert not any(folder.exists() for folder in old)

    many = [environment(f"many-{n:02}", 0.001 * n) for n in range(_leg_env.MAX_ENVIRONMENTS)]
    _leg_env._prune(tmp_path, keep=many[0])
    kept = {p for p in tmp_path.iterdir() if (p / _leg_env.METADATA).is_file()}
    assert kept == set(many)  # the bound holds even within the week: the newest stay


@pytest.mark.integration
@pytest.mark.parametrize(("version", "made_by_virtualenv"), [("3.11", True), ("3.8", False)])
def test_a_legs_environment_has_its_own_pip_whoever_made_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, made_by_virtualenv: bool
) -> None:
    """virtualenv makes an environment with pip in under a second (venv's ensurepip takes ≈ 6 s);
    it no longer seeds Python 3.8, which venv still makes. Either way the job's `pip` is the
    environment's own."""
    from gateui.core.gate._leg_env import LegEnvironments

    base = find_python(version)
    if base is None:
        pytest.skip(f"needs Python {version} (pyenv, uv or PATH)")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    environments = LegEnvironments()
    try:
        made = environments.get(base, [(".", "pip --version > pip.txt")], checkout)
    finally:
        environments.close()
    assert not made.reused
    assert str(made.folder) in (checkout / "pip.txt").read_text()
    assert f"(python {version})" in (checkout / "pip.txt").read_text()
    configuration = (made.folder / "pyvenv.cfg").read_text()
    assert ("virtualenv = " in configuration) is made_by_virtualenv

"""Shared fixtures: sample repositories copied to tmp_path and committed to real git repos."""

from __future__ import annotations

import compileall
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers import SAMPLES, CliResult, init_repo, run_cli

# A test run started in the background of a non-interactive shell (`pytest &`) inherits SIGINT
# ignored, and so would every gateui it starts: the tests that interrupt gateui with SIGINT (as
# Ctrl-C does) would then test nothing. A Python-level handler here is reset to the default in
# each child at exec, so the children get Ctrl-C's real behaviour.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The sample repositories and the gate scenarios are data: their tests run only inside the
# gateui tests that use them.
collect_ignore_glob = ["samples/*", "gate_scenarios/*"]


def pytest_configure(config: pytest.Config) -> None:
    """gateui's own modules compiled once (by the controller, before any worker starts), as an
    installed gateui has them: the tests start gateui in hundreds of subprocesses, all with
    PYTHONDONTWRITEBYTECODE=1 (below), each of which would otherwise compile every gateui module
    it imports from source (about 0.2 s of CPU for a gate check)."""
    if hasattr(config, "workerinput"):
        return
    import gateui

    compileall.compile_dir(Path(gateui.__file__).parent, quiet=2)


@pytest.fixture
def sample_repo(tmp_path: Path) -> Callable[[str], Path]:
    """Copy ``tests/samples/NAME`` (or the bundled demo repo, "demo") into a fresh git repo."""

    def make(name: str) -> Path:
        if name == "demo":
            from gateui.demo import SAMPLE_REPO

            source = SAMPLE_REPO
        else:
            source = SAMPLES / name
        target = tmp_path / name
        shutil.copytree(
            source, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")
        )
        return init_repo(target)

    return make


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    return run_cli


# pytest plugins of this suite's own environment that no sample repository uses. Every pytest
# a test starts would import them (Textual's app, syrupy, anyio: 0.45 s of CPU of a 0.7 s start;
# xdist, pytest-timeout and platformdirs' fixture ≈ 0.07 s more), and the suite starts many.
# A user's repository has its own plugins; these are ours. A test whose sample runs under xdist
# asks for it (``with_xdist``).
_NOT_XDIST = "-p no:textual-snapshot -p no:syrupy -p no:anyio -p no:timeout -p no:platformdirs"
OUR_PLUGINS_ONLY = f"{_NOT_XDIST} -p no:xdist -p no:xdist.looponfail"


@pytest.fixture(autouse=True)
def _sample_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Sample repos run in subprocesses that inherit this; keep their trees free of __pycache__.
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    # Set here, in each test (not in the environment the suite started with): this suite's own
    # processes, xdist's workers included, keep the snapshot plugin.
    monkeypatch.setenv("PYTEST_ADDOPTS", OUR_PLUGINS_ONLY)
    yield


@pytest.fixture
def with_xdist(monkeypatch: pytest.MonkeyPatch) -> None:
    """For a test whose sample repository runs under pytest-xdist (``-n``)."""
    monkeypatch.setenv("PYTEST_ADDOPTS", _NOT_XDIST)

"""Other interpreters and real projects for the overhead benchmarks.

A benchmark virtualenv per (base interpreter, pins) under the bench cache, built once; real
projects from pinned sdists on the package index, downloaded once into the same cache and copied
into a fresh git repository per run (never committed anywhere).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import subprocess
import sys
import tarfile
from pathlib import Path

from selection_kit import CACHE, PYTHON, fresh_git_copy, git

REAL_PROJECTS = {
    # name: (pinned sdist, folder pytest runs from inside the unpacked sdist)
    "more-itertools": ("more-itertools==10.5.0", "."),
    "idna": ("idna==3.7", "."),
}


def bench_venv(base: Path, *pins: str) -> Path:
    """The python of a virtualenv made from ``base`` with exactly ``pins`` installed."""
    version = subprocess.run(
        [str(base), "-c", "import sys; print('%d%d' % sys.version_info[:2])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    folder = CACHE / "venvs" / f"py{version}-{'-'.join(p.replace('==', '-') for p in pins)}"
    python = folder / "bin" / "python"
    if not (folder / ".ready").exists():
        subprocess.run([str(base), "-m", "venv", "--clear", str(folder)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
        (folder / ".ready").write_text("ok\n")
    return python


def lean_pytest_venv() -> Path:
    """The python of a benchmark virtualenv (``bench_venv``) of this interpreter's base with
    this environment's pytest alone: none of gateui's development plugins, which load in every
    pytest start of gateui's own venv."""
    major, minor = sys.version_info[:2]
    base = Path(sys.base_prefix) / "bin" / f"python{major}.{minor}"
    return bench_venv(base, f"pytest=={importlib.metadata.version('pytest')}")


def use_interpreter(repo: Path, python: Path) -> None:
    """Make gateui run ``repo``'s tests with ``python`` (``[tool.gateui] python``), committed so
    that the configuration is not a change of the repository."""
    pyproject = repo / "pyproject.toml"
    text = pyproject.read_text() if pyproject.exists() else ""
    if "[tool.gateui]" in text:
        raise SystemExit(f"{pyproject} already has a [tool.gateui] table")
    pyproject.write_text(text + f'\n[tool.gateui]\npython = "{python}"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "benchmark interpreter")


def real_project(name: str, dest: Path) -> Path:
    """A fresh git repository of the pinned sdist of ``name`` (see ``REAL_PROJECTS``)."""
    pin, _ = REAL_PROJECTS[name]
    sdists = CACHE / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    dist, version = pin.split("==")
    prefix = f"{dist}-{version}.".lower()
    found = [
        p for p in sdists.glob("*.tar.gz") if p.name.lower().replace("_", "-").startswith(prefix)
    ]
    if not found:
        download = ["pip", "download", "-q", "--no-deps", "--no-binary", ":all:", pin]
        subprocess.run([str(PYTHON), "-m", *download, "-d", str(sdists)], check=True)
        found = [p for p in sdists.glob("*.tar.gz") if p.name.lower().startswith(prefix)]
    unpacked = dest.parent / f"{name}-unpacked"
    with tarfile.open(found[0]) as archive:
        archive.extractall(unpacked, filter="data")
    (top,) = list(unpacked.iterdir())
    return fresh_git_copy(top, dest)


def compile_gateui(*pythons: Path) -> None:
    """Byte-compile gateui's source (and its event plugin) for each interpreter, as installing
    a package does. The benchmarks run with PYTHONDONTWRITEBYTECODE=1 so that the repositories
    under test stay clean, which would otherwise make every gateui start compile its own modules
    from source: a cost no installed gateui has."""
    source = Path(__file__).resolve().parent.parent / "src" / "gateui"
    plugin = [source / "pytest_plugin", source / "pytest_plugin_implementation"]
    for python in {PYTHON, *pythons}:
        targets = [source] if python == PYTHON else [p for p in plugin if p.is_dir()]
        command = [str(python), "-m", "compileall", "-q", *map(str, targets)]
        subprocess.run(command, check=True)


def has_monitoring(python: Path) -> bool:
    """Whether ``python`` has ``sys.monitoring`` (3.12+), which gateui's recorder then uses."""
    probe = [str(python), "-c", "import sys; print(hasattr(sys, 'monitoring'))"]
    answer = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
    return answer.strip() == "True"


def add_interpreter_options(parser: argparse.ArgumentParser, pytest_pin: str) -> None:
    """``--python BASE`` and ``--pytest PIN``: the tests run by a benchmark virtualenv made from
    BASE with PIN installed (``bench_venv``), which gateui's arms reach through
    ``[tool.gateui] python`` (``use_interpreter``)."""
    parser.add_argument(
        "--python",
        type=Path,
        help="base interpreter for the tests: a benchmark virtualenv with --pytest is made from it",
    )
    pin_help = f"pytest pin for --python (default {pytest_pin})"
    parser.add_argument("--pytest", default=pytest_pin, help=pin_help)

"""Real projects from the package index for the warm-runner benchmarks: pinned sdists (with their
tests) and a venv of pinned test dependencies each, cached under ~/.cache/gateui-bench/latency.

``prepare(name)`` returns the extracted source tree (read-only for the benchmarks: they work on
fresh git copies) and its venv's python; ``configure(copy, python, warm)`` writes what gateui and
pytest need into a copy's pyproject.toml (``[tool.gateui] python``, ``warm``, pytest's
``pythonpath`` where the tests would not find the package otherwise, and the project's own
replacements, such as coverage options whose plugin is not installed) before the copy's first
commit.

Two kinds: web and database projects whose tests import a few libraries (flask-sqlalchemy,
marshmallow-sqlalchemy, starlette), and projects whose tests import the scientific stack
(formulaic: pandas, scipy, pyarrow; matplotlib-scalebar: matplotlib; mizani: pandas), for issue
14's target "where the test imports take ≥ 0.5 s" (bench/latency_feedback.py measures them).
The dependencies may come as wheels; the project itself is always its sdist, with its tests.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from selection_kit import CACHE


@dataclass(frozen=True)
class RealProject:
    sdist: str
    """``name==version`` as pip downloads it (the sdist holds the tests)."""
    folder: str
    """The sdist's top folder."""
    pins: tuple[str, ...]
    """The test dependencies, pinned."""
    pythonpath: str = ""
    """pytest's ``pythonpath`` for the copy: ``src`` for a src layout, ``.`` where the tests
    folder is no package (pytest would put only that folder on ``sys.path``)."""
    replace: tuple[tuple[str, str], ...] = ()
    """Text replaced in the copy's pyproject.toml (old, new): options of plugins not pinned."""


PROJECTS = {
    "flask-sqlalchemy": RealProject(
        "flask-sqlalchemy==3.1.1",
        "flask_sqlalchemy-3.1.1",
        ("pytest==8.4.2", "flask==3.0.2", "sqlalchemy==2.0.28", "blinker==1.7.0"),
        pythonpath="src",
    ),
    "marshmallow-sqlalchemy": RealProject(
        "marshmallow-sqlalchemy==1.0.0",
        "marshmallow_sqlalchemy-1.0.0",
        (
            "pytest==7.4.4",
            "pytest-lazy-fixture==0.6.3",
            "marshmallow==3.21.1",
            "sqlalchemy==2.0.28",
        ),
        pythonpath="src",
    ),
    "starlette": RealProject(
        "starlette==0.37.2",
        "starlette-0.37.2",
        (
            "pytest==8.4.2",
            "trio==0.24.0",
            "anyio==4.3.0",
            "httpx==0.27.0",
            "itsdangerous==2.1.2",
            "jinja2==3.1.3",
            "python-multipart==0.0.9",
            "pyyaml==6.0.1",
            "typing_extensions==4.10.0",
        ),
    ),
    "formulaic": RealProject(
        "formulaic==1.2.2",
        "formulaic-1.2.2",
        (
            "pytest==8.4.2",
            "numpy==2.2.6",
            "pandas==2.3.3",
            "scipy==1.16.3",
            "pyarrow==25.0.1",
            "sympy==1.14.0",
            "narwhals==2.29.0",
            "interface-meta==2.0.1",
            "wrapt==2.5.2",
            "typing_extensions==4.16.0",
        ),
    ),
    "matplotlib-scalebar": RealProject(
        "matplotlib-scalebar==0.9.0",
        "matplotlib_scalebar-0.9.0",
        # pyparsing of matplotlib 3.10.0's day: 3.3 warns at matplotlib's import (``oneOf``),
        # and a module whose import warns is never preloaded.
        ("pytest==8.4.2", "matplotlib==3.10.0", "numpy==2.2.6", "pyparsing==3.2.1"),
        pythonpath=".",
    ),
    "mizani": RealProject(
        "mizani==0.14.6",
        "mizani-0.14.6",
        ("pytest==8.4.2", "numpy==2.2.6", "pandas==2.3.3", "scipy==1.16.3"),
        replace=(
            (
                'addopts = "--pyargs --cov=mizani --cov-report=xml --doctest-modules',
                'addopts = "--pyargs --doctest-modules',
            ),
        ),
    ),
}
HOME = CACHE / "latency"


def prepare(name: str, base_python: Path | None = None) -> tuple[Path, Path]:
    """(source tree, venv python) of a real project, downloaded and installed once; the venv is
    made from ``base_python`` (default: the interpreter running this)."""
    project = PROJECTS[name]
    HOME.mkdir(parents=True, exist_ok=True)
    sdists = CACHE / "sdists"
    archive = sdists / f"{project.folder}.tar.gz"
    if not archive.exists():
        sdists.mkdir(parents=True, exist_ok=True)
        download = ["download", "-q", "--no-deps", "--no-binary", ":all:", "-d", str(sdists)]
        subprocess.run([sys.executable, "-m", "pip", *download, project.sdist], check=True)
    source = HOME / project.folder
    if not source.exists():
        with tarfile.open(archive) as tar:
            tar.extractall(HOME, filter="data")
    base = str(base_python) if base_python else getattr(sys, "_base_executable", sys.executable)
    version = ""
    if base_python is not None:
        probe = [base, "-c", "import sys; print('%d%d' % sys.version_info[:2])"]
        version = "-py" + subprocess.run(probe, capture_output=True, text=True).stdout.strip()
    venv = HOME / f"venv-{name}{version}"
    python = venv / "bin" / "python"
    marker = venv / "pins.txt"
    wanted = "\n".join(project.pins)
    if not marker.exists() or marker.read_text() != wanted:
        subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *project.pins], check=True)
        marker.write_text(wanted)
    return source, python


def configure(copy: Path, name: str, python: Path, warm: bool = True) -> None:
    """gateui's interpreter (and warm setting), pytest's import path where the tests need one,
    and the project's replacements."""
    project = PROJECTS[name]
    pyproject = copy / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    for old, new in project.replace:
        if old not in text:
            raise RuntimeError(f"{pyproject}: {old!r} not found (replacements of {name})")
        text = text.replace(old, new)
    if project.pythonpath and "pythonpath" not in text:
        if "[tool.pytest.ini_options]\n" not in text:
            text += "\n[tool.pytest.ini_options]\n"
        text = text.replace(
            "[tool.pytest.ini_options]\n",
            f'[tool.pytest.ini_options]\npythonpath = ["{project.pythonpath}"]\n',
            1,
        )
    text += f'\n[tool.gateui]\npython = "{python}"\nwarm = {"true" if warm else "false"}\n'
    pyproject.write_text(text, encoding="utf-8")

"""A kept leg environment's editable installs, pointed at another checkout without pip.

An editable install (``pip install -e``) leaves in site-packages small files that name the
checkout's absolute path: a ``.pth`` file holding the folder to import from, or a finder module
mapping package names to folders (setuptools' ``__editable___*_finder.py``, the ``editables``
package's), and ``direct_url.json`` in the distribution's metadata. Every gate check runs in a
new temporary worktree, so on reuse those paths are rewritten to the new checkout. For a project
that builds nothing this is what installing it again would give, in milliseconds and without the
network: pip would build the project in a fresh isolated environment, fetching its build backend
from the package index on every check (seconds, and a failure offline).

Used only where it is the same thing (``can_repoint``): every local install of the leg is
editable, the environment says which checkout it points at, and no project builds code (an
extension module would be missing from the new checkout, so pip builds it again).

An install may also write files into the checkout that git does not track: the version file of
setuptools-scm's ``write_to`` or hatch-vcs's ``version-file``, which the package imports. A new
checkout lacks them, and the package would not import there, a failure CI (which installs in
every fresh checkout) never has. So the files an install leaves untracked in the checkout are
kept with the environment (``keep_generated``) and put into each checkout it is pointed at
(``restore_generated``). hatch's ``vcs`` build hook, which writes only such a file, is no longer
taken for a build of code.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterable
from pathlib import Path

PURE_BACKENDS = frozenset(
    {
        "setuptools.build_meta",
        "setuptools.build_meta:__legacy__",
        "hatchling.build",
        "flit_core.buildapi",
        "pdm.backend",
        "poetry.core.masonry.api",
    }
)
"""Build backends that install a project's Python files as they are, unless told to build."""
_BUILDS_CODE = re.compile(
    r"ext_modules|ext-modules|Extension\(|cythonize|cffi_modules|rust_extensions|"
    r"tool\.poetry\.build|build_ext"
)
"""What in a project's build files says it compiles something (hatch's hooks: ``_hatch_hooks``)."""
VERSION_HOOKS = frozenset({"vcs"})
"""hatch build hooks that write only a version file (kept by ``keep_generated``)."""
GENERATED = "gateui-generated"
"""The folder of a leg environment holding the files its install left in the checkout."""
_NOT_GENERATED = re.compile(
    r"(^|/)(__pycache__|build|dist|\.eggs|\.tox|\.nox|\.venv|venv|node_modules|"
    r"\.pytest_cache|\.mypy_cache|\.ruff_cache|[^/]*\.egg-info|[^/]*\.dist-info)(/|$)"
)
_KEEP_AT_MOST = 1 << 20
"""A generated file larger than this is not a version file: not kept."""


def can_repoint(projects: Iterable[Path]) -> bool:
    """Whether every local project (a folder installed with ``-e``) builds no code."""
    return all(_pure(folder) for folder in projects)


def _pure(folder: Path) -> bool:
    texts = []
    backend = "setuptools.build_meta:__legacy__"  # no pyproject.toml: setup.py's setuptools
    pyproject = folder / "pyproject.toml"
    try:
        if pyproject.is_file():
            text = pyproject.read_text(encoding="utf-8")
            texts.append(text)
            build_system = tomllib.loads(text).get("build-system", {})
            backend = str(build_system.get("build-backend", "setuptools.build_meta:__legacy__"))
        for name in ("setup.py", "setup.cfg"):
            if (folder / name).is_file():
                texts.append((folder / name).read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return False
    if not texts:
        return False
    if backend not in PURE_BACKENDS or any(_BUILDS_CODE.search(t) for t in texts):
        return False
    return _hatch_hooks(texts[0] if pyproject.is_file() else "") <= VERSION_HOOKS


def _hatch_hooks(pyproject: str) -> set[str]:
    """The build hooks a pyproject.toml gives hatch (for every target and for the wheel)."""
    try:
        build = tomllib.loads(pyproject).get("tool", {}).get("hatch", {}).get("build", {})
    except ValueError:
        return {"unreadable"}
    hooks = set(build.get("hooks", {}) or {})
    hooks |= set(build.get("targets", {}).get("wheel", {}).get("hooks", {}) or {})
    return {str(hook) for hook in hooks}


def keep_generated(environment: Path, checkout: Path) -> None:
    """Keep with ``environment`` the files its install left untracked in ``checkout``."""
    kept = environment / GENERATED
    shutil.rmtree(kept, ignore_errors=True)
    for rel in _untracked(checkout):
        source = checkout / rel
        try:
            if not source.is_file() or source.stat().st_size > _KEEP_AT_MOST:
                continue
            (kept / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, kept / rel)
        except OSError:
            continue


def restore_generated(environment: Path, checkout: Path) -> int:
    """Put the kept files into ``checkout`` where it lacks them; how many."""
    kept = environment / GENERATED
    restored = 0
    for folder, _, names in os.walk(kept):
        for name in names:
            rel = Path(folder, name).relative_to(kept)
            target = checkout / rel
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(folder, name), target)
            restored += 1
    return restored


def _untracked(checkout: Path) -> list[str]:
    """Files in the checkout git does not track, ignored or not (``--others`` without the
    exclude rules lists both), outside caches and build output."""
    result = subprocess.run(
        ["git", "ls-files", "-z", "--others"], cwd=checkout, capture_output=True, check=False
    )
    if result.returncode != 0:
        return []
    found = result.stdout.decode(errors="surrogateescape").split("\0")
    return [rel for rel in found if rel and not _NOT_GENERATED.search(rel)]


def repoint(environment: Path, old: Path, new: Path) -> int:
    """Rewrite ``old`` to ``new`` in the environment's editable-install files; how many files
    named ``old`` (0: nothing pointed there, pip must install the project again)."""
    old_text, new_text = str(old), str(new)
    if old_text == new_text:
        return 0
    rewritten = 0
    for site in environment.glob("lib/python*/site-packages"):
        candidates = [
            *site.glob("*.pth"),
            *site.glob("__editable__*.py"),
            *site.glob("_*editable*.py"),
            *site.glob("*.dist-info/direct_url.json"),
        ]
        for path in dict.fromkeys(candidates):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if old_text not in text:
                continue
            path.write_text(_replaced(text, old_text, new_text), encoding="utf-8")
            rewritten += 1
            if path.suffix == ".py":
                # Its bytecode is checked by whole-second mtime and size: drop it, never trust it.
                for stale in (site / "__pycache__").glob(f"{path.stem}.*.pyc"):
                    stale.unlink(missing_ok=True)
    return rewritten


def _replaced(text: str, old: str, new: str) -> str:
    """``old`` replaced where it is the whole path or a path's start (not ``old`` + "-other")."""
    return re.sub(re.escape(old) + r"(?=[/'\"\s]|$)", new.replace("\\", "\\\\"), text, flags=re.M)

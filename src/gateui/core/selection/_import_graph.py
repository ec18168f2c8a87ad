"""The static import graph, read from source (never by importing it).

Edges follow what really runs on import: ``import a.b.c`` executes ``a/__init__``, ``a/b/__init__``
and ``a/b/c``; ``from pkg import name`` imports ``pkg.name`` when it is a submodule; relative
imports, ``importlib.import_module("x")`` / ``__import__("x")`` with literal strings, imports
inside functions and ``if TYPE_CHECKING`` blocks, and conftest ``pytest_plugins`` all count. A test
file also depends on every conftest.py that applies to it (its folder and parents, up to its
project root). Module names resolve against each project's root, its ``src/`` layout, its
``pythonpath`` ini entries, pytest's rootdir-relative insertion for test folders, and the other
projects of a monorepo, in that order.

The graph is updated incrementally: files are re-read only when their size or mtime changed.
"""

from __future__ import annotations

import ast
import os
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gateui.core.common.paths import relative_path
from gateui.core.common.python_ast import parse_module

_INIT = "__init__.py"


@dataclass(frozen=True)
class _ImportSpec:
    """One import statement's target, unresolved."""

    module: str
    """Dotted name (absolute), or the part after the dots (relative)."""
    level: int
    """0 for absolute imports, else the number of leading dots."""
    names: tuple[str, ...] = ()
    """For ``from X import a, b``: the names, which may be submodules."""


@dataclass(frozen=True)
class ProjectLayout:
    """What module resolution needs to know of one project."""

    root: str
    """Repository-relative, "." for the repository root."""
    search_roots: tuple[str, ...]
    """Repository-relative folders that act as sys.path entries for this project."""


def _read_imports(path: Path) -> list[_ImportSpec]:
    try:
        source = path.read_bytes()
    except OSError:
        return []
    if b"import" not in source and b"pytest_plugins" not in source:
        return []
    try:
        tree = parse_module(source)
    except (SyntaxError, ValueError):
        return []
    specs: list[_ImportSpec] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            specs.extend(_ImportSpec(alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(a.name for a in node.names if a.name != "*")
            specs.append(_ImportSpec(node.module or "", node.level, names))
        elif isinstance(node, ast.Call):
            literal = _dynamic_import(node)
            if literal:
                specs.append(_ImportSpec(literal, 0))
        elif isinstance(node, ast.Assign):
            specs.extend(_pytest_plugins(node))
    return specs


def _dynamic_import(node: ast.Call) -> str | None:
    """``importlib.import_module("a.b")`` or ``__import__("a")`` with a literal string."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        if first.value.startswith("."):
            return None
        return first.value
    return None


def _pytest_plugins(node: ast.Assign) -> list[_ImportSpec]:
    if not any(isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets):
        return []
    value = node.value
    items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
    return [
        _ImportSpec(item.value, 0)
        for item in items
        if isinstance(item, ast.Constant) and isinstance(item.value, str)
    ]


class ImportGraph:
    """Which files each Python file of the repository imports, and the reverse."""

    def __init__(
        self,
        repo_root: Path,
        layouts: Sequence[ProjectLayout],
        files: Iterable[PurePosixPath | str],
    ) -> None:
        self.repo_root = repo_root
        self.layouts = sorted(layouts, key=lambda lay: -len(PurePosixPath(lay.root).parts))
        self._stamps: dict[str, tuple[int, int]] = {}
        self._specs: dict[str, list[_ImportSpec]] = {}
        self.edges: dict[str, set[str]] = {}
        self.reverse: dict[str, set[str]] = {}
        self._set_files(files)

    # -- building --------------------------------------------------------------------------
    def _set_files(self, files: Iterable[PurePosixPath | str]) -> None:
        self.files = {str(f) for f in files if str(f).endswith(".py")}
        # Every folder holding Python files, with all its ancestors: namespace packages.
        self._dirs = {str(parent) for f in self.files for parent in PurePosixPath(f).parents}
        for stale in set(self._specs) - self.files:
            del self._specs[stale]
            self._stamps.pop(stale, None)
        for rel in self.files:
            self._refresh(rel)
        self._link()

    def _refresh(self, rel: str) -> bool:
        """Re-read ``rel`` if it changed on disk; True when its imports were re-read."""
        try:
            stat = (self.repo_root / rel).stat()
        except OSError:
            return False
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._stamps.get(rel) == stamp:
            return False
        self._stamps[rel] = stamp
        self._specs[rel] = _read_imports(self.repo_root / rel)
        return True

    def update(
        self, files: Iterable[PurePosixPath | str] | None, changed: Iterable[str] = ()
    ) -> None:
        """Bring the graph up to date. With the same set of files (``files`` None: the caller
        knows none was added or removed), only the ``changed`` files are re-read and re-linked;
        a new or deleted file can change how any import resolves, so then everything is."""
        changed = [c for c in changed if c.endswith(".py")]
        if files is None:
            for rel in changed:
                self._stamps.pop(rel, None)
                if rel in self.files and self._refresh(rel):
                    self._relink_one(rel)
            return
        for rel in changed:
            self._stamps.pop(rel, None)
        self._set_files(files)

    def _relink_one(self, rel: str) -> None:
        for target in self.edges.get(rel, ()):
            self.reverse.get(target, set()).discard(rel)
        targets = self._resolve_all(rel)
        self.edges[rel] = targets
        for target in targets:
            self.reverse.setdefault(target, set()).add(rel)

    def _link(self) -> None:
        self.edges = {rel: self._resolve_all(rel) for rel in self.files}
        reverse: dict[str, set[str]] = {rel: set() for rel in self.files}
        for source, targets in self.edges.items():
            for target in targets:
                reverse.setdefault(target, set()).add(source)
        self.reverse = reverse

    # -- resolution ------------------------------------------------------------------------
    def layout_of(self, rel: str) -> ProjectLayout | None:
        path = PurePosixPath(rel)
        for layout in self.layouts:
            if layout.root == "." or PurePosixPath(layout.root) in path.parents:
                return layout
        return None

    def _search_roots(self, rel: str) -> list[str]:
        own = self.layout_of(rel)
        roots: list[str] = []
        if own is not None:
            roots.extend(own.search_roots)
        roots.append(self._rootdir_insertion(rel))
        for layout in self.layouts:
            if layout is not own:
                roots.extend(layout.search_roots)
        return list(dict.fromkeys(roots))

    def _rootdir_insertion(self, rel: str) -> str:
        """The folder pytest's default import mode puts on sys.path for a test module: the
        first folder upwards that is not a package."""
        folder = PurePosixPath(rel).parent
        while str(folder) != "." and str(folder / _INIT) in self.files:
            folder = folder.parent
        return str(folder)

    def _module_file(self, root: str, dotted: str) -> list[str]:
        """Files executed by importing ``dotted`` from sys.path entry ``root``: every package
        ``__init__`` on the way, and the module itself."""
        base = PurePosixPath(root)
        parts = dotted.split(".")
        found: list[str] = []
        for depth in range(1, len(parts) + 1):
            stem = (
                base.joinpath(*parts[:depth]) if str(base) != "." else PurePosixPath(*parts[:depth])
            )
            init, module = str(stem / _INIT), f"{stem}.py"
            if init in self.files:
                found.append(init)
            elif module in self.files:
                found.append(module)
                break
            elif str(stem) not in self._dirs:
                # Neither a module, a package nor a namespace package here.
                return found if depth > 1 else []
        return found

    def _resolve_absolute(self, rel: str, dotted: str) -> set[str]:
        if not dotted:
            return set()
        for root in self._search_roots(rel):
            found = self._module_file(root, dotted)
            if found:
                return set(found)
        return set()

    def _resolve_all(self, rel: str) -> set[str]:
        targets: set[str] = set()
        for spec in self._specs.get(rel, ()):
            if spec.level == 0:
                targets |= self._resolve_absolute(rel, spec.module)
                for name in spec.names:
                    targets |= self._resolve_absolute(rel, f"{spec.module}.{name}")
            else:
                targets |= self._resolve_relative(rel, spec)
        targets |= self._conftests_for(rel)
        targets.discard(rel)
        return targets

    def _resolve_relative(self, rel: str, spec: _ImportSpec) -> set[str]:
        folder = PurePosixPath(rel).parent
        for _ in range(spec.level - 1):
            folder = folder.parent
        found: set[str] = set()
        base = folder.joinpath(*spec.module.split(".")) if spec.module else folder
        parts = spec.module.split(".") if spec.module else []
        for depth in range(1, len(parts) + 1):
            stem = folder.joinpath(*parts[:depth])
            for candidate in (str(stem / _INIT), f"{stem}.py"):
                if candidate in self.files:
                    found.add(candidate)
        for name in spec.names:
            for candidate in (str(base / name / _INIT), f"{base / name}.py"):
                if candidate in self.files:
                    found.add(candidate)
        init = str(base / _INIT)
        if init in self.files:
            found.add(init)
        return found

    def _conftests_for(self, rel: str) -> set[str]:
        """conftest.py files that apply to ``rel``: its folder and parents, within its project."""
        layout = self.layout_of(rel)
        stop = PurePosixPath(layout.root) if layout else PurePosixPath(".")
        found: set[str] = set()
        folder = PurePosixPath(rel).parent
        while True:
            candidate = str(folder / "conftest.py") if str(folder) != "." else "conftest.py"
            if candidate in self.files and candidate != rel:
                found.add(candidate)
            if folder == stop or str(folder) == ".":
                break
            folder = folder.parent
        return found

    def _importers_of_missing(self, target: str) -> dict[str, list[str]]:
        if not target.endswith(".py"):
            return {}
        files = set(self.files)
        self.files.add(target)
        self._dirs |= {str(parent) for parent in PurePosixPath(target).parents}
        try:
            self._link()
            return self.importers(target)
        finally:
            self.files = files
            self._link()

    # -- queries ---------------------------------------------------------------------------
    def module_name(self, rel: str) -> str:
        """The dotted name Python knows the file by: ``web_api/ranges.py`` in a package is
        ``web_api.ranges``; ``tests/conftest.py`` in a plain folder is ``conftest``."""
        path = PurePosixPath(rel)
        base = PurePosixPath(self._rootdir_insertion(rel))
        inner = path.relative_to(base) if str(base) != "." else path
        parts = list(inner.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts) or path.stem

    def importers(self, target: str) -> dict[str, list[str]]:
        """Every file that reaches ``target`` through imports (or conftest application),
        with the chain from that file to ``target`` (shortest first found).

        A deleted file is looked up as if it still existed: whoever still imports it is
        exactly who breaks."""
        if target not in self.files:
            return self._importers_of_missing(target)
        chains: dict[str, list[str]] = {target: [target]}
        queue = deque([target])
        while queue:
            current = queue.popleft()
            for source in self.reverse.get(current, ()):
                if source not in chains:
                    chains[source] = [source, *chains[current]]
                    queue.append(source)
        del chains[target]
        return chains


def layouts_for(
    repo_root: Path, projects: Iterable[tuple[Path, Sequence[str]]]
) -> list[ProjectLayout]:
    """Project layouts from (project root, pythonpath ini entries)."""
    layouts = []
    for root, pythonpath in projects:
        rel = relative_path(root, repo_root)
        roots = [rel]
        if (root / "src").is_dir():
            roots.append(relative_path(root / "src", repo_root))
        for entry in pythonpath:
            roots.append(relative_path(Path(os.path.normpath(root / entry)), repo_root))
        layouts.append(ProjectLayout(rel, tuple(dict.fromkeys(roots))))
    return layouts

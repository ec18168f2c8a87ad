"""What can be known about a project's tests at once, by reading files (no pytest, no imports).

Test files are found the way pytest's collection walks folders, and each file is parsed once
with ``ast``; nothing of the code under test is imported. What only running pytest can tell
(tests added by plugins or inherited from other modules, parametrize ids, markers added by hooks)
is left to real collection: this is the quick first view.

Speed matters (a repository of thousands of test modules must scan in well under two seconds),
so the expensive part, walking every node of a syntax tree, is avoided: tests are found among
top-level statements and class bodies only, and ``pytest.mark`` occurrences are searched only in
the statements whose lines mention pytest or one of its aliases.

Why this module is long: finding the files, reading each once and collecting its tests share
one set of rules (the project's pytest configuration) and the parsed blocks of each file; kept
together, each file is read and parsed exactly once.
"""

from __future__ import annotations

import ast
import bisect
import fnmatch
import glob
import os
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from gateui.core.common.project_files import not_project_folder
from gateui.core.common.python_ast import parse_module
from gateui.core.layout.pytest_config import (
    DEFAULT_NORECURSEDIRS,
    DEFAULT_PYTHON_CLASSES,
    DEFAULT_PYTHON_FILES,
    DEFAULT_PYTHON_FUNCTIONS,
    PytestConfig,
)

__all__ = ["StaticScan", "StaticTest", "scan_project"]

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class StaticTest:
    """One test function as far as the source tells (parametrized tests appear once)."""

    nodeid: str
    """pytest-style, relative to the project root: ``tests/test_x.py::TestA::test_b``."""
    path: str
    """The file, relative to the project root, posix."""
    line: int
    """1-based line of the ``def``."""
    markers: tuple[str, ...]
    """Marker names from the function's decorators, then enclosing classes, then the module."""
    parametrized: bool


@dataclass(frozen=True)
class StaticScan:
    """Everything one pass over the files found."""

    tests: tuple[StaticTest, ...]
    files: tuple[str, ...]
    """Test files found, relative to the project root, in pytest's collection order."""
    syntax_errors: tuple[tuple[str, int, str], ...]
    """(path, line, message) for files that cannot be parsed (or read)."""
    marker_uses: tuple[tuple[str, str, int], ...]
    """(marker name, path, line) for every ``pytest.mark.NAME`` in test and conftest files."""


# --------------------------------------------------------------------------- public API


def scan_project(
    root: Path, config: PytestConfig | None, skip_dirs: Collection[Path] = ()
) -> StaticScan:
    """Find the tests of the project at ``root`` without running pytest.

    ``config`` gives testpaths, python_files/classes/functions and norecursedirs (pytest's
    defaults without one); folders in ``skip_dirs`` (sub-projects that own their tests) are
    not entered. Hidden folders and what is not the project's (virtual environments, installed
    packages, build output, caches: ``core.common.project_files``) are never entered, even when
    a custom norecursedirs would let pytest go there (collection is given the same limits).
    """
    root = Path(os.path.abspath(root))
    rules = _Rules.from_config(config)
    skipped = frozenset(os.path.abspath(p) for p in skip_dirs)
    finder = _Finder(rules, skipped)
    for start in _start_paths(root, config):
        finder.add_start(start, root)
    result = _ScanResult()
    relative = _Relative(root)
    files = [relative(path) for path in finder.test_files]
    for path, rel in zip(finder.test_files, files, strict=True):
        _scan_file(path, rel, rules, result, is_test_file=True)
    for path in finder.conftests:
        _scan_file(path, relative(path), rules, result, is_test_file=False)
    return StaticScan(
        tests=tuple(result.tests),
        files=tuple(files),
        syntax_errors=tuple(result.syntax_errors),
        marker_uses=tuple(sorted(result.marker_uses, key=itemgetter(1, 2, 0))),
    )


# --------------------------------------------------------------------------- finding files


@dataclass(frozen=True)
class _Rules:
    """The collection options that decide what is a test file, class or function."""

    file_names: tuple[str, ...]
    """python_files globs matched against the file name."""
    file_paths: tuple[str, ...]
    """python_files globs with a "/", matched against the end of the path (pytest's rule)."""
    class_prefixes: tuple[str, ...]
    class_globs: tuple[str, ...]
    function_prefixes: tuple[str, ...]
    function_globs: tuple[str, ...]
    norecurse_names: tuple[str, ...]
    norecurse_paths: tuple[str, ...]

    @classmethod
    def from_config(cls, config: PytestConfig | None) -> _Rules:
        files = config.python_files if config else DEFAULT_PYTHON_FILES
        classes = config.python_classes if config else DEFAULT_PYTHON_CLASSES
        functions = config.python_functions if config else DEFAULT_PYTHON_FUNCTIONS
        norecurse = config.norecursedirs if config else DEFAULT_NORECURSEDIRS
        return cls(
            file_names=tuple(p for p in files if "/" not in p),
            file_paths=tuple(_path_pattern(p) for p in files if "/" in p),
            class_prefixes=tuple(classes),
            class_globs=tuple(p for p in classes if _GLOB_CHARS & set(p)),
            function_prefixes=tuple(functions),
            function_globs=tuple(p for p in functions if _GLOB_CHARS & set(p)),
            norecurse_names=tuple(p for p in norecurse if "/" not in p),
            norecurse_paths=tuple(_path_pattern(p) for p in norecurse if "/" in p),
        )

    def is_test_file(self, name: str, path: str) -> bool:
        return _matches(name, self.file_names) or _matches(path, self.file_paths)

    def skips_dir(self, name: str, path: str) -> bool:
        return _matches(name, self.norecurse_names) or _matches(path, self.norecurse_paths)

    def is_test_class(self, name: str) -> bool:
        # pytest: a prefix match, or an fnmatch when the option looks like a glob.
        return name.startswith(self.class_prefixes) or _matches(name, self.class_globs)

    def is_test_function(self, name: str) -> bool:
        return name.startswith(self.function_prefixes) or _matches(name, self.function_globs)


def _path_pattern(pattern: str) -> str:
    """pytest's fnmatch_ex: a relative pattern with a "/" matches the end of an absolute path."""
    return pattern if os.path.isabs(pattern) else f"*/{pattern}"


def _matches(text: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(text, pattern) for pattern in patterns)


def _start_paths(root: Path, config: PytestConfig | None) -> list[Path]:
    """Where collection starts: testpaths (globs, relative to the config's folder) or the root.

    Like pytest, testpaths that match nothing at all fall back to the root.
    """
    if config is None or not config.testpaths:
        return [root]
    starts: list[Path] = []
    for testpath in config.testpaths:
        matches = glob.glob(testpath, root_dir=config.directory, recursive=True)
        starts.extend(Path(os.path.abspath(config.directory / m)) for m in sorted(matches))
    return starts or [root]


class _Finder:
    """Walks folders in pytest's order, collecting test files and conftest.py files."""

    def __init__(self, rules: _Rules, skipped: frozenset[str]) -> None:
        self.rules = rules
        self.skipped = skipped
        self.test_files: list[str] = []
        self.conftests: list[str] = []
        self._seen: set[str] = set()
        self._real_dirs: set[str] = set()

    def add_start(self, start: Path, root: Path) -> None:
        """Collect from one start path: an explicit file is taken if it is Python at all."""
        self._add_parent_conftests(start, root)
        text = str(start)
        if os.path.isdir(text):
            self._walk(text)
        elif text.endswith(".py") and os.path.isfile(text):
            self._add(text, self.test_files)

    def _add_parent_conftests(self, start: Path, root: Path) -> None:
        """conftest.py files above a start path, from the root down (pytest loads them all)."""
        try:
            parts = start.relative_to(root).parts
        except ValueError:
            return  # a testpath outside the project: its conftests are not the project's
        # Folders strictly above the start: a start folder's own conftest.py is found by the
        # walk, and for a start file the last part is the file itself.
        for count in range(len(parts)):
            conftest = root.joinpath(*parts[:count], "conftest.py")
            if conftest.is_file():
                self._add(str(conftest), self.conftests)

    def _walk(self, folder: str) -> None:
        try:
            # pytest visits a folder's entries sorted by name, files and folders interleaved.
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            return
        for entry in entries:
            if entry.is_dir():
                if self._enters(entry):
                    self._walk(entry.path)
            elif entry.name == "conftest.py":
                self._add(entry.path, self.conftests)
            elif entry.name.endswith(".py") and self.rules.is_test_file(entry.name, entry.path):
                self._add(entry.path, self.test_files)

    def _enters(self, entry: os.DirEntry[str]) -> bool:
        name = entry.name
        if name.startswith(".") or entry.path in self.skipped:
            return False
        if self.rules.skips_dir(name, entry.path) or not_project_folder(entry.path):
            return False
        if entry.is_symlink():
            # A linked folder is followed once, and never when it points back up the tree:
            # that would walk the same files again (or forever).
            real = os.path.realpath(entry.path)
            here = os.path.realpath(os.path.dirname(entry.path))
            if real in self._real_dirs or here == real or here.startswith(real + os.sep):
                return False
            self._real_dirs.add(real)
        return True

    def _add(self, path: str, into: list[str]) -> None:
        # Overlapping testpaths ("tests", "tests/unit") must not list a file twice.
        if path not in self._seen:
            self._seen.add(path)
            into.append(path)


class _Relative:
    """Paths relative to the root, posix; a prefix cut for the usual case (os.path.relpath
    normalizes both paths on every call, which shows on thousands of files)."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self.prefix = os.path.join(self.root, "")

    def __call__(self, path: str) -> str:
        if path.startswith(self.prefix):
            rel = path[len(self.prefix) :]
        else:
            rel = os.path.relpath(path, self.root)
        return rel.replace(os.sep, "/") if os.sep != "/" else rel


# --------------------------------------------------------------------------- scanning a file


@dataclass
class _ScanResult:
    tests: list[StaticTest] = field(default_factory=list)
    syntax_errors: list[tuple[str, int, str]] = field(default_factory=list)
    marker_uses: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _FileResult:
    """What one file contributes; immutable, so it can be kept for the next scan."""

    tests: tuple[StaticTest, ...] = ()
    syntax_errors: tuple[tuple[str, int, str], ...] = ()
    marker_uses: tuple[tuple[str, str, int], ...] = ()


# Results of unchanged files are reused: gateui rescans on every save, and parsing is most of
# a scan's cost. Keyed by what the result depends on; the stamp tells a file changed.
_Key = tuple[str, str, bool, _Rules]
_Stamp = tuple[int, int, int, int]
_CACHE: dict[_Key, tuple[_Stamp, _FileResult]] = {}
_CACHE_LIMIT = 50_000


def _scan_file(
    path: str, rel: str, rules: _Rules, result: _ScanResult, *, is_test_file: bool
) -> None:
    """Add one file's tests (test files only), marker uses or syntax error to ``result``."""
    key = (path, rel, is_test_file, rules)
    try:
        stat = os.stat(path)
        stamp = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
    except OSError:
        stamp = None
    cached = _CACHE.get(key)
    if stamp is not None and cached is not None and cached[0] == stamp:
        found = cached[1]
    else:
        found = _read_file(path, rel, rules, is_test_file=is_test_file)
        if stamp is not None:
            if len(_CACHE) >= _CACHE_LIMIT:
                _CACHE.clear()
            _CACHE[key] = (stamp, found)
    result.tests += found.tests
    result.syntax_errors += found.syntax_errors
    result.marker_uses += found.marker_uses


def _read_file(path: str, rel: str, rules: _Rules, *, is_test_file: bool) -> _FileResult:
    """Read and parse one file, once."""
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError as exc:
        return _FileResult(syntax_errors=((rel, 0, f"cannot read: {exc.strerror or exc}"),))
    try:
        tree = parse_module(source, filename=rel)
    except SyntaxError as exc:
        return _FileResult(syntax_errors=((rel, exc.lineno or 1, exc.msg),))
    except ValueError as exc:  # null bytes (Python 3.11), undecodable source
        return _FileResult(syntax_errors=((rel, 1, str(exc)),))
    module = _Module(tree, source)
    uses = tuple((node.attr, rel, node.lineno) for node in module.mark_nodes)
    tests = tuple(_Collector(module, rules, rel).tests()) if is_test_file else ()
    return _FileResult(tests=tests, marker_uses=uses)


# isinstance() with a tuple: measurably faster than with an X | Y union in the hot loops.
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)
_SEQUENCES = (ast.List, ast.Tuple, ast.Set)
_LEAVES = (ast.Name, ast.Constant)
_BLOCKS = (ast.If, ast.Try, ast.TryStar, ast.With, ast.AsyncWith)


@dataclass(frozen=True)
class _Block:
    """A module or class body as its namespace sees it."""

    statements: list[ast.stmt]
    """Statements, with those of if/try/with blocks spliced in."""
    assignments: dict[str, ast.expr]
    """Name -> the value last assigned to it (``pytestmark``, ``__test__``, mark variables)."""
    members: list[ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef]
    """Classes and functions in definition order; a later def replaces an earlier one in place
    (a dict keeps the first position), like the namespace pytest collects from."""

    @classmethod
    def of(cls, body: list[ast.stmt]) -> _Block:
        statements = _top_level(body)
        assignments: dict[str, ast.expr] = {}
        members: dict[str, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for statement in statements:
            if isinstance(statement, _SCOPES):
                members[statement.name] = statement
            elif isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        assignments[target.id] = statement.value
            elif isinstance(statement, ast.AnnAssign):
                target = statement.target
                if statement.value is not None and isinstance(target, ast.Name):
                    assignments[target.id] = statement.value
        return cls(statements, assignments, list(members.values()))

    def dunder_test(self) -> bool | None:
        """A literal ``__test__ = True/False`` (pytest's opt-in/opt-out), None when absent."""
        value = self.assignments.get("__test__")
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            return value.value
        return None


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements of a module or class body, looking into if/try/with blocks.

    Definitions under ``if sys.platform ...:`` or ``try: ... except ImportError:`` end up in the
    module's namespace, which is what pytest collects from; both branches are taken.
    """
    if not any(isinstance(statement, _BLOCKS) for statement in body):
        return body
    flat: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, ast.If):
            flat += _top_level(statement.body) + _top_level(statement.orelse)
        elif isinstance(statement, ast.Try | ast.TryStar):
            flat += _top_level(statement.body)
            for handler in statement.handlers:
                flat += _top_level(handler.body)
            flat += _top_level(statement.orelse) + _top_level(statement.finalbody)
        elif isinstance(statement, ast.With | ast.AsyncWith):
            flat += _top_level(statement.body)
        else:
            flat.append(statement)
    return flat


class _Module:
    """One parsed file: pytest's aliases in it, its mark variables and its mark occurrences."""

    def __init__(self, tree: ast.Module, source: bytes) -> None:
        self.tree = tree
        self.source = source
        self.pytest_names: set[str] = set()  # import pytest [as pt]
        self.mark_names: set[str] = set()  # from pytest import mark [as m]
        self.fixture_names: set[str] = {"fixture"}  # from pytest import fixture [as f]
        self.mark_vars: dict[str, tuple[str, ...]] = {}  # slow = pytest.mark.slow
        self._found: dict[int, ast.Attribute] = {}
        self._blocks: dict[int, _Block] = {}
        self.top = self.block(tree)
        self._find_imports_and_marks()
        self._find_mark_variables()

    @property
    def mark_nodes(self) -> Iterable[ast.Attribute]:
        """Every ``<pytest.mark>.NAME`` attribute of the file."""
        return self._found.values()

    def block(self, node: ast.Module | ast.ClassDef) -> _Block:
        """The (cached) namespace view of a module or class body."""
        block = self._blocks.get(id(node))
        if block is None:
            block = self._blocks[id(node)] = _Block.of(node.body)
        return block

    # ----------------------------------------------------------------- aliases and uses

    def _find_imports_and_marks(self) -> None:
        """Find pytest's aliases, then every ``<mark>.NAME`` attribute of the file.

        Marks sit mostly in decorators and ``pytestmark`` assignments, which are read directly.
        Only the other lines that mention pytest or an alias (``item.add_marker(pytest.mark.x)``
        in a hook, ``slow = pytest.mark.slow``, an import inside a function) are searched in the
        tree, and only in the statements holding them: a full ast.walk costs as much as parsing.
        """
        for statement in self.top.statements:
            if isinstance(statement, _IMPORTS):
                self._add_import(statement)
        structure = self._structure(self.top)
        searched: set[str] = set()
        late: list[ast.Attribute] = []
        while new := self._names() - searched:
            # Another round only when a function-level "import pytest as pt" adds a name.
            searched |= new
            lines = _lines_matching(self.source, _words(new))
            covered = self._read_structure(structure, lines)
            leftover = [line for line in lines if line not in covered]
            for node in _walk_lines(self.tree, leftover):
                if isinstance(node, _IMPORTS):
                    self._add_import(node)
                elif isinstance(node, ast.Attribute):
                    late.append(node)
        for node in late:
            if self.is_mark_object(node.value):
                self._found[id(node)] = node

    def _names(self) -> set[str]:
        # "pytest" is always searched: a conftest may import it inside its hooks only.
        return {"pytest"} | self.pytest_names | self.mark_names

    def _structure(self, block: _Block) -> list[ast.expr | ast.stmt]:
        """Decorators, imports and ``pytestmark`` values of a body and its classes' bodies."""
        found: list[ast.expr | ast.stmt] = []
        for statement in block.statements:
            if isinstance(statement, _DEFS):
                found += statement.decorator_list
            elif isinstance(statement, ast.ClassDef):
                found += statement.decorator_list
                found += self._structure(self.block(statement))
            elif isinstance(statement, _IMPORTS):
                found.append(statement)
        pytestmark = block.assignments.get("pytestmark")
        if pytestmark is not None:
            found.append(pytestmark)
        return found

    def _read_structure(self, structure: list[ast.expr | ast.stmt], lines: list[int]) -> set[int]:
        """Read the marks of the structure nodes holding one of ``lines``; return those lines."""
        covered: set[int] = set()
        for node in structure:
            start, end = node.lineno, node.end_lineno or node.lineno
            index = bisect.bisect_left(lines, start)
            if index < len(lines) and lines[index] <= end:
                covered.update(range(start, end + 1))
                if not isinstance(node, _IMPORTS):
                    self._read_marks(node)
        return covered

    def _read_marks(self, root: ast.AST) -> None:
        """Record the mark attributes of an expression, handling the usual shapes directly
        (one decorator per test: this loop is hot)."""
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Attribute):
                if self.is_mark_object(node.value):
                    self._found[id(node)] = node
                else:
                    stack.append(node.value)
            elif isinstance(node, ast.Call):
                stack.append(node.func)
                stack += [a for a in node.args if not isinstance(a, ast.Constant)]
                stack += [k.value for k in node.keywords if not isinstance(k.value, ast.Constant)]
            elif isinstance(node, _SEQUENCES):
                stack += [e for e in node.elts if not isinstance(e, ast.Constant)]
            elif not isinstance(node, _LEAVES):
                stack += ast.iter_child_nodes(node)

    def _add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pytest":
                    self.pytest_names.add(alias.asname or "pytest")
            return
        if node.module != "pytest" or node.level:
            return
        for alias in node.names:
            if alias.name in ("mark", "*"):
                self.mark_names.add(alias.asname or "mark")
            elif alias.name == "fixture":
                self.fixture_names.add(alias.asname or "fixture")

    def is_mark_object(self, node: ast.expr) -> bool:
        """``pytest.mark`` (any alias of pytest) or a name imported as pytest's ``mark``."""
        if isinstance(node, ast.Attribute):
            value = node.value
            return (
                node.attr == "mark"
                and isinstance(value, ast.Name)
                and value.id in self.pytest_names
            )
        return isinstance(node, ast.Name) and node.id in self.mark_names

    # ----------------------------------------------------------------- marks of expressions

    def mark_names_of(self, node: ast.expr) -> tuple[str, ...]:
        """The marker names an expression stands for (decorator, pytestmark value, variable)."""
        if isinstance(node, ast.Call):
            return self.mark_names_of(node.func)
        if isinstance(node, ast.Attribute):
            if self.is_mark_object(node.value):
                return (node.attr,)
            if node.attr == "with_args":  # pytest.mark.NAME.with_args(...)
                return self.mark_names_of(node.value)
            return ()
        if isinstance(node, ast.Name):
            return self.mark_vars.get(node.id, ())
        if isinstance(node, _SEQUENCES):
            return tuple(name for item in node.elts for name in self.mark_names_of(item))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.mark_names_of(node.left) + self.mark_names_of(node.right)
        return ()

    def _find_mark_variables(self) -> None:
        """Module-level ``slow = pytest.mark.slow``, so that ``@slow`` is known as a mark."""
        if not self._found:
            return
        for name, value in self.top.assignments.items():
            if name != "pytestmark":
                names = self.mark_names_of(value)
                if names:
                    self.mark_vars[name] = names

    def is_fixture(self, decorator: ast.expr) -> bool:
        """``@pytest.fixture``, ``@fixture``, ``@pytest_asyncio.fixture`` (with or without args)."""
        node = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(node, ast.Name):
            return node.id in self.fixture_names
        return isinstance(node, ast.Attribute) and node.attr == "fixture"


def _words(names: Iterable[str]) -> re.Pattern[bytes]:
    """Lines holding any of ``names`` as a whole word (one match per line, up to the first)."""
    alternatives = b"|".join(re.escape(name.encode()) for name in sorted(names))
    return re.compile(rb"^[^\n]*?\b(?:" + alternatives + rb")\b", re.MULTILINE)


def _lines_matching(source: bytes, pattern: re.Pattern[bytes]) -> list[int]:
    """Sorted 1-based numbers of the lines where ``pattern`` (one match per line) matches."""
    lines: list[int] = []
    line, position = 1, 0
    for match in pattern.finditer(source):
        line += source.count(b"\n", position, match.start())
        position = match.start()
        lines.append(line)
    return lines


def _walk_lines(tree: ast.AST, lines: Sequence[int]) -> Iterator[ast.AST]:
    """Every node whose line span holds one of ``lines``; other subtrees are never entered."""
    if not lines:
        return
    stack: list[ast.AST] = [tree]
    while stack:
        for child in ast.iter_child_nodes(stack.pop()):
            start: int | None = getattr(child, "lineno", None)
            if start is not None:
                if isinstance(child, _SCOPES) and child.decorator_list:
                    start = min(start, child.decorator_list[0].lineno)
                end: int = getattr(child, "end_lineno", None) or start
                index = bisect.bisect_left(lines, start)
                if index == len(lines) or lines[index] > end:
                    continue
            yield child
            stack.append(child)


# --------------------------------------------------------------------------- collecting tests


@dataclass(frozen=True)
class _Scope:
    """Where tests are being collected: the node id so far and the marks passed down."""

    nodeid: str
    markers: tuple[str, ...]


class _Collector:
    """Collects a module's tests like pytest's Module and Class collectors do."""

    def __init__(self, module: _Module, rules: _Rules, rel: str) -> None:
        self.module = module
        self.rules = rules
        self.rel = rel
        # Module-level classes, for base classes defined in the same file.
        self.classes = {m.name: m for m in module.top.members if isinstance(m, ast.ClassDef)}

    def tests(self) -> list[StaticTest]:
        top = self.module.top
        if top.dunder_test() is False:
            return []  # __test__ = False: pytest collects nothing from the module
        scope = _Scope(self.rel, self._marks_of(top.assignments.get("pytestmark")))
        return self._collect(top.members, scope)

    def _collect(self, members: Iterable[ast.stmt], scope: _Scope) -> list[StaticTest]:
        tests: list[StaticTest] = []
        for member in members:
            if isinstance(member, ast.ClassDef):
                tests += self._class(member, scope)
            elif isinstance(member, _DEFS) and self._is_test_function(member):
                tests.append(self._test(member, scope))
        return tests

    def _is_test_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """A def named like a test that is not a fixture (pytest skips those)."""
        if not self.rules.is_test_function(node.name):
            return False
        return not any(self.module.is_fixture(d) for d in node.decorator_list)

    def _test(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope) -> StaticTest:
        markers = scope.markers
        if node.decorator_list:
            own = [n for d in node.decorator_list for n in self.module.mark_names_of(d)]
            if own:
                markers = tuple(dict.fromkeys(own + list(markers)))
        return StaticTest(
            nodeid=f"{scope.nodeid}::{node.name}",
            path=self.rel,
            line=node.lineno,
            markers=markers,
            parametrized="parametrize" in markers,
        )

    def _class(self, node: ast.ClassDef, scope: _Scope) -> list[StaticTest]:
        mro = self._mro(node)
        chain = [self.module.block(cls) for cls in mro]
        # __test__ is an attribute: a base class's value counts when the class sets none.
        explicit = next((v for v in (b.dunder_test() for b in chain) if v is not None), None)
        if explicit is False:
            return []
        marks = tuple(dict.fromkeys(self._class_marks(mro) + scope.markers))
        inner = _Scope(f"{scope.nodeid}::{node.name}", marks)
        if _unittest_style(mro):
            # unittest.TestCase subclasses are collected whatever their name, and their
            # methods by unittest's own "test" prefix, not python_functions.
            return [
                self._test(m, inner)
                for m in _inherited(chain)
                if isinstance(m, _DEFS) and m.name.startswith("test")
            ]
        if explicit is None and not self.rules.is_test_class(node.name):
            return []
        if any(m.name in ("__init__", "__new__") for b in chain for m in b.members):
            return []  # pytest warns "cannot collect test class ... __init__" and skips it
        return self._collect(_inherited(chain), inner)

    def _class_marks(self, mro: Sequence[ast.ClassDef]) -> tuple[str, ...]:
        """Decorators and ``pytestmark`` of the class, then of its bases (pytest ≥ 7.2: MRO)."""
        marks: list[str] = []
        for cls in mro:
            marks += [n for d in cls.decorator_list for n in self.module.mark_names_of(d)]
            marks += self._marks_of(self.module.block(cls).assignments.get("pytestmark"))
        return tuple(marks)

    def _marks_of(self, value: ast.expr | None) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.module.mark_names_of(value))) if value else ()

    def _mro(self, node: ast.ClassDef) -> list[ast.ClassDef]:
        """The class and its bases defined in this module, breadth first: close enough to the
        real MRO for test classes, and bases from other modules cannot be seen anyway."""
        chain = [node]
        for cls in chain:  # grows while iterating: a breadth-first walk of the bases
            for base in cls.bases:
                if isinstance(base, ast.Name) and base.id in self.classes:
                    candidate = self.classes[base.id]
                    if candidate not in chain:
                        chain.append(candidate)
        return chain


def _inherited(chain: Sequence[_Block]) -> list[ast.stmt]:
    """Members of a class and its bases, base members first, each name once (pytest's order)."""
    if len(chain) == 1:
        return list(chain[0].members)
    seen: set[str] = set()
    per_class: list[list[ast.stmt]] = []
    for block in chain:
        own = [m for m in block.members if m.name not in seen]
        seen.update(m.name for m in own)
        per_class.append(list(own))
    return [member for own in reversed(per_class) for member in own]


def _unittest_style(chain: Sequence[ast.ClassDef]) -> bool:
    """Whether a base class looks like unittest's (``TestCase``, ``IsolatedAsyncioTestCase``…)."""
    for cls in chain:
        for base in cls.bases:
            name = base.id if isinstance(base, ast.Name) else ""
            name = base.attr if isinstance(base, ast.Attribute) else name
            if name.endswith("TestCase"):
                return True
    return False

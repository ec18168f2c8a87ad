"""Fingerprints of a Python file's blocks: each function body, and everything else.

Recording tells which functions a test executed (by qualified name). When a file changes, the
function bodies whose fingerprint changed select the tests that executed them. Everything that is
not inside a function body — imports, top-level statements, class bodies, decorators, default
arguments, ``parametrize`` data — runs when the module is imported, which recording does not see,
so a change there is a *module-level* change: it selects the module's importers (static graph).

Fingerprints hash the AST without line numbers, so moving code, editing comments or a function's
docstring changes nothing.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass

from gateui.core.common.python_ast import parse_module
from gateui.core.selection._module_diff import without_docstring

_HOOK_PREFIX = "pytest_"
PRINT_VERSION = "2:"
"""Prefix of the module digest: prints stored by an older way of printing are made again."""


@dataclass(frozen=True)
class ModulePrint:
    """The fingerprint of one version of a Python file."""

    module: str
    """Hash of everything outside function bodies."""
    functions: dict[str, str]
    """Qualified name (``Class.method``; nested functions count as their outer function) → hash
    of the body."""
    fixtures: frozenset[str]
    """Functions decorated as pytest fixtures."""

    def changed_functions(self, new: ModulePrint) -> set[str]:
        """Functions whose body differs in ``new`` or that ``new`` no longer has."""
        return {
            name for name, digest in self.functions.items() if new.functions.get(name) != digest
        }

    def hooks(self, names: set[str]) -> set[str]:
        """The pytest hook implementations among ``names`` (``pytest_*`` functions)."""
        return {n for n in names if n.rsplit(".", 1)[-1].startswith(_HOOK_PREFIX)}


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr == "fixture"
    return isinstance(target, ast.Name) and target.id == "fixture"


def fingerprint(source: str | bytes) -> ModulePrint | None:
    """The fingerprint of ``source``; None when it does not parse (then every change counts)."""
    try:
        tree = parse_module(source)
    except (SyntaxError, ValueError):
        return None
    functions: dict[str, str] = {}
    fixtures: set[str] = set()
    _strip_bodies(tree.body, "", functions, fixtures)
    return ModulePrint(PRINT_VERSION + _digest(ast.dump(tree)), functions, frozenset(fixtures))


def _strip_bodies(
    body: list[ast.stmt], prefix: str, functions: dict[str, str], fixtures: set[str]
) -> None:
    """Hash each function body into ``functions`` and empty it, so that what is left of the tree
    is exactly the module-level code. Recurses into class bodies (and ``if`` / ``try`` blocks at
    module level, where conditional definitions live)."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = prefix + node.name
            # A docstring is not behaviour (unless it holds doctest examples).
            body = without_docstring(node.body)
            digest = _digest(ast.dump(ast.Module(body=body, type_ignores=[])))
            # One name, several bodies (a property's getter and setter, if/else definitions,
            # @overload, singledispatch's "_"): the name's print covers all of them.
            functions[name] = _digest(functions[name] + digest) if name in functions else digest
            if any(_is_fixture(d) for d in node.decorator_list):
                fixtures.add(name)
            node.body = [ast.Pass()]
        elif isinstance(node, ast.ClassDef):
            _strip_bodies(node.body, f"{prefix}{node.name}.", functions, fixtures)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            for block in _blocks(node):
                _strip_bodies(block, prefix, functions, fixtures)


def _blocks(node: ast.If | ast.Try | ast.With) -> list[list[ast.stmt]]:
    if isinstance(node, ast.If):
        return [node.body, node.orelse]
    if isinstance(node, ast.With):
        return [node.body]
    return [node.body, node.orelse, node.finalbody, *[h.body for h in node.handlers]]

"""What a module-level edit changed: top-level names added, removed or changed.

Two versions of a module are cut into units, one per top-level statement, keyed by the names the
statement binds (``import``, assignment, ``def``, ``class``; the members of a class body as
``Class.member``). Each unit is compared by its AST without positions, docstrings or function
bodies (those are the function fingerprints' business), so code that only moved, comments,
docstrings and formatting change nothing.

Some edits cannot be narrowed to names, and the diff says why (``wide``): a module that reaches
its own names dynamically (``__getattr__``, ``globals()``, ``vars(module)``, ``importlib``,
``setattr`` on modules, ``sys.modules``, ``exec``), a statement run for its effect at import (a
bare call, an assignment to an attribute or item of something else), a definition carrying a
registering decorator (``@app.route``, ``@register``), a module that no longer parses, and a
module whose import would now read a name before anything binds it.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections import Counter
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field

from gateui.core.common.python_ast import parse_module

ADDED, REMOVED, CHANGED = "added", "removed", "changed"

# Decorators that only wrap or describe what they decorate; they register nothing anywhere.
_PURE_DECORATOR_ROOTS = frozenset(
    {"functools", "pytest", "dataclasses", "typing", "typing_extensions", "abc", "contextlib"}
)
_PURE_DECORATORS = frozenset(
    {
        "property",
        "staticmethod",
        "classmethod",
        "cached_property",
        "dataclass",
        "wraps",
        "lru_cache",
        "cache",
        "total_ordering",
        "abstractmethod",
        "overload",
        "override",
        "final",
        "contextmanager",
        "asynccontextmanager",
        "setter",
        "getter",
        "deleter",
        "fixture",
        "parametrize",
        "singledispatch",
        "singledispatchmethod",
    }
)
_REGISTERING = re.compile(
    r"regist|route|hook|plugin|command|listen|subscribe|receiver|handler|signal|task|entry|"
    r"impl|endpoint|callback|event|^on_|^get$|^post$|^put$|^patch$|^delete$",
    re.IGNORECASE,
)
_MODULE_GLOBALS = frozenset(
    {"__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__", "__path__"}
    | {"__builtins__", "__annotations__", "__dict__", "__cached__"}
)
_BUILTINS = frozenset(dir(builtins)) | _MODULE_GLOBALS


@dataclass(frozen=True)
class Unit:
    """One top-level statement (or one member of a top-level class body)."""

    names: tuple[str, ...]
    """The names it binds (``Class.member`` for class members); empty for a statement run for
    its effect."""
    digest: str
    """Its AST without positions, docstrings and function bodies."""
    reads: frozenset[str]
    """Names and attribute names it reads when the module is imported."""
    line: int
    decorators: tuple[str, ...] = ()
    """Dotted names of its decorators (definitions only)."""
    kind: str = "statement"
    """def, class, import, assign or block (a compound statement), statement otherwise."""
    origin: tuple[str, int, str] | None = None
    """For an import: (module as written, relative level, imported name; "" for ``import m``)."""
    bases: frozenset[str] = frozenset()
    """For a class: the names read only through its base classes (``Base`` in ``class
    C(Base)``), not also by its decorators, keywords or class-level statements."""
    machinery: tuple[str, ...] = ()
    """For a class: what may run over its body when it is created (and generate code from it,
    as attrs, dataclasses, Enum or a metaclass do): ``@decorator``, ``metaclass=`` keywords,
    and its bases other than builtin types (dotted, as written; ``?`` for an expression)."""


@dataclass
class ModuleUnits:
    """A module cut into units, with what its import does that names cannot follow."""

    units: list[Unit] = field(default_factory=list)
    dynamic: str | None = None
    """Why the module's names cannot be followed statically (None when they can)."""
    unbound: frozenset[str] = frozenset()
    """Names its import reads before anything binds them (a NameError at import)."""
    star_imports: bool = False

    def digests(self) -> dict[str, str]:
        """Name → the digests of every unit binding it, in order (two bindings of one name)."""
        found: dict[str, str] = {}
        for unit in self.units:
            for name in unit.names:
                found[name] = found.get(name, "") + unit.digest
        return found

    def effects(self) -> list[Unit]:
        return [u for u in self.units if not u.names]


@dataclass
class ModuleDiff:
    """Top-level names an edit touched, or the reason it must count as a change of everything
    the module does (``wide``)."""

    names: dict[str, str] = field(default_factory=dict)
    """Name (``Class.member`` for class members) → added / removed / changed."""
    wide: str | None = None
    registering: dict[str, str] = field(default_factory=dict)
    """Touched names whose definition carries a registering decorator → that decorator."""


def parse_units(source: str | bytes) -> ModuleUnits | None:
    """The units of ``source``; None when it does not parse."""
    try:
        tree = parse_module(source)
    except (SyntaxError, ValueError):
        return None
    found = ModuleUnits()
    body = without_docstring(tree.body)
    for node in body:
        found.units.extend(_units_of(node))
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            found.star_imports = True
    found.dynamic = _dynamic(tree)
    found.unbound = frozenset() if found.star_imports else _unbound(body)
    return found


def diff_modules(old: ModuleUnits, new: ModuleUnits) -> ModuleDiff:
    """What changed from ``old`` to ``new`` (an added file's ``old`` is an empty module)."""
    diff = ModuleDiff()
    dynamic = new.dynamic or old.dynamic
    before, after = old.digests(), new.digests()
    for name in before.keys() | after.keys():
        if name not in after:
            diff.names[name] = REMOVED
        elif name not in before:
            diff.names[name] = ADDED
        elif before[name] != after[name]:
            diff.names[name] = CHANGED
    before_effects = Counter(u.digest for u in old.effects())
    after_effects = Counter(u.digest for u in new.effects())
    changed_effect = next(
        (u for u in new.effects() if after_effects[u.digest] != before_effects[u.digest]),
        next(
            (u for u in old.effects() if after_effects[u.digest] != before_effects[u.digest]), None
        ),
    )
    if not diff.names and changed_effect is None:
        return diff
    if changed_effect is not None:
        diff.wide = f"a statement run at import changed (line {changed_effect.line})"
    elif dynamic is not None:
        diff.wide = f"the module {dynamic}: its names cannot be followed"
    elif new.unbound - old.unbound:
        diff.wide = f"its import reads {sorted(new.unbound - old.unbound)[0]} before it is bound"
    for unit in [*old.units, *new.units]:
        for name in unit.names:
            registering = next((d for d in unit.decorators if _registers(d)), None)
            if name in diff.names and registering is not None:
                diff.registering[name] = registering
    if diff.wide is None and diff.registering:
        name, decorator = sorted(diff.registering.items())[0]
        diff.wide = f"{name} is registered at import (@{decorator})"
    return diff


def empty_units() -> ModuleUnits:
    return ModuleUnits()


@dataclass(frozen=True)
class Binding:
    """What one top-level statement (or class member) binds at import, and what it reads then:
    a lighter cut than ``parse_units`` (no digests) for reading many modules."""

    names: tuple[str, ...]
    """Names it binds (``Class.member`` for class members)."""
    reads: frozenset[str]
    kind: str
    """def, class (its own class-level statements: bases, decorators, special members), or
    assign (any other binding)."""


def import_bindings(source: str | bytes) -> list[Binding]:
    """The bindings of ``source`` (none when it does not parse)."""
    try:
        tree = parse_module(source)
    except (SyntaxError, ValueError):
        return []
    found: list[Binding] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            header: list[ast.AST] = [*node.bases, *node.keywords, *node.decorator_list]
            for child in node.body:
                names = sorted(_bound_names(child))
                if not names or any(_dunder(n) for n in names):
                    header.append(child)
                    continue
                kind = "def" if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else ""
                members = tuple(f"{node.name}.{n}" for n in names)
                found.append(Binding(members, _reads(child), kind or "assign"))
            reads = frozenset().union(*(_reads(h) for h in header))
            found.append(Binding((node.name,), reads, "class"))
        else:
            names = sorted(_bound_names(node))
            kind = "def" if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else "assign"
            if names:
                found.append(Binding(tuple(names), _reads(node), kind))
    return found


# -- cutting a module into units ------------------------------------------------------------------


def _units_of(node: ast.stmt) -> Iterator[Unit]:
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        parts = _header(node)
        digest = type(node).__name__ + "|".join(_digest(p) for p in parts)
        # Annotations are left out: they describe, they do not compute a value at import.
        evaluated = [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]
        reads = frozenset().union(*(_reads(p) for p in evaluated if p is not None))
        yield Unit((node.name,), digest, reads, line, _decorators(node), "def")
    elif isinstance(node, ast.ClassDef):
        yield from _class_units(node)
    elif isinstance(node, ast.Import | ast.ImportFrom):
        for alias in node.names:
            if alias.name == "*":
                continue
            bound = alias.asname or alias.name.split(".", 1)[0]
            module = getattr(node, "module", None) or ""
            level = getattr(node, "level", 0) or 0
            source = (
                (module, level, alias.name)
                if isinstance(node, ast.ImportFrom)
                else (alias.name, 0, "")
            )
            digest = f"import {source} as {bound}"
            reads = frozenset({alias.name.rsplit(".", 1)[-1]})
            yield Unit((bound,), digest, reads, line, kind="import", origin=source)
    elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [n for t in targets for n in _target_names(t)]
        if names and all(_plain_target(t) for t in targets):
            yield Unit(
                tuple(dict.fromkeys(names)), _digest(node), _reads(node), line, kind="assign"
            )
        else:
            yield Unit((), _digest(node), _reads(node), line)
    elif isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While | ast.AsyncWith):
        names = sorted(_bound_names(node))
        stripped = _strip(node)
        effect = any(
            isinstance(n, ast.Expr) and not isinstance(n.value, ast.Constant)
            for n in _module_level_nodes(stripped)
        )
        if names and not effect:
            yield Unit(tuple(names), _digest(stripped), _reads(stripped), line, kind="block")
        else:
            yield Unit((), _digest(stripped), _reads(stripped), line)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return  # a bare string: documentation
    elif isinstance(node, ast.Pass):
        return
    else:
        yield Unit((), _digest(node), _reads(node), line)


def _class_units(node: ast.ClassDef) -> Iterator[Unit]:
    header = ast.ClassDef(
        name=node.name,
        bases=node.bases,
        keywords=node.keywords,
        body=[],
        decorator_list=node.decorator_list,
    )
    members: list[Unit] = []
    class_level: list[ast.stmt] = [header]
    for child in without_docstring(node.body):
        if isinstance(child, ast.Pass):
            continue
        for unit in _units_of(child):
            if not unit.names or any(_dunder(n) for n in unit.names):
                # Run for its effect in the class body, or a special method: the class as a whole.
                class_level.append(child)
                break
            members.append(
                Unit(
                    tuple(f"{node.name}.{n}" for n in unit.names),
                    unit.digest,
                    unit.reads,
                    unit.line,
                    unit.decorators,
                    unit.kind,
                )
            )
    reads = frozenset().union(*(_reads(_strip(c)) for c in class_level))
    yield Unit(
        (node.name,),
        _digest(ast.Module(body=[_strip(c) for c in class_level], type_ignores=[])),
        reads | frozenset().union(*(m.reads for m in members)),
        node.lineno,
        _decorators(node),
        "class",
        bases=frozenset().union(*(_reads(b) for b in node.bases))
        - frozenset().union(
            *(_reads(d) for d in node.decorator_list),
            *(_reads(k) for k in node.keywords),
            *(_reads(_strip(c)) for c in class_level[1:]),
        ),
        machinery=(
            *(f"@{d}" for d in _decorators(node)),
            *("@?" for d in node.decorator_list if _dotted(_called(d)) is None),
            *(f"{k.arg}=" for k in node.keywords),
            *(
                _dotted(b) or "?"
                for b in node.bases
                if not (isinstance(b, ast.Name) and isinstance(getattr(builtins, b.id, None), type))
            ),
        ),
    )
    yield from members


def _header(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """A definition without its body: decorators, arguments, defaults, annotations."""
    parts: list[ast.AST] = [*node.decorator_list, node.args]
    if node.returns is not None:
        parts.append(node.returns)
    return parts


def _strip(node: ast.stmt) -> ast.stmt:
    """A copy of ``node`` with function bodies emptied and docstrings removed."""
    copy = deepcopy(node)
    for child in ast.walk(copy):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            child.body = [ast.Pass()]
        elif isinstance(child, ast.ClassDef):
            child.body = without_docstring(child.body) or [ast.Pass()]
    return copy


def without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        value = body[0].value.value
        # A docstring holding doctest examples is code for pytest --doctest-modules.
        if isinstance(value, str) and ">>>" not in value:
            return body[1:]
    return body


def _digest(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=True, include_attributes=False)


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> tuple[str, ...]:
    found = []
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        dotted = _dotted(target)
        if dotted:
            found.append(dotted)
    return tuple(found)


def _called(node: ast.expr) -> ast.expr:
    return node.func if isinstance(node, ast.Call) else node


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _registers(decorator: str) -> bool:
    """A decorator that may record what it decorates somewhere (a registry, a router)."""
    parts = decorator.split(".")
    last = parts[-1]
    if parts[0] in _PURE_DECORATOR_ROOTS or last in _PURE_DECORATORS:
        return False
    if parts[0] == "pytest" or (len(parts) > 1 and parts[-2] == "mark"):
        return False
    return bool(_REGISTERING.search(last)) or len(parts) > 1


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for e in target.elts for n in _target_names(e)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _plain_target(target: ast.expr) -> bool:
    """Binds names only (no attribute or item of another object is set)."""
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, ast.Tuple | ast.List):
        return all(_plain_target(e) for e in target.elts)
    if isinstance(target, ast.Starred):
        return _plain_target(target.value)
    return False


def _bound_names(node: ast.stmt) -> set[str]:
    names: set[str] = set()
    for child in _module_level_nodes(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(child.name)
        elif isinstance(child, ast.Import | ast.ImportFrom):
            names.update(a.asname or a.name.split(".", 1)[0] for a in child.names if a.name != "*")
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
    return names


def _module_level_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``node`` that runs at import: function bodies and lambdas excluded,
    definitions' decorators and defaults included, class bodies included."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
            stack.extend(current.decorator_list)
            stack.extend(current.args.defaults)
            stack.extend(d for d in current.args.kw_defaults if d is not None)
            continue
        if isinstance(current, ast.Lambda):
            stack.extend(current.args.defaults)
            continue
        if isinstance(current, ast.AnnAssign):
            stack.append(current.target)
            if current.value is not None:
                stack.append(current.value)
            continue
        stack.extend(ast.iter_child_nodes(current))


def _reads(node: ast.AST) -> frozenset[str]:
    """Names and attribute names read at import."""
    found: set[str] = set()
    for child in _module_level_nodes(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
    return frozenset(found)


# -- what cannot be followed by name --------------------------------------------------------------


# Calls that import a module named by their first argument: dynamic only when that name is
# computed (``__import__("concurrent.futures")`` is an import statement written as a call).
_IMPORT_CALLS = ("import_module", "__import__")
# Calls that load or reload modules from a path or a spec: what they bind cannot be followed.
_LOADER_CALLS = ("reload", "module_from_spec", "spec_from_file_location", "exec_module")


def _dynamic(tree: ast.Module) -> str | None:
    imported = {
        a.asname or a.name.split(".", 1)[0]
        for node in tree.body
        if isinstance(node, ast.Import)
        for a in node.names
    }
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef) and statement.name in ("__getattr__", "__dir__"):
            return f"defines {statement.name}"
    # ``from importlib import import_module as load``: the alias is the same call.
    import_calls = set(_IMPORT_CALLS)
    loader_calls = set(_LOADER_CALLS)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("importlib"):
            for alias in node.names:
                if alias.name in _IMPORT_CALLS:
                    import_calls.add(alias.asname or alias.name)
                elif alias.name in _LOADER_CALLS:
                    loader_calls.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func) or ""
            last = name.rsplit(".", 1)[-1]
            if last in ("globals", "exec", "eval"):
                return f"calls {last}()"
            if last in import_calls and not _constant_string(node.args[:1]):
                return f"calls {last}() with a computed name"
            if last in loader_calls:
                return f"calls {last}()"
            if last == "vars" and (
                not node.args
                or (isinstance(node.args[0], ast.Name) and node.args[0].id in imported)
            ):
                return "calls vars() on a module"
            if last in ("setattr", "delattr") and node.args:
                first = node.args[0]
                if (isinstance(first, ast.Name) and first.id in imported) or "modules" in (
                    _dotted(first.value if isinstance(first, ast.Subscript) else first) or ""
                ):
                    return f"calls {last}() on a module"
            if last == "entry_points":
                return "loads plugin entry points"
        elif isinstance(node, ast.Attribute) and node.attr == "modules":
            if isinstance(node.value, ast.Name) and node.value.id == "sys":
                return "uses sys.modules"
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                modules.append(node.module or "")
            if any(m.split(".", 1)[0] == "pkg_resources" for m in modules):
                return "uses pkg_resources"
    return None


def _constant_string(args: list[ast.expr]) -> bool:
    return bool(args) and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)


def _unbound(body: list[ast.stmt]) -> frozenset[str]:
    """Names the module's import reads before any statement binds them (in order)."""
    bound: set[str] = set(_BUILTINS)
    missing: set[str] = set()
    for node in body:
        if isinstance(node, ast.ClassDef):
            missing |= _reads_outside(node, bound, class_body=True)
        else:
            missing |= _reads_outside(node, bound)
        bound |= _bound_names(node)
        if isinstance(node, ast.Global | ast.Nonlocal):
            bound |= set(node.names)
    return frozenset(missing)


def _reads_outside(node: ast.stmt, bound: set[str], class_body: bool = False) -> set[str]:
    """Plain names ``node`` reads at import that are not in ``bound`` (class bodies see their
    own names as they bind them; comprehensions their own variables)."""
    local = set(bound)
    missing: set[str] = set()
    if class_body and isinstance(node, ast.ClassDef):
        for expr in [*node.bases, *node.decorator_list, *(k.value for k in node.keywords)]:
            missing |= _names_read(expr, local)
        for child in node.body:
            missing |= _reads_outside(child, local, class_body=isinstance(child, ast.ClassDef))
            local |= _bound_names(child)
        return missing
    local |= (
        _bound_names(node) if isinstance(node, ast.If | ast.Try | ast.For | ast.While) else set()
    )
    return _names_read(node, local)


def _names_read(node: ast.AST, bound: set[str]) -> set[str]:
    comprehension_vars = {
        n.id
        for child in ast.walk(node)
        if isinstance(child, ast.comprehension)
        for n in ast.walk(child.target)
        if isinstance(n, ast.Name)
    }
    walrus = {
        c.target.id
        for c in ast.walk(node)
        if isinstance(c, ast.NamedExpr) and isinstance(c.target, ast.Name)
    }
    return {
        child.id
        for child in _module_level_nodes(node)
        if isinstance(child, ast.Name)
        and isinstance(child.ctx, ast.Load)
        and child.id not in bound
        and child.id not in comprehension_vars
        and child.id not in walrus
    }

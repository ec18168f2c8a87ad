"""Module-level edits, by name: which tests can observe the top-level names an edit touched.

A touched name spreads before it selects: a statement that reads it at import (a default
argument, a decorator, a base class, ``X = NAME + 1``, ``from m import NAME`` in another module,
a re-export) binds names that changed with it. Then each touched name selects

- the tests it is (a test function or class of a test file changed, added or re-decorated);
- tests whose executed functions read it (their compiled code loads the name or attribute);
  a class member (``C.x``) is read as an attribute, and attributes of that name are read on
  other objects too (attrs reads ``Attribute.type`` everywhere), so such a read selects only a
  test that can hold a ``C``: one whose executed functions read a name leading to it (``C``,
  a factory, a fixture, a binding made at import, a subclass: ``_holders``);
- tests that executed the definition itself (a function whose decorator or defaults changed) or
  any method of a class whose body changed;
- for a class whose body something may generate code from (a decorator such as attrs' or
  ``dataclass``, a metaclass, a base that is not a builtin type), and for a class changed as a
  whole, every test that can hold one directly: its generated ``__init__``, ``__eq__`` or
  ``__repr__`` are never recorded, and an instance made elsewhere reaches them unnamed;
- for a fixture, the tests that used a fixture of that name.

What names cannot follow widens to the module's importers, with the reason: a module whose
names are reached dynamically, a statement run for its effect, a registering decorator, an
autouse fixture or hook of a conftest, an import that now fails (``from m import gone``).
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from gateui.core.selection._holders import Holders, holders_of
from gateui.core.selection._import_graph import ImportGraph
from gateui.core.selection._module_diff import (
    ADDED,
    CHANGED,
    REMOVED,
    Binding,
    ModuleDiff,
    ModuleUnits,
    Unit,
    diff_modules,
    empty_units,
    import_bindings,
    parse_units,
)
from gateui.core.selection._name_reads import Reads, function_reads
from gateui.core.selection.changes import blob_id
from gateui.core.selection.depstore import DepStore

_MAX_SPREAD = 20_000


@dataclass(frozen=True)
class Touched:
    """One top-level name an edit touched, and how it got touched."""

    rel: str
    name: str
    state: str
    chain: tuple[str, ...] = ()
    """Dotted names it was touched through, nearest first (``re-export ← origin``)."""
    origin: str = ""
    """The file whose edit touched it (``rel`` itself, or the module it was imported from)."""


@dataclass
class ModuleLevelResult:
    """What to select: (kind, key, reason) entries, and files that need the import graph."""

    entries: list[tuple[str, str, str]] = field(default_factory=list)
    wide: dict[str, str] = field(default_factory=dict)


@dataclass
class _Wanted:
    """What one selection looks for in the recordings."""

    reads: dict[str, list[tuple[Touched, str]]] = field(default_factory=dict)
    """Word → names a read of it observes."""
    members: dict[str, list[Touched]] = field(default_factory=dict)
    """Attribute word → class members a read of it observes in a test that holds the class."""
    held: list[Touched] = field(default_factory=list)
    """Classes (and fields) every test holding the class observes."""
    definitions: dict[tuple[str, str], list[Touched]] = field(default_factory=dict)
    fixtures: dict[str, list[Touched]] = field(default_factory=dict)


class ModuleLevel:
    """Diffs and name reads, cached per file version (watch mode asks again after each save)."""

    def __init__(self, repo_root: Path, graph: ImportGraph) -> None:
        self.repo_root = repo_root
        self.graph = graph
        self._units: dict[str, ModuleUnits | None] = {}
        self._reads: dict[str, dict[str, Reads]] = {}
        self._import_bindings: dict[str, list[Binding]] = {}
        self._global_only: set[Touched] = set()
        """Touched names only a global read of their own module can observe (per select)."""
        self._verified: Mapping[str, set[str]] = {}
        """Per changed file, the tests recorded against its version on disk (per select)."""

    # -- versions --------------------------------------------------------------------------
    def units(self, data: bytes | None) -> ModuleUnits | None:
        if data is None:
            return empty_units()
        key = blob_id(data)
        if key not in self._units:
            self._units[key] = parse_units(data)
        return self._units[key]

    def _current(self, rel: str) -> bytes | None:
        try:
            return (self.repo_root / rel).read_bytes()
        except OSError:
            return None

    def diff(self, old: bytes | None, new: bytes | None) -> ModuleDiff:
        """What changed from ``old`` to ``new`` (None: the file did not or does not exist)."""
        if new is None:
            return ModuleDiff(wide="deleted file")
        before, after = self.units(old), self.units(new)
        if after is None:
            return ModuleDiff(wide="it does not parse")
        if before is None:
            return ModuleDiff(wide="module-level change (its old version does not parse)")
        return diff_modules(before, after)

    def add_diff(
        self, diffs: dict[str, ModuleDiff], rel: str, old: bytes | None, known: bool
    ) -> None:
        """Compare ``old`` (None: the file is new, or — ``known`` — its old version is unknown)
        with the file on disk into ``diffs``; several old versions add up."""
        now = self._current(rel)
        if old is None and known:
            diff = ModuleDiff(wide="module-level change (the version tests ran is unknown)")
        else:
            diff = self.diff(old, now)
            if diff.wide is None:
                diff.wide = self._import_that_can_fail(rel, old, now)
        merged = diffs.setdefault(rel, ModuleDiff())
        merged.wide = merged.wide or diff.wide
        for name, state in diff.names.items():
            merged.names.setdefault(name, state)

    def _import_that_can_fail(self, rel: str, old: bytes | None, new: bytes | None) -> str | None:
        """An import the edit added that may not resolve: importing the module then fails, and
        so does every test that imports it. Only the standard library and the repository's
        own modules (with the names they bind) can be checked here; any other module is not
        known to be installed."""
        before, after = self.units(old), self.units(new)
        if after is None:
            return None
        known = {u.digest for u in before.units} if before is not None else set()
        modules: dict[str, str] | None = None  # dotted name → file, built once when needed
        for unit in after.units:
            if unit.kind != "import" or unit.origin is None or unit.digest in known:
                continue
            module, level, name = unit.origin
            absolute = self._absolute(rel, module, level)
            if level == 0 and absolute.split(".")[0] in sys.stdlib_module_names:
                continue
            if modules is None:
                modules = {self._module(f): f for f in self.graph.files}
            if not self._resolves(modules, absolute, name):
                shown = f"{absolute}.{name}" if name else absolute
                return f"an import of {shown} was added (line {unit.line}), which may not resolve"
        return None

    def _resolves(self, files: Mapping[str, str], module: str, name: str) -> bool:
        """``module`` (and ``name`` in it, for ``from module import name``) is the repository's
        (``files``: dotted name → file)."""
        target = files.get(module)
        if target is None:
            return False
        if not name or f"{module}.{name}" in files:
            return True
        units = self.units(self._current(target))
        return units is not None and (
            units.star_imports or any(name in u.names for u in units.units)
        )

    def _bindings(self, rel: str) -> list[Binding]:
        data = self._current(rel)
        if data is None:
            return []
        key = blob_id(data)
        if key not in self._import_bindings:
            self._import_bindings[key] = import_bindings(data)
        return self._import_bindings[key]

    def _function_reads(self, rel: str) -> dict[str, Reads]:
        data = self._current(rel)
        if data is None:
            return {}
        key = blob_id(data)
        if key not in self._reads:
            self._reads[key] = function_reads(data, rel)
        return self._reads[key]

    # -- selection -------------------------------------------------------------------------
    def select(
        self,
        store: DepStore,
        env: str,
        prefix: str,
        diffs: Mapping[str, ModuleDiff],
        test_files: set[str],
        verified: Mapping[str, set[str]] | None = None,
    ) -> ModuleLevelResult:
        """``verified``: per changed file, the tests recorded against its version on disk. They
        ran with the edit already (a rerun after it, or a run after a revert): it selects them
        no more, so that reruns converge."""
        result = ModuleLevelResult()
        self._global_only = set()
        self._verified = verified or {}
        touched = self._spread(
            [
                Touched(rel, name, state, origin=rel)
                for rel, diff in diffs.items()
                if diff.wide is None
                for name, state in sorted(diff.names.items())
            ],
            result,
        )
        for rel, diff in diffs.items():
            if diff.wide is not None:
                result.wide.setdefault(rel, diff.wide)
        wanted = _Wanted()
        for item in touched:
            if item.rel in result.wide:
                continue
            unit = self._unit(item)
            if self._by_pytest(item, unit, test_files, result):
                continue
            self._wanted(item, unit, wanted)
        if wanted.reads or wanted.members or wanted.held or wanted.definitions or wanted.fixtures:
            self._match(store, env, prefix, wanted, result)
        return result

    def _unit(self, item: Touched) -> Unit | None:
        units = self.units(self._current(item.rel))
        if units is None:
            return None
        return next((u for u in units.units if item.name in u.names), None)

    def _by_pytest(
        self, item: Touched, unit: Unit | None, test_files: set[str], result: ModuleLevelResult
    ) -> bool:
        """Tests, hooks and autouse fixtures: selected by what pytest does with them."""
        path = PurePosixPath(item.rel)
        top, _, member = item.name.partition(".")
        fixture = unit is not None and any(
            d.rsplit(".", 1)[-1] == "fixture" for d in unit.decorators
        )
        if path.name == "conftest.py" and (top.startswith("pytest_") or top == "pytest_plugins"):
            result.wide.setdefault(item.rel, f"hook {item.name} {item.state}")
            return True
        if fixture and unit is not None and "autouse" in unit.digest:
            result.wide.setdefault(item.rel, f"autouse fixture {item.name} {item.state}")
            return True
        if item.rel not in test_files or fixture:
            return False
        is_test = (top.startswith("Test") and (not member or member.startswith("test"))) or (
            not member and top.startswith("test")
        )
        if not is_test:
            return False
        if item.state != REMOVED:
            key = f"{item.rel}::{top}" + (f"::{member}" if member else "")
            reason = "new test" if item.state == ADDED else f"{self._what(item)} ({item.state})"
            result.entries.append(("prefix", key, reason))
        return True

    def _wanted(self, item: Touched, unit: Unit | None, wanted: _Wanted) -> None:
        top, _, member = item.name.partition(".")
        last = item.name.rsplit(".", 1)[-1]
        kind = unit.kind if unit is not None else "def"
        if unit is None and member and item.state == REMOVED:
            # Gone from the class: what it was is not known here (a field of an attrs class
            # takes a parameter of its generated __init__ with it): the class as a whole.
            kind = "removed"
        if unit is not None and any(d.rsplit(".", 1)[-1] == "fixture" for d in unit.decorators):
            wanted.fixtures.setdefault(last, []).append(item)
        if member:
            # A member is read as an attribute, but ``.type`` is read on every kind of object:
            # only a test that can hold the class observes it through such a read. A field
            # (not a method) also feeds what the class generates from its body (an attrs or
            # dataclass ``__init__``, ``__eq__``, an Enum's members): whoever holds the class.
            for word in _member_words(top, last):
                wanted.members.setdefault(word, []).append(item)
            if kind != "def" and self._generates(item.rel, top):
                wanted.held.append(item)
        else:
            wanted.reads.setdefault(last, []).append((item, last))
        if item.state == ADDED:
            if unit is not None and unit.kind == "import":
                # A new binding of an object that exists already (``from .keys import
                # hashkey`` in a new module): reading it as an attribute of this module failed
                # before the edit, so an attribute read elsewhere is another object's.
                self._global_only.add(item)
            return  # new: only what reads it can observe it
        if kind == "class" or (member and kind != "def"):
            # The class as a whole (its bases, decorators, a field's default): whoever names it,
            # ran any of its methods, or holds one some other way.
            wanted.reads.setdefault(top, []).append((item, top))
            wanted.definitions.setdefault((item.rel, top + "."), []).append(item)
            if not member:
                wanted.held.append(item)
        wanted.definitions.setdefault((item.rel, item.name), []).append(item)

    def _generates(self, rel: str, name: str, seen: frozenset[str] = frozenset()) -> bool:
        """Something may generate code from the body of class ``name`` of ``rel`` (a decorator,
        a metaclass, a base that is not a builtin type and not a plain class of ``rel``)."""
        units = self.units(self._current(rel))
        unit = (
            None
            if units is None
            else next((u for u in units.units if u.kind == "class" and u.names == (name,)), None)
        )
        if unit is None or name in seen:
            return True
        return any(
            m.startswith("@") or m.endswith("=") or self._generates(rel, m, seen | {name})
            for m in unit.machinery
        )

    def _match(
        self,
        store: DepStore,
        env: str,
        prefix: str,
        wanted: _Wanted,
        result: ModuleLevelResult,
    ) -> None:
        words = set(wanted.reads)
        holders = self._holders(i for v in wanted.members.values() for i in v)
        in_hand = self._holders(wanted.held, inside=False)
        # Per test: the classes it can reach (and through what), the members it reads.
        holds: dict[str, dict[tuple[str, str], tuple[str, str]]] = {}
        hands: dict[str, dict[tuple[str, str], tuple[str, str]]] = {}
        member_reads: dict[str, list[Touched]] = {}
        # A test's first reason is the one it is shown with: running the changed definition
        # says more than reading a name bound from it, so what reads come after.
        by_reads: list[tuple[str, str, str]] = []
        for nodeid, rel, functions in store.executed_everywhere(env):
            if not nodeid.startswith(prefix):
                continue
            reads = self._function_reads(rel) if words or holders or in_hand else {}
            for function in functions:
                read = reads.get(function)
                if read is not None:
                    self._readers(nodeid, rel, read, words, wanted.reads, by_reads)
                    for word in read.attributes & wanted.members.keys():
                        member_reads.setdefault(nodeid, []).extend(wanted.members[word])
                for found, table in ((holders, holds), (in_hand, hands)):
                    for key, holder in found.items():
                        how = holder.held_by(rel, function, read)
                        if how is not None:
                            table.setdefault(nodeid, {}).setdefault(key, how)
                for (where, name), items in wanted.definitions.items():
                    hit = function == name or (name.endswith(".") and function.startswith(name))
                    if where == rel and hit and self._observes(nodeid, items[0]):
                        reason = (
                            f"executed {self._module(rel)}.{function}; {self._reason(items[0])}"
                        )
                        result.entries.append(("nodeid", nodeid, reason))
                for item in wanted.fixtures.get(function.rsplit(".", 1)[-1], ()):
                    if self._observes(nodeid, item):
                        reason = f"uses fixture {item.name} ({item.state})"
                        result.entries.append(("nodeid", nodeid, reason))
        for nodeid, items in member_reads.items():
            held = holds.get(nodeid, {})
            for item in items:
                if _class_of(item) in held and self._observes(nodeid, item):
                    by_reads.append(("nodeid", nodeid, self._reason(item)))
                    break
        for nodeid, held in hands.items():
            for item in wanted.held:
                how = held.get(_class_of(item))
                if how is not None and self._observes(nodeid, item):
                    by_reads.append(("nodeid", nodeid, self._held_reason(item, how)))
                    break
        result.entries.extend(by_reads)

    def _observes(self, nodeid: str, item: Touched) -> bool:
        """The test has not run against the edited file as it is now."""
        return nodeid not in self._verified.get(item.origin, ())

    def _holders(
        self, items: Iterable[Touched], inside: bool = True
    ) -> dict[tuple[str, str], Holders]:
        """The holders of each class ``items`` are members of (or are)."""
        found: dict[tuple[str, str], Holders] = {}
        for item in items:
            key = _class_of(item)
            if key not in found:
                rel, name = key
                files = [rel, *sorted(self.graph.importers(rel))]
                found[key] = holders_of(
                    rel,
                    name,
                    files,
                    self._function_reads,
                    self._bindings,
                    inside,
                )
        return found

    def _readers(
        self,
        nodeid: str,
        rel: str,
        read: Reads,
        words: set[str],
        wanted: dict[str, list[tuple[Touched, str]]],
        found: list[tuple[str, str, str]],
    ) -> None:
        """A global read sees the name of its own module; an attribute read, any module's."""
        for word in words & (read.globals | read.attributes):
            for item, _ in wanted[word]:
                seen = item.rel == rel or (
                    word in read.attributes and item not in self._global_only
                )
                if seen and self._observes(nodeid, item):
                    found.append(("nodeid", nodeid, self._reason(item)))
                    break

    # -- spreading -------------------------------------------------------------------------
    def _spread(self, start: Iterable[Touched], result: ModuleLevelResult) -> list[Touched]:
        """Every name touched by the edit: the names themselves, then what binds a new value
        from them at import, in the same module and in the modules importing it."""
        queue = deque(start)
        seen: dict[tuple[str, str], Touched] = {}
        while queue and len(seen) < _MAX_SPREAD:
            item = queue.popleft()
            if (item.rel, item.name) in seen:
                continue
            seen[(item.rel, item.name)] = item
            chain = (self._what(item), *item.chain)
            for rel in [item.rel, *sorted(self.graph.reverse.get(item.rel, ()))]:
                units = self.units(self._current(rel))
                if units is None:
                    continue
                for follower, state in self._followers(item, rel, units, result):
                    if (rel, follower) not in seen:
                        queue.append(Touched(rel, follower, state, chain, item.origin))
        return list(seen.values())

    def _followers(
        self, item: Touched, rel: str, units: ModuleUnits, result: ModuleLevelResult
    ) -> list[tuple[str, str]]:
        """Names of ``rel`` (in ``units``) touched through ``item``, with how: an import binds
        the same thing under its name; any other statement computes something new from it."""
        top, dot, member = item.name.partition(".")
        last = item.name.rsplit(".", 1)[-1]
        same = rel == item.rel
        found: list[tuple[str, str]] = []
        for unit in units.units:
            if not unit.names or (same and item.name in unit.names):
                continue  # (the statement that binds the name itself: it is the name)
            if unit.origin is not None:
                if same or not self._imports_from(rel, unit.origin, item.rel, top):
                    continue
                if item.state == REMOVED and top == item.name:
                    why = f"imports {top} from {self._module(item.rel)}, which no longer has it"
                    result.wide.setdefault(rel, why)
                    continue
                found.extend((f"{n}{dot}{member}", item.state) for n in unit.names)
            elif (top in unit.reads and (same or self._imports_module(rel, units, item.rel))) or (
                not same and last in unit.reads
            ):
                if item.state == REMOVED and not same:
                    result.wide.setdefault(
                        rel, f"reads {self._what(item)} at import, which no longer exists"
                    )
                    continue
                if member and unit.kind == "class" and top in unit.bases:
                    # A subclass inherits the member: what changed in it is that member (its
                    # own statements that read the base are units of their own).
                    found.extend((f"{n}.{member}", item.state) for n in unit.names)
                    continue
                found.extend((n, CHANGED) for n in unit.names)
        if not same and units.star_imports and not top.startswith("_"):
            found.append((item.name, item.state))
        return found

    def _imports_from(self, rel: str, origin: tuple[str, int, str], target: str, name: str) -> bool:
        """``rel``'s import ``origin`` binds ``name`` of the module in ``target``."""
        module, level, imported = origin
        return imported == name and self._absolute(rel, module, level) == self._module(target)

    def _imports_module(self, rel: str, units: ModuleUnits, target: str) -> bool:
        wanted = self._module(target)
        for unit in units.units:
            if unit.origin is None:
                continue
            module, level, imported = unit.origin
            absolute = self._absolute(rel, module, level)
            dotted = f"{absolute}.{imported}" if imported else absolute
            if dotted == wanted or wanted.startswith(dotted + ".") or absolute == wanted:
                return True
        return False

    def _absolute(self, rel: str, module: str, level: int) -> str:
        if level == 0:
            return module
        parts = self._module(rel).split(".")
        if PurePosixPath(rel).name != "__init__.py":
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)]
        return ".".join([*parts, module] if module else parts)

    # -- wording ---------------------------------------------------------------------------
    def _module(self, rel: str) -> str:
        return self.graph.module_name(rel)

    def _what(self, item: Touched) -> str:
        return f"{self._module(item.rel)}.{item.name}"

    def _held_reason(self, item: Touched, how: tuple[str, str]) -> str:
        """``can reach attr.validators._InstanceOfValidator through attr.validators.instance_of;
        attr.validators._InstanceOfValidator.type changed``."""
        top = item.name.partition(".")[0]
        cls = f"{self._module(item.rel)}.{top}"
        through = f"{self._module(how[0])}.{how[1]}"
        changed = f"{self._what(item)} {item.state}"
        if through == cls:
            return f"reads {cls}; {changed}"
        if through.startswith(cls + "."):
            return f"executed {through}; {changed}"
        return f"can reach {cls} through {through}; {changed}"

    def _reason(self, item: Touched) -> str:
        """``reads bookshelf.loans.LOAN_DAYS, changed`` (with the chain it came through)."""
        if not item.chain:
            return f"reads {self._what(item)}, {item.state}"
        return f"reads {self._what(item)} ← {' ← '.join(item.chain)}, changed"


def _class_of(item: Touched) -> tuple[str, str]:
    """(file, class name) of a class member (or of a class)."""
    return item.rel, item.name.partition(".")[0]


def _member_words(cls: str, member: str) -> tuple[str, ...]:
    """What code reads to reach ``cls.member``: its name, or its mangled name (``__x`` is
    read as ``_Cls__x`` outside the class body)."""
    if member.startswith("__") and not member.endswith("__"):
        return (member, f"_{cls.lstrip('_')}{member}")
    return (member,)

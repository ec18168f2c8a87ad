"""Which names can put a class, or an instance of it, in a test's hands: the class's holders.

A class member can only be observed by code that has the class or one of its instances in hand,
and code gets one by naming something that leads to it: the class itself; a function whose
body names it (a factory, a fixture, a method storing one on ``self``: its class counts too); a
definition whose decorators or defaults build one at import (``@parametrize("v", [C()])``); a
module- or class-level statement that binds one (``DEFAULT = make()``, a class whose field
holds one, a subclass); and so on, transitively, through the class's module and every module
that imports it (no other module can name it). A test holds one when a function it executed
reads one of those names, or is one of those definitions (or a method of one of those
classes).

What no name leads to stays out of sight, as it does for every top-level name: an instance
reached through a module's attributes computed at run time, or unpickled. When the holders
outgrow ``_MAX_WORDS`` (a factory with a name as common as ``get``), every test counts as
holding one: the selection is as wide as it was without holders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gateui.core.selection._module_diff import Binding
from gateui.core.selection._name_reads import Reads

_MAX_WORDS = 2_000


@dataclass
class Holders:
    """What leads to one class: words to look for in what a test's functions read, and the
    definitions whose execution means the test has one."""

    words: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Name → (file, qualified name) of the definition that made it lead to the class."""
    definitions: set[tuple[str, str]] = field(default_factory=set)
    """(file, qualified name) of definitions that lead to it: a function, or a class (then
    its methods too)."""
    everything: bool = False
    """The holders outgrew the limit: every test counts as holding one."""
    cls: tuple[str, str] = ("", "")
    """(file, name) of the class."""

    def held_by(self, rel: str, function: str, reads: Reads | None) -> tuple[str, str] | None:
        """How a test that executed ``function`` of ``rel`` (reading ``reads``) can hold the
        class: the (file, qualified name) it goes through; None when it cannot."""
        if self.everything:
            return (rel, function)
        parts = function.split(".")
        prefixes = {(rel, ".".join(parts[:end])) for end in range(1, len(parts) + 1)}
        if self.cls in prefixes:
            return (rel, function)  # code of the class itself
        found = set() if reads is None else (reads.globals | reads.attributes) & self.words.keys()
        if found:
            return self.words[min(found)]
        return (rel, function) if prefixes & self.definitions else None


def holders_of(
    rel: str,
    name: str,
    files: Iterable[str],
    reads_of: Callable[[str], Mapping[str, Reads]],
    bindings_of: Callable[[str], Sequence[Binding]],
    inside: bool = True,
) -> Holders:
    """The holders of class ``name`` of ``rel``, over ``files`` (``rel`` and its importers).

    ``inside``: also the classes that keep one inside their instances or class attributes
    (a field whose default or validator is one, a method setting one on ``self``). Reading a
    member of the class needs them (``fields(C1).x.validator.type``); calling what the class
    generates from its body (``==``, ``hash``, ``repr`` of an instance) needs one in hand."""
    found = Holders({name: (rel, name)}, {(rel, name)}, cls=(rel, name))
    # (A class body is the class's units' business: it runs at import.)
    functions = [
        (f, qualname, read, read.globals | read.attributes)
        for f in files
        for qualname, read in reads_of(f).items()
        if not read.class_body
    ]
    units = [(f, b) for f in files for b in bindings_of(f)]
    grew = True
    while grew:
        grew = False
        words = found.words.keys()
        for file, qualname, read, names in functions:
            if not names.isdisjoint(words):
                grew |= _function_leads(found, file, qualname, read, inside)
        for file, unit in units:
            grew |= _unit_leads(found, file, unit, inside)
        if len(found.words) > _MAX_WORDS:
            found.everything = True
            return found
    return found


def _function_leads(found: Holders, file: str, qualname: str, read: Reads, inside: bool) -> bool:
    """A function whose body reads a holder returns one, or — a method setting attributes of
    ``self`` or ``cls`` — may keep one on its instance (then its class leads to it too)."""
    grew = _add(found, file, qualname, qualname.rsplit(".", 1)[-1])
    owner, dot, _ = qualname.rpartition(".")
    if dot and read.keeps and inside:
        grew |= _add(found, file, owner, owner.rsplit(".", 1)[-1])
    return grew


def _unit_leads(found: Holders, file: str, unit: Binding, inside: bool) -> bool:
    """A statement run at import that reads a holder: what it binds holds one (a class whose
    field or base is one; a definition whose decorators or defaults build one)."""
    if unit.reads.isdisjoint(found.words.keys()):
        return False
    grew = False
    for bound in unit.names:
        owner, dot, member = bound.partition(".")
        if dot and unit.kind == "def":
            grew |= _add(found, file, bound, member)  # a method: executing it holds one
        elif not dot or inside:
            grew |= _add(found, file, owner, owner)  # a name binds it; a class keeps it
    return grew


def _add(found: Holders, file: str, qualname: str, word: str) -> bool:
    """Record that ``qualname`` of ``file`` (read as ``word``) leads to the class; True when it
    is new."""
    if (file, qualname) in found.definitions:
        return False
    found.definitions.add((file, qualname))
    if not (word.startswith("__") and word.endswith("__")):
        # ``__init__`` is read everywhere (``super().__init__``): it leads through its class.
        found.words.setdefault(word, (file, qualname))
    return True

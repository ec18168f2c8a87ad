"""Which names each function of a file reads: the static half of "which tests can observe it".

A code object's ``co_names`` lists every global, imported name and attribute its body uses; its
instructions tell which are globals (``LOAD_GLOBAL``: a name of its own module) and which are
attributes (``LOAD_ATTR``: a name of any object, another module included). Recording tells which
functions a test executed; compiling the file here (never importing it) tells what those
functions read. Nested functions, lambdas and comprehensions count as the function they sit in,
as recording counts them.
"""

from __future__ import annotations

import dis
import inspect
from dataclasses import dataclass
from types import CodeType

_GLOBAL_OPS = frozenset({"LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_NAME"})


@dataclass(frozen=True)
class Reads:
    """What one function reads."""

    globals: frozenset[str]
    """Names of its own module."""
    attributes: frozenset[str]
    """Attribute names of any object (and names imported inside the function)."""
    keeps: bool = False
    """It sets an attribute of its first argument (``self.x = ...``, ``cls.x = ...``): what it
    reads can outlive it, on its instance or class."""
    class_body: bool = False
    """It is a class body (run once, when the class is defined), not a function."""


def function_reads(source: bytes, filename: str = "<module>") -> dict[str, Reads]:
    """Outer qualified name (``Class.method``) → what its code reads; empty when the source
    does not compile."""
    try:
        module = compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, tuple[set[str], set[str]]] = {}
    storing: set[str] = set()
    bodies: set[str] = set()
    stack: list[CodeType] = [c for c in module.co_consts if isinstance(c, CodeType)]
    while stack:
        code = stack.pop()
        outer = code.co_qualname.split(".<locals>", 1)[0]
        if not outer.startswith("<"):
            names, attributes = found.setdefault(outer, (set(), set()))
            if not code.co_flags & inspect.CO_NEWLOCALS:
                bodies.add(outer)
            first = code.co_varnames[0] if code.co_argcount and code.co_qualname == outer else None
            previous: object = None
            for instruction in dis.get_instructions(code):
                if instruction.opname == "STORE_ATTR" and first is not None:
                    loaded = previous[-1] if isinstance(previous, tuple) else previous
                    if loaded == first:
                        storing.add(outer)
                fast = instruction.opname.startswith("LOAD_FAST")
                previous = instruction.argval if fast else None
                if (
                    not isinstance(instruction.argval, str)
                    or instruction.argval not in code.co_names
                ):
                    continue
                if instruction.opname in _GLOBAL_OPS:
                    names.add(instruction.argval)
                else:
                    attributes.add(instruction.argval)
        stack.extend(c for c in code.co_consts if isinstance(c, CodeType))
    return {
        name: Reads(frozenset(names), frozenset(attributes), name in storing, name in bodies)
        for name, (names, attributes) in found.items()
    }

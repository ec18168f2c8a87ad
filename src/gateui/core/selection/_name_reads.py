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


def function_reads(source: bytes, filename: str = "<module>") -> dict[str, Reads]:
    """Outer qualified name (``Class.method``) → what its code reads; empty when the source
    does not compile."""
    try:
        module = compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, tuple[set[str], set[str]]] = {}
    stack: list[CodeType] = [c for c in module.co_consts if isinstance(c, CodeType)]
    while stack:
        code = stack.pop()
        outer = code.co_qualname.split(".<locals>", 1)[0]
        if not outer.startswith("<"):
            names, attributes = found.setdefault(outer, (set(), set()))
            for instruction in dis.get_instructions(code):
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
        name: Reads(frozenset(names), frozenset(attributes))
        for name, (names, attributes) in found.items()
    }

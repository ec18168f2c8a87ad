"""``ast.parse`` and ``ast.literal_eval`` for gateui's threads: one parse at a time.

CPython 3.11 keeps the AST constructor's recursion depth in the interpreter, not in the thread.
When a garbage collection during one thread's parse runs a finalizer written in Python, another
thread can run, parse, and leave the depth changed under the first, which then fails with
``SystemError: AST constructor recursion depth mismatch`` (python/cpython#106905 and its kin;
3.12 and 3.13 do not show it). In the TUI a run's worker died that way after its tests had passed,
while another thread mapped imports. A parse holds the GIL almost throughout, so taking turns
costs next to nothing. Re-entrant: a finalizer may itself parse.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_ONE_AT_A_TIME = threading.RLock()


def parse_module(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    with _ONE_AT_A_TIME:
        return ast.parse(source, filename=filename)


def literal_eval(text: str) -> Any:
    """``ast.literal_eval`` of ``text`` (it parses too)."""
    with _ONE_AT_A_TIME:
        return ast.literal_eval(text)

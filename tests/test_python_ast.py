"""gateui's threads parse Python one at a time: on CPython 3.11, two parses at once can fail with
``SystemError: AST constructor recursion depth mismatch`` (a TUI run's worker died of it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gateui.core.common.python_ast import literal_eval

# Three threads parse while the cycle collector frees garbage whose finalizer hands the GIL to
# another thread: what lets a second parse run in the middle of the first. In a fresh
# interpreter (inside this test process the collections fall elsewhere and the race hides).
RACE = """
import gc, sys, threading, time
from gateui.core.common.python_ast import literal_eval, parse_module

class Cycle:
    def __init__(self):
        self.me = self
    def __del__(self):
        time.sleep(0)

SOURCE = "\\n".join(
    f"def f{i}(x):\\n    return [(a, {{b: c for b in range(3)}}) for a in x if a > {i}]\\n"
    for i in range(50)
)
LITERAL = repr([{"a": (1, 2)}] * 300)
if sys.argv[1] == "parse_module":
    parse = lambda: parse_module(SOURCE)
else:
    parse = lambda: literal_eval(LITERAL)
gc.set_threshold(50, 5, 5)
errors = []

def work():
    for _ in range(200):
        for _ in range(20):
            Cycle()
        try:
            parse()
        except SystemError as error:
            errors.append(repr(error))
            return

threads = [threading.Thread(target=work) for _ in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors)
"""


@pytest.mark.parametrize("function", ["parse_module", "literal_eval"])
def test_parses_in_many_threads_at_once_never_fail(function: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", RACE, function],
        capture_output=True,
        text=True,
        timeout=300,  # a guard against a hang, not a speed limit
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_literal_eval_reads_what_ast_literal_eval_reads() -> None:
    assert literal_eval("  {'x': [1, 2.5, None, (True,)]}") == {"x": [1, 2.5, None, (True,)]}
    with pytest.raises(ValueError):
        literal_eval("os.system('true')")

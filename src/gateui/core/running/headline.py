"""The line of a failure a person reads first, from pytest's or ExUnit's report of it.

The CLI, the TUI and the gate's step reasons all name a failure by this line, and a module that
failed to collect by its exception (``SyntaxError: …``).
"""

from __future__ import annotations

import re

_CHAINED = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
"""The lines pytest puts between the exceptions of a chain: the one that failed the test comes
after the last of them."""


def failure_headline(longrepr: str) -> str:
    """The line of a traceback a person reads first: pytest's ``E`` line (of the exception that
    failed the test, the last of a chain), ExUnit's message, else the last line."""
    lines = [line for line in longrepr.splitlines() if line.strip()]
    last_cause = max((i for i, line in enumerate(lines) if line.strip() in _CHAINED), default=-1)
    for line in [*lines[last_cause + 1 :], *lines[: last_cause + 1]]:
        if line.startswith("E "):
            return line[1:].strip()
    if any(line.strip() == "stacktrace:" for line in lines):
        return _exunit_headline(lines)
    return lines[-1].strip() if lines else ""


def _exunit_headline(lines: list[str]) -> str:
    """``Assertion with == failed (left: 2, right: 3)`` or ``** (RuntimeError) boom``: the
    message under ExUnit's ``1) test … (Module)`` and ``file:line`` lines."""
    body = [line.strip() for line in lines]
    start = 2 if len(body) > 2 and body[0][:1].isdigit() else 0
    message = body[start] if start < len(body) else body[-1]
    sides = [
        line
        for line in body[start + 1 :]
        if line.startswith(("left:", "right:")) and len(line) < 80
    ]
    return f"{message} ({', '.join(' '.join(s.split()) for s in sides)})" if sides else message


_EXCEPTION_LINE = re.compile(r"^(?:E\s+)?([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b.*)$")


def collection_error_headline(message: str) -> str:
    """The exception a module failed to collect with (``SyntaxError: invalid syntax``), as
    pytest's last ``E`` line names it; else the usual headline."""
    for line in reversed(message.splitlines()):
        found = _EXCEPTION_LINE.match(line.strip())
        if found:
            return found.group(1).strip()
    return failure_headline(message)

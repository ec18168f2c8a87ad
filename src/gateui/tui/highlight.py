"""Syntax highlighting for pytest's failure text, in the app's theme colours.

pytest's long report mixes source lines (``>`` marks the failing one), ``E`` lines with the error,
``path:line: Error`` locations and ``_ _ _`` separators. Source runs are highlighted as Python
in one pass each; the rest get a style of their own.
"""

from __future__ import annotations

import re

from textual.content import Content
from textual.highlight import highlight

_LOCATION = re.compile(r"^[^\s:]+\.py:\d+:( .*)?$")
_SEPARATOR = re.compile(r"^(_ )+_?\s*$|^[_=-]{4,}")

ERROR_STYLE = "bold $text-error"
LOCATION_STYLE = "$text-accent underline"
SEPARATOR_STYLE = "$text-muted"
POINTER_STYLE = "bold $text-error"


def _kind(line: str) -> str:
    if line.startswith("E ") or line == "E":
        return "error"
    if _LOCATION.match(line):
        return "location"
    if _SEPARATOR.match(line):
        return "separator"
    return "code"


def highlight_traceback(text: str) -> Content:
    """The failure text with the source in colour and the error lines stand out."""
    lines = text.splitlines()
    parts: list[Content] = []
    code: list[str] = []

    def flush_code() -> None:
        if not code:
            return
        # The ``>`` pointer is not Python: highlight without it, then put it back in red.
        pointers = [line.startswith(">") for line in code]
        stripped = [
            (" " + line[1:]) if ptr else line for line, ptr in zip(code, pointers, strict=True)
        ]
        highlighted = highlight("\n".join(stripped), language="python").split("\n")
        for content, pointer in zip(highlighted, pointers, strict=False):
            if pointer:
                content = Content.styled(">", POINTER_STYLE) + content[1:]
            parts.append(content)
        code.clear()

    for line in lines:
        kind = _kind(line)
        if kind == "code":
            code.append(line)
            continue
        flush_code()
        if kind == "error":
            parts.append(Content.styled(line, ERROR_STYLE))
        elif kind == "location":
            parts.append(Content.styled(line, LOCATION_STYLE))
        else:
            parts.append(Content.styled(line, SEPARATOR_STYLE))
    flush_code()
    return Content("\n").join(parts)

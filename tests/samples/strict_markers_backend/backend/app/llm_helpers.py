"""Helpers for the invoice-summary prompt sent to the LLM service."""

from __future__ import annotations


def truncate_for_prompt(text: str, max_chars: int = 200, marker: str = " [...]") -> str:
    """Shorten ``text`` to at most ``max_chars`` characters, cutting at a word
    boundary and appending ``marker``."""
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - len(marker)]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + marker

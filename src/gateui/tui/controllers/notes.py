"""Lines for the log pane, as controllers hand them to the app (which writes them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogNote:
    """One line (or a few) for the log pane."""

    text: str
    """What to say, as plain text."""
    style: str = ""
    """A Rich style for the whole note ("" for plain)."""
    alert: bool | None = None
    """Count it on the Log tab; None: alert when the style is bold red."""

"""The event channel's key: only the test session gateui started may report.

Each run gets a fresh random key in ``GATEUI_EVENTS_KEY`` next to the channel's name in
``GATEUI_EVENTS``. The event plugin (and the ExUnit formatter) take both out of the environment
before any test runs and start every line they write with the key. Lines without it — a test that
wrote to the channel, a pytest a test started — are not events of this run: they are counted and
named once, never taken as results.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence

from gateui.core.running.events import Event, parse_event

CHANNEL_ENV = "GATEUI_EVENTS"
KEY_ENV = "GATEUI_EVENTS_KEY"


def new_key() -> str:
    return secrets.token_hex(16)


class KeyedLines:
    """Turns the channel's lines into events, keeping only those that carry the run's key."""

    def __init__(self, key: str) -> None:
        self._prefix = (key + " ").encode()
        self.strangers = 0
        """Lines that did not carry the key."""
        self.plugin_loaded = False
        """The plugin said it was loaded: pytest got as far as loading its plugins."""

    def events(self, lines: Sequence[bytes]) -> Iterator[Event]:
        prefix = self._prefix
        for raw in lines:
            if not raw.strip():
                continue
            if not raw.startswith(prefix):
                self.strangers += 1
                continue
            try:
                data = json.loads(raw[len(prefix) :])
                if data.get("e") == "plugin_loaded":
                    self.plugin_loaded = True
                    continue
                event = parse_event(data)
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
            if event is not None:
                yield event

    def warnings(self) -> tuple[str, ...]:
        if not self.strangers:
            return ()
        lines = "line" if self.strangers == 1 else "lines"
        return (
            f"ignored {self.strangers} event {lines} that the test session gateui started did not"
            " write (a test, or a process it started, wrote to gateui's event channel)",
        )

"""The event channel's key: only the test session gateui started may report.

Each run gets a fresh random key in ``GATEUI_EVENTS_KEY`` next to the channel's name in
``GATEUI_EVENTS``. The event plugin (and the ExUnit formatter) take both out of the environment
before any test runs and start every line they write with the key. Lines without it — a test that
wrote to the channel, a pytest a test started — are not events of this run: they are counted and
named once, never taken as results.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

from gateui.core.running.events import Event, Rerooting, parse_event
from gateui.core.running.injected import CHANNEL_ENV as CHANNEL_ENV
from gateui.core.running.injected import KEY_ENV as KEY_ENV


def _decoded(body: bytes) -> Any:
    """One line's JSON, or None where it is not JSON (a line cut short, a forged one)."""
    try:
        return json.loads(body)
    except ValueError:
        return None


def new_key() -> str:
    # What ``secrets.token_hex(16)`` returns (128 bits from os.urandom), without importing
    # ``secrets``, whose ``hmac`` and ``base64`` every gateui start paid for (≈ 2 ms).
    return os.urandom(16).hex()


class KeyedLines:
    """Turns the channel's lines into events, keeping only those that carry the run's key."""

    def __init__(self, key: str) -> None:
        self._prefix = (key + " ").encode()
        self.strangers = 0
        """Lines that did not carry the key."""
        self.plugin_loaded = False
        """The plugin said it was loaded: pytest got as far as loading its plugins."""
        self.results = 0
        """Test results received so far."""
        self.rerooting: Rerooting | None = None
        """How tests are parsed (``parse_event``). ``events`` parses each line as it yields its
        event, so a change made on an event (pytest's rootdir, known at session start) holds
        for the lines after it, read in the same batch or not."""

    def events(self, lines: Sequence[bytes]) -> Iterator[Event]:
        prefix = self._prefix
        cut = len(prefix)
        bodies: list[bytes] = []
        for raw in lines:
            if not raw.startswith(prefix):
                if raw.strip():
                    self.strangers += 1
                continue
            bodies.append(raw[cut:])
        if not bodies:
            return
        try:
            # One decode for all the lines read at once (a paced read holds dozens): the
            # decoder's own call costs more than a small event's JSON.
            decoded = json.loads(b"[" + b",".join(bodies) + b"]")
        except ValueError:
            decoded = None
        if not isinstance(decoded, list) or len(decoded) != len(bodies):
            # A line that is not one JSON value (cut short by a dying process): line by line,
            # so that it alone is dropped.
            decoded = [_decoded(body) for body in bodies]
        for data in decoded:
            event = self._event(data)
            if event is not None:
                yield event

    def _event(self, data: Any) -> Event | None:
        try:
            kind = data.get("e")
            if kind == "test":
                self.results += 1
            elif kind == "plugin_loaded":
                self.plugin_loaded = True
                return None
            return parse_event(data, self.rerooting)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def warnings(self) -> tuple[str, ...]:
        if not self.strangers:
            return ()
        lines = "line" if self.strangers == 1 else "lines"
        return (
            f"ignored {self.strangers} event {lines} that the test session gateui started did not"
            " write (a test, or a process it started, wrote to gateui's event channel)",
        )

"""What gateui puts into the test processes it starts: its pytest plugin and its ExUnit formatter.

Both ship inside the gateui package and run in the project's own interpreter (or mix), never in
gateui's process; the runners only need to know where they are and what they are called.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[2]

# The folder holds only the plugin, so putting it on PYTHONPATH adds nothing else.
PLUGIN_DIR = _PACKAGE / "pytest_plugin"
PLUGIN_MODULE = "gateui_events"
# What that module loads by its path, so that pytest does not assertion-rewrite it (the loader's
# docstring says why); it runs in the project's interpreter too, and is never on PYTHONPATH.
PLUGIN_IMPLEMENTATION = (
    _PACKAGE / "pytest_plugin_implementation" / "gateui_events_implementation.py"
)

CHANNEL_ENV = "GATEUI_EVENTS"
"""Where the plugin writes its events (``fd:N``, a file): ``core.running.channel`` reads them."""
KEY_ENV = "GATEUI_EVENTS_KEY"
"""The key every event line must carry: only the session gateui started reports."""

RECORD_ENV = "GATEUI_RECORD"
"""Set to the repository root, the plugin records what each test executes and reads there."""

MIX_FORMATTER_FILE = _PACKAGE / "exunit_formatter" / "gateui_formatter.exs"
MIX_FORMATTER_MODULE = "GateuiFormatter"

"""The version of the JSON documents the CLI prints (``"schema"``), in a module of its own so that
a command printing JSON imports nothing else to say it (``gateui gate --json`` would otherwise
import the run printers and their failure report)."""

SCHEMA_VERSION = 1

"""Errors the user can act on. The CLI turns each into a message and exit code 2."""

from __future__ import annotations

from pathlib import Path


class GateuiError(Exception):
    """A problem with the user's input, configuration or environment (exit code 2)."""


class ConfigError(GateuiError):
    """A configuration file that cannot be used; names the file and, where known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {message}")


class InterpreterError(GateuiError):
    """The project's interpreter cannot run pytest (missing, broken, or without pytest)."""

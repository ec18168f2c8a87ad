"""Registry of export plugins (csv, json, ...)."""

from __future__ import annotations

from collections.abc import Callable

Exporter = Callable[[list[dict[str, object]]], str]


class PluginRegistry:
    def __init__(self) -> None:
        self._exporters: dict[str, Exporter] = {}

    def register(self, name: str, exporter: Exporter) -> None:
        if name in self._exporters:
            raise ValueError(f"exporter {name!r} already registered")
        self._exporters[name] = exporter

    def get(self, name: str) -> Exporter:
        try:
            return self._exporters[name]
        except KeyError:
            raise LookupError(f"no exporter named {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._exporters)

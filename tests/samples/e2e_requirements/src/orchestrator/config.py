"""Find and load ``.orchestrator/config.json``, searching upward from a start
directory but never above the workspace root."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_RELPATH = Path(".orchestrator") / "config.json"


class ConfigNotFound(FileNotFoundError):
    pass


@dataclass(frozen=True)
class Config:
    path: Path
    default_environment: str
    environments: tuple[str, ...]
    services: dict[str, dict[str, object]] = field(default_factory=dict)


def find_config(start: Path, root: Path) -> Path:
    start, root = start.resolve(), root.resolve()
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_RELPATH
        if candidate.is_file():
            return candidate
        if directory == root:
            break
    raise ConfigNotFound(f"no {CONFIG_RELPATH} between {start} and {root}")


def discover_config(start: Path, root: Path | None = None) -> Config:
    path = find_config(start, root or start)
    raw = json.loads(path.read_text(encoding="utf-8"))
    environments = tuple(raw.get("environments", ["staging", "production"]))
    default_env = os.environ.get("ORCHESTRATOR_ENV") or raw.get("default_environment", "staging")
    if default_env not in environments:
        raise ValueError(f"default environment {default_env!r} not in {environments}")
    return Config(path, default_env, environments, dict(raw.get("services", {})))

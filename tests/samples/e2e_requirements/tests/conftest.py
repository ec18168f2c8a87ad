import json

import pytest

from orchestrator import OrchestratorService, discover_config

CONFIG = {
    "default_environment": "staging",
    "environments": ["staging", "production"],
    "services": {
        "billing": {"image": "registry.local/billing", "version": "2.4.1"},
        "search": {"image": "registry.local/search"},
    },
}


class RecordingExecutor:
    """Stands in for the shell: records commands, fails on request."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, ...]] = []
        self.fail_on: str | None = None

    def __call__(self, command: tuple[str, ...]) -> str:
        if command[0] == self.fail_on:
            raise RuntimeError(f"{command[0]} exited with status 1")
        self.commands.append(command)
        return "ok: " + " ".join(command)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A temporary, git-less workspace containing .orchestrator/config.json."""
    monkeypatch.delenv("ORCHESTRATOR_ENV", raising=False)
    root = tmp_path / "workspace"
    (root / ".orchestrator").mkdir(parents=True)
    (root / ".orchestrator" / "config.json").write_text(json.dumps(CONFIG))
    (root / "services" / "billing").mkdir(parents=True)
    return root


@pytest.fixture
def executor():
    return RecordingExecutor()


@pytest.fixture
def orchestrator(workspace, executor):
    config = discover_config(workspace)
    return OrchestratorService.for_workspace(workspace, config, executor)

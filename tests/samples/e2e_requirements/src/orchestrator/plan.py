"""Build execution plans from intents."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.config import Config
from orchestrator.intent import Intent


class PlanError(ValueError):
    pass


@dataclass(frozen=True)
class Step:
    name: str
    command: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    intent: Intent
    environment: str
    steps: tuple[Step, ...]

    @property
    def step_names(self) -> list[str]:
        return [step.name for step in self.steps]


def step_name(action: str, service: str, phase: str) -> str:
    return f"{action}:{service}:{phase}"


def build_plan(intent: Intent, config: Config) -> Plan:
    service = config.services.get(intent.service)
    if service is None:
        raise PlanError(f"unknown service {intent.service!r}")
    env = intent.environment or config.default_environment
    if env not in config.environments:
        raise PlanError(f"unknown environment {env!r}")
    image = str(service.get("image", intent.service))

    if intent.action == "deploy":
        version = intent.version or str(service.get("version", "latest"))
        steps = (
            Step(step_name("deploy", intent.service, "pull"), ("pull", f"{image}:{version}")),
            Step(step_name("deploy", intent.service, "migrate"), ("migrate", intent.service, env)),
            Step(
                step_name("deploy", intent.service, "release"),
                ("release", intent.service, env, version),
            ),
            Step(step_name("deploy", intent.service, "verify"), ("healthcheck", intent.service, env)),
        )
    elif intent.action == "rollback":
        steps = (
            Step(
                step_name("rollback", intent.service, "release"),
                ("release", intent.service, env, "previous"),
            ),
            Step(step_name("rollback", intent.service, "verify"), ("healthcheck", intent.service, env)),
        )
    else:
        steps = (Step(step_name("status", intent.service, "query"), ("status", intent.service, env)),)
    return Plan(intent, env, steps)

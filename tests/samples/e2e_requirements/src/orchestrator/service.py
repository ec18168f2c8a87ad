"""The orchestrator service: request text in, audited result out."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.audit import AuditTrail
from orchestrator.config import Config
from orchestrator.intent import IntentError, parse_intent
from orchestrator.plan import PlanError, build_plan

Executor = Callable[[tuple[str, ...]], str]


@dataclass
class RequestResult:
    request_id: str
    status: str  # "completed" | "failed" | "rejected" | "planned"
    steps_run: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    error: str | None = None


class OrchestratorService:
    def __init__(self, config: Config, audit: AuditTrail, executor: Executor) -> None:
        self.config = config
        self.audit = audit
        self.executor = executor
        self._ids = itertools.count(1)

    @classmethod
    def for_workspace(cls, workspace: Path, config: Config, executor: Executor) -> OrchestratorService:
        return cls(config, AuditTrail(workspace / ".orchestrator" / "audit.jsonl"), executor)

    def handle(self, text: str, dry_run: bool = False) -> RequestResult:
        request_id = f"req-{next(self._ids):04d}"
        self.audit.record(request_id, "received", text=text)
        try:
            plan = build_plan(parse_intent(text), self.config)
        except (IntentError, PlanError) as exc:
            self.audit.record(request_id, "rejected", reason=str(exc))
            return RequestResult(request_id, "rejected", error=str(exc))

        self.audit.record(request_id, "planned", steps=plan.step_names, environment=plan.environment)
        if dry_run:
            return RequestResult(request_id, "planned", steps_run=[])

        result = RequestResult(request_id, "completed")
        for step in plan.steps:
            try:
                output = self.executor(step.command)
            except Exception as exc:  # noqa: BLE001 - executors may fail in any way
                self.audit.record(request_id, "step_failed", step=step.name, reason=str(exc))
                result.status, result.error = "failed", f"{step.name}: {exc}"
                break
            result.steps_run.append(step.name)
            result.outputs.append(output)
            self.audit.record(request_id, "step_completed", step=step.name)
        self.audit.record(request_id, result.status)
        return result

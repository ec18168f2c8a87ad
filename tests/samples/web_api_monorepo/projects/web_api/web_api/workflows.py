"""Ingestion workflows: every upload starts one, identified by a workflow id
and traced by a correlation id that callers may supply (X-Correlation-ID)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

STATUSES = ("received", "stored", "indexed", "completed", "failed")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def is_valid_correlation_id(value: str) -> bool:
    return 8 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value)


@dataclass
class Workflow:
    workflow_id: str
    file_id: str
    correlation_id: str
    status: str = "received"
    events: list[dict[str, str]] = field(default_factory=list)

    def advance(self, status: str, detail: str = "") -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown workflow status {status!r}")
        self.status = status
        self.events.append(
            {"status": status, "correlation_id": self.correlation_id, "detail": detail}
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "workflow_id": self.workflow_id,
            "file_id": self.file_id,
            "correlation_id": self.correlation_id,
            "status": self.status,
            "events": list(self.events),
        }


class WorkflowRegistry:
    def __init__(self) -> None:
        self._workflows: dict[str, Workflow] = {}
        self._ids = itertools.count(1)

    def start(self, file_id: str, correlation_id: str | None = None) -> Workflow:
        cid = correlation_id if correlation_id else new_correlation_id()
        wf = Workflow(f"wf_{next(self._ids):06d}", file_id, cid)
        wf.advance("received")
        self._workflows[wf.workflow_id] = wf
        return wf

    def get(self, workflow_id: str) -> Workflow | None:
        return self._workflows.get(workflow_id)

    def by_correlation_id(self, correlation_id: str) -> list[Workflow]:
        return [w for w in self._workflows.values() if w.correlation_id == correlation_id]

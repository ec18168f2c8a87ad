"""Plain-language deployment requests -> audited execution plans."""

from orchestrator.audit import AuditTrail
from orchestrator.config import ConfigNotFound, discover_config
from orchestrator.intent import Intent, IntentError, parse_intent
from orchestrator.plan import Plan, PlanError, Step, build_plan
from orchestrator.service import OrchestratorService, RequestResult

__all__ = [
    "AuditTrail",
    "ConfigNotFound",
    "Intent",
    "IntentError",
    "OrchestratorService",
    "Plan",
    "PlanError",
    "RequestResult",
    "Step",
    "build_plan",
    "discover_config",
    "parse_intent",
]

"""Parse plain-language requests into intents.

Supported forms (case-insensitive, extra whitespace ignored):

    deploy <service> [to <environment>] [version <version>]
    rollback <service> [in <environment>]
    status [of] <service>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ACTIONS = ("deploy", "rollback", "status")

_PATTERNS = {
    "deploy": re.compile(
        r"^deploy\s+(?P<service>[\w-]+)(?:\s+to\s+(?P<env>[\w-]+))?(?:\s+version\s+(?P<version>[\w.-]+))?$"
    ),
    "rollback": re.compile(r"^rollback\s+(?P<service>[\w-]+)(?:\s+in\s+(?P<env>[\w-]+))?$"),
    "status": re.compile(r"^status\s+(?:of\s+)?(?P<service>[\w-]+)$"),
}


class IntentError(ValueError):
    pass


@dataclass(frozen=True)
class Intent:
    action: str
    service: str
    environment: str | None = None
    version: str | None = None


def normalize(text: str) -> str:
    return " ".join(text.strip().lower().split())


def parse_intent(text: str) -> Intent:
    request = normalize(text)
    if not request:
        raise IntentError("empty request")
    action = request.split(" ", 1)[0]
    pattern = _PATTERNS.get(action)
    if pattern is None:
        raise IntentError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    match = pattern.match(request)
    if match is None:
        raise IntentError(f"cannot understand request: {text!r}")
    groups = match.groupdict()
    return Intent(action, groups["service"], groups.get("env"), groups.get("version"))

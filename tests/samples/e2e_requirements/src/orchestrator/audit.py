"""Append-only, hash-chained audit trail stored as JSON lines."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

GENESIS = "0" * 64


def entry_hash(previous: str, payload: dict[str, object]) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((previous + body).encode()).hexdigest()


class AuditTrail:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def entries(self) -> list[dict[str, object]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]

    def record(self, request_id: str, event: str, **details: object) -> dict[str, object]:
        existing = self.entries()
        previous = str(existing[-1]["hash"]) if existing else GENESIS
        payload = {"seq": len(existing) + 1, "request_id": request_id, "event": event, **details}
        entry = {**payload, "prev": previous, "hash": entry_hash(previous, payload)}
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, sort_keys=True) + "\n")
        return entry

    def for_request(self, request_id: str) -> list[dict[str, object]]:
        return [e for e in self.entries() if e["request_id"] == request_id]

    def verify(self) -> bool:
        previous = GENESIS
        for entry in self.entries():
            payload = {k: v for k, v in entry.items() if k not in ("prev", "hash")}
            if entry["prev"] != previous or entry["hash"] != entry_hash(previous, payload):
                return False
            previous = str(entry["hash"])
        return True

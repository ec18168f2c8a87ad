import pytest

from orchestrator.audit import GENESIS, entry_hash
from orchestrator.intent import Intent, IntentError, normalize, parse_intent
from orchestrator.plan import step_name


def test_normalize_collapses_whitespace_and_case():
    assert normalize("  Deploy   Billing\tTO staging ") == "deploy billing to staging"


def test_parse_status_without_of():
    assert parse_intent("status billing") == Intent("status", "billing")


@pytest.mark.parametrize(
    "text", ["", "restart billing", "deploy"], ids=["empty", "unknown-action", "missing-service"]
)
def test_parse_rejects_unknown_or_incomplete(text):
    with pytest.raises(IntentError):
        parse_intent(text)


def test_step_name_format():
    assert step_name("deploy", "billing", "pull") == "deploy:billing:pull"


def test_entry_hash_depends_on_previous():
    payload = {"seq": 1, "event": "received"}
    assert entry_hash(GENESIS, payload) != entry_hash("f" * 64, payload)

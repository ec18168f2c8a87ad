"""Correlation ids and the workflow event log."""

import pytest

from web_api.workflows import STATUSES, WorkflowRegistry, is_valid_correlation_id


def test_generated_correlation_id_is_echoed(api):
    resp = api.upload(b"hello")
    cid = resp.json()["correlation_id"]

    assert is_valid_correlation_id(cid)
    assert resp.headers["X-Correlation-ID"] == cid


def test_invalid_correlation_id_is_rejected(api):
    resp = api.upload(b"hello", X_Correlation_ID="bad id with spaces")

    assert resp.status == 400
    assert "X-Correlation-ID" in resp.json()["error"]


def test_every_event_carries_the_correlation_id(api):
    workflow_id = api.upload(b"x" * 32, X_Correlation_ID="trace-0001").json()["workflow_id"]

    events = api.get(f"/workflows/{workflow_id}").json()["events"]

    assert events
    assert {e["correlation_id"] for e in events} == {"trace-0001"}


def test_workflows_can_be_found_by_correlation_id():
    registry = WorkflowRegistry()
    registry.start("f_000001", "batch-42-aaaa")
    registry.start("f_000002", "batch-42-aaaa")
    registry.start("f_000003", "batch-43-bbbb")

    found = registry.by_correlation_id("batch-42-aaaa")

    assert [w.file_id for w in found] == ["f_000001", "f_000002"]


def test_unknown_status_is_refused():
    wf = WorkflowRegistry().start("f_000001")
    with pytest.raises(ValueError, match="unknown workflow status"):
        wf.advance("teleported")
    assert wf.status in STATUSES


def test_unknown_workflow_is_404(api):
    assert api.get("/workflows/wf_424242").status == 404


def test_wrong_method_is_405(api):
    assert api.request("DELETE", "/workflows/wf_000001").status == 405

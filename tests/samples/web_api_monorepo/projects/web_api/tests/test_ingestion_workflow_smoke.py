"""Smoke: upload -> workflow correlation -> retrieval, end to end in-process."""

import pytest

pytestmark = pytest.mark.smoke


def test_upload_returns_file_and_workflow_ids(api, sample_pdf):
    resp = api.upload(sample_pdf)

    assert resp.status == 201
    body = resp.json()
    assert body["file_id"].startswith("f_")
    assert body["workflow_id"].startswith("wf_")
    assert body["size"] == len(sample_pdf)
    assert resp.headers["Location"] == f"/files/{body['file_id']}"


def test_workflow_carries_client_correlation_id(api, sample_pdf):
    resp = api.upload(sample_pdf, X_Correlation_ID="req-7f3a9c21")
    workflow_id = resp.json()["workflow_id"]

    status = api.get(f"/workflows/{workflow_id}")

    assert status.status == 200
    assert status.json()["correlation_id"] == "req-7f3a9c21"
    assert status.headers["X-Correlation-ID"] == "req-7f3a9c21"


def test_workflow_completes_after_upload(api, sample_pdf):
    workflow_id = api.upload(sample_pdf).json()["workflow_id"]

    body = api.get(f"/workflows/{workflow_id}").json()

    assert body["status"] == "completed"
    assert [e["status"] for e in body["events"]] == ["received", "stored", "completed"]


def test_uploaded_file_can_be_retrieved(api, storage, sample_pdf):
    file_id = api.upload(sample_pdf, filename="q3.pdf").json()["file_id"]

    resp = api.get(f"/files/{file_id}")

    assert resp.status == 200
    assert resp.body == sample_pdf
    assert resp.headers["Content-Type"] == "application/pdf"
    assert storage.calls == [("put", file_id), ("get", file_id)]

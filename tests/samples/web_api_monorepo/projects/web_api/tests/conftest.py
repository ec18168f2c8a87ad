"""Shared fixtures: the app is exercised in-process, with no server and no
real object storage."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from web_api.main import App, Request, Response, create_app
from web_api.storage import InMemoryStorage, StoredFile


class RecordingStorage(InMemoryStorage):
    """In-memory storage stub that also records every call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    def put(self, data: bytes, filename: str, content_type: str) -> StoredFile:
        stored = super().put(data, filename, content_type)
        self.calls.append(("put", stored.file_id))
        return stored

    def get(self, file_id: str) -> StoredFile:
        self.calls.append(("get", file_id))
        return super().get(file_id)


class ApiClient:
    """Calls the router directly, like a test client without the transport."""

    def __init__(self, app: App) -> None:
        self.app = app

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Response:
        return self.app(Request(method, path, dict(headers or {}), body))

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, body=body, headers=headers)

    def upload(self, data: bytes, filename: str = "report.pdf", **headers: str) -> Response:
        hdrs = {"X-Filename": filename, "Content-Type": "application/pdf"}
        hdrs.update({k.replace("_", "-"): v for k, v in headers.items()})
        return self.post("/files", data, hdrs)


@pytest.fixture
def lifespan():
    """No-op lifespan: no database pools, no background schedulers."""

    @contextlib.contextmanager
    def _noop(app: App) -> Iterator[None]:
        yield

    return _noop


@pytest.fixture
def storage() -> RecordingStorage:
    return RecordingStorage()


@pytest.fixture
def app(storage: RecordingStorage, lifespan) -> Iterator[App]:
    application = create_app(storage=storage, lifespan=lifespan)
    with application.lifespan(application):
        yield application


@pytest.fixture
def api(app: App) -> ApiClient:
    return ApiClient(app)


@pytest.fixture
def sample_pdf() -> bytes:
    return b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"

"""A deliberately tiny, framework-free HTTP router.

Routes:
    POST /files             upload a file, starts an ingestion workflow
    GET  /files/{id}        download, honours a single ``Range: bytes=...``
    GET  /workflows/{id}    workflow status and event log
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from web_api.ranges import RangeNotSatisfiable, content_range, parse_range
from web_api.storage import FileNotFound, InMemoryStorage
from web_api.workflows import WorkflowRegistry, is_valid_correlation_id

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return default


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    return Response(status, json.dumps(payload).encode(), hdrs)


Handler = Callable[..., Response]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

        def register(fn: Handler) -> Handler:
            self._routes.append((method.upper(), pattern, fn))
            return fn

        return register

    def dispatch(self, request: Request) -> Response:
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            if method != request.method.upper():
                allowed = True
                continue
            return handler(request, **match.groupdict())
        if allowed:
            return json_response(405, {"error": "method not allowed"})
        return json_response(404, {"error": "not found"})


@contextlib.contextmanager
def default_lifespan(app: App) -> Iterator[None]:
    app.state["started"] = True
    try:
        yield
    finally:
        app.state["started"] = False


class App:
    def __init__(self, storage: Any, workflows: WorkflowRegistry, lifespan: Any) -> None:
        self.storage = storage
        self.workflows = workflows
        self.lifespan = lifespan
        self.state: dict[str, Any] = {}
        self.router = Router()
        self._register_routes()

    def __call__(self, request: Request) -> Response:
        response = self.router.dispatch(request)
        cid = request.header("X-Correlation-ID")
        if cid and "X-Correlation-ID" not in response.headers:
            response.headers["X-Correlation-ID"] = cid
        return response

    def _register_routes(self) -> None:
        r = self.router

        @r.route("POST", "/files")
        def upload(request: Request) -> Response:
            if not request.body:
                return json_response(400, {"error": "empty upload"})
            if len(request.body) > MAX_UPLOAD_BYTES:
                return json_response(413, {"error": "file too large"})
            cid = request.header("X-Correlation-ID")
            if cid is not None and not is_valid_correlation_id(cid):
                return json_response(400, {"error": "invalid X-Correlation-ID"})
            stored = self.storage.put(
                request.body,
                request.header("X-Filename", "upload.bin") or "upload.bin",
                request.header("Content-Type", "application/octet-stream")
                or "application/octet-stream",
            )
            wf = self.workflows.start(stored.file_id, cid)
            wf.advance("stored", detail=f"{stored.size} bytes")
            wf.advance("completed")
            return json_response(
                201,
                {
                    "file_id": stored.file_id,
                    "workflow_id": wf.workflow_id,
                    "correlation_id": wf.correlation_id,
                    "size": stored.size,
                },
                {"Location": f"/files/{stored.file_id}", "X-Correlation-ID": wf.correlation_id},
            )

        @r.route("GET", "/files/{file_id}")
        def download(request: Request, file_id: str) -> Response:
            try:
                stored = self.storage.get(file_id)
            except FileNotFound:
                return json_response(404, {"error": f"file {file_id} not found"})
            headers = {
                "Content-Type": stored.content_type,
                "Accept-Ranges": "bytes",
                "ETag": stored.etag,
            }
            try:
                byte_range = parse_range(request.header("Range"), stored.size)
            except RangeNotSatisfiable:
                headers["Content-Range"] = f"bytes */{stored.size}"
                return Response(416, b"", headers)
            if byte_range is None:
                headers["Content-Length"] = str(stored.size)
                return Response(200, stored.data, headers)
            start, end = byte_range
            headers["Content-Range"] = content_range(start, end, stored.size)
            headers["Content-Length"] = str(end - start + 1)
            return Response(206, stored.data[start : end + 1], headers)

        @r.route("GET", "/workflows/{workflow_id}")
        def workflow_status(request: Request, workflow_id: str) -> Response:
            wf = self.workflows.get(workflow_id)
            if wf is None:
                return json_response(404, {"error": f"workflow {workflow_id} not found"})
            return json_response(200, wf.to_dict(), {"X-Correlation-ID": wf.correlation_id})


def create_app(
    storage: Any | None = None,
    workflows: WorkflowRegistry | None = None,
    lifespan: Any | None = None,
) -> App:
    return App(
        storage if storage is not None else InMemoryStorage(),
        workflows if workflows is not None else WorkflowRegistry(),
        lifespan if lifespan is not None else default_lifespan,
    )

"""The planner API's error answers, one shape for all (``{"detail": [reason, ...]}``): the handlers that turn a
store or broker outage into a 503 and a malformed request into a 422 with every reason, and the OpenAPI page
that documents the shared answers on every operation."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pymongo.errors import PyMongoError

from services.planner import edge, schemas
from zygarde.bus.producer import PublishError

MAX_BODY_BYTES = edge.MAX_BODY_BYTES


def install(app: FastAPI) -> None:
    """The handlers of the errors every route may meet."""

    @app.exception_handler(PyMongoError)
    async def store_unavailable(request: Request, exc: PyMongoError) -> JSONResponse:
        # MongoDB restarting or unreachable: a temporary condition the client may retry, not a bug
        return JSONResponse({"detail": [f"the job store is unavailable: {type(exc).__name__}"]}, status_code=503,
                            headers={"Retry-After": "2"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # one error shape for every answer: reasons as strings, like the spec's own 422
        reasons = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()]
        return JSONResponse({"detail": reasons or ["invalid request"]}, status_code=422)

    @app.exception_handler(PublishError)
    async def bus_unavailable(request: Request, exc: PublishError) -> JSONResponse:
        return JSONResponse({"detail": ["Kafka did not acknowledge the message; retry"]}, status_code=503,
                            headers={"Retry-After": "2"})


_REASONS = {"application/json": {"schema": {"type": "object", "properties": {
    "detail": {"type": "array", "items": {"type": "string"}}}}}}


def document(app: FastAPI) -> None:
    """Every answer the API can give is in its OpenAPI page: the shared error answers (unknown id,
    token, body limit, malformed body, store or broker down) are added to each operation here, once,
    rather than repeated on every route."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for path, operations in schema["paths"].items():
            for method, op in operations.items():
                answers = op.setdefault("responses", {})
                if "{" in path:
                    answers.setdefault("404", {"description": "unknown job, trial or model", "content": _REASONS})
                if path not in edge.OPEN_PATHS:  # reads need the read token unless the operator opened them
                    answers.setdefault("401", {"description": "no or wrong bearer token", "content": _REASONS})
                if method in ("post", "put", "patch", "delete"):
                    answers.setdefault("400", {"description": "malformed request body", "content": _REASONS})
                    answers.setdefault("413", {"description": f"body over {MAX_BODY_BYTES} bytes",
                                               "content": _REASONS})
                answers.setdefault("503", {"description": "MongoDB or Kafka unavailable; retry after a moment",
                                           "content": _REASONS})
        schema["paths"]["/metrics"]["get"]["responses"]["200"] = {
            "description": "Prometheus text exposition format", "content": {CONTENT_TYPE_LATEST.split(";")[0]: {
                "schema": {"type": "string"}}}}
        app.openapi_schema = schemas.refine(schema, edge.OPEN_PATHS)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

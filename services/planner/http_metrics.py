"""Request count and latency of the planner's HTTP API, by route template, method and status.

A pure ASGI middleware: the route is the template FastAPI matched (``/jobs/{job_id}``, never the
id itself) so the series stay bounded; a path no route matched counts as ``unmatched``.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zygarde.observability import HTTP_REQUEST_DURATION, HTTP_REQUESTS

UNMATCHED = "unmatched"


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]  # an exception that escapes every handler is answered 500 by the server

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = _template(scope)
            method = str(scope.get("method", "GET"))
            HTTP_REQUESTS.labels(route=route, method=method, status=str(status[0])).inc()
            HTTP_REQUEST_DURATION.labels(route=route, method=method).observe(time.perf_counter() - started)


def _template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED

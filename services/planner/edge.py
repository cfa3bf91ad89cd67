"""The admin API's edge: who may call what, how much body a request may send, and which files a
stored path may name.

- Mutating calls need the admin token (``require_admin``, a route dependency).
- Every GET needs the read token or the admin token, unless the operator opened reads
  (``ZYGARDE_API_OPEN_READS``); ``/healthz``, ``/metrics`` and the API's own description stay open.
- A body is read with a bound whether or not the request says its length (chunked bodies too).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Header, HTTPException

from zygarde.settings import MIN_SECRET_CHARS

MAX_BODY_BYTES = 1_000_000
OPEN_PATHS = frozenset({"/healthz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
READ_METHODS = frozenset({"GET", "HEAD"})
# the web console's static pages hold no data (the browser sends a token with each API call they make)
OPEN_PREFIXES = ("/ui/",)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


class InsecureTokenError(ValueError):
    """The API was asked to start with an empty or short token."""


def check_token(name: str, token: str) -> str:
    if len(token.strip()) < MIN_SECRET_CHARS:
        raise InsecureTokenError(f"{name} is empty or shorter than {MIN_SECRET_CHARS} characters: "
                                 "refusing to serve the admin API with it")
    return token


def is_open(path: str) -> bool:
    """Paths any GET may read without a token: health, metrics, the API's description, the console's pages."""
    return path in OPEN_PATHS or path == "/ui" or path.startswith(OPEN_PREFIXES)


def _bearer_is(authorization: str | None, token: str) -> bool:
    return authorization is not None and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode())


def admin_dependency(token: str) -> Callable[..., None]:
    """A route dependency: 401 unless the request carries the admin token."""
    check_token("the admin token", token)

    def require_admin(authorization: str | None = Header(None)) -> None:
        if not _bearer_is(authorization, token):
            raise HTTPException(401, detail=["missing or wrong bearer token"],
                                headers={"WWW-Authenticate": "Bearer"})

    return require_admin


async def _answer(send: Send, status: int, reasons: list[str], headers: list[tuple[bytes, bytes]] = []) -> None:  # noqa: B006
    body = json.dumps({"detail": reasons}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


class Edge:
    """ASGI middleware: the read check and the bounded body, before any route runs."""

    def __init__(self, app: Asgi, *, admin_token: str, read_token: str | None,
                 max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.tokens = [check_token("the admin token", admin_token)]
        if read_token is not None:
            self.tokens.append(check_token("the read token", read_token))
        self.open_reads = read_token is None
        self.max_body = max_body

    def _authorization(self, scope: Scope) -> str | None:
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                return str(value.decode("latin-1"))
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (scope["method"] in READ_METHODS and not self.open_reads and not is_open(scope["path"])
                and not any(_bearer_is(self._authorization(scope), t) for t in self.tokens)):
            await _answer(send, 401, ["missing or wrong bearer token (reads need the read or the admin token)"],
                          [(b"www-authenticate", b"Bearer")])
            return
        body = bytearray()
        more = True
        while more:  # a chunked body has no length to check up front: count what arrives, stop at the bound
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > self.max_body:
                await _answer(send, 413, [f"request body over {self.max_body} bytes"], [(b"connection", b"close")])
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def install(app: FastAPI, *, admin_token: str, read_token: str | None) -> None:
    """Put the edge in front of every route; ``read_token`` None opens reads."""
    app.add_middleware(Edge, admin_token=admin_token, read_token=read_token)


def confined(root: Path, stored: str) -> Path:
    """The file a stored path names, after symlinks and ``..``; 404 unless it lies inside ``root``
    (a tampered document must not turn the API into a reader of any file the planner can open)."""
    base = root.expanduser().resolve()
    path = Path(stored).expanduser().resolve()
    if base not in path.parents or not path.is_file():
        raise HTTPException(404, detail=["the report is not available (its path is outside the report store)"])
    return path

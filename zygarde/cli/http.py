"""The CLI's calls to the planner's HTTP API: one line on stderr and a documented exit code for
every way a call can fail, never a traceback.

Exit codes: 1 the spec or request was refused (422, every reason printed), 2 the planner cannot be
reached, 4 unknown job, trial or model (404), 5 no or wrong token (401/403), 6 the request conflicts
with the job's state (409, e.g. cancelling a finished job), 7 the store or broker is unavailable (503),
8 any other HTTP error.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import httpx
import typer

from zygarde.cli.app import _settings, err

EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_NOT_FOUND = 1, 2, 4
EXIT_TOKEN, EXIT_CONFLICT, EXIT_UNAVAILABLE, EXIT_HTTP = 5, 6, 7, 8
EXIT_CODES = {422: EXIT_REFUSED, 400: EXIT_REFUSED, 404: EXIT_NOT_FOUND, 401: EXIT_TOKEN, 403: EXIT_TOKEN,
              409: EXIT_CONFLICT, 503: EXIT_UNAVAILABLE}


def say(line: str) -> None:
    """One line on stderr, never wrapped (a pipe or a log keeps it whole)."""
    err.print(line, markup=False, highlight=False, soft_wrap=True)


def client(timeout: float = 30.0) -> httpx.Client:
    s = _settings()
    try:
        token = s.token()
    except (OSError, ValueError) as exc:
        say(f"error: no admin token: {exc}")
        raise typer.Exit(EXIT_TOKEN) from exc
    return httpx.Client(base_url=s.planner_url, timeout=timeout, headers={"Authorization": f"Bearer {token}"})


def reasons(resp: httpx.Response) -> list[str]:
    """The reasons of an error answer: ``detail`` (a list or a string) or the problem's ``title``."""
    try:
        body = resp.json()
    except ValueError:
        return [resp.text.strip()[:200] or resp.reason_phrase]
    if not isinstance(body, dict):
        return [str(body)[:200]]
    detail = body.get("detail", body.get("title"))
    items = detail if isinstance(detail, list) else [detail]
    return [r if isinstance(r, str) else str(r.get("msg", r)) if isinstance(r, dict) else str(r)
            for r in items if r is not None] or [resp.reason_phrase]


def fail(resp: httpx.Response) -> typer.Exit:
    """Print an error answer on stderr and give the exit to raise."""
    code = EXIT_CODES.get(resp.status_code, EXIT_HTTP)
    found = reasons(resp)
    if resp.status_code in (401, 403):
        found = [f"{found[0]} (set ZYGARDE_ADMIN_TOKEN, or see $ZYGARDE_HOME/admin-token)"]
    if len(found) == 1:
        say(f"error {resp.status_code}: {found[0]}")
    else:
        say(f"error {resp.status_code}: {len(found)} reasons")
        for reason in found:
            say(f"  - {reason}")
    return typer.Exit(code)


def call(method: str, path: str, body: Any = None, timeout: float = 30.0, spinner: str | None = None) -> Any:
    """The JSON (or text) of a successful answer; anything else exits with one line on stderr."""
    with client(timeout) as http:
        status = err.status(spinner) if spinner and err.is_terminal else nullcontext()
        try:
            with status:
                resp = http.request(method, path, json=body)
        except httpx.TimeoutException as exc:
            say(f"error: the planner at {http.base_url} did not answer within {timeout:.0f}s")
            raise typer.Exit(EXIT_UNREACHABLE) from exc
        except httpx.HTTPError as exc:
            say(f"error: cannot reach the planner at {http.base_url} ({type(exc).__name__}); "
                "is `zygarde up` running?")
            raise typer.Exit(EXIT_UNREACHABLE) from exc
    if resp.status_code >= 400:
        raise fail(resp)
    if resp.headers.get("content-type", "").startswith("application/json"):
        return resp.json()
    return resp.text

"""A job's trials on the planner's admin API, every status (the leaderboard lists only completed ones):
``GET /jobs/{id}/trials?status=failed`` says which trials failed and why, and :func:`failures` groups
them for ``GET /jobs/{id}``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, Protocol

from fastapi import FastAPI, Query, Response

from services.planner import schemas
from zygarde.store import TrialRepository

TrialStatus = Literal["requested", "running", "completed", "failed"]
# numbers in an error (a parameter's value, a row count) differ from trial to trial of the same failure
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


class ApiContext(Protocol):
    """What these routes use of the API's context (``api.ApiContext``; not imported: ``api`` imports this)."""

    @property
    def trials(self) -> TrialRepository: ...


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def trial_item(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored trial as the API shows it."""
    return {
        "trial_id": doc["_id"], "index": doc.get("index", 0), "algorithm": doc.get("algorithm", ""),
        "params": doc.get("params") or {}, "status": doc.get("status"), "attempt": doc.get("attempt", 1),
        "score": doc.get("score"), "reason": doc.get("reason"), "error": doc.get("error"),
        "seconds": doc.get("seconds"), "worker": doc.get("worker"), "rows": doc.get("rows"),
        "requested_at": _iso(doc.get("requested_at")), "finished_at": _iso(doc.get("finished_at")),
    }


def failures(failed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed trials grouped by reason and error (errors that differ only in their numbers are one
    group, shown by its first trial's error), the largest group first, then the first to fail."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in failed:
        reason, error = str(doc.get("reason") or "unknown"), str(doc.get("error") or "")
        group = groups.setdefault((reason, _NUMBER.sub("#", error)), {
            "reason": reason, "error": error, "count": 0, "algorithms": [], "trial_ids": []})
        group["count"] += 1
        if doc.get("algorithm") and doc["algorithm"] not in group["algorithms"]:
            group["algorithms"].append(doc["algorithm"])
        if len(group["trial_ids"]) < schemas.FAILURE_IDS:
            group["trial_ids"].append(doc["_id"])
    ranked = sorted(groups.values(), key=lambda g: -g["count"])  # stable: first seen first among equals
    return ranked[:schemas.FAILURE_GROUPS]


def add_trial_routes(app: FastAPI, ctx: ApiContext, get_job: Callable[[str], dict[str, Any]]) -> None:
    @app.get("/jobs/{job_id}/trials", response_model=schemas.TrialPage)
    def list_trials(job_id: str, response: Response,
                    status: TrialStatus | None = Query(None, description="only the trials with this status; "
                                                       "failed ones carry their reason and error"),
                    limit: int = Query(schemas.PAGE_MAX, ge=1, le=schemas.PAGE_MAX, description="trials per page"),
                    offset: int = Query(0, ge=0, le=100_000, description="trials to skip")) -> dict[str, Any]:
        get_job(job_id)
        found = ctx.trials.listing(job_id, status)
        items = [trial_item(d) for d in found[offset:offset + limit]]
        query = f"status={status}&" if status else ""
        link = schemas.page_links(f"/jobs/{job_id}/trials", offset, limit, len(items), len(found))
        if link:
            response.headers["Link"] = link.replace("?", f"?{query}", 1)
        return {"job_id": job_id, "status": status, "items": items, "total": len(found), "offset": offset}

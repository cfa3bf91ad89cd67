"""The planner's admin HTTP API (docs/contract.md). ``POST /jobs`` validates, then goes through the
``jobs`` topic like any Kafka client, so both ways in behave the same."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from pymongo.database import Database

from services.planner import console, edge, error_answers, schemas
from services.planner.models_api import add_model_routes
from services.planner.planning import empty_summary
from services.planner.strategies import STRATEGIES
from services.planner.trials_api import add_trial_routes, failures
from zygarde import events as ev
from zygarde.bus import BusAdmin, EventProducer
from zygarde.errors import SpecError
from zygarde.ml.validation import check_job_details
from zygarde.registry import artifacts
from zygarde.settings import Settings
from zygarde.store import JobRepository, ResultRepository, TrialRepository, ping
from zygarde.store.jobs import ACTIVE

MAX_BODY_BYTES = edge.MAX_BODY_BYTES


@dataclass
class ApiContext:
    settings: Settings
    db: Database[dict[str, Any]]
    producer: EventProducer
    admin: BusAdmin
    token: str
    # the summary of a job whose search the planner in this process runs now (None: not one of them)
    live: Callable[[str], dict[str, Any] | None] = lambda job_id: None  # noqa: E731

    @property
    def jobs(self) -> JobRepository:
        return JobRepository(self.db)

    @property
    def trials(self) -> TrialRepository:
        return TrialRepository(self.db)

    @property
    def results(self) -> ResultRepository:
        return ResultRepository(self.db)


class Accepted(BaseModel):
    job_id: str
    status: str
    task: str | None = Field(None, description="the task, as validation decided it")
    metric: str | None = Field(None, description="the metric trials are ranked by (the task's default "
                               "when the spec names none)")
    warnings: list[str] = Field(default_factory=list, description="accepted, but worth knowing: e.g. rows "
                                "left out because their target is missing")


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def budget_view(job: dict[str, Any], trials_used: int, instance_seconds: float) -> dict[str, Any]:
    """Each budget of the spec beside what the job used of it so far."""
    search = (job.get("spec") or {}).get("search") or {}
    started, finished = job.get("started_at"), job.get("finished_at")
    elapsed = None
    if started is not None:  # time paused is not counted (the planner moves the deadline by it)
        end = finished or (job.get("paused_at") if job.get("status") == "paused" else None)
        if end is None:
            end = datetime.now(UTC).replace(tzinfo=started.tzinfo)
        elapsed = round((end - started).total_seconds() - float(job.get("paused_s") or 0.0), 3)
    return {
        "max_trials": search.get("max_trials"), "trials_used": trials_used,
        "time_budget_s": search.get("time_budget_s"), "seconds_used": elapsed,
        "cost_budget": search.get("cost_budget"), "instance_seconds_used": round(instance_seconds, 3),
        "patience": search.get("patience"), "max_parallel": search.get("max_parallel"),
    }


def job_summary(ctx: ApiContext, job: dict[str, Any]) -> dict[str, Any]:
    """Trials by status, instance-seconds and best trial without a query by ``job_id`` (the local
    MongoDB-wire server answers one by reading every trial or result ever stored): the planner's own
    view while the search runs, the summary it stored when the search ended (or the job was cancelled
    or rejected), nothing for a queued job. Only a job stored before summaries were kept, or one the
    planner has not loaded yet, is counted from its trials and results."""
    status = job.get("status")
    if status == "queued":
        return empty_summary()
    live = ctx.live(job["_id"]) if status in ACTIVE and not job.get("search_finished") else None
    if live is not None:
        return live
    if job.get("summary") is not None:
        return dict(job["summary"])
    best = ctx.results.best(job["_id"])
    counts, instance_seconds = ctx.trials.summary(job["_id"])
    return {"trials": counts, "instance_seconds": instance_seconds, "best": None if best is None else {
        "trial_id": best["_id"], "algorithm": best["algorithm"], "params": best["params"], "score": best["cv_mean"]}}


def job_view(ctx: ApiContext, job: dict[str, Any]) -> dict[str, Any]:
    summary = job_summary(ctx, job)
    counts, instance_seconds, best = summary["trials"], summary["instance_seconds"], summary["best"]
    return {
        "job_id": job["_id"], "name": job.get("name"), "status": job.get("status"), "spec": job.get("spec"),
        "task": job.get("task"), "metric": job.get("metric"), "strategy": job.get("strategy"),
        "trials": {k: counts.get(k, 0) for k in ("requested", "running", "completed", "failed")},
        "best": best,
        "budget": budget_view(job, sum(counts.values()), instance_seconds),
        "reasons": job.get("reasons", []), "warnings": job.get("warnings", []),
        "created_at": _iso(job.get("created_at")), "finished_at": _iso(job.get("finished_at")),
        "ended_reason": job.get("ended_reason"), "submitted_via": job.get("submitted_via"),
    }


def create_app(ctx: ApiContext) -> FastAPI:
    app = FastAPI(title="Zygarde planner", version="1", description="Admin API of the Zygarde planner.")

    error_answers.install(app)  # 503 for a store or broker outage, 422 with every reason

    # the body bound (chunked bodies too) and the read check run before any route; writes need the admin token
    edge.install(app, admin_token=ctx.token,
                 read_token=None if ctx.settings.api_open_reads else ctx.settings.reader_token())
    require_token = edge.admin_dependency(ctx.token)

    def get_job(job_id: str) -> dict[str, Any]:
        job = ctx.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, detail=[f"unknown job {job_id}"])
        return job

    @app.post("/jobs", status_code=202, response_model=Accepted, dependencies=[Depends(require_token)],
              responses={401: {"description": "no or wrong token"}, 413: {"description": "body too large"},
                         422: {"description": "every reason the spec is invalid"}})
    async def submit(request: Request, response: Response) -> Accepted:
        try:
            raw = await request.json()
        except ValueError as exc:
            raise HTTPException(422, detail=[f"body is not JSON: {exc}"]) from exc
        if not isinstance(raw, dict):
            raise HTTPException(422, detail=["the job spec must be a JSON object"])
        try:
            checked = check_job_details(raw, ctx.settings.data_root_paths, ctx.settings.dataset_cache, STRATEGIES)
        except SpecError as exc:
            raise HTTPException(422, detail=exc.reasons) from exc
        job_id = ev.new_id()
        ctx.jobs.create(job_id, {"status": "queued", "spec": raw, "name": raw.get("name", "job"),
                                 "submitted_via": "http"})
        ctx.producer.publish(ev.JobSubmitted(job_id=job_id, spec=raw, submitted_via="http"))
        ctx.producer.flush()
        response.headers["Location"] = f"/jobs/{job_id}"
        return Accepted(job_id=job_id, status="queued", task=checked.task, metric=checked.spec.metric,
                        warnings=checked.warnings)

    @app.get("/jobs", response_model=list[schemas.JobView])
    def list_jobs(response: Response, status: str | None = Query(None),
                  limit: int = Query(200, ge=1, le=schemas.PAGE_MAX, description="jobs per page, newest first"),
                  offset: int = Query(0, ge=0, le=100_000, description="jobs to skip")) -> list[dict[str, Any]]:
        found = ctx.jobs.find(status, limit=offset + limit)[offset:]
        link = schemas.page_links("/jobs", offset, limit, len(found))
        if link:
            response.headers["Link"] = link
        return [job_view(ctx, j) for j in found]

    @app.get("/jobs/{job_id}", response_model=schemas.JobView)
    def show_job(job_id: str) -> dict[str, Any]:
        view = job_view(ctx, get_job(job_id))
        # which trials failed and why: read only for this one job, and only when some did
        view["failures"] = failures(ctx.trials.listing(job_id, "failed")) if view["trials"]["failed"] else []
        return view

    @app.get("/jobs/{job_id}/leaderboard", response_model=schemas.Leaderboard)
    def leaderboard(job_id: str, response: Response,
                    limit: int = Query(schemas.PAGE_MAX, ge=1, le=schemas.PAGE_MAX, description="trials per page"),
                    offset: int = Query(0, ge=0, le=100_000, description="trials to skip")) -> dict[str, Any]:
        job = get_job(job_id)
        ranked = ctx.results.leaderboard(job_id)
        items = [
            {"rank": i + 1, "trial_id": r["_id"], "algorithm": r["algorithm"], "params": r["params"],
             "cv_mean": r["cv_mean"], "cv_std": r["cv_std"], "fit_seconds": r["fit_seconds"],
             "fold_scores": r.get("fold_scores", []), "attempt": r.get("attempt", 1)}
            for i, r in enumerate(ranked) if offset <= i < offset + limit
        ]
        link = schemas.page_links(f"/jobs/{job_id}/leaderboard", offset, limit, len(items), len(ranked))
        if link:
            response.headers["Link"] = link
        return {"job_id": job_id, "metric": job.get("metric"), "greater_is_better": job.get("greater_is_better"),
                "items": items, "total": len(ranked), "offset": offset}

    @app.get("/jobs/{job_id}/model")
    def model(job_id: str) -> dict[str, Any]:
        get_job(job_id)
        doc = ctx.db.models.find_one({"_id": job_id})
        if doc is None:
            raise HTTPException(404, detail=[f"no model chosen yet for job {job_id}"])
        doc = {k: _iso(v) for k, v in doc.items()}
        doc["job_id"] = doc.pop("_id")
        return doc

    @app.get("/jobs/{job_id}/report", response_class=HTMLResponse,
             responses={404: {"description": "no report yet"}})
    def report(job_id: str) -> HTMLResponse:
        get_job(job_id)
        doc = ctx.db.models.find_one({"_id": job_id}, {"report": 1})
        path = (doc or {}).get("report", {}).get("html")
        if not path:
            raise HTTPException(404, detail=[f"no report yet for job {job_id}"])
        return HTMLResponse(edge.confined(artifacts.local_root(ctx.settings.artifact_root), path).read_text())

    @app.post("/jobs/{job_id}/cancel", status_code=202, dependencies=[Depends(require_token)],
              response_model=schemas.CancelAccepted)
    def cancel(job_id: str) -> dict[str, str]:
        job = get_job(job_id)
        if job.get("status") not in ACTIVE:
            raise HTTPException(409, detail=[f"job {job_id} has already ended ({job.get('status')})"])
        ctx.producer.publish(ev.JobCancelRequested(job_id=job_id, reason="requested over HTTP"))
        ctx.producer.flush()
        return {"job_id": job_id, "status": "cancel_requested"}

    @app.post("/jobs/{job_id}/pause", status_code=202, dependencies=[Depends(require_token)],
              response_model=schemas.PauseAccepted)
    def pause(job_id: str) -> dict[str, str]:
        job = get_job(job_id)
        if job.get("status") != "running" or job.get("search_finished"):
            state = "its search has finished" if job.get("search_finished") else f"it is {job.get('status')}"
            raise HTTPException(409, detail=[f"job {job_id} cannot be paused: {state}"])
        ctx.producer.publish(ev.JobPauseRequested(job_id=job_id, reason="requested over HTTP"))
        ctx.producer.flush()
        return {"job_id": job_id, "status": "pause_requested"}

    @app.post("/jobs/{job_id}/resume", status_code=202, dependencies=[Depends(require_token)],
              response_model=schemas.PauseAccepted)
    def resume(job_id: str) -> dict[str, str]:
        job = get_job(job_id)
        if job.get("status") != "paused":
            raise HTTPException(409, detail=[f"job {job_id} is not paused (it is {job.get('status')})"])
        ctx.producer.publish(ev.JobResumeRequested(job_id=job_id, reason="requested over HTTP"))
        ctx.producer.flush()
        return {"job_id": job_id, "status": "resume_requested"}

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        down = []
        try:
            ctx.admin.ping(timeout=2)
        except Exception as exc:  # noqa: BLE001
            down.append(f"kafka: {exc}")
        try:
            ping(ctx.db)
        except Exception as exc:  # noqa: BLE001
            down.append(f"mongodb: {type(exc).__name__}")
        if down:
            return JSONResponse({"status": "down", "down": down}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    add_model_routes(app, ctx, require_token)  # /models/..., /jobs/{id}/trials/{trial_id}/report
    add_trial_routes(app, ctx, get_job)  # /jobs/{id}/trials?status=failed
    console.install(app)  # the web console's pages at /ui/
    error_answers.document(app)
    return app


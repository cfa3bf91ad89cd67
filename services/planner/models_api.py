"""The registry's HTTP routes on the planner's admin API: models, versions, aliases, evaluations,
and diagnostics of any completed trial on request. Mutating or computing routes need the token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from fastapi import Depends, FastAPI, HTTPException, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from pymongo.database import Database

from services.planner import edge, schemas
from zygarde.bus import EventProducer
from zygarde.errors import ArtifactIntegrityError, DatasetError
from zygarde.registry import artifacts, evaluation, reports, rules
from zygarde.settings import Settings
from zygarde.store import JobRepository
from zygarde.store.registry import RegistryRepository, ensure_registry_indexes


class ApiContext(Protocol):
    """What these routes use of the API's context (``api.ApiContext``), named here so that this module,
    which ``api`` imports, does not import ``api`` back."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database[dict[str, Any]]: ...
    @property
    def producer(self) -> EventProducer: ...
    @property
    def jobs(self) -> JobRepository: ...


class AliasBody(BaseModel):
    version: int = Field(ge=1, description="the version the alias should point at")


class EvaluateBody(BaseModel):
    dataset_uri: str = Field(description="newly labelled data with the same target column: file:// inside "
                             "the data roots, or builtin:NAME")
    version: int | None = Field(None, ge=1, description="the version to evaluate; default: the champion")


def _version_view(doc: dict[str, Any], aliases: dict[str, int]) -> dict[str, Any]:
    view = {k: v for k, v in doc.items() if k not in ("_id", "aliases_applied")}
    view["aliases"] = sorted(a for a, v in aliases.items() if v == doc["version"])
    return dict(jsonable_encoder(view))


def add_model_routes(app: FastAPI, ctx: ApiContext, require_token: Callable[..., None]) -> None:
    ensure_registry_indexes(ctx.db)
    repo = RegistryRepository(ctx.db)

    def get_model(name: str) -> dict[str, Any]:
        model = repo.model(name)
        if model is None:
            raise HTTPException(404, detail=[f"unknown model {name}"])
        return model

    @app.get("/models", response_model=list[schemas.ModelSummary])
    def list_models() -> list[dict[str, Any]]:
        """Every model name with its latest version and aliases."""
        return [{"name": m["_id"], "latest_version": m.get("latest_version"), "aliases": m.get("aliases") or {},
                 "updated_at": jsonable_encoder(m.get("updated_at"))} for m in repo.models()]

    @app.get("/models/{name}", response_model=schemas.ModelView)
    def show_model(name: str) -> dict[str, Any]:
        """A model's versions with their lineage (job, trial, data and its hash, spec, scores, artifact)."""
        model = get_model(name)
        aliases = model.get("aliases") or {}
        return {"name": name, "latest_version": model.get("latest_version"), "aliases": aliases,
                "versions": [_version_view(v, aliases) for v in repo.versions(name)],
                "alias_history": jsonable_encoder([{k: v for k, v in e.items() if k != "_id"}
                                                   for e in repo.alias_history(name)])}

    @app.post("/models/{name}/aliases/{alias}", dependencies=[Depends(require_token)],
              responses={401: {"description": "no or wrong token"}, 404: {"description": "unknown name or version"},
                         422: {"description": "unknown alias or bad body"}})
    def set_alias(name: str, alias: str, body: AliasBody) -> dict[str, Any]:
        """Point ``champion`` or ``challenger`` at a version (explicit promotion)."""
        if alias not in rules.ALIASES:
            raise HTTPException(422, detail=[f"alias must be one of {', '.join(rules.ALIASES)}, not {alias!r}"])
        get_model(name)
        if repo.version(name, body.version) is None:
            raise HTTPException(404, detail=[f"model {name} has no version {body.version}"])
        after = repo.set_alias(name, alias, body.version, by="api", reason="explicit promotion")
        return {"name": name, "aliases": (after or {}).get("aliases") or {}}

    @app.post("/models/{name}/evaluate", dependencies=[Depends(require_token)],
              responses={401: {"description": "no or wrong token"}, 404: {"description": "unknown name or version"},
                         409: {"description": "the artifact failed its sha256 check"},
                         422: {"description": "dataset refused or not scorable"}})
    def evaluate(name: str, body: EvaluateBody) -> dict[str, Any]:
        """Score the champion on new labelled data, measure drift (PSI), and ask a retrain when either
        passes its threshold (``RetrainRequested``; the answer's ``retrain.job_id`` is the new job)."""
        try:
            doc = evaluation.evaluate(ctx.db, ctx.settings, ctx.producer, name, body.dataset_uri, body.version)
        except evaluation.NotFound as exc:
            raise HTTPException(404, detail=[str(exc)]) from exc
        except (DatasetError, evaluation.EvaluationError) as exc:
            raise HTTPException(422, detail=[str(exc)]) from exc
        except ArtifactIntegrityError as exc:
            raise HTTPException(409, detail=[str(exc)]) from exc
        doc["evaluation_id"] = doc.pop("_id")
        return dict(jsonable_encoder(doc))

    @app.get("/models/{name}/evaluations", response_model=schemas.Evaluations)
    def evaluations(name: str, response: Response,
                    limit: int = Query(schemas.PAGE_MAX, ge=1, le=schemas.PAGE_MAX, description="evaluations per page"),
                    offset: int = Query(0, ge=0, le=100_000, description="evaluations to skip")) -> dict[str, Any]:
        """Every evaluation of the name, oldest first, and the quality-over-time plot."""
        get_model(name)
        every = repo.evaluations(name)
        items = [{"evaluation_id": e["_id"], **{k: v for k, v in e.items() if k != "_id"}}
                 for e in every[offset:offset + limit]]
        link = schemas.page_links(f"/models/{name}/evaluations", offset, limit, len(items), len(every))
        if link:
            response.headers["Link"] = link
        plot = evaluation.report_folder(ctx.settings, name) / "quality.png"
        return {"name": name, "items": jsonable_encoder(items), "plot": str(plot) if plot.exists() else None,
                "total": len(every), "offset": offset}

    def get_trial(job_id: str, trial_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        job = ctx.jobs.get(job_id)
        result = ctx.db.results.find_one({"_id": trial_id, "job_id": job_id})
        if job is None or result is None:
            raise HTTPException(404, detail=[f"unknown trial {trial_id} of job {job_id}"])
        if (job.get("spec") or {}).get("engine") == "spark":
            raise HTTPException(409, detail=["reports on request refit with scikit-learn: not for spark trials yet"])
        if result.get("status") != "completed":
            raise HTTPException(409, detail=[f"trial {trial_id} did not complete: no model to diagnose"])
        return job, result

    @app.post("/jobs/{job_id}/trials/{trial_id}/report", dependencies=[Depends(require_token)],
              responses={401: {"description": "no or wrong token"}, 404: {"description": "unknown trial"},
                         409: {"description": "the trial failed"}})
    def trial_report(job_id: str, trial_id: str) -> dict[str, Any]:
        """Refit a completed trial on the training split (in this process) and write its diagnostics."""
        job, result = get_trial(job_id, trial_id)
        doc = reports.trial_report(ctx.db, ctx.settings, job, result)
        return dict(jsonable_encoder({"job_id": job_id, "trial_id": trial_id, "holdout_score": doc["holdout_score"],
                                      "report": doc["report"], "diagnostics": doc["headline"]}))

    @app.get("/jobs/{job_id}/trials/{trial_id}/report", response_class=HTMLResponse,
             responses={404: {"description": "no report computed yet (POST to compute it)"}})
    def show_trial_report(job_id: str, trial_id: str) -> HTMLResponse:
        doc = ctx.db.trial_reports.find_one({"_id": trial_id, "job_id": job_id})
        if doc is None:
            raise HTTPException(404, detail=[f"no report for trial {trial_id} yet: POST to compute it"])
        root = artifacts.local_root(ctx.settings.artifact_root)  # a tampered path is never read
        return HTMLResponse(edge.confined(root, str((doc.get("report") or {}).get("html") or "")).read_text())

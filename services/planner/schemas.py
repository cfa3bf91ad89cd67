"""The admin API's answers as typed models (what its OpenAPI page shows and generated clients get), and
the parts of that page FastAPI cannot derive: the job spec as the body of ``POST /jobs`` (the route
reads it raw so that validation reports every reason at once), the bearer security scheme, one error
shape for every 4xx/5xx, ``Location`` on a 202, pagination links.

Models allow extra fields: an answer may grow a field before its model does, never lose one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.planner.strategies import STRATEGIES
from zygarde.events import JobSpec

BEARER = "bearer"
PAGE_MAX = 1000
FAILURE_GROUPS = 20  # a job's failures as GET /jobs/{id} shows them: groups, and trial ids in each
FAILURE_IDS = 5


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class Problem(_Answer):
    """Every error answer: the reasons, each one readable on its own."""

    detail: list[str] = Field(description="every reason the request failed")


class TrialCounts(_Answer):
    requested: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0


class Best(_Answer):
    trial_id: str
    algorithm: str
    params: dict[str, Any] = Field(default_factory=dict)
    score: float | None = Field(None, description="mean CV score, in the job's metric")


class Budget(_Answer):
    max_trials: int | None = None
    trials_used: int = 0
    time_budget_s: float | None = None
    seconds_used: float | None = None
    cost_budget: float | None = None
    instance_seconds_used: float = 0.0
    patience: int | None = None
    max_parallel: int | None = None


class FailureGroup(_Answer):
    """Failed trials that failed the same way: the same reason and the same error (numbers aside)."""

    reason: str = Field(description="error (the fit or scoring raised), timeout, memory, dataset, invalid, "
                        "lost, pruned, time_budget or cancelled")
    error: str = Field("", description="what the group's first trial raised, as the trainer reported it")
    count: int = Field(description="failed trials with this reason and error")
    algorithms: list[str] = Field(default_factory=list, description="the algorithms of those trials")
    trial_ids: list[str] = Field(default_factory=list, description=f"the first {FAILURE_IDS} of those trials")


class JobView(_Answer):
    """A job with its spec, trial counts, best trial and use of each budget."""

    job_id: str
    name: str | None = None
    status: str | None = Field(None, description="queued, running, paused, completed, failed, cancelled "
                                   "or rejected")
    spec: dict[str, Any] | None = Field(None, description="the accepted spec (defaults filled in), or the raw "
                                        "one of a job not accepted")
    task: str | None = None
    metric: str | None = None
    strategy: str | None = None
    trials: TrialCounts
    best: Best | None = None
    budget: Budget
    reasons: list[str] = Field(default_factory=list, description="why a job was rejected or failed")
    warnings: list[str] = Field(default_factory=list, description="noticed but accepted at validation")
    created_at: str | None = None
    finished_at: str | None = None
    ended_reason: str | None = None
    submitted_via: str | None = None
    failures: list[FailureGroup] | None = Field(
        None, description="the failed trials grouped by reason and error, the largest group first (at most "
        f"{FAILURE_GROUPS} groups; GET /jobs/{{id}} only, null in the list of jobs; the trials themselves: "
        "GET /jobs/{id}/trials?status=failed)")


class LeaderboardItem(_Answer):
    rank: int
    trial_id: str
    algorithm: str
    params: dict[str, Any]
    cv_mean: float
    cv_std: float
    fit_seconds: float
    fold_scores: list[float] = Field(default_factory=list)
    attempt: int = 1


class Leaderboard(_Answer):
    """A job's completed trials, best first (one page of them)."""

    job_id: str
    metric: str | None = None
    greater_is_better: bool | None = None
    items: list[LeaderboardItem]
    total: int | None = Field(None, description="completed trials in all pages")
    offset: int = 0


class TrialItem(_Answer):
    """One trial as the planner stores it, whatever its status."""

    trial_id: str
    index: int = Field(description="the trial's number within its job (the short number the CLI takes)")
    algorithm: str
    params: dict[str, Any] = Field(default_factory=dict)
    status: str = Field(description="requested, running, completed or failed")
    attempt: int = 1
    score: float | None = Field(None, description="mean CV score of a completed trial, in the job's metric")
    reason: str | None = Field(None, description="why a failed trial failed (see FailureGroup.reason)")
    error: str | None = Field(None, description="what a failed trial raised, as the trainer reported it")
    seconds: float | None = Field(None, description="how long the trial occupied its trainer")
    worker: str | None = None
    rows: int | None = Field(None, description="the subsample it ran on (a lower fidelity); null: every row")
    requested_at: str | None = None
    finished_at: str | None = None


class TrialPage(_Answer):
    """A job's trials in index order, every status or one (one page of them)."""

    job_id: str
    status: str | None = Field(None, description="the status asked for; null: every status")
    items: list[TrialItem]
    total: int = Field(description="trials in all pages")
    offset: int = 0


class CancelAccepted(_Answer):
    job_id: str
    status: str = Field(description="cancel_requested")


class PauseAccepted(_Answer):
    job_id: str
    status: str = Field(description="pause_requested or resume_requested")


class ModelSummary(_Answer):
    name: str
    latest_version: int | None = None
    aliases: dict[str, int] = Field(default_factory=dict, description="champion / challenger -> version")
    updated_at: str | None = None


class ModelView(_Answer):
    """A registered name: its versions with their lineage, its aliases and their history."""

    name: str
    latest_version: int | None = None
    aliases: dict[str, int] = Field(default_factory=dict)
    versions: list[dict[str, Any]] = Field(description="job, trial, dataset and its sha256, spec, params, "
                                           "CV and holdout scores, artifact, aliases")
    alias_history: list[dict[str, Any]] = Field(default_factory=list)


class Evaluations(_Answer):
    """A name's evaluations on newly labelled data, oldest first (one page of them)."""

    name: str
    items: list[dict[str, Any]]
    plot: str | None = Field(None, description="the metric over time (PNG path), once drawn")
    total: int | None = Field(None, description="evaluations in all pages")
    offset: int = 0


def page_links(path: str, offset: int, limit: int, returned: int, total: int | None = None) -> str | None:
    """An RFC 8288 ``Link`` header with the next page, when there may be one."""
    more = returned == limit if total is None else offset + returned < total
    return f'<{path}?limit={limit}&offset={offset + limit}>; rel="next"' if more else None


def _problem_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def refine(schema: dict[str, Any], open_paths: frozenset[str]) -> dict[str, Any]:
    """What the routes cannot say themselves, added to the generated page in place."""
    components = schema.setdefault("components", {})
    defs = components.setdefault("schemas", {})
    spec_schema = JobSpec.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in spec_schema.pop("$defs", {}).items():
        defs.setdefault(name, sub)
    defs["JobSpec"] = spec_schema
    if "SearchSpec" in defs:  # the strategy names, from their registry
        defs["SearchSpec"]["properties"]["strategy"]["enum"] = list(STRATEGIES)
    defs["Problem"] = Problem.model_json_schema()
    defs.pop("HTTPValidationError", None)
    defs.pop("ValidationError", None)
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http", "scheme": "bearer",
        "description": "the admin token (every call), or the read token (reads only)"}
    for path, operations in schema.get("paths", {}).items():
        for op in operations.values():
            params = [p for p in op.get("parameters", [])
                      if not (p.get("in") == "header" and p.get("name", "").lower() == "authorization")]
            if params:
                op["parameters"] = params
            else:
                op.pop("parameters", None)
            if path not in open_paths:
                op["security"] = [{BEARER: []}]
            for status, answer in op.get("responses", {}).items():
                if status[0] in "45" and "content" in answer and path != "/healthz":
                    answer["content"] = _problem_content()
            if status_422 := op.get("responses", {}).get("422"):
                status_422["content"] = _problem_content()
    submit = schema["paths"]["/jobs"]["post"]
    submit["requestBody"] = {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/JobSpec"},
        "examples": {"builtin": {"summary": "a bundled dataset, the task's default metric", "value": {
            "name": "breast-cancer", "dataset": {"uri": "builtin:breast_cancer", "target": "target"},
            "search": {"strategy": "tpe", "max_trials": 20}}},
            "own_csv": {"summary": "your own CSV inside the data roots", "value": {
                "name": "churn", "dataset": {"uri": "file:///data/churn.csv", "target": "churned"},
                "metric": "pr_auc", "search": {"max_trials": 30, "time_budget_s": 600}}}}}}}
    submit["responses"]["202"]["headers"] = {"Location": {
        "description": "the job's own URL, /jobs/{job_id}", "schema": {"type": "string"}}}
    submit["responses"].setdefault("422", {"description": "every reason the spec is invalid",
                                           "content": _problem_content()})
    cancel = schema["paths"].get("/jobs/{job_id}/cancel", {}).get("post")
    if cancel is not None:
        cancel["responses"].setdefault("409", {"description": "the job has already ended",
                                               "content": _problem_content()})
    for path, why in (("/jobs/{job_id}/pause", "the job is not running, or its search has finished"),
                      ("/jobs/{job_id}/resume", "the job is not paused")):
        op = schema["paths"].get(path, {}).get("post")
        if op is not None:
            op["responses"].setdefault("409", {"description": why, "content": _problem_content()})
    for path in ("/jobs", "/jobs/{job_id}/leaderboard", "/jobs/{job_id}/trials", "/models/{name}/evaluations"):
        ok = schema["paths"].get(path, {}).get("get", {}).get("responses", {}).get("200")
        if ok is not None:
            ok["headers"] = {"Link": {"description": 'the next page: <...?limit=N&offset=M>; rel="next"',
                                      "schema": {"type": "string"}}}
    return schema

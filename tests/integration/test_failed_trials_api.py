"""A job whose trials fail says which failed and why: the planner stores each TrialFailed's reason and
error, ``GET /jobs/{id}`` groups them under ``failures`` and ``GET /jobs/{id}/trials?status=failed``
lists them. The real planner logic and the real API on the real MongoDB-wire store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.planner.api import ApiContext, create_app
from services.planner.planning import Planner
from tests.recording import RecordingProducer
from zygarde import events as ev
from zygarde.bus import BusAdmin, EventProducer
from zygarde.settings import Settings
from zygarde.store import JobRepository, TrialRepository, connect, ensure_indexes

pytestmark = pytest.mark.integration
ADMIN = "admin-token-for-failed-trials"
KNN_ERROR = "ValueError: Expected n_neighbors <= n_samples_fit, but n_neighbors = {n}, n_samples_fit = 303"


@pytest.fixture
def run(test_settings: Settings) -> Iterator[tuple[TestClient, Planner, RecordingProducer]]:
    settings = test_settings.model_copy(update={"api_open_reads": True})
    db = connect(settings.mongo_uri)
    ensure_indexes(db)
    spec = ev.JobSpec.model_validate({
        "name": "fails", "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
        "algorithms": ["noop"], "search": {"strategy": "random", "max_trials": 5, "max_parallel": 5}})
    JobRepository(db).create("j", {"status": "running", "spec": spec.model_dump(mode="json"), "task": "binary",
                                   "algorithms": ["noop"], "greater_is_better": True, "accepted_published": True})
    recorded = RecordingProducer()
    planner = Planner(settings, JobRepository(db), TrialRepository(db), recorded)
    producer = EventProducer(settings.kafka_bootstrap, settings.topic_prefix, service="planner")
    admin = BusAdmin(settings.kafka_bootstrap, settings.topic_prefix)
    try:
        with TestClient(create_app(ApiContext(settings, db, producer, admin, ADMIN,
                                              live=planner.live_summary))) as client:
            yield client, planner, recorded
    finally:
        producer.close()
        db.client.drop_database(db.name)


def _fail(planner: Planner, request: ev.TrialRequested, reason: str, error: str) -> None:
    planner.handle(ev.TrialFailed(job_id="j", trial_id=request.trial_id, worker="w", algorithm=request.algorithm,
                                  params=request.params, reason=reason, error=error, seconds=0.5))


def test_failed_trials_show_their_reason_and_error(run: tuple[TestClient, Planner, RecordingProducer]) -> None:
    client, planner, recorded = run
    planner.fill("j")
    requests = [e for e in recorded.events if isinstance(e, ev.TrialRequested)]
    assert len(requests) == 5
    _fail(planner, requests[0], "error", KNN_ERROR.format(n=2000))
    _fail(planner, requests[1], "error", KNN_ERROR.format(n=2365))  # the same failure, other numbers
    _fail(planner, requests[2], "timeout", "ran past its limit of 5s")
    planner.handle(ev.TrialCompleted(job_id="j", trial_id=requests[3].trial_id, worker="w", algorithm="noop",
                                     params=requests[3].params, metric="roc_auc", fold_scores=[0.5], cv_mean=0.5,
                                     cv_std=0.0, fit_seconds=0.01, cv_seconds=0.01))

    job = client.get("/jobs/j").json()
    assert job["trials"]["failed"] == 3
    assert job["failures"] == [
        {"reason": "error", "error": KNN_ERROR.format(n=2000), "count": 2, "algorithms": ["noop"],
         "trial_ids": [requests[0].trial_id, requests[1].trial_id]},
        {"reason": "timeout", "error": "ran past its limit of 5s", "count": 1, "algorithms": ["noop"],
         "trial_ids": [requests[2].trial_id]}]

    failed = client.get("/jobs/j/trials", params={"status": "failed"}).json()
    assert failed["total"] == 3 and failed["status"] == "failed"
    assert [(t["trial_id"], t["status"], t["reason"], t["error"]) for t in failed["items"]] == [
        (requests[0].trial_id, "failed", "error", KNN_ERROR.format(n=2000)),
        (requests[1].trial_id, "failed", "error", KNN_ERROR.format(n=2365)),
        (requests[2].trial_id, "failed", "timeout", "ran past its limit of 5s")]
    every = client.get("/jobs/j/trials").json()
    assert [t["status"] for t in every["items"]] == ["failed", "failed", "failed", "completed", "requested"]
    assert every["items"][3]["score"] == 0.5 and every["items"][3]["reason"] is None

    page = client.get("/jobs/j/trials", params={"status": "failed", "limit": 2})
    assert [t["index"] for t in page.json()["items"]] == [0, 1]
    assert page.headers["link"] == '</jobs/j/trials?status=failed&limit=2&offset=2>; rel="next"'
    assert client.get("/jobs/j/trials", params={"status": "broken"}).status_code == 422
    assert client.get("/jobs/nope/trials").status_code == 404
    listed = client.get("/jobs").json()
    assert [j["failures"] for j in listed if j["job_id"] == "j"] == [None], "the list reads no trials"


def test_the_openapi_page_types_the_trials_and_failures(run: tuple[TestClient, Planner, RecordingProducer]) -> None:
    client, _, _ = run
    page = client.get("/openapi.json").json()
    ok = page["paths"]["/jobs/{job_id}/trials"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/TrialPage"}
    assert "Link" in ok["headers"]
    status = next(p for p in page["paths"]["/jobs/{job_id}/trials"]["get"]["parameters"] if p["name"] == "status")
    assert "failed" in str(status["schema"])
    schemas: dict[str, Any] = page["components"]["schemas"]
    assert {"reason", "error", "count", "algorithms", "trial_ids"} <= set(schemas["FailureGroup"]["properties"])
    assert "failures" in schemas["JobView"]["properties"]
    assert {"reason", "error", "status", "index"} <= set(schemas["TrialItem"]["properties"])

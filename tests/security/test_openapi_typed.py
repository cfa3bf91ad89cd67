"""The planner's OpenAPI page says what the API does (the job spec as the body of POST /jobs, typed
answers, the bearer scheme, one error shape), and the API does what it says: Location on 202, 409 for
cancelling an ended job, pages on /jobs and the leaderboard. Real MongoDB-wire store and Kafka."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pymongo.database import Database

from services.planner.api import ApiContext, create_app
from zygarde.bus import BusAdmin, EventProducer
from zygarde.settings import Settings
from zygarde.store import connect, ensure_indexes

ADMIN = "admin-token-for-the-typed-api"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def api(test_settings: Settings) -> Iterator[tuple[TestClient, Database[dict]]]:
    settings = test_settings.model_copy(update={"api_open_reads": True})
    db = connect(settings.mongo_uri)
    ensure_indexes(db)
    producer = EventProducer(settings.kafka_bootstrap, settings.topic_prefix, service="planner")
    admin = BusAdmin(settings.kafka_bootstrap, settings.topic_prefix)
    admin.ensure_topics()
    try:
        with TestClient(create_app(ApiContext(settings, db, producer, admin, ADMIN))) as client:
            yield client, db
    finally:
        producer.close()
        db.client.drop_database(db.name)


def test_the_page_types_the_spec_body_the_answers_and_the_token(api: tuple[TestClient, Any]) -> None:
    client, _ = api
    page = client.get("/openapi.json").json()
    submit = page["paths"]["/jobs"]["post"]
    body = submit["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/JobSpec"} and body["examples"]
    spec = page["components"]["schemas"]["JobSpec"]
    assert {"dataset", "metric", "search", "cv"} <= set(spec["properties"]) and spec["required"] == ["dataset"]
    assert page["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "the admin token (every call), or the read token "
        "(reads only)"}
    assert submit["security"] == [{"bearer": []}] and "Location" in submit["responses"]["202"]["headers"]
    assert "409" in page["paths"]["/jobs/{job_id}/cancel"]["post"]["responses"]
    for path in ("/jobs", "/jobs/{job_id}", "/jobs/{job_id}/leaderboard"):
        ok = page["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok != {} and ("$ref" in ok or "$ref" in ok.get("items", {})), (path, ok)
    for path, operations in page["paths"].items():
        for method, op in operations.items():
            assert not any(p["in"] == "header" and p["name"].lower() == "authorization"
                           for p in op.get("parameters", [])), (method, path)
            for status, answer in op["responses"].items():
                if status[0] in "45" and path != "/healthz" and "content" in answer:
                    assert answer["content"] == {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Problem"}}}, (method, path, status)


def test_a_submitted_job_answers_202_with_its_location(api: tuple[TestClient, Any]) -> None:
    client, _ = api
    resp = client.post("/jobs", json={"dataset": {"uri": "builtin:wine", "target": "target"}}, headers=AUTH)
    assert resp.status_code == 202, resp.text
    assert resp.headers["location"] == f"/jobs/{resp.json()['job_id']}"
    assert resp.json()["metric"] == "logloss" and resp.json()["task"] == "multiclass"
    assert client.get(resp.headers["location"]).json()["status"] in ("queued", "running")


def test_every_error_has_one_shape(api: tuple[TestClient, Any]) -> None:
    client, _ = api
    for resp in (client.get("/jobs?limit=0"), client.get("/jobs/nope"),
                 client.post("/jobs", json={"metric": 5}, headers=AUTH), client.post("/jobs/x/cancel")):
        assert resp.status_code in (401, 404, 422), resp.text
        detail = resp.json()["detail"]
        assert detail and all(isinstance(r, str) and r for r in detail), resp.text
    assert "limit" in client.get("/jobs?limit=0").json()["detail"][0]


@pytest.mark.parametrize("status, code", [("completed", 409), ("cancelled", 409), ("rejected", 409),
                                          ("failed", 409), ("running", 202), ("queued", 202)])
def test_cancelling_an_ended_job_is_a_conflict(api: tuple[TestClient, Any], status: str, code: int) -> None:
    client, db = api
    db.jobs.insert_one({"_id": f"job-{status}", "status": status, "spec": {}})
    resp = client.post(f"/jobs/job-{status}/cancel", headers=AUTH)
    assert resp.status_code == code, resp.text
    if code == 409:
        assert resp.json()["detail"] == [f"job job-{status} has already ended ({status})"]


def test_jobs_and_the_leaderboard_come_in_pages(api: tuple[TestClient, Any]) -> None:
    client, db = api
    for i in range(5):
        db.jobs.insert_one({"_id": f"j{i}", "status": "completed", "spec": {}, "created_at": f"2026-01-0{i + 1}",
                            "summary": {"trials": {}, "instance_seconds": 0.0, "best": None}})
    first = client.get("/jobs?limit=2")
    assert [j["job_id"] for j in first.json()] == ["j4", "j3"]
    assert first.headers["link"] == '</jobs?limit=2&offset=2>; rel="next"'
    last = client.get("/jobs?limit=2&offset=4")
    assert [j["job_id"] for j in last.json()] == ["j0"] and "link" not in last.headers
    for i in range(7):
        db.results.insert_one({"_id": f"j0-{i:05d}", "job_id": "j0", "status": "completed", "sort_key": float(i),
                               "algorithm": "knn", "params": {}, "cv_mean": float(i), "cv_std": 0.0,
                               "fit_seconds": 0.1})
    page = client.get("/jobs/j0/leaderboard?limit=3&offset=3")
    board = page.json()
    assert [(i["rank"], i["trial_id"]) for i in board["items"]] == [(4, "j0-00003"), (5, "j0-00002"),
                                                                      (6, "j0-00001")]
    assert board["total"] == 7 and page.headers["link"] == '</jobs/j0/leaderboard?limit=3&offset=6>; rel="next"'
    assert len(client.get("/jobs/j0/leaderboard").json()["items"]) == 7  # no limit: every trial, as before


def test_the_console_pages_are_served_without_a_token_and_the_data_is_not(test_settings: Settings) -> None:
    settings = test_settings.model_copy(update={"read_token": None, "api_open_reads": False})
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "read-token").write_text("read-token-for-the-console")
    db = connect(settings.mongo_uri)
    producer = EventProducer(settings.kafka_bootstrap, settings.topic_prefix, service="planner")
    try:
        admin = BusAdmin(settings.kafka_bootstrap, settings.topic_prefix)
        with TestClient(create_app(ApiContext(settings, db, producer, admin, ADMIN))) as client:
            page = client.get("/ui/")
            assert page.status_code == 200 and "console.js" in page.text
            assert client.get("/ui", follow_redirects=False).headers["location"] == "/ui/"
            script = client.get("/ui/vendor/plotly.min.js")
            assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
            assert len(script.content) > 1_000_000  # the whole library, from the plotly package
            assert client.get("/ui/console.js").status_code == 200
            assert client.get("/jobs").status_code == 401  # the data still needs a token
            assert client.get("/ui/../jobs").status_code in (401, 404)
            assert "/ui/" not in client.get("/openapi.json").json()["paths"]
    finally:
        producer.close()
        db.client.drop_database(db.name)


def test_a_models_evaluations_come_in_pages_and_its_answers_are_typed(api: tuple[TestClient, Any]) -> None:
    client, db = api
    db.registry.insert_one({"_id": "m", "latest_version": 1, "aliases": {"champion": 1}})
    for i in range(5):
        db.model_evaluations.insert_one({"_id": f"e{i}", "name": "m", "evaluated_at": f"2026-01-0{i + 1}",
                                         "score": 0.9 - i / 100})
    page = client.get("/models/m/evaluations?limit=2&offset=2")
    assert [e["evaluation_id"] for e in page.json()["items"]] == ["e2", "e3"] and page.json()["total"] == 5
    assert page.headers["link"] == '</models/m/evaluations?limit=2&offset=4>; rel="next"'
    assert len(client.get("/models/m/evaluations").json()["items"]) == 5  # no limit: all, as before
    schema = client.get("/openapi.json").json()["paths"]
    for path, ref in (("/models", "ModelSummary"), ("/models/{name}", "ModelView"),
                      ("/models/{name}/evaluations", "Evaluations")):
        ok = schema[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ref in json.dumps(ok), (path, ok)

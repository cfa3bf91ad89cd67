"""The planner's real admin API (real MongoDB-wire store and Kafka) with reads closed, as a default
deployment serves it: who may read, who may write, chunked bodies over the bound, and a job document
tampered to point its report at a file outside the report store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.planner.api import MAX_BODY_BYTES, ApiContext, create_app
from zygarde.bus import BusAdmin, EventProducer
from zygarde.settings import Settings
from zygarde.store import connect, ensure_indexes

ADMIN, READER = "admin-token-for-the-edge", "read-token-for-the-edge"


@pytest.fixture
def api(test_settings: Settings) -> Iterator[tuple[TestClient, Settings]]:
    settings = test_settings.model_copy(update={"read_token": None, "api_open_reads": False})
    (settings.home).mkdir(parents=True, exist_ok=True)
    (settings.home / "read-token").write_text(READER)  # as `zygarde up` would have generated it
    db = connect(settings.mongo_uri)
    ensure_indexes(db)
    producer = EventProducer(settings.kafka_bootstrap, settings.topic_prefix, service="planner")
    admin = BusAdmin(settings.kafka_bootstrap, settings.topic_prefix)
    admin.ensure_topics()
    try:
        with TestClient(create_app(ApiContext(settings, db, producer, admin, ADMIN))) as client:
            yield client, settings
    finally:
        producer.close()
        db.client.drop_database(db.name)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_reads_need_a_token_and_writes_the_admin_one(api: tuple[TestClient, Settings]) -> None:
    client, _ = api
    for headers in ({}, {"Authorization": "Bearer "}, auth("not-the-token")):
        assert client.get("/jobs", headers=headers).status_code == 401
        assert client.get("/models", headers=headers).status_code == 401
    assert client.get("/jobs", headers=auth(READER)).json() == []
    assert client.get("/jobs", headers=auth(ADMIN)).json() == []
    assert client.get("/healthz").status_code == 200 and client.get("/metrics").status_code == 200
    assert client.post("/jobs", json={}, headers=auth(READER)).status_code == 401
    assert client.post("/jobs/nope/cancel", headers=auth(READER)).status_code == 401
    assert client.post("/jobs", json={}, headers=auth(ADMIN)).status_code == 422  # in, and judged


def test_a_chunked_body_over_the_bound_is_refused_unread(api: tuple[TestClient, Settings]) -> None:
    client, settings = api

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    resp = client.post("/jobs", content=chunks(), headers={**auth(ADMIN), "Content-Type": "application/json"})
    assert resp.status_code == 413
    assert connect(settings.mongo_uri).jobs.count_documents({}) == 0


def test_a_tampered_report_path_is_never_read(api: tuple[TestClient, Settings], tmp_path: Path) -> None:
    client, settings = api
    db = connect(settings.mongo_uri)
    outside = tmp_path / "planner-secret.txt"
    outside.write_text("not for the API")
    inside = Path(settings.artifact_root) / "job-in" / "report" / "index.html"
    inside.parent.mkdir(parents=True)
    inside.write_text("<html>the report</html>")
    escape = inside.parent / "../../../../planner-secret.txt"
    assert escape.resolve() == outside.resolve()
    for job_id, path in (("job-in", inside), ("job-out", outside), ("job-up", escape),
                         ("job-etc", Path("/etc/passwd"))):
        db.jobs.insert_one({"_id": job_id, "status": "completed", "spec": {}})
        db.models.insert_one({"_id": job_id, "report": {"html": str(path)}})
    assert client.get("/jobs/job-in/report", headers=auth(READER)).text == "<html>the report</html>"
    for job_id in ("job-out", "job-up", "job-etc"):
        resp = client.get(f"/jobs/{job_id}/report", headers=auth(READER))
        assert resp.status_code == 404 and "outside the report store" in resp.json()["detail"][0]
        assert "not for the API" not in resp.text


def test_a_tampered_trial_report_path_is_never_read(api: tuple[TestClient, Settings], tmp_path: Path) -> None:
    client, settings = api
    db = connect(settings.mongo_uri)
    outside = tmp_path / "planner-secret.txt"
    outside.write_text("not for the API")
    inside = Path(settings.artifact_root) / "job-1" / "trials" / "t-in" / "report" / "index.html"
    inside.parent.mkdir(parents=True)
    inside.write_text("<html>the trial report</html>")
    for trial_id, path in (("t-in", str(inside)), ("t-out", str(outside)), ("t-etc", "/etc/passwd"), ("t-none", "")):
        db.trial_reports.insert_one({"_id": trial_id, "job_id": "job-1", "report": {"html": path}})
    assert client.get("/jobs/job-1/trials/t-in/report", headers=auth(READER)).text == "<html>the trial report</html>"
    for trial_id in ("t-out", "t-etc", "t-none"):
        resp = client.get(f"/jobs/job-1/trials/{trial_id}/report", headers=auth(READER))
        assert resp.status_code == 404 and "not for the API" not in resp.text and "root:" not in resp.text

"""A job from the first message to the announced winner, on the real broker and Mongo-wire server."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer

from tests.e2e.conftest import Services
from zygarde import events as ev
from zygarde import topics
from zygarde.bus import EventProducer
from zygarde.localstack import kafka_auth
from zygarde.ml import cv, datasets, metrics
from zygarde.registry import artifacts
from zygarde.settings import Settings

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": "Bearer test-token"}


def small_spec(**search: Any) -> dict[str, Any]:
    return {
        "name": "e2e",
        "dataset": {"uri": "builtin:breast_cancer", "target": "target"},
        "metric": "roc_auc",
        "algorithms": ["logistic_regression", "random_forest", "hist_gradient_boosting"],
        "search": {"strategy": "random", "max_trials": 6, "max_parallel": 3, "seed": 7, **search},
        "cv": {"folds": 3},
    }


def wait_status(svc: Services, job_id: str, final: set[str], timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        resp = httpx.get(f"{svc.url}/jobs/{job_id}", timeout=10)
        if resp.status_code == 200:
            job = resp.json()
            if job["status"] in final:
                return job
        assert all(svc.alive().values()), f"a service died: {svc.alive()} (logs {svc.logs})"
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} still {job.get('status')} after {timeout}s; logs in {svc.logs}")


def read_topic(svc: Services, spec: topics.TopicSpec, until: int = 0, timeout: float = 5) -> list[ev.Event]:
    """Every message on the topic, read as the admin when the broker authenticates (an audit of any topic)."""
    consumer = Consumer({"bootstrap.servers": svc.settings.kafka_bootstrap, "group.id": f"reader-{time.time()}",
                         "auto.offset.reset": "earliest", "enable.partition.eof": False,
                         **kafka_auth.admin_or_nothing(Settings())})
    consumer.subscribe([spec.physical(svc.settings.topic_prefix)])
    out: list[ev.Event] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (until == 0 or len(out) < until):
        msg = consumer.poll(0.3)
        if msg is not None and not msg.error():
            out.append(ev.decode(msg.value()))
    consumer.close()
    return out


def check_completed_job(svc: Services, job_id: str, max_trials: int) -> None:
    job = wait_status(svc, job_id, {"completed", "failed", "cancelled", "rejected"})
    assert job["status"] == "completed", job
    board = httpx.get(f"{svc.url}/jobs/{job_id}/leaderboard").json()
    completed = job["trials"]["completed"]
    assert completed + job["trials"]["failed"] == max_trials
    assert len(board["items"]) == completed and completed > 0
    assert len({i["trial_id"] for i in board["items"]}) == completed
    scores = [i["cv_mean"] for i in board["items"]]
    assert scores == sorted(scores, reverse=True)

    model = httpx.get(f"{svc.url}/jobs/{job_id}/model").json()
    assert model["trial_id"] == board["items"][0]["trial_id"]
    assert job["best"]["score"] == pytest.approx(model["cv_mean"]), "the job's summary names the winner's score"
    assert model["cv_mean"] == pytest.approx(board["items"][0]["cv_mean"])
    selected = [e for e in read_topic(svc, topics.MODELS) if e.job_id == job_id]
    assert all(isinstance(e, ev.ModelSelected) for e in selected)
    final = [e for e in selected if isinstance(e, ev.ModelSelected) and e.final]
    assert len(final) == 1 and final[0].trial_id == model["trial_id"] and final[0] is selected[-1]
    provisional = [e.cv_mean for e in selected if isinstance(e, ev.ModelSelected) and not e.final]
    greater = board["greater_is_better"]
    assert provisional and provisional == sorted(provisional, reverse=not greater)  # each one an improvement
    assert provisional[-1] == pytest.approx(final[0].cv_mean)

    pipeline = artifacts.load(svc.settings.artifact_root, model["artifact_uri"], model["sha256"])
    spec = ev.JobSpec.model_validate(job["spec"])
    frame = datasets.load_frame(spec.dataset.uri, svc.settings.data_root_paths, svc.settings.dataset_cache)
    _, holdout = cv.split_holdout(frame, spec.dataset, "binary", spec.search.seed)
    features = holdout.drop(columns=[spec.dataset.target])
    assert len(pipeline.predict(features)) == len(holdout)
    score = metrics.score(metrics.get("roc_auc"), pipeline, features, holdout[spec.dataset.target])
    assert score == pytest.approx(model["holdout_score"])
    check_report(svc, job_id, model, pipeline, features, holdout[spec.dataset.target])


def check_report(svc: Services, job_id: str, model: dict[str, Any], pipeline: Any, features: Any, y: Any) -> None:
    """The winner's report renders, and its numbers are sklearn's on the holdout predictions."""
    import json
    from pathlib import Path

    import matplotlib.image
    from sklearn import metrics as skm

    page = httpx.get(f"{svc.url}/jobs/{job_id}/report")
    assert page.status_code == 200
    for section in ("model-card", "diagnostics", "plots"):
        assert f"id='{section}'" in page.text
    report = json.loads(Path(model["report"]["json"]).read_text())
    score = pipeline.predict_proba(features)[:, 1]
    diag = report["diagnostics"]
    assert diag["roc_auc"] == pytest.approx(skm.roc_auc_score(y, score))
    assert diag["pr_auc"] == pytest.approx(skm.average_precision_score(y, score))
    assert diag["brier"] == pytest.approx(skm.brier_score_loss(y, score))
    assert diag["confusion_default"] == skm.confusion_matrix(y, score >= 0.5).tolist()
    assert report["model_card"]["artifact_sha256"] == model["sha256"]
    for name in ("roc", "pr", "calibration"):
        assert matplotlib.image.imread(model["report"][name]).shape[0] > 100


def test_jobs_by_kafka_and_by_http_both_complete(services: Services) -> None:
    s = services.settings
    producer = EventProducer(s.kafka_bootstrap, s.topic_prefix)
    by_kafka = ev.JobSubmitted(job_id=ev.new_id(), spec=small_spec())
    producer.publish(by_kafka)
    producer.flush()
    resp = httpx.post(f"{services.url}/jobs", json=small_spec(max_trials=5, seed=3), headers=AUTH)
    assert resp.status_code == 202, resp.text
    by_http = resp.json()["job_id"]

    check_completed_job(services, by_kafka.job_id, 6)
    check_completed_job(services, by_http, 5)


def test_bad_spec_rejected_the_same_way_by_http_and_kafka(services: Services) -> None:
    bad = {"dataset": {"uri": "file:///etc/passwd", "target": ""}, "metric": "rmse",
           "algorithms": ["no_such_algorithm"], "search": {"max_trials": 0}}
    resp = httpx.post(f"{services.url}/jobs", json=bad, headers=AUTH)
    assert resp.status_code == 422
    reasons = resp.json()["detail"]
    assert len(reasons) >= 4, reasons
    assert httpx.post(f"{services.url}/jobs", json=small_spec()).status_code == 401

    s = services.settings
    producer = EventProducer(s.kafka_bootstrap, s.topic_prefix)
    submitted = ev.JobSubmitted(job_id=ev.new_id(), spec=bad)
    producer.publish(submitted)
    producer.flush()
    job = wait_status(services, submitted.job_id, {"rejected"}, timeout=60)
    assert job["reasons"] == reasons
    rejected = [e for e in read_topic(services, topics.JOB_EVENTS) if e.job_id == submitted.job_id]
    assert [type(e) for e in rejected] == [ev.JobRejected]
    assert rejected[0].reasons == reasons  # type: ignore[attr-defined]

    good = httpx.post(f"{services.url}/jobs", json=small_spec(max_trials=3), headers=AUTH).json()["job_id"]
    check_completed_job(services, good, 3)
    assert all(services.alive().values())


def test_replayed_results_change_nothing(services: Services) -> None:
    job_id = httpx.post(f"{services.url}/jobs", json=small_spec(max_trials=4), headers=AUTH).json()["job_id"]
    wait_status(services, job_id, {"completed"})
    board = httpx.get(f"{services.url}/jobs/{job_id}/leaderboard").json()
    model = httpx.get(f"{services.url}/jobs/{job_id}/model").json()

    s = services.settings
    results = [e for e in read_topic(services, topics.RESULTS) if e.job_id == job_id]
    models_before = [e for e in read_topic(services, topics.MODELS) if e.job_id == job_id]
    replay = [e for e in results if isinstance(e, ev.TrialCompleted)]
    assert replay
    producer = EventProducer(s.kafka_bootstrap, s.topic_prefix, service="trainer")  # results: a trainer's to write
    for event in replay:
        producer.publish(event)
        producer.publish(event.model_copy(update={"event_id": ev.new_id(), "cv_mean": 0.0}))
    producer.flush()
    time.sleep(3)
    assert httpx.get(f"{services.url}/jobs/{job_id}/leaderboard").json() == board
    assert httpx.get(f"{services.url}/jobs/{job_id}/model").json() == model
    announced = [e for e in read_topic(services, topics.MODELS) if e.job_id == job_id]
    assert len([e for e in announced if isinstance(e, ev.ModelSelected) and e.final]) == 1
    assert len(announced) == len(models_before)  # no new provisional winner either

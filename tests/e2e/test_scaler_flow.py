"""Autoscaling on the real stack with the local backend: from zero, out to the max, back to zero."""

from __future__ import annotations

import time

import httpx
import psutil
import pytest

from services.scaler.backends.local import LocalBackend
from tests.e2e.conftest import Services, free_port
from tests.e2e.test_job_flow import read_topic, wait_status
from tests.e2e.test_planner_flow import burn_spec, post
from zygarde import events as ev
from zygarde import topics
from zygarde.store import connect

pytestmark = pytest.mark.e2e


def test_scale_out_from_zero_and_back_to_zero(services: Services) -> None:
    assert services.stop("trainer-1") == 0 and services.stop("trainer-2") == 0
    services.start("scaler", "scaler", ZYGARDE_SCALER_METRICS_PORT=str(free_port()), ZYGARDE_SCALER_MAX_REPLICAS="2",
                   ZYGARDE_SCALER_INTERVAL_S="1", ZYGARDE_SCALER_COOLDOWN_S="5",
                   ZYGARDE_SCALER_STABILIZATION_WINDOW_S="3", ZYGARDE_SCALER_LAG_THRESHOLD="2")
    scaler = psutil.Process(services.procs["scaler"].pid)
    time.sleep(3)
    assert scaler.children() == [], "the scaler starts with no trainer"
    job_id = post(services, burn_spec(0.2, max_trials=30, max_parallel=8))
    seen_max = 0
    deadline = time.monotonic() + 180
    while httpx.get(f"{services.url}/jobs/{job_id}").json()["status"] != "completed":
        seen_max = max(seen_max, len(scaler.children()))
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert seen_max == 2
    db = connect(services.settings.mongo_uri)
    assert db.results.count_documents({"job_id": job_id}) == 30
    assert db.results.count_documents({"job_id": job_id, "status": "completed"}) == 30
    deadline = time.monotonic() + 60
    while scaler.children() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert scaler.children() == [], "back to zero trainers after the cooldown"
    story = [e for e in read_topic(services, topics.SCALING) if isinstance(e, ev.ScalingDecided)]
    assert [(e.from_replicas, e.to_replicas) for e in story][0][0] == 0
    assert max(e.to_replicas for e in story) == 2 and story[-1].to_replicas == 0
    assert all(e.reason for e in story)


def test_scale_in_while_trials_run_loses_and_duplicates_nothing(services: Services) -> None:
    services.stop("trainer-1")
    services.stop("trainer-2")
    backend = LocalBackend(env={**services.env, "ZYGARDE_LOG_JSON": "true"}, drain_timeout_s=30,
                           base_port=free_port())
    try:
        backend.scale_to(3)
        job_id = post(services, burn_spec(0.5, max_trials=12, max_parallel=6))
        db = connect(services.settings.mongo_uri)
        deadline = time.monotonic() + 60
        while db.trials.count_documents({"job_id": job_id, "status": "running"}) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        backend.scale_to(1)  # SIGTERM to the two newest while they train
        assert backend.current() == 1
        job = wait_status(services, job_id, {"completed", "failed"}, timeout=180)
        assert job["status"] == "completed"
        assert db.results.count_documents({"job_id": job_id}) == 12
        completed = [e for e in read_topic(services, topics.RESULTS)
                     if isinstance(e, ev.TrialCompleted) and e.job_id == job_id]
        assert len({e.trial_id for e in completed}) == 12
    finally:
        backend.close()

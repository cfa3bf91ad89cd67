"""Pause and resume on the real stack: a paused job asks for no trial, a planner restarted meanwhile keeps it
paused, and resume finishes the same search (max_trials trials, indices in one sequence)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest

from tests.e2e.conftest import Services
from tests.e2e.test_job_flow import AUTH, wait_status
from tests.e2e.test_planner_flow import burn_spec, post
from zygarde.store import connect

pytestmark = pytest.mark.e2e

MAX_TRIALS = 8


def test_pause_survives_a_planner_restart_and_resume_finishes_the_same_search(services: Services) -> None:
    db = connect(services.settings.mongo_uri)
    job_id = post(services, burn_spec(0.5, max_trials=MAX_TRIALS, max_parallel=2, time_budget_s=600))
    deadline = time.monotonic() + 120
    while httpx.get(f"{services.url}/jobs/{job_id}").json()["trials"]["completed"] < 2:
        assert time.monotonic() < deadline, "two trials never completed"
        time.sleep(0.3)
    assert httpx.post(f"{services.url}/jobs/{job_id}/resume", headers=AUTH).status_code == 409  # running
    assert httpx.post(f"{services.url}/jobs/{job_id}/pause").status_code == 401
    assert httpx.post(f"{services.url}/jobs/{job_id}/pause", headers=AUTH).status_code == 202
    assert httpx.post(f"{services.url}/jobs/nope/pause", headers=AUTH).status_code == 404
    job = wait_status(services, job_id, {"paused"}, timeout=30)

    # the trials open when it paused run to their end; then the count is what it will stay until resumed
    deadline = time.monotonic() + 120
    while any(t["status"] not in ("completed", "failed") for t in db.trials.find({"job_id": job_id})):
        assert time.monotonic() < deadline, "the paused job's open trials never finished"
        time.sleep(0.3)
    before = sorted(t["index"] for t in db.trials.find({"job_id": job_id}))
    assert before == list(range(len(before))) and len(before) < MAX_TRIALS, before
    assert httpx.post(f"{services.url}/jobs/{job_id}/pause", headers=AUTH).status_code == 409  # paused

    # a planner started while the job is paused keeps it paused
    services.stop("planner")  # a clean stop (SIGTERM), as an orchestrator would
    services.start("planner", "planner")
    services.wait_healthy()
    job = httpx.get(f"{services.url}/jobs/{job_id}").json()
    assert job["status"] == "paused", job
    seconds_used = job["budget"]["seconds_used"]
    time.sleep(1.0)  # the pause lasts: its seconds are not the job's
    assert httpx.get(f"{services.url}/jobs/{job_id}").json()["budget"]["seconds_used"] == seconds_used

    resumed = datetime.now(UTC)
    assert httpx.post(f"{services.url}/jobs/{job_id}/resume", headers=AUTH).status_code == 202
    job = wait_status(services, job_id, {"completed", "failed", "cancelled"}, timeout=240)
    assert job["status"] == "completed" and job["ended_reason"] == "max_trials", job
    trials = sorted(db.trials.find({"job_id": job_id}), key=lambda t: t["index"])
    assert [t["index"] for t in trials] == list(range(MAX_TRIALS))
    assert [t["_id"] for t in trials] == [f"{job_id}-{i:05d}" for i in range(MAX_TRIALS)]
    # nothing was asked for while paused: every trial after the pause's was requested after the resume
    late = [t["index"] for t in trials[len(before):] if t["requested_at"] < resumed]
    assert late == [], f"trials {late} were requested while the job was paused"
    assert job["trials"]["completed"] + job["trials"]["failed"] == MAX_TRIALS

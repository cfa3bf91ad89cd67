"""Strategies, budgets, cancel, sharing and crash safety, on the real stack with services as processes."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Services
from tests.e2e.test_job_flow import AUTH, check_completed_job, small_spec, wait_status
from zygarde.ml import algorithms
from zygarde.store import connect

pytestmark = pytest.mark.e2e


def burn_spec(seconds: float, **search: Any) -> dict[str, Any]:
    """Trials of known cost: ``burn`` spins ``seconds`` per fold, three folds per trial."""
    return {
        "name": "burn", "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
        "algorithms": [{"name": "burn", "space": {"seconds": {"float": [seconds, seconds]}}}],
        "search": {"strategy": "random", "max_trials": 40, "max_parallel": 2, "seed": 1, **search},
        "cv": {"folds": 3},
    }


def post(svc: Services, spec: dict[str, Any]) -> str:
    resp = httpx.post(f"{svc.url}/jobs", json=spec, headers=AUTH)
    assert resp.status_code == 202, resp.text
    return str(resp.json()["job_id"])


@pytest.mark.parametrize("strategy", ["tpe", "asha"])
def test_tpe_and_asha_jobs_complete(services: Services, strategy: str) -> None:
    spec = small_spec(strategy=strategy, max_trials=8, max_parallel=2)
    job_id = post(services, spec)
    check_completed_job(services, job_id, 8)
    # each algorithm's own defaults are tried first, in the job's order (search.defaults_first)
    db = connect(services.settings.mongo_uri)
    first = [(t["algorithm"], t["params"]) for t in db.trials.find({"job_id": job_id, "index": {"$lt": 3}})]
    expected = [(name, algorithms.default_params(name, algorithms.space_for(name), "binary"))
                for name in spec["algorithms"]]
    assert sorted(first, key=lambda t: spec["algorithms"].index(t[0])) == expected
    # a pruned trial stops at the rung it was judged at (fold 1), not one fold later
    pruned = [t for t in db.trials.find({"job_id": job_id}) if t.get("reason") == "pruned"]
    assert all([r["fold"] for r in t.get("reports", [])] == [1] for t in pruned), pruned


def test_time_budget_holds(services: Services) -> None:
    job_id = post(services, burn_spec(1.0, time_budget_s=20, max_trials=100))
    job = wait_status(services, job_id, {"completed", "failed"}, timeout=90)
    assert job["status"] == "completed"
    assert job["ended_reason"] == "time_budget"
    db = connect(services.settings.mongo_uri)
    doc = db.jobs.find_one({"_id": job_id})
    assert doc is not None
    last_trial = max(t["finished_at"] for t in db.trials.find({"job_id": job_id}))
    search_time = (last_trial - doc["started_at"]).total_seconds()
    # 20 s of budget, at most one more fold (1 s) for running trials, and the stop's round trip
    assert search_time <= 20 + 1 + 0.5, search_time
    # then the winner's refit (one 1 s fold), its report and the registry: bounded too
    assert (doc["finished_at"] - doc["started_at"]).total_seconds() <= 20 + 1 + 15
    assert job["trials"]["completed"] < 100


def test_cancel_mid_job_stops_within_one_fold(services: Services) -> None:
    job_id = post(services, burn_spec(1.0, max_trials=30))
    deadline = time.monotonic() + 120  # trainers that just started may still be importing on a busy machine
    while httpx.get(f"{services.url}/jobs/{job_id}").json()["trials"]["completed"] < 2:
        assert time.monotonic() < deadline, "two trials never completed"
        time.sleep(0.3)
    assert httpx.post(f"{services.url}/jobs/{job_id}/cancel").status_code == 401
    asked = time.monotonic()
    assert httpx.post(f"{services.url}/jobs/{job_id}/cancel", headers=AUTH).status_code == 202
    job = wait_status(services, job_id, {"cancelled"}, timeout=30)
    assert job["status"] == "cancelled"
    board = httpx.get(f"{services.url}/jobs/{job_id}/leaderboard").json()
    assert len(board["items"]) >= 2, "the leaderboard is kept"
    # running trials stop at their next fold: no trainer is busy with this job a fold later
    time.sleep(max(0.0, 1.5 - (time.monotonic() - asked)))
    db = connect(services.settings.mongo_uri)
    running = db.trials.count_documents({"job_id": job_id, "status": {"$in": ["requested", "running"]}})
    assert running == 0
    assert httpx.get(f"{services.url}/jobs/{job_id}/model").status_code == 404


def test_two_concurrent_jobs_both_progress_from_the_start(services: Services) -> None:
    big = post(services, burn_spec(0.5, max_trials=30))
    time.sleep(1)
    small = post(services, burn_spec(0.5, max_trials=4, seed=2))
    job = wait_status(services, small, {"completed"}, timeout=90)
    assert job["status"] == "completed"
    big_now = httpx.get(f"{services.url}/jobs/{big}").json()
    assert big_now["status"] == "running", "the small job finished while the big one was still running"
    httpx.post(f"{services.url}/jobs/{big}/cancel", headers=AUTH)


def test_kill9_trainer_mid_trial_reruns_it_once(services: Services) -> None:
    job_id = post(services, burn_spec(1.5, max_trials=6))
    db = connect(services.settings.mongo_uri)
    deadline = time.monotonic() + 60
    while not db.trials.find_one({"job_id": job_id, "status": "running", "worker": "trainer-1"}):
        assert time.monotonic() < deadline, "trainer-1 never started a trial"
        time.sleep(0.1)
    services.kill9("trainer-1")
    services.start_trainer("trainer-3")
    job = wait_status(services, job_id, {"completed", "failed"}, timeout=120)
    assert job["status"] == "completed"
    assert job["trials"]["completed"] == 6 and job["trials"]["failed"] == 0
    assert db.results.count_documents({"job_id": job_id}) == 6


def test_kill9_planner_mid_job_completes_with_exactly_max_trials(services: Services) -> None:
    job_id = post(services, burn_spec(0.3, max_trials=12, max_parallel=3))
    db = connect(services.settings.mongo_uri)
    deadline = time.monotonic() + 60
    while db.trials.count_documents({"job_id": job_id, "status": "completed"}) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    services.kill9("planner")
    services.start("planner", "planner")
    services.wait_healthy()
    job = wait_status(services, job_id, {"completed", "failed"}, timeout=120)
    assert job["status"] == "completed"
    trials = list(db.trials.find({"job_id": job_id}))
    assert len(trials) == 12 and len({t["index"] for t in trials}) == 12
    assert db.results.count_documents({"job_id": job_id}) == 12


def test_patience_and_cost_budget_end_the_search(services: Services) -> None:
    # burn predicts the prior: every trial scores the same, so none improves on the first
    patient = post(services, burn_spec(0.1, max_trials=40, max_parallel=4, patience=3))
    # three folds of 0.4 s: about 1.2 instance-seconds per trial, so a 5 s budget buys four or five
    costly = post(services, burn_spec(0.4, max_trials=40, max_parallel=4, cost_budget=5, seed=3))
    for job_id, reason in ((patient, "patience"), (costly, "cost_budget")):
        job = wait_status(services, job_id, {"completed", "failed"}, timeout=120)
        assert job["status"] == "completed", job
        assert job["ended_reason"] == reason
        done = job["trials"]["completed"] + job["trials"]["failed"]
        # the budget ended the search early: never more than the budget plus the trials in flight
        assert 2 <= done <= 10, job["trials"]
        budget = job["budget"]
        assert budget["trials_used"] == done
        assert budget["instance_seconds_used"] > 0
    cost = httpx.get(f"{services.url}/jobs/{costly}").json()["budget"]
    # no new trial after the budget was spent: at most the two in flight (its fair share) ran past it
    assert 5 <= cost["instance_seconds_used"] <= 5 + 2 * 1.6, cost


def test_results_are_stored_while_another_job_is_being_finished(services: Services) -> None:
    """The selector refits a finished job's winner off the thread that stores results: a job running
    beside it keeps getting its results stored during that refit (3 s of ``burn`` here)."""
    steady = post(services, {**burn_spec(0.1, max_trials=100, max_parallel=1), "cv": {"folds": 2}})
    slow = post(services, {**burn_spec(3.0, max_trials=1, max_parallel=1), "cv": {"folds": 2}})
    wait_status(services, slow, {"completed"}, timeout=120)
    db = connect(services.settings.mongo_uri)
    finished_at = db.jobs.find_one({"_id": slow})["finished_at"]
    (last,) = db.results.find({"job_id": slow})
    assert (finished_at - last["stored_at"]).total_seconds() >= 2.5, "the winner's refit burns 3 s"
    during = db.results.count_documents({"job_id": steady, "stored_at": {"$gt": last["stored_at"],
                                                                          "$lt": finished_at}})
    assert wait_status(services, steady, {"completed"}, timeout=180)["status"] == "completed"
    assert during >= 3, f"{during} results of the running job stored during the other job's refit"

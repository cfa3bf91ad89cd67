"""Load: 20 concurrent jobs of 25 quick trials each; nothing lost, memory of every service flat."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest

from tests.e2e.conftest import Services
from tests.e2e.test_job_flow import wait_status
from tests.e2e.test_planner_flow import post
from zygarde.store import connect

pytestmark = pytest.mark.e2e
JOBS, TRIALS = 20, 25
# What a service may gain between the warm-up job and the end of the load, beyond its warm size:
# allocator and import noise, not a leak per job or per trial (a leak would scale with 500 trials).
GROWTH_MB = 60


def quick_spec(i: int) -> dict:
    return {"name": f"load-{i % 4}", "dataset": {"uri": "builtin:breast_cancer", "target": "target"},
            "metric": "roc_auc", "algorithms": ["noop"],
            "search": {"strategy": "random", "max_trials": TRIALS, "max_parallel": 2, "seed": i},
            "cv": {"folds": 2}}


def rss_mb(services: Services) -> dict[str, float]:
    return {name: psutil.Process(proc.pid).memory_info().rss / 2**20 for name, proc in services.procs.items()}


def test_twenty_concurrent_jobs_lose_nothing_and_memory_stays_flat(services: Services) -> None:
    # the selector without the top-N comparison: 20 winners' reports are enough work for this test
    services.stop("selector")
    services.start("selector", "selector", ZYGARDE_REGISTRY_COMPARE_TOP="0")
    warm = post(services, quick_spec(99))
    assert wait_status(services, warm, {"completed"}, timeout=180)["status"] == "completed"
    before = rss_mb(services)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        job_ids = list(pool.map(lambda i: post(services, quick_spec(i)), range(JOBS)))
    peak = dict(before)
    pending = set(job_ids)
    deadline = time.monotonic() + 600
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            status = httpx.get(f"{services.url}/jobs/{job_id}", timeout=30).json()["status"]
            assert status in ("running", "queued", "completed"), (job_id, status)
            if status == "completed":
                pending.discard(job_id)
        peak = {n: max(peak.get(n, 0.0), mb) for n, mb in rss_mb(services).items()}
        time.sleep(1)
    assert not pending, f"{len(pending)} jobs still running after 600 s; logs in {services.logs}"
    elapsed = time.monotonic() - started
    after = rss_mb(services)
    db = connect(services.settings.mongo_uri)
    for job_id in job_ids:
        results = list(db.results.find({"job_id": job_id}, {"status": 1}))
        assert len(results) == TRIALS, (job_id, len(results))
        assert all(r["status"] == "completed" for r in results)
        assert db.trials.count_documents({"job_id": job_id}) == TRIALS
        assert db.models.count_documents({"_id": job_id}) == 1
    growth = {n: round(peak[n] - before[n], 1) for n in before}
    print(f"{JOBS} jobs x {TRIALS} trials in {elapsed:.0f} s; RSS MB before {before}, after {after}, "
          f"peak growth {growth}")
    assert all(g <= GROWTH_MB for g in growth.values()), f"memory grew under load (MB): {growth}"
    assert all(services.alive().values())

"""The faust engine of the selector: a selector killed -9 mid-job and started again counts every trial once."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer

from services.selector.stream import app_id
from tests.e2e.conftest import Services
from tests.e2e.test_job_flow import read_topic, wait_status
from tests.e2e.test_planner_flow import burn_spec, post
from zygarde import events as ev
from zygarde import topics
from zygarde.localstack import kafka_auth
from zygarde.settings import Settings
from zygarde.store import connect

pytestmark = pytest.mark.e2e
TRIALS = 12
FAUST = {"ZYGARDE_SELECTOR_ENGINE": "faust"}


def table_entries(services: Services, table: str, timeout: float = 8) -> dict[str, Any]:
    """The latest value of every key in a faust table's changelog topic (what a restart recovers from)."""
    topic = f"{app_id(services.settings.topic_prefix)}-{table}-changelog"
    consumer = Consumer({"bootstrap.servers": services.settings.kafka_bootstrap, "group.id": f"reader-{time.time()}",
                         "auto.offset.reset": "earliest", "enable.partition.eof": False,
                         **kafka_auth.admin_or_nothing(Settings())})
    consumer.subscribe([topic])
    entries: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = consumer.poll(0.3)
        if msg is not None and not msg.error():
            entries[json.loads(msg.key() or b"null")] = json.loads(msg.value()) if msg.value() is not None else None
    consumer.close()
    return entries


def test_faust_selector_killed_mid_job_counts_every_trial_once(services: Services) -> None:
    services.kill9("selector")
    services.start("selector", "selector", **FAUST)
    job_id = post(services, burn_spec(0.3, max_trials=TRIALS, max_parallel=4))
    db = connect(services.settings.mongo_uri)
    deadline = time.monotonic() + 60
    while db.results.count_documents({"job_id": job_id}) < 4:
        assert time.monotonic() < deadline, f"the faust selector stored nothing; logs in {services.logs}"
        time.sleep(0.1)
    services.kill9("selector")
    services.start("selector", "selector", **FAUST)

    job = wait_status(services, job_id, {"completed", "failed", "cancelled"}, timeout=90)
    assert job["status"] == "completed", f"{job}; logs in {services.logs}"
    assert job["trials"]["completed"] == TRIALS
    assert db.results.count_documents({"job_id": job_id}) == TRIALS
    board = httpx.get(f"{services.url}/jobs/{job_id}/leaderboard").json()["items"]
    trial_ids = {t["_id"] for t in db.trials.find({"job_id": job_id})}
    assert len(board) == TRIALS and {i["trial_id"] for i in board} == trial_ids
    model = httpx.get(f"{services.url}/jobs/{job_id}/model").json()
    final = [e for e in read_topic(services, topics.MODELS, timeout=8)
             if isinstance(e, ev.ModelSelected) and e.job_id == job_id and e.final]
    assert len({e.event_id for e in final}) == 1, "exactly one final ModelSelected (by event id)"
    assert final[0].trial_id == model["trial_id"]

    # the streaming state survived the kill through its changelogs: each trial counted once
    jobs = table_entries(services, "jobs")
    tally = jobs[job_id]
    assert tally["counts"] == {"completed": TRIALS}
    assert tally["best"]["cv_mean"] == pytest.approx(board[0]["cv_mean"])
    assert tally["trials"] == dict.fromkeys(trial_ids, "completed")
    assert len(tally["top"]) == 5 and {row[1] for row in tally["top"]} <= trial_ids
    assert "job table" in (services.logs / "selector.log").read_text()

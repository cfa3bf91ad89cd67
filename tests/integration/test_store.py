"""Repositories against the real MongoDB-wire server, and durability across kill -9."""

from __future__ import annotations

import pytest

from zygarde.localstack import components, process
from zygarde.settings import Settings
from zygarde.store import JobRepository, ResultRepository, TrialRepository, connect, ensure_indexes

pytestmark = pytest.mark.integration


def test_repositories_are_idempotent(test_settings: Settings) -> None:
    db = connect(test_settings.mongo_uri)
    ensure_indexes(db)
    jobs, trials, results = JobRepository(db), TrialRepository(db), ResultRepository(db)
    assert jobs.create("j1", {"status": "running", "name": "x"})
    assert not jobs.create("j1", {"status": "running", "name": "again"})
    assert jobs.get("j1")["name"] == "x"

    assert trials.add("j1-t0", "j1", 0, "rf", {"a": 1})
    assert not trials.add("j1-t0", "j1", 0, "rf", {"a": 1})
    assert trials.finish("j1-t0", "completed") is not None
    assert trials.finish("j1-t0", "failed") is None, "a closed trial never changes again"
    assert trials.counts("j1")["completed"] == 1

    for tid, score in [("a", 0.7), ("b", 0.9), ("c", 0.8)]:
        assert results.add(tid, {"job_id": "j1", "status": "completed", "cv_mean": score, "sort_key": score})
    assert not results.add("b", {"job_id": "j1", "status": "completed", "cv_mean": 0.1, "sort_key": 0.1})
    assert [r["_id"] for r in results.leaderboard("j1")] == ["b", "c", "a"]

    assert jobs.mark_finished("j1", "completed", "max_trials")
    assert not jobs.mark_finished("j1", "failed", "again")
    db.client.drop_database(db.name)


def test_document_survives_kill9_of_the_server(test_settings: Settings) -> None:
    base = Settings()
    mongo = components.MongoComponent(base)
    if mongo.running_pid() is None:
        pytest.fail("the MongoDB-wire server under test is not ours to kill (started elsewhere)")
    db = connect(test_settings.mongo_uri)
    db.durable.insert_one({"_id": "keep-me", "value": 42})
    process.kill9(mongo.files)
    assert not mongo.ready()
    assert mongo.up() == "started"
    db2 = connect(test_settings.mongo_uri)
    assert db2.durable.find_one({"_id": "keep-me"}) == {"_id": "keep-me", "value": 42}
    db2.client.drop_database(db2.name)

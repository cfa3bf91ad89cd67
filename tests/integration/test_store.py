"""Repositories against the real MongoDB-wire server, and durability across kill -9."""

from __future__ import annotations

import sqlite3
import time

import pytest

from zygarde.localstack import components, process
from zygarde.settings import Settings
from zygarde.store import JobRepository, ResultRepository, TrialRepository, connect, ensure_indexes
from zygarde.store.trials import FINISHED

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


def test_trial_lifecycle_conditions_hold(test_settings: Settings) -> None:
    """The planner's trial updates filter by _id alone and check their conditions on the document."""
    db = connect(test_settings.mongo_uri)
    ensure_indexes(db)
    trials = TrialRepository(db)
    assert trials.add("j2-t0", "j2", 0, "rf", {})
    assert not trials.mark_running("j2-t0", 2, "w1"), "another attempt's heartbeat is refused"
    assert trials.mark_running("j2-t0", 1, "w1")
    assert db.trials.find_one({"_id": "j2-t0"})["status"] == "running"
    assert not trials.requeue("j2-t0", 3), "requeue needs the attempt before it"
    assert trials.requeue("j2-t0", 2)
    doc = db.trials.find_one({"_id": "j2-t0"})
    assert (doc["status"], doc["attempt"], doc["published"]) == ("requested", 2, False)
    assert not trials.mark_running("j2-t0", 1, "w1"), "the lost attempt's late heartbeat is refused"
    assert trials.record_report("j2-t0", 1, 0.1, "pruned")  # a fold judged and pruned
    assert trials.stop_reason("j2-t0") == "pruned"
    closed = trials.finish("j2-t0", "failed", reason="pruned")
    assert closed is not None and closed["index"] == 0 and closed["status"] == "failed"
    assert not trials.mark_running("j2-t0", 2, "w1"), "a closed trial never runs again"
    assert trials.stop_reason("j2-t0") == "pruned", "an explicit stop says why"
    assert trials.add("j2-t1", "j2", 1, "rf", {})
    assert trials.stop_reason("j2-t1") is None
    assert trials.finish("j2-t1", "completed", score=0.5) is not None
    assert trials.stop_reason("j2-t1") == FINISHED, "a re-delivered request of a finished trial is not run"
    assert trials.finish("j2-t0", "completed", score=1.0) is None
    assert trials.finish("missing", "completed") is None
    doc = db.trials.find_one({"_id": "j2-t0"})
    assert (doc["status"], doc.get("score")) == ("failed", None)
    db.client.drop_database(db.name)


def test_a_fold_report_and_its_verdict_are_one_write(test_settings: Settings) -> None:
    db = connect(test_settings.mongo_uri)
    ensure_indexes(db)
    trials = TrialRepository(db)
    assert trials.add("j3-t0", "j3", 0, "rf", {})
    assert trials.verdict("j3-t0", 1) == (False, None), "not judged yet"
    assert trials.record_report("j3-t0", 1, 0.5)
    assert trials.verdict("j3-t0", 1) == (True, None), "judged: go on"
    assert trials.record_report("j3-t0", 2, 0.4, "pruned")
    assert trials.verdict("j3-t0", 2) == (True, "pruned")
    assert trials.record_report("j3-t0", 2, 0.4, "pruned"), "a re-delivered report changes nothing"
    assert [r["fold"] for r in db.trials.find_one({"_id": "j3-t0"})["reports"]] == [1, 2]
    assert not trials.record_report("missing", 1, 0.1)
    assert trials.verdict("missing", 1) == (False, None)
    db.client.drop_database(db.name)


def test_lookups_by_id_use_an_index_on_the_local_server(test_settings: Settings) -> None:
    """FerretDB's SQLite backend filters by ``_ferretdb_sjson->'$._id'`` but indexes ``->"_id"``: without
    the index our server adds (deploy/local/mongowire/idindex.go) every lookup by _id scans the table."""
    base = Settings()
    if components.MongoComponent(base).running_pid() is None:
        pytest.fail("the MongoDB-wire server under test is not the local stack's (its files are not ours to read)")
    db = connect(test_settings.mongo_uri)
    db.probe.insert_many([{"_id": f"doc-{i}", "n": i} for i in range(50)])
    plan = ""
    deadline = time.monotonic() + 10
    while "USING INDEX" not in plan and time.monotonic() < deadline:
        time.sleep(0.2)
        files = sqlite3.connect(f"file:{base.home / 'mongo' / db.name}.sqlite?mode=ro", uri=True)
        try:
            (table,) = files.execute("SELECT table_name FROM _ferretdb_collections WHERE name = 'probe'").fetchone()
            plan = str(files.execute(
                f"EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM \"{table}\" WHERE _ferretdb_sjson->'$._id' = ?",
                ('"doc-7"',)).fetchall())
        finally:
            files.close()
    assert "USING INDEX" in plan, plan
    assert list(db.probe.index_information()) == ["_id_"]  # FerretDB's own list is unchanged
    assert db.probe.find_one({"_id": "doc-7"}) == {"_id": "doc-7", "n": 7}
    assert db.probe.update_one({"_id": "doc-8"}, {"$set": {"n": 80}}).modified_count == 1
    assert db.probe.delete_one({"_id": "doc-9"}).deleted_count == 1
    assert db.probe.count_documents({}) == 49 and db.probe.find_one({"_id": "doc-8"})["n"] == 80
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


def test_trainers_record_their_partitions_through_rebalances(test_settings: Settings) -> None:
    """Two consumers of ``trials`` in one group report what they own after each (cooperative)
    rebalance; the planner reads a disjoint cover of every partition, newest claim first."""
    import threading
    import time

    from confluent_kafka import TopicPartition

    from zygarde import topics
    from zygarde.bus import BusAdmin, EventConsumer, EventProducer
    from zygarde.store import WorkerRepository

    s = test_settings
    BusAdmin(s.kafka_bootstrap, s.topic_prefix).ensure_topics([topics.TRIALS])
    workers = WorkerRepository(connect(s.mongo_uri))
    producer = EventProducer(s.kafka_bootstrap, s.topic_prefix, service="trainer")
    group = s.consumer_group("trainers")  # consumed as the trainers are, with their principal

    def start(name: str) -> tuple[EventConsumer, threading.Thread]:
        def record(parts: list[TopicPartition]) -> None:
            workers.record(name, [tp.partition for tp in parts])

        consumer = EventConsumer(s.kafka_bootstrap, s.topic_prefix, group, [topics.TRIALS], dlq=producer,
                                 service="trainer", on_assignment=record)
        thread = threading.Thread(target=consumer.run, args=(lambda e, m: None,), daemon=True)
        thread.start()
        return consumer, thread

    def wait_for(expect_members: int) -> list[list[int]]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = workers.assignment()
            if len(got) == expect_members and sorted(p for parts in got for p in parts) == list(range(12)):
                return got
            time.sleep(0.2)
        raise AssertionError(f"assignment never settled: {workers.assignment()}")

    a = start("a")
    assert wait_for(1) == [list(range(12))]
    b = start("b")
    both = wait_for(2)
    assert all(len(parts) == 6 for parts in both), both
    b[0].stop()
    b[1].join(30)
    # b's goodbye is not needed: a claims b's partitions again, and the newer claim wins
    assert wait_for(1) == [list(range(12))]
    a[0].stop()
    a[1].join(30)


def test_searching_jobs_are_the_active_ones_whose_search_has_not_ended(test_settings: Settings) -> None:
    """The scaler's idle rule: a job stops counting once its search finished, though still active
    while the selector builds its model; paused and queued jobs count; finished ones never."""
    db = connect(test_settings.mongo_uri)
    jobs = JobRepository(db)
    assert jobs.count_searching() == 0
    for job_id, status in [("q", "queued"), ("r", "running"), ("p", "paused"), ("s", "running"),
                           ("c", "completed"), ("x", "cancelled")]:
        assert jobs.create(job_id, {"status": status})
    assert jobs.count_searching() == 4
    jobs.update("s", search_finished=True, trials_total=3)  # the selector still finishing it
    jobs.update("c", search_finished=True)
    assert jobs.count_searching() == 3
    for job_id in ("q", "r", "p"):
        assert jobs.mark_finished(job_id, "cancelled", "test")
    assert jobs.count_searching() == 0
    db.client.drop_database(db.name)

"""A job's way from submission to its first running trial reads and writes the store by ``_id`` alone.

The local MongoDB-wire server (FerretDB, SQLite) serves only a filter that is exactly ``{_id: value}``
from an index and reads every document of the collection for any other, so a query by status or by
job on this path makes every job's start slower with every job ever stored (``bench store_growth``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient, monitoring

from services.planner.planning import Planner
from tests.recording import RecordingProducer
from zygarde import events as ev
from zygarde.settings import Settings
from zygarde.store import JobRepository, TrialRepository, connect, ensure_indexes

pytestmark = pytest.mark.integration
FILTERED = {"find": "filter", "findAndModify": "query", "count": "query", "distinct": "query"}
SPEC = {"name": "reads", "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
        "algorithms": ["noop"], "search": {"strategy": "random", "max_trials": 1, "max_parallel": 1}}


class Filters(monitoring.CommandListener):
    """Every filter the client sends, as (command, collection, filter); an aggregation counts as a scan."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        cmd, name = event.command, event.command_name
        if name in FILTERED:
            self.seen.append((name, cmd[name], dict(cmd.get(FILTERED[name]) or {})))
        elif name in ("update", "delete"):
            for op in cmd.get("updates", cmd.get("deletes", [])):
                self.seen.append((name, cmd[name], dict(op["q"])))
        elif name == "aggregate":
            self.seen.append((name, cmd[name], {"pipeline": cmd["pipeline"]}))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def store(test_settings: Settings) -> Iterator[tuple[Any, Filters]]:
    ensure_indexes(connect(test_settings.mongo_uri))
    filters = Filters()
    client: MongoClient[dict[str, Any]] = MongoClient(test_settings.mongo_uri, event_listeners=[filters],
                                                      tz_aware=True)
    db = client.get_default_database()
    yield db, filters
    client.drop_database(db.name)
    client.close()


def not_by_id(filters: Filters) -> list[tuple[str, str, dict[str, Any]]]:
    return [f for f in filters.seen if list(f[2]) != ["_id"] or isinstance(f[2]["_id"], dict)]


def test_a_submitted_job_reaches_its_first_running_trial_reading_by_id_alone(
        store: Any, test_settings: Settings) -> None:
    db, filters = store
    jobs, trials = JobRepository(db), TrialRepository(db)
    for i in range(3):  # jobs of the past, which a scan would read
        jobs.create(f"old{i}", {"status": "completed", "spec": SPEC})
    jobs.create("j", {"status": "queued", "spec": SPEC, "name": "reads", "submitted_via": "http"})  # as the API does
    producer = RecordingProducer()
    planner = Planner(test_settings, jobs, trials, producer)

    filters.seen.clear()
    planner.handle(ev.JobSubmitted(job_id="j", spec=SPEC, submitted_via="http"))
    request = next(e for e in producer.events if isinstance(e, ev.TrialRequested))
    planner.handle(ev.TrialStarted(job_id="j", trial_id=request.trial_id, worker="w", algorithm="noop"))

    assert filters.seen, "the planner's reads were not seen"
    assert not_by_id(filters) == []
    job = db.jobs.find_one({"_id": "j"})
    assert (job["status"], job["accepted_published"], job["planned_trials"]) == ("running", True, 1)
    assert db.trials.find_one({"_id": request.trial_id})["status"] == "running"
    assert any(isinstance(e, ev.JobAccepted) for e in producer.events)


def test_the_jobs_gauge_counts_a_submitted_job_at_the_next_tick(store: Any, test_settings: Settings) -> None:
    from zygarde.observability import PLANNER_JOBS

    db, filters = store
    jobs, trials = JobRepository(db), TrialRepository(db)
    planner = Planner(test_settings, jobs, trials, RecordingProducer())
    planner.tick()
    assert PLANNER_JOBS.labels(status="running")._value.get() == 0
    jobs.create("j", {"status": "queued", "spec": SPEC, "name": "reads", "submitted_via": "http"})
    planner.handle(ev.JobSubmitted(job_id="j", spec=SPEC, submitted_via="http"))
    planner.tick()  # within GAUGES_S of the last count: recounted because a job changed status
    assert PLANNER_JOBS.labels(status="running")._value.get() == 1
    assert PLANNER_JOBS.labels(status="queued")._value.get() == 0

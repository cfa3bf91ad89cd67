"""The planner keeps a running job's document while its search goes on: a job's trials flow without
a read of ``jobs`` per result, a cancel still stops it, and a job ended elsewhere is read again."""

from __future__ import annotations

from typing import Any

import pytest

from services.planner.planning import Planner
from tests.recording import RecordingProducer
from zygarde import events as ev
from zygarde.settings import Settings
from zygarde.store import JobRepository, TrialRepository, connect, ensure_indexes

pytestmark = pytest.mark.integration
TRIALS = 8


class CountingJobs(JobRepository):
    """The real repository, counting the reads of one job document."""

    gets = 0

    def get(self, job_id: str) -> dict[str, Any] | None:
        self.gets += 1
        return super().get(job_id)


@pytest.fixture
def setup(test_settings: Settings) -> Any:
    db = connect(test_settings.mongo_uri)
    ensure_indexes(db)
    spec = ev.JobSpec.model_validate({
        "name": "reads", "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
        "algorithms": ["noop"], "search": {"strategy": "random", "max_trials": TRIALS, "max_parallel": 2}})
    jobs, trials = CountingJobs(db), TrialRepository(db)
    jobs.create("j", {"status": "running", "spec": spec.model_dump(mode="json"), "task": "binary",
                      "algorithms": ["noop"], "greater_is_better": True, "accepted_published": True})
    producer = RecordingProducer()
    planner = Planner(test_settings, jobs, trials, producer)  # type: ignore[arg-type]
    yield db, jobs, planner, producer
    db.client.drop_database(db.name)


def requested(producer: RecordingProducer) -> list[ev.TrialRequested]:
    return [e for e in producer.events if isinstance(e, ev.TrialRequested)]


def complete(planner: Planner, request: ev.TrialRequested, score: float = 0.9) -> None:
    planner.handle(ev.TrialStarted(job_id="j", trial_id=request.trial_id, worker="w", algorithm="noop"))
    planner.handle(ev.TrialCompleted(
        job_id="j", trial_id=request.trial_id, worker="w", algorithm="noop", params=request.params,
        metric="roc_auc", fold_scores=[score], cv_mean=score, cv_std=0.0, fit_seconds=0.01, cv_seconds=0.01))


def test_a_job_runs_all_its_trials_reading_its_document_once(setup: Any) -> None:
    db, jobs, planner, producer = setup
    planner.fill("j")
    done = 0
    while done < len(requested(producer)):
        complete(planner, requested(producer)[done])
        done += 1
    assert done == TRIALS
    assert len({e.trial_id for e in requested(producer)}) == TRIALS
    job = db.jobs.find_one({"_id": "j"})
    assert job["search_finished"] is True and job["trials_total"] == TRIALS
    assert jobs.gets == 1, f"{jobs.gets} reads of the job for {TRIALS} trials"
    assert [e.trials_total for e in producer.events if isinstance(e, ev.JobSearchFinished)] == [TRIALS]
    assert [d["score"] for d in db.trials.find({"job_id": "j"})] == [0.9] * TRIALS

    complete(planner, requested(producer)[0], score=0.1)  # a re-delivered result: counted once
    assert db.trials.find_one({"_id": requested(producer)[0].trial_id})["score"] == 0.9
    assert len(requested(producer)) == TRIALS


def test_cancel_stops_a_job_whose_document_is_kept(setup: Any) -> None:
    db, jobs, planner, producer = setup
    planner.fill("j")
    first = requested(producer)
    planner.handle(ev.JobCancelRequested(job_id="j", reason="enough"))
    for request in first:  # the running trials end after the cancel
        complete(planner, request)
    assert len(requested(producer)) == len(first) == 2, "no trial requested after the cancel"
    assert db.jobs.find_one({"_id": "j"})["status"] == "cancelled"


def test_a_job_ended_elsewhere_is_read_again_at_the_next_tick(setup: Any) -> None:
    db, jobs, planner, producer = setup
    planner.fill("j")
    first = requested(producer)
    db.jobs.update_one({"_id": "j"}, {"$set": {"status": "failed"}})  # e.g. an operator's repair
    planner.tick()
    for request in first:
        complete(planner, request)
    assert len(requested(producer)) == 2, "a job no longer running gets no new trial"

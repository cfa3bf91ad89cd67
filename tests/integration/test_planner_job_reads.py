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
    planner = Planner(test_settings, jobs, trials, producer)
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


class CountingTrials(TrialRepository):
    """The real repository, counting the queries that select a job's trials by ``job_id`` (the local
    MongoDB-wire server answers each by reading every trial ever stored)."""

    by_job = 0

    def for_job(self, job_id: str) -> list[dict[str, Any]]:
        self.by_job += 1
        return super().for_job(job_id)

    def unpublished(self, job_id: str) -> list[dict[str, Any]]:
        self.by_job += 1
        return super().unpublished(job_id)


def counted(trials: TrialRepository, job_id: str) -> dict[str, Any]:
    """The summary as the store says it: trials by status, instance-seconds, the best completed trial."""
    stored = trials.for_job(job_id)
    counts, seconds = trials.summary(job_id)
    completed = [d for d in stored if d["status"] == "completed"]
    best = max(completed, key=lambda d: d["score"], default=None)
    return {"trials": {k: counts.get(k, 0) for k in ("requested", "running", "completed", "failed")},
            "instance_seconds": seconds,
            "best": None if best is None else {"trial_id": best["_id"], "algorithm": best["algorithm"],
                                               "params": best["params"], "score": best["score"]}}


def test_a_new_job_is_planned_and_summarised_without_a_query_by_job(test_settings: Settings) -> None:
    db = connect(test_settings.mongo_uri)
    ensure_indexes(db)
    try:
        trials = CountingTrials(db)
        producer = RecordingProducer()
        planner = Planner(test_settings, JobRepository(db), trials, producer)
        spec = {"name": "summary", "dataset": {"uri": "builtin:breast_cancer", "target": "target"},
                "metric": "roc_auc", "algorithms": ["noop"],
                "search": {"strategy": "random", "max_trials": TRIALS, "max_parallel": 3}}
        planner.handle(ev.JobSubmitted(job_id="s", spec=spec))
        first = [e for e in requested(producer) if e.job_id == "s"]
        assert len(first) == 3 and trials.by_job == 0, "a job that starts now has nothing stored to read back"
        assert planner.live_summary("s") == counted(trials, "s")
        trials.by_job = 0

        planner.handle(ev.TrialStarted(job_id="s", trial_id=first[0].trial_id, worker="w", algorithm="noop"))
        planner.handle(ev.TrialFailed(job_id="s", trial_id=first[1].trial_id, worker="w", algorithm="noop",
                                      params=first[1].params, reason="error", error="boom", seconds=0.5))
        summary = planner.live_summary("s")
        assert summary is not None and summary["trials"] == {"requested": 2, "running": 1, "completed": 0, "failed": 1}
        done = 1
        for score in (0.7, 0.9, 0.8, 0.9, 0.6, 0.5, 0.4):  # the first 0.9 stays the best
            request = [e for e in requested(producer) if e.job_id == "s" and e.trial_id != first[1].trial_id][done - 1]
            planner.handle(ev.TrialStarted(job_id="s", trial_id=request.trial_id, worker="w", algorithm="noop"))
            planner.handle(ev.TrialCompleted(
                job_id="s", trial_id=request.trial_id, worker="w", algorithm="noop", params=request.params,
                metric="roc_auc", fold_scores=[score], cv_mean=score, cv_std=0.0, fit_seconds=0.01, cv_seconds=0.25))
            done += 1
            if done < TRIALS:
                by_job, trials.by_job = trials.by_job, 0
                assert planner.live_summary("s") == counted(trials, "s")
                trials.by_job = by_job
        assert trials.by_job == 0, "results, starts and failures are accounted without a query by job"
        job = db.jobs.find_one({"_id": "s"})
        assert job["search_finished"] is True and planner.live_summary("s") is None, "a finished search is let go"
        assert job["summary"] == counted(trials, "s")
        assert job["summary"]["trials"] == {"requested": 0, "running": 0, "completed": 7, "failed": 1}
        assert job["summary"]["best"]["score"] == 0.9 and job["summary"]["instance_seconds"] == 0.5 + 7 * 0.25
    finally:
        db.client.drop_database(db.name)


def test_a_cancelled_job_keeps_the_summary_of_its_trials(setup: Any) -> None:
    db, jobs, planner, producer = setup
    planner.fill("j")
    first = requested(producer)
    complete(planner, first[0], score=0.8)
    planner.handle(ev.JobCancelRequested(job_id="j", reason="enough"))
    summary = db.jobs.find_one({"_id": "j"})["summary"]
    assert summary == counted(TrialRepository(db), "j")
    assert summary["trials"] == {"requested": 0, "running": 0, "completed": 1, "failed": 2}
    assert summary["best"]["trial_id"] == first[0].trial_id


def test_the_idle_tick_recounts_the_jobs_gauge_at_most_every_gauges_s(setup: Any) -> None:
    from services.planner import planning
    from zygarde.observability import PLANNER_JOBS

    db, jobs, planner, producer = setup
    clock = [1000.0]
    planner.clock = lambda: clock[0]
    counted = []
    jobs.count_by_status = lambda: counted.append(clock[0]) or JobRepository.count_by_status(jobs)  # type: ignore[method-assign]
    planner.tick()
    assert PLANNER_JOBS.labels(status="running")._value.get() == 1
    db.jobs.insert_one({"_id": "k", "status": "completed"})
    for _ in range(10):  # ten idle ticks within GAUGES_S: no recount (each reads every job stored)
        clock[0] += planning.GAUGES_S / 20
        planner.tick()
    assert counted == [1000.0]
    clock[0] = 1000.0 + planning.GAUGES_S
    planner.tick()
    assert counted == [1000.0, 1000.0 + planning.GAUGES_S]
    assert PLANNER_JOBS.labels(status="completed")._value.get() >= 1

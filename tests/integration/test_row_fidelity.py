"""The planner passes ``auto``'s row subsamples through: stored with the trial, sent in ``TrialRequested``,
re-sent as they were after a restart, and a subsample's score is never the job's best."""

from __future__ import annotations

from typing import Any

import pytest

from services.planner.planning import Planner
from tests.recording import RecordingProducer
from zygarde import events as ev
from zygarde.settings import Settings
from zygarde.store import JobRepository, TrialRepository, connect, ensure_indexes

pytestmark = pytest.mark.integration
ALGORITHMS = ["logistic_regression", "hist_gradient_boosting"]


@pytest.fixture
def setup(test_settings: Settings) -> Any:
    db = connect(test_settings.mongo_uri)
    ensure_indexes(db)
    spec = ev.JobSpec.model_validate({
        "name": "rows", "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
        "algorithms": ALGORITHMS, "search": {"max_trials": 12, "max_parallel": 2}})
    assert spec.search.strategy == "auto"  # the default
    jobs, trials = JobRepository(db), TrialRepository(db)
    jobs.create("j", {"status": "running", "spec": spec.model_dump(mode="json"), "task": "binary", "train_rows": 30_000,
                      "algorithms": ALGORITHMS, "greater_is_better": True, "accepted_published": True})
    yield db, jobs, trials, test_settings
    db.client.drop_database(db.name)


def requested(producer: RecordingProducer) -> list[ev.TrialRequested]:
    return [e for e in producer.events if isinstance(e, ev.TrialRequested)]


def complete(planner: Planner, request: ev.TrialRequested, score: float) -> None:
    planner.handle(ev.TrialCompleted(
        job_id="j", trial_id=request.trial_id, worker="w", algorithm=request.algorithm, params=request.params,
        metric="roc_auc", fold_scores=[score], cv_mean=score, cv_std=0.0, fit_seconds=0.5, cv_seconds=0.5,
        rows=request.rows))


def test_subsampled_trials_flow_and_survive_a_restart(setup: Any) -> None:
    db, jobs, trials, settings = setup
    producer = RecordingProducer()
    planner = Planner(settings, jobs, trials, producer)  # type: ignore[arg-type]
    planner.fill("j")
    first = requested(producer)
    assert [r.rows for r in first] == [10_000, 10_000]
    assert [d.get("rows") for d in db.trials.find({"job_id": "j"})] == [10_000, 10_000]
    complete(planner, first[0], 0.99)  # a subsample's score: stored, never the job's best
    view = planner.live_summary("j")
    assert view is not None and view["best"] is None and view["trials"]["completed"] == 1
    complete(planner, first[1], 0.7)
    complete(planner, requested(producer)[2], 0.6)  # three results at the first rung: its best goes on
    promoted = [r for r in requested(producer) if r.rows is None]
    assert [r.params for r in promoted] == [first[0].params]

    restarted = RecordingProducer()
    again = Planner(settings, JobRepository(db), TrialRepository(db), restarted)  # type: ignore[arg-type]
    open_ids = {r.trial_id for r in requested(producer)} - {first[0].trial_id, first[1].trial_id,
                                                            requested(producer)[2].trial_id}
    for tid in open_ids:  # the planner died before Kafka acknowledged them: re-sent with their rows
        db.trials.update_one({"_id": tid}, {"$set": {"published": False}})
    again.fill("j")
    resent = {r.trial_id: r.rows for r in requested(restarted)}
    assert resent == {r.trial_id: r.rows for r in requested(producer) if r.trial_id in open_ids}
    complete(again, promoted[0], 0.95)
    summary = again.live_summary("j")
    assert summary is not None and summary["best"]["score"] == 0.95  # the full-data score is the best


def test_a_subsampled_result_is_never_the_winner_nor_on_the_leaderboard(setup: Any) -> None:
    db, *_ = setup
    from zygarde.store import ResultRepository

    results = ResultRepository(db)
    results.add("j-00000", {"job_id": "j", "status": "completed", "cv_mean": 0.99, "sort_key": 0.99, "rows": 10_000})
    results.add("j-00001", {"job_id": "j", "status": "completed", "cv_mean": 0.80, "sort_key": 0.80})
    results.add("j-00002", {"job_id": "j", "status": "completed", "cv_mean": 0.85, "sort_key": 0.85, "rows": None})
    assert [d["_id"] for d in results.leaderboard("j")] == ["j-00002", "j-00001"]
    assert results.best("j")["_id"] == "j-00002"
    assert results.counts("j") == {"completed": 3, "failed": 0}  # still counted towards the job's total

"""The selector keeps per-job state (results counted, the job's total, its provisional best) for running
jobs only: once a job is finished, the consumer loop lets go of it."""

from __future__ import annotations

from typing import Any

import pytest

from services.selector.selection import Selector
from tests.recording import RecordingProducer
from zygarde import events as ev
from zygarde.settings import Settings
from zygarde.store import connect, ensure_indexes

pytestmark = pytest.mark.integration


@pytest.fixture
def db(test_settings: Settings) -> Any:
    db = connect(test_settings.mongo_uri)
    ensure_indexes(db)
    yield db
    db.client.drop_database(db.name)


def test_a_finished_job_leaves_no_state_behind(test_settings: Settings, db: Any) -> None:
    spec = ev.JobSpec.model_validate({"name": "state", "dataset": {"uri": "builtin:breast_cancer", "target": "target"},
                                      "metric": "roc_auc", "algorithms": ["noop"], "cv": {"folds": 2}})
    db.jobs.insert_one({"_id": "j", "status": "running", "spec": spec.model_dump(mode="json"), "task": "binary",
                        "name": "state", "metric": "roc_auc", "greater_is_better": True, "algorithms": ["noop"]})
    producer = RecordingProducer()
    selector = Selector(test_settings, db, producer)  # type: ignore[arg-type]
    selector.handle(ev.TrialCompleted(job_id="j", trial_id="j-00000", worker="w", algorithm="noop", params={},
                                      metric="roc_auc", fold_scores=[0.5, 0.5], cv_mean=0.5, cv_std=0.0,
                                      fit_seconds=0.01, cv_seconds=0.02))
    assert selector.tracked_jobs() == {"j"}
    selector.handle(ev.JobSearchFinished(job_id="j", trials_total=1, ended_reason="max_trials"))
    selector.close()  # waits for the job being finished
    assert db.jobs.find_one({"_id": "j"})["status"] == "completed"
    assert [e.final for e in producer.events if isinstance(e, ev.ModelSelected)] == [False, True]
    selector.handle(ev.TrialStarted(job_id="k", trial_id="k-00000", worker="w", algorithm="noop"))
    assert selector.tracked_jobs() == set(), "the finished job's counts, total and best are let go"

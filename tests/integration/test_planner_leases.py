"""The planner's lease check against the real MongoDB-wire server: a trial whose trainer stopped
heart-beating is handed out again, then failed as lost; a trial still beating is left alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.planner import planning
from services.planner.planning import Planner
from tests.recording import RecordingProducer
from zygarde import events as ev
from zygarde.settings import Settings
from zygarde.store import JobRepository, TrialRepository, connect, ensure_indexes

pytestmark = pytest.mark.integration
LEASE = 10.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup(test_settings: Settings) -> Any:
    db = connect(test_settings.mongo_uri)
    ensure_indexes(db)
    spec = ev.JobSpec.model_validate({"name": "lease", "dataset": {"uri": "builtin:breast_cancer", "target": "target"},
                                      "metric": "roc_auc", "algorithms": ["noop"]})
    jobs, trials = JobRepository(db), TrialRepository(db)
    jobs.create("j", {"status": "running", "spec": spec.model_dump(mode="json"), "task": "binary",
                      "search_finished": True})
    clock, producer = Clock(), RecordingProducer()
    planner = Planner(test_settings, jobs, trials, producer, clock, trial_lease_s=LEASE, max_attempts=2)
    yield db, trials, planner, clock, producer
    db.client.drop_database(db.name)


def started(planner: Planner, trial: str, attempt: int = 1) -> None:
    planner.handle(ev.TrialStarted(job_id="j", trial_id=trial, attempt=attempt, worker="w", algorithm="noop"))


def age(db: Any, trial: str, seconds: float) -> None:
    """The trial's last stored heartbeat, ``seconds`` ago (MongoDB's clock is the real one)."""
    db.trials.update_one({"_id": trial}, {"$set": {"heartbeat_at": ev.now() - timedelta(seconds=seconds)}})


def test_a_silent_trial_is_requested_again_then_failed_as_lost(setup: Any) -> None:
    db, trials, planner, clock, producer = setup
    for t in ("j-00000", "j-00001"):
        trials.add(t, "j", int(t[-1]), "noop", {})
        started(planner, t)
    planner.recover_lost_trials()  # the first call also sweeps the collection: nothing is stale yet
    clock.now += LEASE + 1
    age(db, "j-00000", LEASE + 1)  # its trainer died
    started(planner, "j-00001")  # still beating
    planner.recover_lost_trials()
    requested = [e for e in producer.events if isinstance(e, ev.TrialRequested)]
    assert [(e.trial_id, e.attempt) for e in requested] == [("j-00000", 2)]
    doc = trials.get("j-00000")
    assert (doc["status"], doc["attempt"]) == ("requested", 2)
    assert trials.get("j-00001")["status"] == "running"

    started(planner, "j-00000", attempt=1)  # a late heartbeat of the lost attempt changes nothing
    assert trials.get("j-00000")["status"] == "requested"
    started(planner, "j-00000", attempt=2)
    clock.now += LEASE + 1
    age(db, "j-00000", LEASE + 1)
    started(planner, "j-00001")
    planner.recover_lost_trials()
    lost = [e for e in producer.events if isinstance(e, ev.TrialFailed)]
    assert [(e.trial_id, e.attempt, e.reason) for e in lost] == [("j-00000", 2, "lost")], "max_attempts is 2"
    assert len([e for e in producer.events if isinstance(e, ev.TrialRequested)]) == 1


def test_the_sweep_finds_a_stale_trial_this_planner_never_saw(setup: Any, monkeypatch: Any) -> None:
    db, trials, planner, clock, producer = setup
    trials.add("j-00003", "j", 3, "noop", {})
    trials.mark_running("j-00003", 1, "w")  # by a planner that died since
    age(db, "j-00003", LEASE + 1)
    monkeypatch.setattr(planning, "SWEEP_S", 30.0)
    planner.last_sweep = clock.now  # a sweep just ran: only heartbeats this planner saw are checked
    planner.recover_lost_trials()
    assert not producer.events
    clock.now += 30
    planner.recover_lost_trials()
    assert [(e.trial_id, e.attempt) for e in producer.events if isinstance(e, ev.TrialRequested)] == [("j-00003", 2)]


def test_a_finished_trial_leaves_the_lease_check(setup: Any) -> None:
    db, trials, planner, clock, producer = setup
    trials.add("j-00004", "j", 4, "noop", {})
    started(planner, "j-00004")
    planner.handle(ev.TrialCompleted(job_id="j", trial_id="j-00004", attempt=1, worker="w", algorithm="noop",
                                     params={}, metric="roc_auc", fold_scores=[0.5], cv_mean=0.5, cv_std=0.0,
                                     fit_seconds=0.0))
    assert not planner.leases.watching("j-00004")
    clock.now += LEASE + 1
    age(db, "j-00004", LEASE + 1)
    planner.recover_lost_trials()
    assert not [e for e in producer.events if isinstance(e, ev.TrialRequested | ev.TrialFailed)]

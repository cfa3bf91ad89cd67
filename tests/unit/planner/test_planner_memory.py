"""The planner's logic against the in-memory stores (``zygarde/store/memory.py``): no broker, no database,
no private state. The same scenarios run against the MongoDB-wire server in tests/integration/test_planner_*.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.planner.planning import Planner
from tests.recording import RecordingProducer
from zygarde import events as ev
from zygarde.settings import Settings
from zygarde.store.memory import MemoryJobs, MemoryTrials

TRIALS = 6
LEASE = 10.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingJobs(MemoryJobs):
    gets = 0

    def get(self, job_id: str) -> dict[str, Any] | None:
        self.gets += 1
        return super().get(job_id)


def spec(**search: Any) -> dict[str, Any]:
    return ev.JobSpec.model_validate({
        "name": "memory", "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
        "algorithms": ["noop"], "search": {"strategy": "random", **search}}).model_dump(mode="json")


@pytest.fixture
def setup() -> tuple[CountingJobs, MemoryTrials, Planner, RecordingProducer, Clock]:
    jobs, trials, producer, clock = CountingJobs(), MemoryTrials(), RecordingProducer(), Clock()
    jobs.create("j", {"status": "running", "spec": spec(max_trials=TRIALS, max_parallel=2), "task": "binary",
                      "algorithms": ["noop"], "greater_is_better": True, "accepted_published": True})
    planner = Planner(Settings(), jobs, trials, producer, clock, trial_lease_s=LEASE, max_attempts=2)
    return jobs, trials, planner, producer, clock


def requested(producer: RecordingProducer) -> list[ev.TrialRequested]:
    return [e for e in producer.events if isinstance(e, ev.TrialRequested)]


def complete(planner: Planner, request: ev.TrialRequested, score: float = 0.9) -> None:
    planner.handle(ev.TrialStarted(job_id="j", trial_id=request.trial_id, worker="w", algorithm="noop"))
    planner.handle(ev.TrialCompleted(
        job_id="j", trial_id=request.trial_id, worker="w", algorithm="noop", params=request.params,
        metric="roc_auc", fold_scores=[score], cv_mean=score, cv_std=0.0, fit_seconds=0.01, cv_seconds=0.25))


def test_a_job_runs_all_its_trials_in_one_active_job_and_is_let_go(setup: Any) -> None:
    jobs, trials, planner, producer, _ = setup
    planner.fill("j")
    assert len(requested(producer)) == 2, "max_parallel"
    active = planner.active["j"]
    assert active.share == (2, 0) and active.strategy is not None and active.view is not None
    done = 0
    while done < len(requested(producer)):
        complete(planner, requested(producer)[done], score=0.5 + done / 100)
        done += 1
    assert done == TRIALS and len({e.trial_id for e in requested(producer)}) == TRIALS
    assert jobs.gets == 1, "the job's document is read once for the whole search"
    job = jobs.get("j")
    assert job is not None and job["search_finished"] is True and job["trials_total"] == TRIALS
    assert job["summary"]["trials"] == {"requested": 0, "running": 0, "completed": TRIALS, "failed": 0}
    assert job["summary"]["best"]["score"] == 0.5 + (TRIALS - 1) / 100
    assert "j" not in planner.active and planner.live_summary("j") is None
    assert not planner.router.sent and not planner.leases.attempts, "every closed trial forgotten"

    complete(planner, requested(producer)[0], score=0.1)  # a re-delivered result: counted once
    assert trials.get(requested(producer)[0].trial_id)["score"] == 0.5
    assert len(requested(producer)) == TRIALS


def test_cancel_drops_the_active_job_and_its_leases(setup: Any) -> None:
    jobs, trials, planner, producer, _ = setup
    planner.fill("j")
    first = requested(producer)
    planner.handle(ev.TrialStarted(job_id="j", trial_id=first[0].trial_id, worker="w", algorithm="noop"))
    planner.handle(ev.JobCancelRequested(job_id="j", reason="enough"))
    assert "j" not in planner.active and not planner.leases.of_job("j")
    for request in first:
        complete(planner, request)
    assert len(requested(producer)) == 2, "no trial requested after the cancel"
    job = jobs.get("j")
    assert job is not None and job["status"] == "cancelled"
    assert job["summary"]["trials"] == {"requested": 0, "running": 0, "completed": 0, "failed": 2}


def test_a_fair_share_is_released_to_the_other_job(setup: Any) -> None:
    jobs, trials, planner, producer, _ = setup
    jobs.create("k", {"status": "running", "spec": spec(max_trials=TRIALS, max_parallel=2), "task": "binary",
                      "algorithms": ["noop"], "greater_is_better": True, "accepted_published": True})
    planner.fill("j")
    planner.fill("k")
    assert [e.job_id for e in requested(producer)] == ["j", "j", "k"], "k gets one slot beside j's two"
    planner.handle(ev.JobCancelRequested(job_id="j", reason="enough"))
    assert [e.job_id for e in requested(producer)][3:] == ["k"], "j's share goes to k"
    assert planner.active["k"].share == (2, 0)


def test_a_silent_trial_is_requested_again_then_failed_as_lost(setup: Any) -> None:
    jobs, trials, planner, producer, clock = setup
    jobs.update("j", search_finished=True)
    for t in ("j-00000", "j-00001"):
        trials.add(t, "j", int(t[-1]), "noop", {})
        planner.handle(ev.TrialStarted(job_id="j", trial_id=t, attempt=1, worker="w", algorithm="noop"))
    planner.recover_lost_trials()
    assert not producer.events
    clock.now += LEASE + 1
    trials.docs["j-00000"]["heartbeat_at"] = ev.now() - timedelta(seconds=LEASE + 1)  # its trainer died
    planner.handle(ev.TrialStarted(job_id="j", trial_id="j-00001", attempt=1, worker="w", algorithm="noop"))
    planner.recover_lost_trials()
    assert [(e.trial_id, e.attempt) for e in requested(producer)] == [("j-00000", 2)]
    assert (trials.docs["j-00000"]["status"], trials.docs["j-00000"]["attempt"]) == ("requested", 2)
    assert not planner.leases.watching("j-00000"), "the next attempt's heartbeats start a new lease"

    planner.handle(ev.TrialStarted(job_id="j", trial_id="j-00000", attempt=2, worker="w", algorithm="noop"))
    clock.now += LEASE + 1
    trials.docs["j-00000"]["heartbeat_at"] = ev.now() - timedelta(seconds=LEASE + 1)
    planner.handle(ev.TrialStarted(job_id="j", trial_id="j-00001", attempt=1, worker="w", algorithm="noop"))
    planner.recover_lost_trials()
    lost = [e for e in producer.events if isinstance(e, ev.TrialFailed)]
    assert [(e.trial_id, e.attempt, e.reason) for e in lost] == [("j-00000", 2, "lost")], "max_attempts is 2"


def test_a_deadline_stops_the_search_at_the_next_due(setup: Any) -> None:
    jobs, trials, planner, producer, clock = setup
    jobs.update("j", deadline=clock.now + 5)
    planner.fill("j")
    assert planner.active["j"].deadline == clock.now + 5
    clock.now += 6
    planner.due()
    assert all(d.get("stop") == "time_budget" for d in trials.docs.values())
    assert planner.active["j"].deadline is None, "due fills once; tick covers the rest"


@pytest.mark.parametrize(("strategy", "report", "judged"), [("random", False, None), ("auto", True, [2]),
                                                              ("asha", True, [1, 3])])
def test_a_request_names_the_folds_its_strategy_judges(strategy: str, report: bool, judged: list[int] | None) -> None:
    jobs, trials, producer = MemoryJobs(), MemoryTrials(), RecordingProducer()
    doc = spec(max_trials=TRIALS, max_parallel=2)
    doc["search"]["strategy"] = strategy
    doc["cv"]["folds"] = 5
    jobs.create("j", {"status": "running", "spec": doc, "task": "binary", "algorithms": ["noop"],
                      "greater_is_better": True, "accepted_published": True})
    Planner(Settings(), jobs, trials, producer, Clock(), trial_lease_s=LEASE, max_attempts=2).fill("j")
    first = requested(producer)[0]
    assert (first.report_folds, first.judged_folds) == (report, judged)

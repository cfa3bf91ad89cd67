"""Pause and resume against the in-memory stores: a paused job requests nothing, its running trials
finish, resume goes on with the same indices and budgets, and a planner started while it is paused
keeps it paused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.planner.planning import Planner
from tests.recording import RecordingProducer
from tests.unit.planner.test_planner_memory import LEASE, Clock, complete, requested, setup, spec
from zygarde import events as ev
from zygarde.settings import Settings
from zygarde.store.memory import MemoryJobs, MemoryTrials

__all__ = ["setup"]  # the fixture, shared


def indices(producer: RecordingProducer) -> list[int]:
    return [e.index for e in requested(producer)]


def test_a_paused_job_requests_nothing_and_resumes_with_the_next_index(setup: Any) -> None:
    jobs, trials, planner, producer, _ = setup
    planner.resume_all()
    first = requested(producer)
    assert len(first) == 2
    planner.handle(ev.JobPauseRequested(job_id="j"))
    assert jobs.get("j")["status"] == "paused"
    assert [e for e in producer.events if isinstance(e, ev.JobPaused)]
    for request in first:  # the running trials finish; nothing new is asked for
        complete(planner, request)
    assert len(requested(producer)) == 2
    assert {d["status"] for d in trials.docs.values()} == {"completed"}
    planner.tick()
    assert len(requested(producer)) == 2
    planner.handle(ev.JobResumeRequested(job_id="j"))
    assert jobs.get("j")["status"] == "running"
    assert indices(producer) == [0, 1, 2, 3]
    while len(requested(producer)) < len(trials.docs) or any(d["status"] != "completed" for d in trials.docs.values()):
        for request in [r for r in requested(producer) if trials.docs[r.trial_id]["status"] != "completed"]:
            complete(planner, request)
    assert indices(producer) == list(range(6))
    assert jobs.get("j")["search_finished"] is True
    assert jobs.get("j")["trials_total"] == 6


def test_pause_only_a_running_job_and_resume_only_a_paused_one(setup: Any) -> None:
    jobs, _, planner, producer, _ = setup
    planner.resume_all()
    planner.handle(ev.JobResumeRequested(job_id="j"))  # not paused: nothing happens
    assert not [e for e in producer.events if isinstance(e, ev.JobResumed)]
    planner.handle(ev.JobPauseRequested(job_id="j"))
    planner.handle(ev.JobPauseRequested(job_id="j"))  # re-delivered: one JobPaused
    assert len([e for e in producer.events if isinstance(e, ev.JobPaused)]) == 1
    planner.handle(ev.JobCancelRequested(job_id="j"))  # a paused job may be cancelled
    assert jobs.get("j")["status"] == "cancelled"
    planner.handle(ev.JobResumeRequested(job_id="j"))
    assert jobs.get("j")["status"] == "cancelled"


def test_the_time_budget_does_not_count_the_pause(setup: Any) -> None:
    jobs, trials, planner, producer, clock = setup
    jobs.update("j", deadline=clock.now + 5)
    planner.resume_all()
    planner.handle(ev.JobPauseRequested(job_id="j"))
    clock.now += 100  # long past the deadline, paused
    planner.due()
    planner.tick()
    assert not any("stop" in d for d in trials.docs.values())
    planner.handle(ev.JobResumeRequested(job_id="j"))
    assert jobs.get("j")["deadline"] == 1000.0 + 5 + 100
    assert jobs.get("j")["paused_s"] == 100
    resumed = [e for e in producer.events if isinstance(e, ev.JobResumed)]
    assert resumed[0].paused_s == 100
    clock.now += 4
    planner.due()
    assert not any("stop" in d for d in trials.docs.values())
    clock.now += 1
    planner.due()
    assert all(d.get("stop") == "time_budget" for d in trials.docs.values())


def test_a_planner_started_while_the_job_is_paused_keeps_it_paused() -> None:
    jobs, trials, producer, clock = MemoryJobs(), MemoryTrials(), RecordingProducer(), Clock()
    jobs.create("j", {"status": "running", "spec": spec(max_trials=6, max_parallel=2), "task": "binary",
                      "algorithms": ["noop"], "greater_is_better": True, "accepted_published": True})
    first = Planner(Settings(), jobs, trials, producer, clock, trial_lease_s=LEASE)
    first.resume_all()
    first.handle(ev.JobPauseRequested(job_id="j"))
    running = requested(producer)
    # a new planner (the first one stopped) while the job is paused and its trials still run
    producer2 = RecordingProducer()
    second = Planner(Settings(), jobs, trials, producer2, clock, trial_lease_s=LEASE)
    second.resume_all()
    second.tick()
    for request in running:
        complete(second, request)
    assert requested(producer2) == []
    assert jobs.docs["j"]["status"] == "paused"
    second.handle(ev.JobResumeRequested(job_id="j"))
    assert indices(producer2) == [2, 3], "the search goes on from the stored trials"


def test_a_planner_started_while_the_job_is_paused_watches_its_running_trials() -> None:
    jobs, trials, producer, clock = MemoryJobs(), MemoryTrials(), RecordingProducer(), Clock()
    jobs.create("j", {"status": "running", "spec": spec(max_trials=6, max_parallel=2), "task": "binary",
                      "algorithms": ["noop"], "greater_is_better": True, "accepted_published": True})
    first = Planner(Settings(), jobs, trials, producer, clock, trial_lease_s=LEASE)
    first.resume_all()
    running = requested(producer)
    for request in running:
        first.handle(ev.TrialStarted(job_id="j", trial_id=request.trial_id, worker="w", algorithm="noop"))
    first.handle(ev.JobPauseRequested(job_id="j"))
    producer2 = RecordingProducer()
    second = Planner(Settings(), jobs, trials, producer2, clock, trial_lease_s=LEASE)
    second.last_sweep = clock.now  # the periodic sweep of every stale trial is not due: only leases find them
    second.resume_all()
    for doc in trials.docs.values():  # their trainer went silent a lease ago
        doc["heartbeat_at"] -= timedelta(seconds=LEASE + 1)
    clock.now += LEASE
    second.tick()
    again = requested(producer2)
    assert sorted(e.trial_id for e in again) == sorted(r.trial_id for r in running)
    assert {e.attempt for e in again} == {2}
    assert jobs.docs["j"]["status"] == "paused"

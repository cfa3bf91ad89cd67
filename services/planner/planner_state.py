"""The planner's state, and the small reads every handler shares.

``PlannerState`` holds what the consumer loop keeps between messages: the stores, the producer, ``active``
(one ``ActiveJob`` per job whose search runs), ``leases`` (the open trials it watches) and ``router`` (where
the next request goes). ``TrialFlow`` (trial_flow.py), ``JobLifecycle`` (job_lifecycle.py) and ``Planner``
(planning.py) build on it, in that order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from services.planner.active import ActiveJob
from services.planner.leases import LeaseTracker
from services.planner.routing import PartitionRouter
from services.planner.view import JobView
from zygarde import events as ev
from zygarde.observability import PLANNER_JOBS
from zygarde.settings import Settings
from zygarde.store.ports import JobStore, TrialStore


class Publisher(Protocol):
    """What the planner asks of the bus (``EventProducer``; ``tests.recording.RecordingProducer`` in tests)."""

    def publish(self, event: ev.Event, *, partition: int | None = None) -> None: ...
    def flush(self) -> None: ...


class PlannerState:
    """The planner's consumer-loop state: ``active`` (one ``ActiveJob`` per job whose search runs), ``leases``
    (the open trials it watches) and ``router`` (where the next request goes)."""

    def __init__(self, settings: Settings, jobs: JobStore, trials: TrialStore,
                 producer: Publisher, clock: Callable[[], float] = time.time, *,
                 trial_lease_s: float = 60.0, max_attempts: int = 3) -> None:
        self.settings = settings
        self.trial_lease_s = trial_lease_s
        self.max_attempts = max_attempts
        self.jobs = jobs
        self.trials = trials
        self.producer = producer
        self.clock = clock
        self.active: dict[str, ActiveJob] = {}
        self.leases = LeaseTracker(lambda: self.clock(), trial_lease_s)
        self.router = PartitionRouter()  # its trainer_partitions are refreshed by the composition root
        self.last_sweep: float | None = None  # when the lease check last queried every stale running trial
        self._last_gauges: float | None = None

    def live_summary(self, job_id: str) -> dict[str, Any] | None:
        """The summary of a job whose search this planner runs now (None: not one of them)."""
        view = self._view(job_id)
        return None if view is None else view.summary()

    def _view(self, job_id: str) -> JobView | None:
        entry = self.active.get(job_id)
        return None if entry is None else entry.view

    def _forget(self, tid: str) -> None:
        """A closed trial: no lease to watch, no load on its trainer, no longer known open."""
        self.leases.forget(tid)
        self.router.release(tid)

    def _wants_reports(self, job_id: str) -> bool:
        entry = self.active.get(job_id)
        return entry is None or entry.wants_reports

    def _judged_folds(self, job_id: str) -> list[int] | None:
        entry = self.active.get(job_id)
        return None if entry is None else entry.judged_folds

    def _job(self, job_id: str) -> dict[str, Any] | None:
        """The job's document: its ``ActiveJob``'s copy while its search goes on (read from MongoDB the
        first time), else a fresh read."""
        entry = self.active.get(job_id)
        if entry is not None:
            return entry.doc
        job = self.jobs.get(job_id)
        if job is not None and job.get("status") == "running" and not job.get("search_finished"):
            self.active[job_id] = ActiveJob.of(job)
        return job

    def _entry(self, job: dict[str, Any]) -> ActiveJob:
        """The job's ``ActiveJob`` (one is made for a job the planner plans without keeping its document)."""
        entry = self.active.get(job["_id"])
        if entry is None:
            entry = self.active[job["_id"]] = ActiveJob.of(job)
        return entry

    def _spec(self, job: dict[str, Any]) -> ev.JobSpec:
        entry = self.active.get(job["_id"])
        return entry.spec if entry is not None else ev.JobSpec.model_validate(job["spec"])

    def _shares(self) -> dict[str, tuple[int, int]]:
        return {job_id: entry.share for job_id, entry in self.active.items() if entry.share is not None}

    def _refresh_gauges(self) -> None:
        """A job changed status: the next ``tick`` recounts the jobs gauge (see ``GAUGES_S``)."""
        self._last_gauges = None

    def _count_jobs(self) -> None:
        self._last_gauges = self.clock()
        counts = self.jobs.count_by_status()
        for status in ("queued", "running", "paused", "completed", "failed", "cancelled", "rejected"):
            PLANNER_JOBS.labels(status=status).set(counts.get(status, 0))

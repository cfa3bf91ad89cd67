"""The planner's message handlers: accept or reject jobs, keep each job's trials flowing.

State lives in MongoDB (``jobs``, ``trials``); a strategy's memory is rebuilt from the stored
trials when a planner starts, so a killed planner resumes without duplicating a trial id or going
past ``max_trials``. Every publish is flushed before the offset of the message that caused it is
stored (the bus stores it after the handler returns).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from services.planner import retrain
from services.planner.job_lifecycle import JobLifecycle
from services.planner.planner_state import Publisher
from services.planner.view import JobView, budget_spent, empty_summary, fair_limit
from zygarde import events as ev
from zygarde.bus import MessageMeta
from zygarde.ids import stable_event_id
from zygarde.store.jobs import ACTIVE
from zygarde.store.trials import OPEN

log = logging.getLogger(__name__)

# How often the lease check also queries MongoDB for running trials this planner never saw. A restarted
# planner loads every running job's open trials into its lease check (``resume_all``), so the query only
# catches what no running job holds; on the local MongoDB-wire server it reads every trial ever stored
# (bench/results/design_figures.md), so it runs every few minutes, not every 30 s.
SWEEP_S = 300.0
# How often the idle tick recounts the jobs by status for the zygarde_planner_jobs gauge (a job event
# has the next tick recount, at most a second later, so no handler on a trial's path waits for it). The
# count reads every job ever stored (on the local MongoDB-wire server, the whole documents), which every
# second kept that server busy with nothing running (bench/results/design_figures.md); Prometheus scrapes
# every 15 s.
GAUGES_S = 15.0

__all__ = ["GAUGES_S", "SWEEP_S", "JobView", "Planner", "Publisher", "budget_spent", "empty_summary", "fair_limit"]


class Planner(JobLifecycle):
    """The planner's consumer loop: ``handle`` sends each message to its handler (job_lifecycle.py,
    trial_flow.py), and between messages ``due``, ``tick`` and the lease check keep every job moving.
    Its state (``active``, ``leases``, ``router``) is described in planner_state.py."""

    def handle(self, event: ev.Event, meta: MessageMeta | None = None) -> None:
        if isinstance(event, ev.JobSubmitted):
            self.on_submitted(event)
        elif isinstance(event, ev.JobCancelRequested):
            self.on_cancel(event)
        elif isinstance(event, ev.JobPauseRequested):
            self.on_pause(event)
        elif isinstance(event, ev.JobResumeRequested):
            self.on_resume(event)
        elif isinstance(event, ev.RetrainRequested):  # the same spec on new data, as a job of its own
            self.on_submitted(retrain.submission(event))
            self.jobs.update(event.retrain_job_id(), **retrain.lineage(event))
        elif isinstance(event, ev.TrialStarted):
            self.leases.beat(event.trial_id)
            self._mark_running(event)
        elif isinstance(event, ev.TrialProgressed):
            self.on_progress(event)
        elif isinstance(event, ev.TrialCompleted | ev.TrialFailed):
            self.on_result(event)
        self.producer.flush()

    # ------------------------------------------------------------------ periodic

    def due(self) -> None:
        """Cheap, called often: a job whose deadline just passed stops its trials now, not at the
        next ``tick`` (reads memory only; ``tick`` still covers whatever a restart forgot)."""
        now = self.clock()
        for entry in [e for e in self.active.values() if e.deadline is not None and now >= e.deadline]:
            entry.deadline = None
            self.fill(entry.job_id)

    def tick(self) -> None:
        """Between messages: lost trials are handed out again; jobs past their deadline stop."""
        self.recover_lost_trials()
        active = self.jobs.active()
        for job_id in set(self.active) - {job["_id"] for job in active}:
            del self.active[job_id]  # ended elsewhere: read it again if it is ever needed
        for job in active:
            if job["_id"] in self.active:
                self.active[job["_id"]].doc = job  # a fresh read of the truth replaces this planner's copy
            if job.get("status") == "running" and job.get("deadline") and self.clock() >= job["deadline"]:
                self.fill(job["_id"])
        if self._last_gauges is None or self.clock() - self._last_gauges >= GAUGES_S:
            self._count_jobs()
        self.producer.flush()

    def recover_lost_trials(self) -> None:
        """A running trial with no heartbeat for ``trial_lease_s`` lost its trainer: request it again
        with the same id and ``attempt + 1``, or record it as ``TrialFailed(reason="lost")``.

        The candidates are the running trials whose last heartbeat this planner saw a lease ago, each
        read by _id; every ``SWEEP_S`` a query for stale running trials also catches those it never saw.
        (FerretDB answers that query by scanning every trial ever stored: not a once-a-second job.)"""
        now = self.clock()
        before = ev.now() - timedelta(seconds=self.trial_lease_s)
        docs = {}
        for tid in self.leases.expired():
            doc = self.trials.get(tid)
            if doc is None or doc.get("status") not in OPEN:
                self._forget(tid)
            elif doc.get("status") == "running" and doc.get("heartbeat_at") and doc["heartbeat_at"] < before:
                docs[tid] = doc
            else:
                self.leases.look_later(tid)
        if self.last_sweep is None or now - self.last_sweep >= SWEEP_S:
            self.last_sweep = now
            docs.update({d["_id"]: d for d in self.trials.stale_running(before)})
        for doc in docs.values():
            attempt = int(doc.get("attempt", 1))
            job = self._job(doc["job_id"])
            if job is None or job.get("status") not in ACTIVE:
                self._forget(doc["_id"])
                continue
            self.leases.new_lease(doc["_id"])
            if attempt < self.max_attempts:
                if self.trials.requeue(doc["_id"], attempt + 1):
                    view = self._view(doc["job_id"])
                    if view is not None:
                        view.running.discard(doc["_id"])
                    log.warning("trial lost, requesting attempt %d", attempt + 1,
                                extra={"job_id": doc["job_id"], "trial_id": doc["_id"]})
                    spec = self._spec(job)
                    self._publish_trial(job, spec, doc["_id"], doc["index"], doc["algorithm"], doc["params"],
                                        attempt + 1, rows=doc.get("rows"))
            else:
                # Published on results so the selector counts it; the planner closes it when it reads it back.
                self.producer.publish(ev.TrialFailed(
                    job_id=doc["job_id"], trial_id=doc["_id"], attempt=attempt, algorithm=doc["algorithm"],
                    params=doc["params"], reason="lost", error=f"no heartbeat for {self.trial_lease_s}s",
                    event_id=stable_event_id(doc["_id"], "lost")))

    def resume_all(self) -> None:
        """At start-up: continue every active job from what MongoDB holds."""
        running = [job for job in self.jobs.active() if job.get("status") == "running"]
        for job in running:  # every share known before the first fill, so none takes them all
            entry = self._entry(job)
            entry.share = (entry.spec.search.max_parallel, entry.spec.priority)
        for job in running:
            self._publish_accepted(job)
            self.fill(job["_id"])
        for job in self.jobs.active():  # a paused job's open trials still run: watch their leases
            if job.get("status") == "paused":
                for d in self.trials.for_job(job["_id"]):
                    if d["status"] in OPEN and d.get("published", True):
                        self.leases.known(d["_id"], int(d.get("attempt", 1)))
                    if d["status"] == "running":
                        self.leases.watch(d["_id"])
        self._refresh_gauges()

"""The planner's message handlers: accept or reject jobs, keep each job's trials flowing.

State lives in MongoDB (``jobs``, ``trials``); a strategy's memory is rebuilt from the stored
trials when a planner starts, so a killed planner resumes without duplicating a trial id or going
past ``max_trials``. Every publish is flushed before the offset of the message that caused it is
stored (the bus stores it after the handler returns).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from services.planner import retrain
from services.planner.active import ActiveJob
from services.planner.leases import LeaseTracker
from services.planner.routing import PartitionRouter
from services.planner.strategies import STRATEGIES, make_strategy
from services.planner.strategies._base import BaseStrategy, TrialResult, TrialSpec
from services.planner.view import JobView, budget_spent, empty_summary, fair_limit, initial_points
from zygarde import events as ev
from zygarde.bus import MessageMeta
from zygarde.errors import SpecError
from zygarde.ids import stable_event_id, trial_id, trial_seed
from zygarde.ml import algorithms, cv, datasets, metrics, portfolio
from zygarde.ml.validation import check_job_details
from zygarde.observability import PLANNER_JOBS, PLANNER_TRIALS_FINISHED, PLANNER_TRIALS_REQUESTED
from zygarde.settings import Settings
from zygarde.store.jobs import ACTIVE
from zygarde.store.ports import JobStore, TrialStore
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
# A failed trial's error as stored for the API (the trainer sends up to 4,000 characters of traceback).
ERROR_CHARS = 2000

__all__ = ["GAUGES_S", "SWEEP_S", "JobView", "Planner", "Publisher", "budget_spent", "empty_summary", "fair_limit"]


class Publisher(Protocol):
    """What the planner asks of the bus (``EventProducer``; ``tests.recording.RecordingProducer`` in tests)."""

    def publish(self, event: ev.Event, *, partition: int | None = None) -> None: ...
    def flush(self) -> None: ...


class Planner:
    """The planner's consumer-loop state and handlers: ``active`` (one ``ActiveJob`` per job whose search
    runs), ``leases`` (the open trials it watches) and ``router`` (where the next request goes)."""

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

    # ------------------------------------------------------------------ dispatch

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

    # ------------------------------------------------------------------ jobs

    def on_submitted(self, event: ev.JobSubmitted) -> None:
        existing = self.jobs.get(event.job_id)
        if existing is not None and existing.get("status") != "queued":
            # A re-delivered submission: finish whatever the previous run left undone.
            if existing.get("status") in ACTIVE:
                self._publish_accepted(existing)
                self.fill(event.job_id)
            return
        try:
            checked = check_job_details(event.spec, self.settings.data_root_paths, self.settings.dataset_cache,
                                        STRATEGIES)
        except SpecError as exc:
            self._reject(event, exc.reasons, existing is None)
            return
        spec, task = checked.spec, checked.task
        names = spec.algorithm_names() or algorithms.default_algorithms(task)
        doc = {
            "name": spec.name, "spec": spec.model_dump(mode="json"), "task": task, "status": "running",
            "metric": spec.metric, "greater_is_better": metrics.get(spec.metric).greater_is_better,
            "algorithms": names, "strategy": spec.search.strategy, "started_at": ev.now(),
            "deadline": (self.clock() + spec.search.time_budget_s) if spec.search.time_budget_s else None,
            "submitted_via": event.submitted_via, "planned_trials": spec.search.max_trials,
            "train_rows": self._train_rows(spec),
            "warnings": checked.warnings,
        }
        if existing is None:
            self.jobs.create(event.job_id, doc)
        else:
            # By _id alone (doc says running): only this planner moves a queued job (cancel and pause come
            # through it), and it read the job queued above. A filter on status too would read every job
            # stored on the local MongoDB-wire server, on every job's way to its first trial.
            self.jobs.update(event.job_id, **doc)
        self.active.pop(event.job_id, None)
        job = self._job(event.job_id)
        assert job is not None
        self._publish_accepted(job)
        self.strategy(job, stored=[])  # a job that starts now has no trials: nothing to read back
        self.fill(event.job_id)
        self._refresh_gauges()

    def _train_rows(self, spec: ev.JobSpec) -> int | None:
        """Rows of the job's training part (what ``auto`` sizes its row subsamples by); the dataset was
        just parsed by the check, so this reads the in-memory copy. None for the spark engine."""
        if spec.engine == "spark":
            return None
        frame = datasets.load_frame(spec.dataset.uri, self.settings.data_root_paths, self.settings.dataset_cache)
        return cv.training_rows(frame, spec.dataset)

    def _reject(self, event: ev.JobSubmitted, reasons: list[str], new: bool) -> None:
        fields = {"status": "rejected", "reasons": reasons, "finished_at": ev.now(),
                  "ended_reason": "rejected", "spec": event.spec, "submitted_via": event.submitted_via,
                  "summary": empty_summary()}
        if new:
            self.jobs.create(event.job_id, fields)
        else:
            self.jobs.transition(event.job_id, "rejected", ("queued",), **{k: v for k, v in fields.items()
                                                                           if k != "status"})
        self.producer.publish(ev.JobRejected(job_id=event.job_id, reasons=reasons,
                                             event_id=stable_event_id(event.job_id, "rejected")))
        log.info("job rejected: %s", "; ".join(reasons), extra={"job_id": event.job_id})
        self._refresh_gauges()

    def _publish_accepted(self, job: dict[str, Any]) -> None:
        if job.get("accepted_published"):
            return
        spec = ev.JobSpec.model_validate(job["spec"])
        self.producer.publish(ev.JobAccepted(job_id=job["_id"], spec=spec, task=job["task"],
                                             planned_trials=spec.search.max_trials,
                                             warnings=job.get("warnings", []),
                                             event_id=stable_event_id(job["_id"], "accepted")))
        self.producer.flush()
        self.jobs.update(job["_id"], accepted_published=True)
        job["accepted_published"] = True

    def on_cancel(self, event: ev.JobCancelRequested) -> None:
        if not self.jobs.transition(event.job_id, "cancelled", ACTIVE, finished_at=ev.now(),
                                    ended_reason=f"cancelled: {event.reason}"):
            return
        self.trials.cancel_open(event.job_id)
        for tid in self.leases.of_job(event.job_id):
            self._forget(tid)
        entry = self.active.pop(event.job_id, None)
        view = entry.view if entry is not None else None
        greater = view.greater_is_better if view is not None else bool(
            (self.jobs.get(event.job_id) or {}).get("greater_is_better", True))
        # its summary, read back once now that nothing more changes (a cancel is rare: one query by job)
        self.jobs.update(event.job_id, summary=JobView.of(self.trials.for_job(event.job_id), greater).summary())
        self._release(entry)
        self.producer.publish(ev.JobCancelled(job_id=event.job_id, reason=event.reason,
                                              event_id=stable_event_id(event.job_id, "cancelled")))
        self._refresh_gauges()

    def on_pause(self, event: ev.JobPauseRequested) -> None:
        """A running job requests no new trials; its open ones run to their end. Its strategy and view
        stay in memory (or are rebuilt from MongoDB on resume), so the search goes on where it stopped."""
        job = self.jobs.get(event.job_id)
        if job is None or job.get("search_finished"):
            return
        if not self.jobs.transition(event.job_id, "paused", ("running",), paused_at=ev.now(),
                                    paused_clock=self.clock()):
            return  # not running (a re-delivered request finds it paused already)
        entry = self.active.get(event.job_id)
        if entry is not None:
            entry.doc.update(status="paused")
            entry.deadline = None  # the time budget does not run while paused
        self.producer.publish(ev.JobPaused(job_id=event.job_id, reason=event.reason,
                                           event_id=stable_event_id(event.job_id, "paused", event.event_id)))
        log.info("job paused", extra={"job_id": event.job_id})
        if entry is not None and entry.share is not None:
            entry.share = None
            for other in list(self._shares()):  # the others may use its share now
                self.fill(other)
        self._refresh_gauges()

    def on_resume(self, event: ev.JobResumeRequested) -> None:
        """A paused job's search goes on: the deadline moves by the pause, so its time budget counts
        only the time it ran."""
        job = self.jobs.get(event.job_id)
        if job is None or job.get("status") != "paused":
            return
        paused_s = max(0.0, self.clock() - float(job.get("paused_clock") or self.clock()))
        fields: dict[str, Any] = {"paused_at": None, "paused_clock": None,
                                  "paused_s": float(job.get("paused_s") or 0.0) + paused_s}
        if job.get("deadline") is not None:
            fields["deadline"] = float(job["deadline"]) + paused_s
        if not self.jobs.transition(event.job_id, "running", ("paused",), **fields):
            return
        entry = self.active.get(event.job_id)
        if entry is not None:
            entry.doc.update(status="running", **fields)
        self.producer.publish(ev.JobResumed(job_id=event.job_id, reason=event.reason, paused_s=round(paused_s, 3),
                                            event_id=stable_event_id(event.job_id, "resumed", event.event_id)))
        log.info("job resumed after %.1f s", paused_s, extra={"job_id": event.job_id})
        self.fill(event.job_id)
        self._refresh_gauges()

    # ------------------------------------------------------------------ trials

    def on_progress(self, event: ev.TrialProgressed) -> None:
        """A heartbeat renews the lease; a fold result goes to the strategy, which may prune (ASHA)."""
        if self.leases.renewal_due(event.trial_id):
            self._mark_running(event)
        if event.heartbeat or event.score_so_far is None or not self._wants_reports(event.job_id):
            return
        job = self._job(event.job_id)
        suffix = event.trial_id.removeprefix(f"{event.job_id}-")  # the index, in an id of ours
        if job is None or job.get("status") not in ACTIVE or job.get("search_finished") or not suffix.isdigit():
            return
        strategy = self.strategy(job)
        index = int(suffix)
        # Judged first, then the report and its verdict stored in one write: the trainer waits for this
        # fold's report to appear (``TrialRepository.verdict``) and so never reads one without the other.
        prune = index in strategy.asked and strategy.report(index, event.fold, event.score_so_far)
        self.trials.record_report(event.trial_id, event.fold, event.score_so_far, "pruned" if prune else None)

    def _mark_running(self, event: ev.TrialStarted | ev.TrialProgressed) -> None:
        """Renew the lease of the current attempt; a trial this planner requested in this very attempt
        is known open (it is forgotten when it closes), so its document is written without a read."""
        if self.leases.is_current(event.trial_id, event.attempt):
            self.trials.renew(event.trial_id, event.worker)
        elif not self.trials.mark_running(event.trial_id, event.attempt, event.worker):
            return
        view = self._view(event.job_id)
        if view is not None and event.trial_id in view.open:
            view.running.add(event.trial_id)

    def on_result(self, event: ev.TrialCompleted | ev.TrialFailed) -> None:
        completed = isinstance(event, ev.TrialCompleted)
        fields: dict[str, Any] = {"worker": event.worker, "attempt": event.attempt}
        if isinstance(event, ev.TrialCompleted):
            fields.update(score=event.cv_mean, seconds=event.cv_seconds)
        else:
            # the error text too (cut: a traceback's last line is what a person reads), so the API can say why
            fields.update(reason=event.reason, seconds=event.seconds, error=event.error[:ERROR_CHARS])
        closed = self.trials.finish(event.trial_id, "completed" if completed else "failed", **fields)
        self._forget(event.trial_id)
        if closed is None:
            return  # a duplicate or a late attempt: already counted
        view = self._view(event.job_id)
        if view is not None:
            view.running.discard(event.trial_id)
            view.open.discard(event.trial_id)
            best = {"trial_id": event.trial_id, "algorithm": event.algorithm, "params": event.params}
            view.account(fields.get("score"), float(fields["seconds"]), best if completed else None,
                         ranked=closed.get("rows") is None)
        PLANNER_TRIALS_FINISHED.labels(outcome="completed" if completed else "failed").inc()
        entry = self.active.get(event.job_id)
        if entry is not None and entry.strategy is not None:
            entry.strategy.tell(int(closed["index"]), TrialResult(fields.get("score"), float(fields["seconds"])))
        self.fill(event.job_id)

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

    def strategy(self, job: dict[str, Any], stored: list[dict[str, Any]] | None = None) -> BaseStrategy:
        """The job's strategy, rebuilt from the stored trials the first time it is needed (``stored``:
        the job's trials when the caller knows them, as for a job that starts now)."""
        entry = self._entry(job)
        if entry.strategy is None:
            spec = entry.spec
            overrides = {a.name: a.space for a in spec.algorithms or [] if isinstance(a, ev.AlgorithmChoice)}
            spaces = {name: algorithms.space_for(name, overrides.get(name)) for name in job["algorithms"]}
            options: dict[str, Any] = {"folds": spec.cv.folds}
            if spec.search.defaults_first:
                options["initial"] = initial_points(spaces, job["task"])
            if spec.search.strategy == "auto":  # its warm start, and what sizes its rungs and budget
                options.update(portfolio=portfolio.members(job["task"]), train_rows=job.get("train_rows"),
                               time_budget_s=spec.search.time_budget_s)
            strategy = make_strategy(spec.search.strategy, spaces, seed=spec.search.seed,
                                     max_trials=spec.search.max_trials,
                                     greater_is_better=bool(job["greater_is_better"]), **options)
            if stored is None:
                stored = self.trials.for_job(entry.job_id)
            for d in stored:  # what this planner knows of its open trials from now on (see _mark_running)
                if d["status"] in OPEN and d.get("published", True):
                    self.leases.known(d["_id"], int(d.get("attempt", 1)))
                if d["status"] == "running":
                    self.leases.watch(d["_id"])
            entry.view = JobView.of(stored, bool(job["greater_is_better"]))
            asked = [TrialSpec(d["index"], d["algorithm"], d["params"], d.get("rows")) for d in stored]
            told = {d["index"]: TrialResult(d.get("score"), d.get("seconds")) for d in stored
                    if d["status"] in ("completed", "failed")}
            reports = {d["index"]: [(int(r["fold"]), float(r["score"])) for r in d.get("reports", [])] for d in stored}
            strategy.rebuild(asked, told, reports)
            entry.strategy = strategy
        return entry.strategy

    def fill(self, job_id: str) -> None:
        """Request trials until ``max_parallel`` are in flight or the search is over."""
        job = self._job(job_id)
        if job is None or job.get("status") not in ACTIVE or job.get("search_finished"):
            self.active.pop(job_id, None)  # nothing more to request: it holds no share
            return
        if job.get("status") == "paused":
            entry = self.active.get(job_id)
            if entry is not None:
                entry.share = None  # it asks for nothing until resumed
            return
        entry = self._entry(job)
        spec = entry.spec
        entry.share = (spec.search.max_parallel, spec.priority)
        fresh = entry.strategy is None
        strategy = self.strategy(job)
        if fresh:
            self._republish_unpublished(job, spec)
        view = entry.view
        assert view is not None  # made with the strategy
        deadline = job.get("deadline")
        out_of_time = deadline is not None and self.clock() >= deadline
        if deadline is not None and not out_of_time:
            entry.deadline = float(deadline)  # ``due`` fills once when it passes; ``tick`` after that
        spent = budget_spent(spec.search, view, out_of_time)
        room = min(fair_limit(self._shares(), job_id) - len(view.open), spec.search.max_trials - view.total)
        if room > 0 and spent is None:
            for trial in strategy.ask(room):
                self._request(job, spec, trial)
        if spent in ("time_budget", "cost_budget") and view.open:
            self.trials.request_stop_open(job_id, spent)  # patience lets running trials finish
        exhausted = view.total >= spec.search.max_trials or strategy.exhausted or spent is not None
        if exhausted and not view.open:
            reason = spent or ("max_trials" if view.total >= spec.search.max_trials else "search_space_exhausted")
            self._finish_search(job, view.total, reason)

    def _shares(self) -> dict[str, tuple[int, int]]:
        return {job_id: entry.share for job_id, entry in self.active.items() if entry.share is not None}

    def _release(self, entry: ActiveJob | None) -> None:
        """A job stopped asking for trials (its entry is gone): the others may use its share now."""
        if entry is not None and entry.share is not None:
            for other in list(self._shares()):
                self.fill(other)

    def _request(self, job: dict[str, Any], spec: ev.JobSpec, trial: TrialSpec) -> None:
        tid = trial_id(job["_id"], trial.index)
        if self.trials.add(tid, job["_id"], trial.index, trial.algorithm, trial.params, trial.rows):
            view = self.active[job["_id"]].view
            assert view is not None
            view.total += 1
            view.open.add(tid)
        self._publish_trial(job, spec, tid, trial.index, trial.algorithm, trial.params, rows=trial.rows)

    def _publish_trial(self, job: dict[str, Any], spec: ev.JobSpec, tid: str, index: int, algorithm: str,
                       params: dict[str, Any], attempt: int = 1, rows: int | None = None) -> None:
        partition = self.router.route(tid)
        self.producer.publish(ev.TrialRequested(
            job_id=job["_id"], trial_id=tid, index=index, algorithm=algorithm, params=params, spec=spec,
            task=job["task"], seed=trial_seed(spec.search.seed, index), attempt=attempt,
            event_id=stable_event_id(tid, "requested", str(attempt)), report_folds=self._wants_reports(job["_id"]),
            rows=rows,
        ), partition=partition)
        self.producer.flush()
        self.trials.mark_published(tid)
        self.leases.requested(tid, attempt)
        PLANNER_TRIALS_REQUESTED.inc()

    def _republish_unpublished(self, job: dict[str, Any], spec: ev.JobSpec) -> None:
        """A trial stored but never acknowledged by Kafka (the planner died between): send it now."""
        for doc in self.trials.unpublished(job["_id"]):
            self._publish_trial(job, spec, doc["_id"], doc["index"], doc["algorithm"], doc["params"],
                                doc.get("attempt", 1), rows=doc.get("rows"))

    def _finish_search(self, job: dict[str, Any], total: int, reason: str) -> None:
        if job.get("search_finished"):
            return
        self.producer.publish(ev.JobSearchFinished(job_id=job["_id"], trials_total=total, ended_reason=reason,
                                                   event_id=stable_event_id(job["_id"], "search-finished")))
        self.producer.flush()
        entry = self.active.pop(job["_id"], None)  # nothing more to ask: a long-lived planner keeps no finished job
        fields: dict[str, Any] = {"search_finished": True, "trials_total": total, "search_ended_reason": reason}
        if entry is not None and entry.view is not None:  # every trial is closed: the summary the API shows now
            fields["summary"] = entry.view.summary()
        self.jobs.update(job["_id"], **fields)
        job["search_finished"] = True
        self._release(entry)

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

    def _refresh_gauges(self) -> None:
        """A job changed status: the next ``tick`` recounts the jobs gauge (see ``GAUGES_S``)."""
        self._last_gauges = None

    def _count_jobs(self) -> None:
        self._last_gauges = self.clock()
        counts = self.jobs.count_by_status()
        for status in ("queued", "running", "paused", "completed", "failed", "cancelled", "rejected"):
            PLANNER_JOBS.labels(status=status).set(counts.get(status, 0))

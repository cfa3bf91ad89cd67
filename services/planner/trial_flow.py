"""A job's trials: its strategy (rebuilt from the stored trials), requests up to its share, and what the
trainers report back (progress, verdicts, results) until the search is over."""

from __future__ import annotations

import logging
from typing import Any

from services.planner.active import ActiveJob
from services.planner.planner_state import PlannerState
from services.planner.strategies import make_strategy
from services.planner.strategies._base import BaseStrategy, TrialResult, TrialSpec
from services.planner.view import JobView, budget_spent, fair_limit, initial_points
from zygarde import events as ev
from zygarde.ids import stable_event_id, trial_id, trial_seed
from zygarde.ml import algorithms, portfolio
from zygarde.observability import PLANNER_TRIALS_FINISHED, PLANNER_TRIALS_REQUESTED
from zygarde.store.jobs import ACTIVE
from zygarde.store.trials import OPEN

log = logging.getLogger(__name__)

# A failed trial's error as stored for the API (the trainer sends up to 4,000 characters of traceback).
ERROR_CHARS = 2000


class TrialFlow(PlannerState):
    """Keeps each job's trials flowing: ``fill`` asks the strategy for trials while the job has room, the
    handlers of ``results`` close them, and the search ends once it is spent and nothing is open."""

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
        # no new trial will come (a strategy's own exhaustion is not final: an adaptive one may propose again
        # on the next result)
        requested_all = view.total >= spec.search.max_trials or spent is not None
        exhausted = requested_all or strategy.exhausted
        if requested_all and view.open and not job.get("all_requested"):
            # for the scaler: the trainers this job's open trials leave idle may stop
            self.jobs.update(job_id, all_requested=True)
            job["all_requested"] = True
        if exhausted and not view.open:
            reason = spent or ("max_trials" if view.total >= spec.search.max_trials else "search_space_exhausted")
            self._finish_search(job, view.total, reason)

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
            judged_folds=self._judged_folds(job["_id"]), rows=rows,
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

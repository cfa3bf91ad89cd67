"""The planner's message handlers: accept or reject jobs, keep each job's trials flowing.

State lives in MongoDB (``jobs``, ``trials``); a strategy's memory is rebuilt from the stored
trials when a planner starts, so a killed planner resumes without duplicating a trial id or going
past ``max_trials``. Every publish is flushed before the offset of the message that caused it is
stored (the bus stores it after the handler returns).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from services.planner import retrain
from services.planner.strategies import make_strategy
from services.planner.strategies._base import BaseStrategy, TrialResult, TrialSpec
from zygarde import events as ev
from zygarde import topics
from zygarde.bus import EventProducer, MessageMeta
from zygarde.errors import SpecError
from zygarde.ids import stable_event_id, trial_id, trial_seed
from zygarde.ml import algorithms, cv, datasets, metrics, portfolio
from zygarde.ml.validation import check_job_details
from zygarde.observability import PLANNER_JOBS, PLANNER_TRIALS_FINISHED, PLANNER_TRIALS_REQUESTED
from zygarde.settings import Settings
from zygarde.store import JobRepository, TrialRepository
from zygarde.store.jobs import ACTIVE
from zygarde.store.trials import OPEN

log = logging.getLogger(__name__)

# How often the lease check also queries MongoDB for running trials this planner never saw. A restarted
# planner loads every running job's open trials into its lease check (``resume_all``), so the query only
# catches what no running job holds; on the local MongoDB-wire server it reads every trial ever stored
# (~57 us each on this machine: 0.6 s at 10,000 trials), so it runs every few minutes, not every 30 s.
SWEEP_S = 300.0
# How often the idle tick recounts the jobs by status for the zygarde_planner_jobs gauge (a job event
# recounts at once). The count reads every job ever stored (on the local MongoDB-wire server, the whole
# documents): every second it kept that server at 10-14 % of a core with 175 jobs stored and nothing
# running; Prometheus scrapes every 15 s.
GAUGES_S = 15.0


@dataclass
class JobView:
    """What ``fill`` needs to know about a job's trials, kept in memory so the hot path reads no
    collection; rebuilt from MongoDB (the truth) whenever the planner first touches the job. It is
    also the job's summary (trials by status, instance-seconds, best trial) that the API shows: the
    local MongoDB-wire server answers a query by ``job_id`` by reading every trial ever stored."""

    total: int
    open: set[str]
    greater_is_better: bool = True
    seconds: float = 0.0  # instance-seconds the finished trials occupied trainers
    best: float | None = None
    since_best: int = 0  # finished trials in a row that did not beat ``best``
    running: set[str] = field(default_factory=set)  # the open trials a trainer has started
    completed: int = 0
    failed: int = 0
    best_trial: dict[str, Any] | None = None  # trial_id, algorithm, params, score of ``best``

    def account(self, score: float | None, seconds: float, trial: dict[str, Any] | None = None,
                ranked: bool = True) -> None:
        """One finished trial, in the order trials finished (a failure never improves the best).
        ``trial``: its id, algorithm and params (None: a failure). ``ranked=False``: a score on a subsample
        of the rows, never compared with the others (it never improves the best either)."""
        self.seconds += seconds
        if score is None:
            self.failed += 1
        else:
            self.completed += 1
        better = ranked and score is not None and (self.best is None or (
            score > self.best if self.greater_is_better else score < self.best))
        if better:
            self.best, self.since_best = score, 0
            if trial is not None:
                self.best_trial = {**trial, "score": score}
        else:
            self.since_best += 1

    @classmethod
    def of(cls, stored: list[dict[str, Any]], greater_is_better: bool) -> JobView:
        """The view of a job's stored trials, the finished ones accounted in the order they finished."""
        view = cls(len(stored), {d["_id"] for d in stored if d["status"] in OPEN}, greater_is_better=greater_is_better,
                   running={d["_id"] for d in stored if d["status"] == "running"})
        finished = [d for d in stored if d["status"] in ("completed", "failed")]
        for d in sorted(finished, key=lambda d: (d.get("finished_at") is None, d.get("finished_at"), d["index"])):
            completed = d["status"] == "completed"
            view.account(d.get("score") if completed else None, float(d.get("seconds") or 0.0),
                         {"trial_id": d["_id"], "algorithm": d["algorithm"], "params": d["params"]},
                         ranked=d.get("rows") is None)
        return view

    def summary(self) -> dict[str, Any]:
        """The job's trials by status, the instance-seconds they used and the best one, as the API
        shows them (read from another thread: only lengths and whole values, never an iteration)."""
        running = len(self.running)
        return {"trials": {"requested": len(self.open) - running, "running": running,
                           "completed": self.completed, "failed": self.failed},
                "instance_seconds": self.seconds, "best": self.best_trial}


def empty_summary() -> dict[str, Any]:
    return JobView(0, set()).summary()


def budget_spent(search: ev.SearchSpec, view: JobView, out_of_time: bool) -> str | None:
    """Which budget ends the search now, if any: the deadline, the cost in instance-seconds, or
    ``patience`` finished trials in a row without improvement."""
    if out_of_time:
        return "time_budget"
    if search.cost_budget is not None and view.seconds >= search.cost_budget:
        return "cost_budget"
    if search.patience is not None and view.best is not None and view.since_best >= search.patience:
        return "patience"
    return None


def initial_points(spaces: dict[str, Any], task: str) -> list[tuple[str, dict[str, Any]]]:
    """Each algorithm's own defaults as a point of its space, in the job's order of algorithms."""
    points = ((name, algorithms.default_params(name, space, task)) for name, space in spaces.items())
    return [(name, params) for name, params in points if params is not None]


def fair_limit(shares: dict[str, tuple[int, int]], job_id: str) -> int:
    """How many trials ``job_id`` may have in flight while ``shares`` (job -> (max_parallel,
    priority)) are active: the largest ``max_parallel`` is split by weight ``2 ** (priority / 2)``,
    never above the job's own ``max_parallel`` nor below one. Alone, a job gets its ``max_parallel``;
    a big job started first leaves a small later one its share instead of queueing ahead of it."""
    own, _ = shares[job_id]
    pool = max(mp for mp, _ in shares.values())
    weights = {j: 2.0 ** (priority / 2) for j, (_, priority) in shares.items()}
    return max(1, min(own, math.ceil(pool * weights[job_id] / sum(weights.values()) - 1e-9)))


class Planner:
    def __init__(self, settings: Settings, jobs: JobRepository, trials: TrialRepository,
                 producer: EventProducer, clock: Callable[[], float] = time.time, *,
                 trial_lease_s: float = 60.0, max_attempts: int = 3) -> None:
        self.settings = settings
        self.trial_lease_s = trial_lease_s
        self.max_attempts = max_attempts
        self.jobs = jobs
        self.trials = trials
        self.producer = producer
        self.clock = clock
        self._strategies: dict[str, BaseStrategy] = {}
        self._views: dict[str, JobView] = {}
        self._jobs: dict[str, dict[str, Any]] = {}  # active job -> its document, while its search goes on
        self._specs: dict[str, ev.JobSpec] = {}  # active job -> its parsed spec
        self._last_beat: dict[str, float] = {}
        self._shares: dict[str, tuple[int, int]] = {}  # active job -> (max_parallel, priority)
        self._deadlines: dict[str, float] = {}  # active job -> its time budget's end (clock seconds)
        self._sent: dict[str, int] = {}  # open trial -> the partition it was sent to (trainer load)
        self._attempts: dict[str, int] = {}  # open trial -> the attempt this planner requested last
        self._last_sweep: float | None = None
        self._last_gauges: float | None = None
        self._next_partition = 0
        self.trainer_partitions: list[list[int]] = []  # refreshed by the composition root

    # ------------------------------------------------------------------ dispatch

    def handle(self, event: ev.Event, meta: MessageMeta | None = None) -> None:
        if isinstance(event, ev.JobSubmitted):
            self.on_submitted(event)
        elif isinstance(event, ev.JobCancelRequested):
            self.on_cancel(event)
        elif isinstance(event, ev.RetrainRequested):  # the same spec on new data, as a job of its own
            self.on_submitted(retrain.submission(event))
            self.jobs.update(event.retrain_job_id(), **retrain.lineage(event))
        elif isinstance(event, ev.TrialStarted):
            self._last_beat[event.trial_id] = self.clock()
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
            checked = check_job_details(event.spec, self.settings.data_root_paths, self.settings.dataset_cache)
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
            self.jobs.transition(event.job_id, "running", ("queued",), **doc)
        self._forget_job(event.job_id)
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
        for tid in [t for t in self._attempts if t.startswith(f"{event.job_id}-")]:
            self._forget(tid)
        self._strategies.pop(event.job_id, None)
        view = self._views.pop(event.job_id, None)
        greater = view.greater_is_better if view is not None else bool(
            (self.jobs.get(event.job_id) or {}).get("greater_is_better", True))
        # its summary, read back once now that nothing more changes (a cancel is rare: one query by job)
        self.jobs.update(event.job_id, summary=JobView.of(self.trials.for_job(event.job_id), greater).summary())
        self._forget_job(event.job_id)
        self._release(event.job_id)
        self.producer.publish(ev.JobCancelled(job_id=event.job_id, reason=event.reason,
                                              event_id=stable_event_id(event.job_id, "cancelled")))
        self._refresh_gauges()

    # ------------------------------------------------------------------ trials

    def on_progress(self, event: ev.TrialProgressed) -> None:
        """A heartbeat renews the lease; a fold result goes to the strategy, which may prune (ASHA)."""
        now = self.clock()
        if now - self._last_beat.get(event.trial_id, 0.0) >= min(1.0, self.trial_lease_s / 3):
            self._last_beat[event.trial_id] = now  # renewing a lease more often than this buys nothing
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
        if self._attempts.get(event.trial_id) == event.attempt:
            self.trials.renew(event.trial_id, event.worker)
        elif not self.trials.mark_running(event.trial_id, event.attempt, event.worker):
            return
        view = self._views.get(event.job_id)
        if view is not None and event.trial_id in view.open:
            view.running.add(event.trial_id)

    def on_result(self, event: ev.TrialCompleted | ev.TrialFailed) -> None:
        completed = isinstance(event, ev.TrialCompleted)
        fields: dict[str, Any] = {"worker": event.worker, "attempt": event.attempt}
        if isinstance(event, ev.TrialCompleted):
            fields.update(score=event.cv_mean, seconds=event.cv_seconds)
        else:
            fields.update(reason=event.reason, seconds=event.seconds)
        closed = self.trials.finish(event.trial_id, "completed" if completed else "failed", **fields)
        self._forget(event.trial_id)
        if closed is None:
            return  # a duplicate or a late attempt: already counted
        view = self._views.get(event.job_id)
        if view is not None:
            view.running.discard(event.trial_id)
            view.open.discard(event.trial_id)
            best = {"trial_id": event.trial_id, "algorithm": event.algorithm, "params": event.params}
            view.account(fields.get("score"), float(fields["seconds"]), best if completed else None,
                         ranked=closed.get("rows") is None)
        PLANNER_TRIALS_FINISHED.labels(outcome="completed" if completed else "failed").inc()
        strategy = self._strategies.get(event.job_id)
        if strategy is not None:
            strategy.tell(int(closed["index"]), TrialResult(fields.get("score"), float(fields["seconds"])))
        self.fill(event.job_id)

    def live_summary(self, job_id: str) -> dict[str, Any] | None:
        """The summary of a job whose search this planner runs now (None: not one of them)."""
        view = self._views.get(job_id)
        return None if view is None else view.summary()

    def _forget(self, tid: str) -> None:
        """A closed trial: no lease to watch, no load on its trainer, no longer known open."""
        self._last_beat.pop(tid, None)
        self._sent.pop(tid, None)
        self._attempts.pop(tid, None)

    def _wants_reports(self, job_id: str) -> bool:
        """Only strategies that prune (ASHA) need every fold's score stored and judged."""
        strategy = self._strategies.get(job_id)
        return strategy is None or type(strategy).report is not BaseStrategy.report

    def _job(self, job_id: str) -> dict[str, Any] | None:
        """The job's document, read from MongoDB once and then kept while its search goes on: until the
        search finishes, every change to a running job is this planner's own (cancel, the deadline, the
        search's end), so the hot path (``fill`` after each result) reads no collection. ``tick`` replaces
        the copy with a fresh read."""
        job = self._jobs.get(job_id)
        if job is None:
            job = self.jobs.get(job_id)
            if job is not None and job.get("status") == "running" and not job.get("search_finished"):
                self._jobs[job_id] = job
        return job

    def _spec(self, job: dict[str, Any]) -> ev.JobSpec:
        """The job's parsed spec, validated once per job (not once per trial)."""
        spec = self._specs.get(job["_id"])
        if spec is None:
            spec = ev.JobSpec.model_validate(job["spec"])
            if job["_id"] in self._jobs:
                self._specs[job["_id"]] = spec
        return spec

    def _forget_job(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)
        self._specs.pop(job_id, None)

    def strategy(self, job: dict[str, Any], stored: list[dict[str, Any]] | None = None) -> BaseStrategy:
        """The job's strategy, rebuilt from the stored trials the first time it is needed (``stored``:
        the job's trials when the caller knows them, as for a job that starts now)."""
        job_id = job["_id"]
        if job_id not in self._strategies:
            spec = self._spec(job)
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
                stored = self.trials.for_job(job_id)
            for d in stored:  # what this planner knows of its open trials from now on (see _mark_running)
                if d["status"] in OPEN and d.get("published", True):
                    self._attempts.setdefault(d["_id"], int(d.get("attempt", 1)))
                if d["status"] == "running":
                    self._last_beat.setdefault(d["_id"], self.clock())  # a lease from now, if none beats
            self._views[job_id] = JobView.of(stored, bool(job["greater_is_better"]))
            asked = [TrialSpec(d["index"], d["algorithm"], d["params"], d.get("rows")) for d in stored]
            told = {d["index"]: TrialResult(d.get("score"), d.get("seconds")) for d in stored
                    if d["status"] in ("completed", "failed")}
            reports = {d["index"]: [(int(r["fold"]), float(r["score"])) for r in d.get("reports", [])] for d in stored}
            strategy.rebuild(asked, told, reports)
            self._strategies[job_id] = strategy
        return self._strategies[job_id]

    def fill(self, job_id: str) -> None:
        """Request trials until ``max_parallel`` are in flight or the search is over."""
        job = self._job(job_id)
        if job is None or job.get("status") not in ACTIVE or job.get("search_finished"):
            self._shares.pop(job_id, None)  # nothing more to request: it holds no share
            return
        spec = self._spec(job)
        self._shares[job_id] = (spec.search.max_parallel, spec.priority)
        fresh = job_id not in self._strategies
        strategy = self.strategy(job)
        if fresh:
            self._republish_unpublished(job, spec)
        view = self._views[job_id]
        deadline = job.get("deadline")
        out_of_time = deadline is not None and self.clock() >= deadline
        if deadline is not None and not out_of_time:
            self._deadlines[job_id] = float(deadline)  # ``due`` fills once when it passes; ``tick`` after that
        spent = budget_spent(spec.search, view, out_of_time)
        room = min(fair_limit(self._shares, job_id) - len(view.open), spec.search.max_trials - view.total)
        if room > 0 and spent is None:
            for trial in strategy.ask(room):
                self._request(job, spec, trial)
        if spent in ("time_budget", "cost_budget") and view.open:
            self.trials.request_stop_open(job_id, spent)  # patience lets running trials finish
        exhausted = view.total >= spec.search.max_trials or strategy.exhausted or spent is not None
        if exhausted and not view.open:
            reason = spent or ("max_trials" if view.total >= spec.search.max_trials else "search_space_exhausted")
            self._finish_search(job, view.total, reason)

    def _release(self, job_id: str) -> None:
        """A job stopped asking for trials: the others may use its share of the trainers now."""
        if self._shares.pop(job_id, None) is not None:
            for other in list(self._shares):
                self.fill(other)

    def _request(self, job: dict[str, Any], spec: ev.JobSpec, trial: TrialSpec) -> None:
        tid = trial_id(job["_id"], trial.index)
        if self.trials.add(tid, job["_id"], trial.index, trial.algorithm, trial.params, trial.rows):
            view = self._views[job["_id"]]
            view.total += 1
            view.open.add(tid)
        self._publish_trial(job, spec, tid, trial.index, trial.algorithm, trial.params, rows=trial.rows)

    def _publish_trial(self, job: dict[str, Any], spec: ev.JobSpec, tid: str, index: int, algorithm: str,
                       params: dict[str, Any], attempt: int = 1, rows: int | None = None) -> None:
        partition = self._route(tid)
        self.producer.publish(ev.TrialRequested(
            job_id=job["_id"], trial_id=tid, index=index, algorithm=algorithm, params=params, spec=spec,
            task=job["task"], seed=trial_seed(spec.search.seed, index), attempt=attempt,
            event_id=stable_event_id(tid, "requested", str(attempt)), report_folds=self._wants_reports(job["_id"]),
            rows=rows,
        ), partition=partition)
        self.producer.flush()
        self.trials.mark_published(tid)
        self._attempts[tid] = attempt
        PLANNER_TRIALS_REQUESTED.inc()

    def _route(self, tid: str) -> int:
        """The ``trials`` partition for a new request: one of the least loaded trainer's partitions.

        Each trainer owns some partitions (as it recorded them); a trainer's load is the trials sent
        to its partitions and not finished yet. Sending to the least loaded one, not round-robin and
        not by key hash, keeps a trainer from idling while the next trial queues behind a busy one
        (hashing 40 trials onto two trainers leaves one with ~15 % more, which the other waits for)."""
        self._next_partition += 1
        self._sent.pop(tid, None)  # a re-requested trial no longer loads where it was sent before
        members = self.trainer_partitions
        if members:
            owner = {p: i for i, owned in enumerate(members) for p in owned}
            load = [0] * len(members)
            for sent_to in self._sent.values():
                if sent_to in owner:
                    load[owner[sent_to]] += 1
            start = self._next_partition % len(members)  # ties rotate, so equal trainers alternate
            pick = min(range(len(members)), key=lambda i: (load[i], (i - start) % len(members)))
            owned = members[pick]
            partition = owned[(self._next_partition // len(members)) % len(owned)]
        else:
            partition = self._next_partition % topics.TRIALS.partitions
        self._sent[tid] = partition
        return partition

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
        view = self._views.pop(job["_id"], None)
        self._strategies.pop(job["_id"], None)  # nothing more to ask: a long-lived planner keeps no finished job
        fields: dict[str, Any] = {"search_finished": True, "trials_total": total, "search_ended_reason": reason}
        if view is not None:  # every trial is closed: the summary the API shows from now on
            fields["summary"] = view.summary()
        self.jobs.update(job["_id"], **fields)
        job["search_finished"] = True
        self._forget_job(job["_id"])
        self._release(job["_id"])

    # ------------------------------------------------------------------ periodic

    def due(self) -> None:
        """Cheap, called often: a job whose deadline just passed stops its trials now, not at the
        next ``tick`` (reads memory only; ``tick`` still covers whatever a restart forgot)."""
        now = self.clock()
        for job_id in [j for j, deadline in self._deadlines.items() if now >= deadline]:
            del self._deadlines[job_id]
            self.fill(job_id)

    def tick(self) -> None:
        """Between messages: lost trials are handed out again; jobs past their deadline stop."""
        self.recover_lost_trials()
        active = self.jobs.active()
        for job_id in set(self._jobs) - {job["_id"] for job in active}:
            self._forget_job(job_id)  # ended elsewhere: read it again if it is ever needed
        for job in active:
            if job["_id"] in self._jobs:
                self._jobs[job["_id"]] = job  # a fresh read of the truth replaces this planner's copy
            if job.get("status") == "running" and job.get("deadline") and self.clock() >= job["deadline"]:
                self.fill(job["_id"])
        if self._last_gauges is None or self.clock() - self._last_gauges >= GAUGES_S:
            self._refresh_gauges()
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
        for tid in [t for t, beat in self._last_beat.items() if now - beat >= self.trial_lease_s]:
            doc = self.trials.get(tid)
            if doc is None or doc.get("status") not in OPEN:
                self._forget(tid)
            elif doc.get("status") == "running" and doc.get("heartbeat_at") and doc["heartbeat_at"] < before:
                docs[tid] = doc
            else:
                self._last_beat[tid] = now  # renewed elsewhere or handed out again: look a lease later
        if self._last_sweep is None or now - self._last_sweep >= SWEEP_S:
            self._last_sweep = now
            docs.update({d["_id"]: d for d in self.trials.stale_running(before)})
        for doc in docs.values():
            attempt = int(doc.get("attempt", 1))
            job = self._job(doc["job_id"])
            if job is None or job.get("status") not in ACTIVE:
                self._forget(doc["_id"])
                continue
            self._last_beat.pop(doc["_id"], None)  # the next attempt's heartbeats start a new lease
            if attempt < self.max_attempts:
                if self.trials.requeue(doc["_id"], attempt + 1):
                    view = self._views.get(doc["job_id"])
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
            spec = ev.JobSpec.model_validate(job["spec"])
            self._shares[job["_id"]] = (spec.search.max_parallel, spec.priority)
        for job in running:
            self._publish_accepted(job)
            self.fill(job["_id"])
        self._refresh_gauges()

    def _refresh_gauges(self) -> None:
        self._last_gauges = self.clock()
        counts = self.jobs.count_by_status()
        for status in ("queued", "running", "completed", "failed", "cancelled", "rejected"):
            PLANNER_JOBS.labels(status=status).set(counts.get(status, 0))

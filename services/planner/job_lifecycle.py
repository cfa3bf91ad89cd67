"""A job's life on the planner: accepted or rejected when it is submitted, then cancelled, paused and
resumed on request; each change stored, then announced on ``job-events``."""

from __future__ import annotations

import logging
from typing import Any

from services.planner.strategies import STRATEGIES
from services.planner.trial_flow import TrialFlow
from services.planner.view import JobView, empty_summary
from zygarde import events as ev
from zygarde.errors import SpecError
from zygarde.ids import stable_event_id
from zygarde.ml import algorithms, cv, datasets, metrics
from zygarde.ml.validation import check_job_details
from zygarde.store.jobs import ACTIVE

log = logging.getLogger(__name__)


class JobLifecycle(TrialFlow):
    """The handlers of the ``jobs`` topic's requests (a retrain arrives as a submission)."""

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

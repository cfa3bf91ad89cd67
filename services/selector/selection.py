"""The selector's handlers: store every result once, keep the leaderboard, announce the winner once.

A job is complete when the planner said how many trials it ran (``JobSearchFinished``) and that
many distinct trial ids have a result. Then the best pipeline (or an ensemble of the top trials that
beats it, see ``final_model``) is refitted on the training split, scored on the holdout, stored with
its sha256, refitted on every row (``final_refit=all``) and stored again as what the registry serves,
and ``ModelSelected(final)`` + ``JobCompleted`` are published with deterministic event ids, exactly
once per job.

That finishing work (the refit, the holdout score, the diagnostics report and its plots, the registry
entry) runs on a thread of its own, one job at a time, so the results of the other jobs keep being
stored meanwhile instead of waiting behind it. The job stays ``running`` until it is done: a selector
that dies in between finishes it again at start-up (``resume_all``), idempotently.
"""

from __future__ import annotations

import logging
import os
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.selector import final_model
from services.selector.provisional import ProvisionalWinners
from zygarde import __version__ as zygarde_version
from zygarde import events as ev
from zygarde.bus import EventProducer, MessageMeta
from zygarde.ids import stable_event_id
from zygarde.ml import cv, datasets, metrics
from zygarde.observability import SELECTOR_MODELS, SELECTOR_RESULTS
from zygarde.registry import artifacts, diagnostics, rules
from zygarde.settings import Settings
from zygarde.store import JobRepository, ResultRepository
from zygarde.store.jobs import ACTIVE

log = logging.getLogger(__name__)

FINAL_ARTIFACT = "model-all.joblib"  # final_refit=all: the announced model fitted on every row
EXIT_FINALIZE_FAILED = 70  # EX_SOFTWARE, as a failed handler: the orchestrator restarts the selector


class Selector:
    def __init__(self, settings: Settings, db: Database[dict[str, Any]], producer: EventProducer) -> None:
        self.settings = settings
        self.db = db
        self.jobs = JobRepository(db)
        self.results = ResultRepository(db)
        self.producer = producer
        self._counts: dict[str, int] = {}  # results stored per job; rebuilt from MongoDB on first use
        self._totals: dict[str, int | None] = {}  # each job's trials_total as last read (None: search goes on)
        self.provisional = ProvisionalWinners(self.results, producer)
        self._finalizer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="selector-finalize")
        self._finalizing: set[str] = set()  # jobs handed to the finalizer and not finished yet
        self._finished: queue.SimpleQueue[str] = queue.SimpleQueue()  # jobs the finalizer completed

    def tracked_jobs(self) -> set[str]:
        """The jobs this selector keeps per-job state for (their results counted, their total, their best)."""
        return set(self._counts) | set(self._totals) | self.provisional.tracked_jobs()

    def _let_go_of_finished(self) -> None:
        """A finished job's per-job state is dropped here, on the consumer loop (the only thread that
        writes it), so the selector keeps state for the jobs still running only; a late result of a
        finished job reads the job again and finds it ended."""
        while True:
            try:
                job_id = self._finished.get_nowait()
            except queue.Empty:
                return
            self._counts.pop(job_id, None)
            self._totals.pop(job_id, None)
            self.provisional.forget(job_id)

    def handle(self, event: ev.Event, meta: MessageMeta | None = None) -> None:
        self._let_go_of_finished()
        if isinstance(event, ev.TrialCompleted | ev.TrialFailed):
            self.on_result(event)
            self.maybe_finalize(event.job_id)
        elif isinstance(event, ev.JobSearchFinished):
            self.jobs.update(event.job_id, trials_total=event.trials_total, search_ended_reason=event.ended_reason)
            self._totals[event.job_id] = event.trials_total
            self.maybe_finalize(event.job_id)

    def on_result(self, event: ev.TrialCompleted | ev.TrialFailed) -> None:
        doc: dict[str, Any] = {
            "job_id": event.job_id, "algorithm": event.algorithm, "params": event.params,
            "attempt": event.attempt, "worker": event.worker, "event_id": event.event_id,
            "stored_at": ev.now(),
        }
        if isinstance(event, ev.TrialCompleted):
            greater = metrics.get(event.metric).greater_is_better
            doc.update(status="completed", metric=event.metric, cv_mean=event.cv_mean, cv_std=event.cv_std,
                       fold_scores=event.fold_scores, fit_seconds=event.fit_seconds, versions=event.versions,
                       cv_seconds=event.cv_seconds,
                       sort_key=event.cv_mean if greater else -event.cv_mean)
            if event.rows is not None:  # a subsample's score: kept, never ranked with the full-data ones
                doc["rows"] = event.rows
            if event.oof_uri:  # out-of-fold predictions, read back for the ensemble when the job ends
                doc["oof"] = {"uri": event.oof_uri, "sha256": event.oof_sha256}
        else:
            doc.update(status="failed", reason=event.reason, error=event.error)
        stored = self.results.add(event.trial_id, doc)
        if stored and isinstance(event, ev.TrialCompleted) and event.rows is None:
            self.provisional.on_stored(event, doc["sort_key"])
        SELECTOR_RESULTS.labels(outcome=doc["status"] if stored else "duplicate").inc()
        if stored and event.job_id in self._counts:
            self._counts[event.job_id] += 1

    def maybe_finalize(self, job_id: str) -> None:
        """Finish the job once its search ended and every trial has a result. The job is read the first
        time and then only when that can be true: not once per result while the search goes on (its
        ``trials_total`` arrives with ``JobSearchFinished``, which this selector handles itself)."""
        if job_id in self._totals:
            total = self._totals[job_id]
            if total is None or (job_id in self._counts and self._counts[job_id] < total):
                return
        job = self.jobs.get(job_id)
        if job is not None:
            self._totals[job_id] = job.get("trials_total")
        if job is None or job.get("status") not in ACTIVE or job.get("trials_total") is None:
            return
        if job_id not in self._counts:
            self._counts[job_id] = sum(self.results.counts(job_id).values())
        if self._counts[job_id] < int(job["trials_total"]) or job_id in self._finalizing:
            return
        self._finalizing.add(job_id)
        self._finalizer.submit(self._finalize_in_background, job)

    def _finalize_in_background(self, job: dict[str, Any]) -> None:
        try:
            self.finalize(job, self.results.counts(job["_id"]))
            self._finished.put(job["_id"])
        except Exception:
            # as a handler that raised: exit to be restarted; start-up finishes the job again
            log.exception("finishing job %s failed; exiting to be restarted", job["_id"], extra={"job_id": job["_id"]})
            os._exit(EXIT_FINALIZE_FAILED)
        finally:
            self._finalizing.discard(job["_id"])

    def close(self) -> None:
        """Wait for the job being finished, if any (its results' offsets may be committed already)."""
        self._finalizer.shutdown(wait=True)

    def finalize(self, job: dict[str, Any], counts: dict[str, int]) -> None:
        job_id = job["_id"]
        reason = job.get("search_ended_reason", "max_trials")
        best = self.results.best(job_id)
        if best is None:
            self.producer.publish(ev.JobFailed(job_id=job_id, reason="every trial failed",
                                               event_id=stable_event_id(job_id, "failed")))
            self.producer.flush()
            self.jobs.mark_finished(job_id, "failed", "every trial failed")
            return
        fitted: dict[str, Any] = {}  # trial id -> its pipeline on the training part, when built just now
        model = self.db.models.find_one({"_id": job_id}) or self._build_model(job, best, fitted)
        rules.on_winner(self.db, self.settings, job, model, fitted)  # idempotent: re-runs after a crash
        if not model.get("published"):
            self.producer.publish(ev.ModelSelected(
                job_id=job_id, trial_id=model["trial_id"], algorithm=model["algorithm"], params=model["params"],
                metric=model["metric"], cv_mean=model["cv_mean"], holdout_score=model["holdout_score"],
                artifact_uri=model["artifact_uri"], sha256=model["sha256"], final=True,
                kind=model.get("kind", "single"),
                members=[ev.EnsembleMember(trial_id=m["trial_id"], algorithm=m["algorithm"], weight=m["weight"])
                         for m in model.get("members", []) if model.get("kind") == "ensemble"],
                final_refit=model.get("final_refit"), final_artifact_uri=model.get("final_artifact_uri"),
                final_sha256=model.get("final_sha256"),
                event_id=stable_event_id(job_id, "model", "final")))
            self.producer.publish(ev.JobCompleted(
                job_id=job_id, best_trial_id=model["trial_id"], best_score=model["cv_mean"],
                trials_completed=counts["completed"], trials_failed=counts["failed"], ended_reason=reason,
                event_id=stable_event_id(job_id, "completed")))
            self.producer.flush()
            self.db.models.update_one({"_id": job_id}, {"$set": {"published": True}})
            SELECTOR_MODELS.inc()
        self.jobs.mark_finished(job_id, "completed", reason)
        self.jobs.update(job_id, best={"trial_id": model["trial_id"], "score": model["cv_mean"]})
        log.info("job completed, winner %s", model["trial_id"], extra={"job_id": job_id})

    def _build_model(self, job: dict[str, Any], best: dict[str, Any], fitted: dict[str, Any]) -> dict[str, Any]:
        if job["spec"].get("engine") == "spark":  # an MLlib winner, refitted and stored by Spark
            from services.selector import spark_winner

            return spark_winner.build_model(self.settings, self.db, job, best)
        spec = ev.JobSpec.model_validate(job["spec"])
        task = job["task"]
        frame = datasets.load_frame(spec.dataset.uri, self.settings.data_root_paths, self.settings.dataset_cache)
        train, holdout = cv.split_holdout(frame, spec.dataset, task, spec.search.seed)
        started = time.monotonic()
        built = final_model.build(self.settings.artifact_root, self.results, job["_id"], spec, task, frame, train,
                                  holdout, best)
        refit_seconds = time.monotonic() - started
        fitted.update(built.fitted)
        pipeline, holdout_score = built.pipeline, built.holdout_score
        features = holdout.drop(columns=[spec.dataset.target, *spec.dataset.drop], errors="ignore")
        uri, sha = artifacts.store(self.settings.artifact_root, job["_id"], pipeline)
        final_uri, final_sha = uri, sha
        if built.final is not pipeline:  # final_refit=all: what the registry serves, fitted on every row
            final_uri, final_sha = artifacts.store(self.settings.artifact_root, job["_id"], built.final,
                                                   name=FINAL_ARTIFACT)
        lineage = {
            "kind": built.kind, "members": built.members, "ensemble": built.ensemble,
            "final_refit": spec.final_refit, "final_artifact_uri": final_uri, "final_sha256": final_sha,
            "rows_final": built.final_rows,
            "holdout": {"score": float(holdout_score), "fitted_on": "train", "rows_fitted": len(train),
                        "rows_scored": len(holdout), "artifact_uri": uri, "sha256": sha},
            "finish_seconds": {k: round(v, 4) for k, v in built.seconds.items()},
        }
        card = {
            "name": spec.name, "job_id": job["_id"], "trial_id": best["_id"], "algorithm": best["algorithm"],
            "params": best["params"], "metric": spec.metric, "cv_mean": best["cv_mean"], "cv_std": best.get("cv_std"),
            "holdout_score": float(holdout_score), "dataset_uri": spec.dataset.uri,
            "dataset_sha256": datasets.content_hash(spec.dataset.uri, self.settings.data_root_paths),
            "rows_train": len(train), "rows_holdout": len(holdout), "task": task,
            "training_seconds": refit_seconds, "versions": cv.library_versions(), "code_version": zygarde_version,
            "artifact_sha256": sha, "spec": spec.model_dump(mode="json"),
            "kind": built.kind, "members": built.members, "final_refit": spec.final_refit,
            "final_artifact_sha256": final_sha, "rows_final": built.final_rows,
        }
        title = best["algorithm"] if built.kind == "single" else f"ensemble of {len(built.members)} trials"
        report_paths = self._report(job["_id"], spec, task, pipeline, features, holdout, card, title)
        doc = {
            "_id": job["_id"], "trial_id": best["_id"], "algorithm": best["algorithm"], "params": best["params"],
            "metric": spec.metric, "cv_mean": best["cv_mean"], "cv_std": best.get("cv_std"),
            "holdout_score": float(holdout_score), "artifact_uri": uri, "sha256": sha, "name": spec.name,
            "refit_seconds": refit_seconds, "created_at": ev.now(), "published": False,
            "versions": cv.library_versions(), "dataset_uri": spec.dataset.uri,
            "model_card": card, "report": report_paths, **lineage,
        }
        try:
            self.db.models.insert_one(doc)
        except DuplicateKeyError:
            existing = self.db.models.find_one({"_id": job["_id"]})
            assert existing is not None
            return existing
        return doc

    def _report(self, job_id: str, spec: ev.JobSpec, task: str, pipeline: Any, features: Any, holdout: Any,
                card: dict[str, Any], title: str) -> dict[str, str]:
        """Diagnostics of the winner on the holdout, beside its artifact; a failure never blocks the winner."""
        try:
            y = cv.target_vector(holdout, spec.dataset, task).to_numpy()
            if task == "binary":
                score = metrics.predictions(metrics.get("roc_auc"), pipeline, features)
                report = diagnostics.classification(y, np.asarray(score, dtype=float))
            elif task == "regression":
                report = diagnostics.regression(y.astype(float), np.asarray(pipeline.predict(features), dtype=float))
            else:
                report = diagnostics.multiclass(y, np.asarray(pipeline.predict(features)))
            folder = artifacts.folder(self.settings.artifact_root, job_id) / "report"
            return diagnostics.write(folder, f"{spec.name}: {title}", card, report)
        except Exception:
            log.exception("diagnostics report failed", extra={"job_id": job_id})
            return {}

    def resume_all(self) -> None:
        """At start-up: finish any job whose results all arrived while no selector ran."""
        for job in self.jobs.active():
            self.maybe_finalize(job["_id"])

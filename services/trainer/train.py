"""One trial: load the dataset (cached), cross-validate the pipeline, report each step.

A fit that raises is data (``TrialFailed`` with the reason), never a crash. The result is
flushed to Kafka before the handler returns, so the ``trials`` offset is stored only after the
result is durable.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.trainer import isolation
from zygarde import events as ev
from zygarde.bus import EventProducer, MessageMeta
from zygarde.errors import DatasetError, TrialStopped, ZygardeError
from zygarde.ml import cv, datasets, oof
from zygarde.observability import TRAINER_BUSY, TRAINER_TRIAL_DURATION, TRAINER_TRIALS
from zygarde.settings import Settings
from zygarde.store.trials import FINISHED

log = logging.getLogger(__name__)

StopCheck = Callable[[ev.TrialRequested], str | None]
VerdictWait = Callable[[ev.TrialRequested, int], str | None]


PROGRESS_S = 1.0  # fold progress nobody judges is published at most this often (see report_folds)


class Heartbeat:
    """Renews the trial's lease while a long fold runs, so the planner never takes a live trial for lost."""

    def __init__(self, producer: EventProducer, base: dict[str, Any], folds: int, every_s: float) -> None:
        self.producer, self.base, self.folds, self.every_s = producer, base, folds, every_s
        self.fold = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.producer.publish(ev.TrialProgressed(fold=self.fold, folds=self.folds, heartbeat=True, **self.base))
            self.producer.poll()


@dataclass
class Trainer:
    settings: Settings
    producer: EventProducer
    worker: str
    should_stop: StopCheck = lambda trial: None  # noqa: E731 - a reason to stop, or None
    # where the planner judges every fold (``report_folds``, ASHA): its verdict on a fold, waited for
    await_verdict: VerdictWait = lambda trial, fold: None  # noqa: E731
    heartbeat_s: float = 5.0
    known_trial: Callable[[str], bool] = lambda trial_id: True  # noqa: E731 - did the planner request it?

    def handle(self, event: ev.Event, meta: MessageMeta | None = None) -> None:
        if isinstance(event, ev.TrialRequested):
            self.run_trial(event)

    def run_trial(self, trial: ev.TrialRequested) -> None:
        extra = {"job_id": trial.job_id, "trial_id": trial.trial_id}
        base = {"job_id": trial.job_id, "trial_id": trial.trial_id, "attempt": trial.attempt, "worker": self.worker}
        reason = self.should_stop(trial)
        if reason == FINISHED:
            log.info("trial already finished; not run again", extra=extra)
            return
        if reason is not None:
            self._fail(trial, base, reason, "", 0.0)
            return
        # Not flushed: the producer sends it within linger.ms anyway, and the result's flush below
        # makes both durable, in order, before the trial's offset is stored. Waiting for its ack here
        # only delayed every trial by a broker round trip.
        self.producer.publish(ev.TrialStarted(algorithm=trial.algorithm, **base))
        started = time.monotonic()
        TRAINER_BUSY.set(1)
        try:
            on_spark = trial.spec.engine == "spark"  # Spark reads the dataset itself, see spark_engine
            if not on_spark:
                frame = datasets.load_frame(trial.spec.dataset.uri, self.settings.data_root_paths,
                                            self.settings.dataset_cache)
                train = cv.train_part(frame, trial.spec.dataset, trial.task, trial.spec.search.seed)
            with Heartbeat(self.producer, base, trial.spec.cv.folds, self.heartbeat_s) as beat:

                last_report = [time.monotonic()]
                # a spec without a time limit still gets one: checked between folds in this process (a
                # spec's own limit runs the trial in a child that is killed at the limit, see isolation)
                default_limit = trial.spec.search.trial_timeout_s or self.settings.default_trial_timeout_s

                # the planner judges this fold: its report now, and its verdict before the next fold
                def judged(fold: int) -> bool:
                    return trial.report_folds and (trial.judged_folds is None or fold in trial.judged_folds)

                def on_fold(fold: int, folds: int, score: float) -> None:
                    beat.fold = fold
                    now = time.monotonic()
                    if judged(fold) or (fold < folds and now - last_report[0] >= PROGRESS_S):
                        last_report[0] = now
                        self.producer.publish(ev.TrialProgressed(fold=fold, folds=folds, score_so_far=score, **base))
                    if fold == folds:
                        return  # nothing left to stop
                    if time.monotonic() - started > default_limit:
                        raise isolation.TrialTimeout(default_limit)  # the default limit, checked between folds
                    if judged(fold):
                        self.producer.flush()
                        stop = self.await_verdict(trial, fold)
                    else:
                        stop = self.should_stop(trial)
                    if stop is not None:
                        raise TrialStopped(stop)

                search = trial.spec.search
                keep_oof = keeps_oof(trial)
                if on_spark:
                    from services.trainer import spark_engine

                    result = spark_engine.run(self.settings, trial, on_fold)
                elif search.trial_timeout_s is None and search.trial_memory_mb is None:
                    result = cv.run_cv(trial.spec, trial.task, trial.algorithm, trial.params, train, trial.seed,
                                       on_fold, keep_oof, rows=trial.rows)
                else:
                    result = isolation.run_limited(
                        lambda report: cv.run_cv(trial.spec, trial.task, trial.algorithm, trial.params, train,
                                                 trial.seed, report, keep_oof, rows=trial.rows),
                        on_fold, timeout_s=search.trial_timeout_s, memory_mb=search.trial_memory_mb)
        except isolation.TrialTimeout as exc:
            self._fail(trial, base, "timeout", f"ran past its limit of {exc.limit}s", time.monotonic() - started)
        except TrialStopped as exc:
            if exc.reason == FINISHED:  # another attempt's result is counted: this one says nothing
                log.info("trial finished by another attempt; stopped", extra=extra)
            else:
                self._fail(trial, base, exc.reason, "", time.monotonic() - started)
        except isolation.TrialCrashed as exc:
            reason = "memory" if str(exc).startswith("memory") else "error"
            self._fail(trial, base, reason, str(exc), time.monotonic() - started)
        except DatasetError as exc:
            self._fail(trial, base, "dataset", str(exc), time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 - a failed fit is data, not a crash
            log.warning("trial failed: %s", exc, extra=extra)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self._fail(trial, base, "error", detail[:4000], time.monotonic() - started)
        else:
            oof_uri, oof_sha = self._store_oof(trial, result.oof)
            elapsed = time.monotonic() - started
            self.producer.publish(ev.TrialCompleted(
                algorithm=trial.algorithm, params=trial.params, metric=trial.spec.metric,
                fold_scores=result.fold_scores, cv_mean=result.mean, cv_std=result.std,
                fit_seconds=result.fit_seconds, versions=cv.library_versions(), cv_seconds=result.wall_seconds,
                oof_uri=oof_uri, oof_sha256=oof_sha, rows=None if on_spark else self._fidelity(trial, train), **base))
            TRAINER_TRIALS.labels(algorithm=trial.algorithm, outcome="completed").inc()
            TRAINER_TRIAL_DURATION.labels(algorithm=trial.algorithm).observe(elapsed)
        finally:
            TRAINER_BUSY.set(0)
        self.producer.flush()

    def _store_oof(self, trial: ev.TrialRequested, predictions: Any) -> tuple[str | None, str | None]:
        """The out-of-fold predictions in the artifact store, for the selector's ensemble; a store that
        cannot take them costs the job its ensemble candidate, never the trial's result."""
        if predictions is None:
            return None, None
        try:
            return oof.store(self.settings.artifact_root, trial.job_id, trial.trial_id, trial.attempt, predictions)
        except (OSError, ZygardeError) as exc:
            log.warning("out-of-fold predictions not stored: %s", exc,
                        extra={"job_id": trial.job_id, "trial_id": trial.trial_id})
            return None, None

    @staticmethod
    def _fidelity(trial: ev.TrialRequested, train: Any) -> int | None:
        """The rows the scores are on when they are a subsample of the training part; None: every row."""
        if trial.rows is None:
            return None
        return trial.rows if trial.rows < len(cv.prepare(train, trial.spec).frame) else None

    def on_dead_letter(self, raw: bytes, meta: MessageMeta, error: str) -> None:
        """A trial request this trainer cannot read still ends: when its job and trial ids can be
        read, it fails with reason "invalid", so the planner counts it instead of waiting forever."""
        ids = _trial_ids(raw)
        if ids is None or not self.known_trial(ids[1]):
            return  # garbage that names no trial of ours: the dead letter is all there is to do
        job_id, trial_id, attempt = ids
        self.producer.publish(ev.TrialFailed(job_id=job_id, trial_id=trial_id, attempt=attempt, worker=self.worker,
                                             reason="invalid", error=f"unreadable trial request: {error}"[:4000]))
        TRAINER_TRIALS.labels(algorithm="unknown", outcome="failed").inc()
        self.producer.flush()

    def _fail(self, trial: ev.TrialRequested, base: dict[str, Any], reason: str, error: str, elapsed: float) -> None:
        self.producer.publish(ev.TrialFailed(algorithm=trial.algorithm, params=trial.params, reason=reason,
                                             error=error, seconds=elapsed, **base))
        TRAINER_TRIALS.labels(algorithm=trial.algorithm, outcome=reason if reason in (
            "timeout", "cancelled", "pruned", "lost") else "failed").inc()
        TRAINER_TRIAL_DURATION.labels(algorithm=trial.algorithm).observe(elapsed)
        self.producer.flush()


def keeps_oof(trial: ev.TrialRequested) -> bool:
    """Whether the trial asks for out-of-fold predictions: every local trial. ``run_cv`` keeps none for
    a trial on a subsample of the rows (``rows`` below the training part's): it predicts other rows than
    the rest of the job's, so its predictions could not be averaged with theirs."""
    return trial.spec.engine != "spark"


def _trial_ids(raw: bytes) -> tuple[str, str, int] | None:
    """(job_id, trial_id, attempt) of a raw TrialRequested, when they are plain strings (and int)."""
    import json

    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(doc, dict) or doc.get("type") != "TrialRequested":
        return None
    job_id, trial_id, attempt = doc.get("job_id"), doc.get("trial_id"), doc.get("attempt", 1)
    if not (isinstance(job_id, str) and isinstance(trial_id, str) and 0 < len(job_id) <= 200
            and 0 < len(trial_id) <= 200):
        return None
    return job_id, trial_id, attempt if isinstance(attempt, int) and 1 <= attempt <= 1000 else 1

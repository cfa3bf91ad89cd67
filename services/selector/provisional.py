"""Provisional winners: ``ModelSelected(final=false)`` each time a job's best CV score improves.

No refit: a provisional winner carries the trial's CV numbers only (``holdout_score``,
``artifact_uri`` and ``sha256`` are null). The best score per job is kept in memory and rebuilt
from MongoDB the first time a job is seen, so a restarted selector neither floods the topic nor
misses an improvement; the event id is derived from the trial id, so a re-run publishes the same id.
"""

from __future__ import annotations

from zygarde import events as ev
from zygarde.bus import EventProducer
from zygarde.ids import stable_event_id
from zygarde.store import ResultRepository


class ProvisionalWinners:
    def __init__(self, results: ResultRepository, producer: EventProducer) -> None:
        self.results = results
        self.producer = producer
        self._best: dict[str, float] = {}  # sort_key of the best result per job (higher is better)

    def on_stored(self, event: ev.TrialCompleted, sort_key: float) -> bool:
        """Called once per newly stored completed result; True when it published a provisional winner."""
        job_id = event.job_id
        if job_id not in self._best:
            best = self.results.best(job_id)  # this result is stored already
            if best is None:
                return False
            self._best[job_id] = float(best["sort_key"])
            if best["_id"] != event.trial_id:
                return False
        elif sort_key <= self._best[job_id]:
            return False
        self._best[job_id] = sort_key
        self.producer.publish(ev.ModelSelected(
            job_id=job_id, trial_id=event.trial_id, algorithm=event.algorithm, params=event.params,
            metric=event.metric, cv_mean=event.cv_mean, final=False,
            event_id=stable_event_id(job_id, "model", "provisional", event.trial_id)))
        self.producer.flush()
        return True

    def forget(self, job_id: str) -> None:
        """The job is finished: its best is no longer kept (``Selector`` calls this for each finished job)."""
        self._best.pop(job_id, None)

    def tracked_jobs(self) -> set[str]:
        return set(self._best)

"""The planner's ``trials`` collection: each requested trial's lifecycle, ``_id`` = trial id.

Status only moves forward: requested → running → completed | failed. The unique
``(job_id, index)`` index makes a re-requested trial impossible to duplicate.

The hot-path updates (a heartbeat, a result) filter by ``_id`` alone: FerretDB's SQLite backend
serves a filter that is exactly ``{_id: value}`` from an index (the one our server adds, see
``deploy/local/README.md``) and scans the whole collection for anything else (a ``{_id, status}``
findAndModify grows with every job ever run: bench/results/design_figures.md). Their conditions are
checked on the document read by ``_id`` before writing it by ``_id``.
That read-check-write is safe because one thread writes this collection: the planner's consumer loop
(the API and the trainers only read it); a second planner in the same group owns other jobs' results.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from zygarde.events import now

OPEN = ("requested", "running")
DONE = ("completed", "failed")
FINISHED = "finished"  # stop_reason of a trial already closed: nothing to run, nothing to report


def _stop_reason(doc: dict[str, Any] | None) -> str | None:
    if doc is None:
        return None
    if doc.get("stop"):
        return str(doc["stop"])
    if doc.get("status") == "failed" and doc.get("reason") == "cancelled":
        return "cancelled"
    if doc.get("status") in DONE:
        return FINISHED
    return None


def _running(worker: str) -> dict[str, Any]:
    """The fields a heartbeat sets: running on ``worker``, lease renewed now."""
    return {"status": "running", "worker": worker, "heartbeat_at": now()}


class TrialRepository:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self._c = db.trials

    def add(self, trial_id: str, job_id: str, index: int, algorithm: str, params: dict[str, Any],
            rows: int | None = None) -> bool:
        """``rows``: the subsample the trial cross-validates (kept only when set: None is every row)."""
        try:
            self._c.insert_one({
                "_id": trial_id, "job_id": job_id, "index": index, "algorithm": algorithm,
                "params": params, "status": "requested", "attempt": 1, "requested_at": now(),
                "published": False, **({"rows": rows} if rows is not None else {}),
            })
            return True
        except DuplicateKeyError:
            return False

    def _update_if(self, trial_id: str, allowed: Callable[[dict[str, Any]], bool],
                   fields: dict[str, Any]) -> dict[str, Any] | None:
        """Read by _id, check ``allowed``, write by _id (see the module's note on the single writer);
        returns the document as written, or None when it is missing or ``allowed`` refused it."""
        doc = self.get(trial_id)
        if doc is None or not allowed(doc):
            return None
        self._c.update_one({"_id": trial_id}, {"$set": fields})
        return {**doc, **fields}

    def mark_running(self, trial_id: str, attempt: int, worker: str) -> bool:
        """A heartbeat of the current attempt: requested → running, and the lease renewed."""
        return self._update_if(
            trial_id, lambda d: d.get("status") in OPEN and d.get("attempt") == attempt, _running(worker),
        ) is not None

    def renew(self, trial_id: str, worker: str) -> None:
        """``mark_running`` for a trial the caller knows is open in this attempt (no read)."""
        self._c.update_one({"_id": trial_id}, {"$set": _running(worker)})

    def finish(self, trial_id: str, status: str, **fields: Any) -> dict[str, Any] | None:
        """Close an open trial; returns it when this call closed it, None if it was already closed."""
        return self._update_if(trial_id, lambda d: d.get("status") in OPEN,
                               {"status": status, "finished_at": now(), **fields})

    def get(self, trial_id: str) -> dict[str, Any] | None:
        return self._c.find_one({"_id": trial_id})

    def stale_running(self, before: datetime) -> list[dict[str, Any]]:
        """Running trials whose last heartbeat is older than ``before`` (their trainer is gone)."""
        return list(self._c.find({"status": "running", "heartbeat_at": {"$lt": before}}))

    def requeue(self, trial_id: str, attempt: int) -> bool:
        """Hand a lost trial out again as ``attempt``; False if it finished meanwhile."""
        return self._update_if(
            trial_id, lambda d: d.get("status") == "running" and d.get("attempt") == attempt - 1,
            {"status": "requested", "attempt": attempt, "published": False, "requeued_at": now()},
        ) is not None

    def record_report(self, trial_id: str, fold: int, score: float, stop: str | None = None) -> bool:
        """Append a fold's running score (once per fold) so a restarted strategy can replay it, and with
        it, in the same write, the verdict on it: ``stop`` (e.g. "pruned"), or None to go on. A trainer
        waiting for the verdict (:meth:`verdict`) so never sees the report without the decision.
        False when the trial is unknown."""
        update: dict[str, Any] = {"$addToSet": {"reports": {"fold": fold, "score": score}}}  # no nested arrays
        if stop is not None:
            update["$set"] = {"stop": stop}
        return self._c.update_one({"_id": trial_id}, update).matched_count > 0

    def request_stop_open(self, job_id: str, reason: str) -> int:
        res = self._c.update_many({"job_id": job_id, "status": {"$in": list(OPEN)}, "stop": {"$exists": False}},
                                  {"$set": {"stop": reason}})
        return int(res.modified_count)

    def stop_reason(self, trial_id: str) -> str | None:
        """Why a trial should stop at its next check: "pruned", "time_budget", "cancelled", FINISHED
        (another attempt or a re-delivered request already ended it) or None."""
        return _stop_reason(self._c.find_one({"_id": trial_id}, {"stop": 1, "status": 1, "reason": 1}))

    def verdict(self, trial_id: str, fold: int) -> tuple[bool, str | None]:
        """Whether the planner has judged ``fold`` (its report is stored), and why the trial should stop
        (as :meth:`stop_reason`); one read by _id."""
        doc = self._c.find_one({"_id": trial_id}, {"stop": 1, "status": 1, "reason": 1, "reports": 1})
        judged = doc is not None and any(r.get("fold") == fold for r in doc.get("reports") or ())
        return judged, _stop_reason(doc)

    def running_workers(self) -> set[str]:
        """The workers (a trainer's id, ``hostname-pid`` by default) of the trials running now."""
        return {str(d["worker"]) for d in self._c.find({"status": "running"}, {"worker": 1}) if d.get("worker")}

    def mark_published(self, trial_id: str) -> None:
        self._c.update_one({"_id": trial_id}, {"$set": {"published": True}})

    def unpublished(self, job_id: str) -> list[dict[str, Any]]:
        return list(self._c.find({"job_id": job_id, "published": False, "status": "requested"}))

    def for_job(self, job_id: str) -> list[dict[str, Any]]:
        return list(self._c.find({"job_id": job_id}).sort("index", ASCENDING))

    def listing(self, job_id: str, status: str | None = None) -> list[dict[str, Any]]:
        """A job's trials (of one status, or all) in index order, without the fold reports; one query by
        ``job_id`` (the API's trial listing; the planner's hot path never calls it)."""
        query: dict[str, Any] = {"job_id": job_id, **({"status": status} if status else {})}
        return list(self._c.find(query, {"reports": 0}).sort("index", ASCENDING))

    def counts(self, job_id: str) -> dict[str, int]:
        return self.summary(job_id)[0]

    def summary(self, job_id: str) -> tuple[dict[str, int], float]:
        """Trials by status, and the instance-seconds the finished ones occupied trainers (what its
        cost budget counts), in one pass over the job's trials."""
        counts = {"requested": 0, "running": 0, "completed": 0, "failed": 0}
        seconds = 0.0
        for doc in self._c.find({"job_id": job_id}, {"status": 1, "seconds": 1}):
            counts[doc["status"]] = counts.get(doc["status"], 0) + 1
            seconds += float(doc.get("seconds") or 0.0)
        return counts, seconds

    def exists(self, trial_id: str) -> bool:
        return self._c.find_one({"_id": trial_id}, {"_id": 1}) is not None

    def cancel_open(self, job_id: str) -> int:
        res = self._c.update_many(
            {"job_id": job_id, "status": {"$in": list(OPEN)}},
            {"$set": {"status": "failed", "reason": "cancelled", "finished_at": now()}},
        )
        return int(res.modified_count)

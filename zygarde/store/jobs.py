"""The ``jobs`` collection: one document per job, ``_id`` = job id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from zygarde.events import now

# a paused job is active: it holds open trials, may be cancelled, and resumes where it stopped
ACTIVE = ("queued", "running", "paused")
FINAL = ("completed", "failed", "cancelled", "rejected")


class JobRepository:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self._c = db.jobs

    def create(self, job_id: str, doc: dict[str, Any]) -> bool:
        """Insert once; False when the job already exists (a re-delivered submission)."""
        try:
            self._c.insert_one({"_id": job_id, "created_at": now(), **doc})
            return True
        except DuplicateKeyError:
            return False

    def get(self, job_id: str) -> dict[str, Any] | None:
        return self._c.find_one({"_id": job_id})

    def update(self, job_id: str, **fields: Any) -> None:
        self._c.update_one({"_id": job_id}, {"$set": fields})

    def transition(self, job_id: str, to: str, allowed_from: tuple[str, ...], **fields: Any) -> bool:
        """Move a job to ``to`` only from one of ``allowed_from``; True when this call did it."""
        res = self._c.find_one_and_update(
            {"_id": job_id, "status": {"$in": list(allowed_from)}},
            {"$set": {"status": to, **fields}},
            return_document=ReturnDocument.AFTER,
        )
        return res is not None

    def find(self, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        query = {"status": status} if status else {}
        return list(self._c.find(query).sort("created_at", DESCENDING).limit(limit))

    def active(self) -> list[dict[str, Any]]:
        return list(self._c.find({"status": {"$in": list(ACTIVE)}}))

    def count_searching(self) -> int:
        """Jobs that may still ask for trials: active, their search not finished (the planner sets
        ``search_finished`` once the search ended and every trial is closed; the job stays active while
        the selector builds its model). The scaler scales to zero at once when there are none."""
        return int(self._c.count_documents({"status": {"$in": list(ACTIVE)}, "search_finished": {"$ne": True}}))

    def count_planning(self) -> int:
        """Jobs that may still request a new trial: searching, and not yet ``all_requested`` (the planner
        sets it once the search can request no more: max_trials requested, or a budget spent; its open
        trials still run, and a lost one is handed out again). The scaler stops idle trainers at once
        when there are none."""
        return int(self._c.count_documents({"status": {"$in": list(ACTIVE)}, "search_finished": {"$ne": True},
                                            "all_requested": {"$ne": True}}))

    def count_by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for doc in self._c.find({}, {"status": 1}):
            counts[doc.get("status", "unknown")] = counts.get(doc.get("status", "unknown"), 0) + 1
        return counts

    def mark_finished(self, job_id: str, status: str, reason: str, at: datetime | None = None) -> bool:
        return self.transition(job_id, status, ACTIVE, finished_at=at or now(), ended_reason=reason)

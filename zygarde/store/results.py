"""The selector's ``results`` collection: one document per finished trial, ``_id`` = trial id.

Inserting by trial id makes a repeated or late result (another attempt of the same trial) a
no-op: each trial is counted once, whichever attempt finished first.
"""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError


class ResultRepository:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self._c = db.results

    def add(self, trial_id: str, doc: dict[str, Any]) -> bool:
        """True when stored now; False when this trial already had a result."""
        try:
            self._c.insert_one({"_id": trial_id, **doc})
            return True
        except DuplicateKeyError:
            return False

    def leaderboard(self, job_id: str, limit: int = 1000) -> list[dict[str, Any]]:
        """Completed trials on every training row, best first (``sort_key`` is the score signed so higher
        is better). A trial on a subsample (``rows`` set) is never ranked with them, nor a winner."""
        query = {"job_id": job_id, "status": "completed", "rows": None}  # None: the field is absent or null
        cur = self._c.find(query).sort("sort_key", DESCENDING).limit(limit)
        return list(cur)

    def best(self, job_id: str) -> dict[str, Any] | None:
        board = self.leaderboard(job_id, limit=1)
        return board[0] if board else None

    def counts(self, job_id: str) -> dict[str, int]:
        out = {"completed": 0, "failed": 0}
        for doc in self._c.find({"job_id": job_id}, {"status": 1}):
            out[doc["status"]] = out.get(doc["status"], 0) + 1
        return out

    def all_for_job(self, job_id: str) -> list[dict[str, Any]]:
        return list(self._c.find({"job_id": job_id}))

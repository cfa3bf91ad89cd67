"""In-memory ``jobs`` and ``trials`` with the MongoDB repositories' behaviour (``zygarde/store/ports.py``),
for unit tests of the logic that uses them. Every read returns a copy, as a database read does."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from zygarde.events import now
from zygarde.store.jobs import ACTIVE
from zygarde.store.trials import OPEN


class MemoryJobs:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    def create(self, job_id: str, doc: dict[str, Any]) -> bool:
        if job_id in self.docs:
            return False
        self.docs[job_id] = {"_id": job_id, "created_at": now(), **copy.deepcopy(doc)}
        return True

    def get(self, job_id: str) -> dict[str, Any] | None:
        doc = self.docs.get(job_id)
        return copy.deepcopy(doc) if doc is not None else None

    def update(self, job_id: str, **fields: Any) -> None:
        if job_id in self.docs:
            self.docs[job_id].update(copy.deepcopy(fields))

    def transition(self, job_id: str, to: str, allowed_from: tuple[str, ...], **fields: Any) -> bool:
        doc = self.docs.get(job_id)
        if doc is None or doc.get("status") not in allowed_from:
            return False
        doc.update(status=to, **copy.deepcopy(fields))
        return True

    def active(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(d) for d in self.docs.values() if d.get("status") in ACTIVE]

    def count_by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for doc in self.docs.values():
            counts[doc.get("status", "unknown")] = counts.get(doc.get("status", "unknown"), 0) + 1
        return counts


class MemoryTrials:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    def add(self, trial_id: str, job_id: str, index: int, algorithm: str, params: dict[str, Any],
            rows: int | None = None) -> bool:
        if trial_id in self.docs or any(d["job_id"] == job_id and d["index"] == index for d in self.docs.values()):
            return False  # the unique _id and (job_id, index) indexes
        self.docs[trial_id] = {
            "_id": trial_id, "job_id": job_id, "index": index, "algorithm": algorithm,
            "params": copy.deepcopy(params), "status": "requested", "attempt": 1, "requested_at": now(),
            "published": False, **({"rows": rows} if rows is not None else {})}
        return True

    def get(self, trial_id: str) -> dict[str, Any] | None:
        doc = self.docs.get(trial_id)
        return copy.deepcopy(doc) if doc is not None else None

    def _running(self, trial_id: str, worker: str) -> None:
        self.docs[trial_id].update(status="running", worker=worker, heartbeat_at=now())

    def mark_running(self, trial_id: str, attempt: int, worker: str) -> bool:
        doc = self.docs.get(trial_id)
        if doc is None or doc.get("status") not in OPEN or doc.get("attempt") != attempt:
            return False
        self._running(trial_id, worker)
        return True

    def renew(self, trial_id: str, worker: str) -> None:
        if trial_id in self.docs:
            self._running(trial_id, worker)

    def finish(self, trial_id: str, status: str, **fields: Any) -> dict[str, Any] | None:
        doc = self.docs.get(trial_id)
        if doc is None or doc.get("status") not in OPEN:
            return None
        doc.update(status=status, finished_at=now(), **copy.deepcopy(fields))
        return copy.deepcopy(doc)

    def stale_running(self, before: datetime) -> list[dict[str, Any]]:
        return [copy.deepcopy(d) for d in self.docs.values()
                if d.get("status") == "running" and d.get("heartbeat_at") is not None and d["heartbeat_at"] < before]

    def requeue(self, trial_id: str, attempt: int) -> bool:
        doc = self.docs.get(trial_id)
        if doc is None or doc.get("status") != "running" or doc.get("attempt") != attempt - 1:
            return False
        doc.update(status="requested", attempt=attempt, published=False, requeued_at=now())
        return True

    def record_report(self, trial_id: str, fold: int, score: float, stop: str | None = None) -> bool:
        doc = self.docs.get(trial_id)
        if doc is None:
            return False
        reports = doc.setdefault("reports", [])
        if {"fold": fold, "score": score} not in reports:
            reports.append({"fold": fold, "score": score})
        if stop is not None:
            doc["stop"] = stop
        return True

    def request_stop_open(self, job_id: str, reason: str) -> int:
        changed = [d for d in self.docs.values() if d["job_id"] == job_id and d["status"] in OPEN and "stop" not in d]
        for doc in changed:
            doc["stop"] = reason
        return len(changed)

    def mark_published(self, trial_id: str) -> None:
        if trial_id in self.docs:
            self.docs[trial_id]["published"] = True

    def unpublished(self, job_id: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(d) for d in self.docs.values()
                if d["job_id"] == job_id and d.get("published") is False and d["status"] == "requested"]

    def for_job(self, job_id: str) -> list[dict[str, Any]]:
        return sorted((copy.deepcopy(d) for d in self.docs.values() if d["job_id"] == job_id), key=lambda d: d["index"])

    def cancel_open(self, job_id: str) -> int:
        changed = [d for d in self.docs.values() if d["job_id"] == job_id and d["status"] in OPEN]
        for doc in changed:
            doc.update(status="failed", reason="cancelled", finished_at=now())
        return len(changed)

"""The ``workers`` collection: which ``trials`` partitions each trainer owns, written by the trainer.

Each trainer records its assignment whenever its consumer group rebalances, so the planner can
route trials evenly over the live trainers by reading one small collection, without asking the
broker (admin requests can stall or abort across a broker restart). A trainer killed without a
goodbye leaves its document behind: a partition claimed by several documents belongs to the most
recent claim, so a stale document loses its partitions as soon as the group hands them over.
"""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from zygarde.events import now


class WorkerRepository:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self._c = db.workers

    def record(self, worker: str, partitions: list[int]) -> None:
        """The partitions ``worker`` owns now (replacing what it recorded before)."""
        self._c.replace_one({"_id": worker}, {"_id": worker, "partitions": sorted(partitions), "at": now()},
                            upsert=True)

    def remove(self, worker: str) -> None:
        self._c.delete_one({"_id": worker})

    def assignment(self) -> list[list[int]]:
        """Partitions per live trainer (newest claim wins; trainers owning none are left out)."""
        owner: dict[int, tuple[Any, str]] = {}
        for doc in self._c.find({}):
            for partition in doc.get("partitions", []):
                if partition not in owner or doc["at"] > owner[partition][0]:
                    owner[int(partition)] = (doc["at"], doc["_id"])
        by_worker: dict[str, list[int]] = {}
        for partition, (_, worker) in owner.items():
            by_worker.setdefault(worker, []).append(partition)
        return sorted(sorted(parts) for parts in by_worker.values())

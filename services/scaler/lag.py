"""Work waiting for trainers: per-partition lag of their group on ``trials`` plus trials in flight.

In flight = trials a trainer started and has not finished (from the planner's ``trials``
collection). Trainers store a trial's offset only after its result is on Kafka, so a running
trial is still inside the lag: the lag alone is the work, and in-flight is exported for insight.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.database import Database

from zygarde import topics
from zygarde.bus import BusAdmin, PartitionLag
from zygarde.observability import SCALER_IN_FLIGHT, SCALER_LAG


@dataclass(frozen=True)
class Work:
    partitions: list[PartitionLag]
    in_flight: int

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    @property
    def total(self) -> int:
        return self.lag


def measure(admin: BusAdmin, db: Database[dict], group: str) -> Work:
    """Read the lag of the trainers' consumer ``group`` and the in-flight count; export both."""
    parts = admin.lag(group, topics.TRIALS)
    in_flight = db.trials.count_documents({"status": "running"})
    for p in parts:
        SCALER_LAG.labels(partition=str(p.partition)).set(p.lag)
    SCALER_IN_FLIGHT.set(in_flight)
    return Work(parts, in_flight)

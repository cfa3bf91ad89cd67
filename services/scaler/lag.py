"""Work waiting for trainers: per-partition lag of their group on ``trials`` plus trials in flight.

In flight = trials a trainer started and has not finished (from the planner's ``trials``
collection). Trainers store a trial's offset only after its result is on Kafka, so a running
trial is still inside the lag: the lag alone is the work, and in-flight is exported for insight
(the dashboard's "Trials in flight"), counted at most every ``every_s`` seconds: the count filters
on ``status``, which FerretDB's SQLite backend answers by scanning every trial ever stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


class InFlight:
    """The running trials' count, read from MongoDB at most every ``every_s`` seconds (the last count
    in between): a step every 2 s must not scan the collection every 2 s."""

    def __init__(self, db: Database[dict[str, Any]], every_s: float = 15.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.db, self.every_s, self.clock = db, every_s, clock
        self._at: float | None = None
        self._count = 0

    def __call__(self) -> int:
        now = self.clock()
        if self._at is None or now - self._at >= self.every_s:
            self._count = self.db.trials.count_documents({"status": "running"})
            self._at = now
        return self._count


def measure(admin: BusAdmin, group: str, in_flight: Callable[[], int]) -> Work:
    """Read the lag of the trainers' consumer ``group`` and the in-flight count; export both."""
    parts = admin.lag(group, topics.TRIALS)
    count = in_flight()
    for p in parts:
        SCALER_LAG.labels(partition=str(p.partition)).set(p.lag)
    SCALER_IN_FLIGHT.set(count)
    return Work(parts, count)

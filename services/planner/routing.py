"""Which ``trials`` partition a new trial request goes to."""

from __future__ import annotations

from zygarde import topics


class PartitionRouter:
    """One of the least loaded trainer's partitions for each request.

    Each trainer owns some partitions (as it recorded them; the composition root refreshes
    ``trainer_partitions``); a trainer's load is the trials sent to its partitions and not finished yet.
    Sending to the least loaded one, not round-robin and not by key hash, keeps a trainer from idling
    while the next trial queues behind a busy one (hashing 40 trials onto two trainers leaves one with
    ~15 % more, which the other waits for)."""

    def __init__(self, partitions: int = topics.TRIALS.partitions) -> None:
        self.partitions = partitions
        self.trainer_partitions: list[list[int]] = []
        self.sent: dict[str, int] = {}  # open trial -> the partition it was sent to
        self._next = 0

    def route(self, trial_id: str) -> int:
        self._next += 1
        self.sent.pop(trial_id, None)  # a re-requested trial no longer loads where it was sent before
        members = self.trainer_partitions
        if members:
            owner = {p: i for i, owned in enumerate(members) for p in owned}
            load = [0] * len(members)
            for sent_to in self.sent.values():
                if sent_to in owner:
                    load[owner[sent_to]] += 1
            start = self._next % len(members)  # ties rotate, so equal trainers alternate
            pick = min(range(len(members)), key=lambda i: (load[i], (i - start) % len(members)))
            owned = members[pick]
            partition = owned[(self._next // len(members)) % len(owned)]
        else:
            partition = self._next % self.partitions
        self.sent[trial_id] = partition
        return partition

    def release(self, trial_id: str) -> None:
        """The trial closed: it no longer loads its trainer."""
        self.sent.pop(trial_id, None)

"""Topic creation and consumer-group lag, the two admin operations Zygarde needs."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

from zygarde import topics
from zygarde.settings import kafka_client_conf


@dataclass(frozen=True)
class PartitionLag:
    partition: int
    end_offset: int
    committed: int | None

    @property
    def lag(self) -> int:
        """End minus committed; a partition with no committed offset counts its whole backlog."""
        return max(0, self.end_offset - (self.committed or 0))


class AdminTimeout(KafkaException):
    """An admin request got no answer in time (seen when the broker restarts mid-request)."""


def _result(fut: Future[Any], timeout: float) -> Any:
    """The future's result, waiting at most ``timeout``: librdkafka can leave an admin future
    unresolved forever across a broker restart, and a caller must never hang on one."""
    try:
        return fut.result(timeout=timeout)
    except FutureTimeout as exc:
        raise AdminTimeout(f"no answer from the broker within {timeout}s") from exc


class BusAdmin:
    def __init__(self, bootstrap: str, prefix: str, *, service: str | None = None,
                 extra: dict[str, Any] | None = None, security: dict[str, Any] | None = None) -> None:
        self._bootstrap = bootstrap
        # credentials, when the broker authenticates (a service's principal, else the submitter's);
        # ``security`` replaces them (the local stack's own set-up, which knows its broker's mode)
        self._security = dict(security) if security is not None else {**kafka_client_conf(service), **(extra or {})}
        self._admin = AdminClient({"bootstrap.servers": bootstrap, **self._security})
        self._prefix = prefix
        self._readers: dict[str, Consumer] = {}  # group -> a consumer that only reads its commits

    def _reader(self, group: str) -> Consumer:
        """A consumer of ``group`` that never subscribes (so never joins it), kept to read its commits.

        Not ``AdminClient.list_consumer_group_offsets``: librdkafka crashes the process (SIGSEGV in
        ``rd_kafka_cgrp_op``, librdkafka#5040) when that request meets NOT_COORDINATOR, which a broker
        answers while it starts; a consumer has the group coordinator machinery to retry it."""
        if group not in self._readers:
            self._readers[group] = Consumer({**self._security, "bootstrap.servers": self._bootstrap,
                                             "group.id": group, "enable.auto.commit": False,
                                             "client.id": "zygarde-lag"})
        return self._readers[group]

    def ping(self, timeout: float = 5.0) -> int:
        """Number of brokers in the cluster metadata; raises when the broker does not answer."""
        md = self._admin.list_topics(timeout=timeout)
        return len(md.brokers)

    def ensure_topics(self, specs: Iterable[topics.TopicSpec] = topics.ALL, timeout: float = 30.0) -> list[str]:
        """Create missing topics with their declared partitions; returns the names created."""
        existing = set(self._admin.list_topics(timeout=timeout).topics)
        new = [
            NewTopic(s.physical(self._prefix), num_partitions=s.partitions, replication_factor=1)
            for s in specs
            if s.physical(self._prefix) not in existing
        ]
        created: list[str] = []
        if not new:
            return created
        for name, fut in self._admin.create_topics(new, operation_timeout=timeout).items():
            try:
                _result(fut, timeout + 5)
                created.append(name)
            except KafkaException as exc:
                if exc.args[0].code() != 36:  # TOPIC_ALREADY_EXISTS: another process won the race
                    raise
        return created

    def lag(self, group: str, spec: topics.TopicSpec, timeout: float = 10.0) -> list[PartitionLag]:
        """Per-partition lag of ``group`` on ``spec``."""
        name = spec.physical(self._prefix)
        md = self._admin.list_topics(name, timeout=timeout)
        parts = sorted(md.topics[name].partitions) if name in md.topics else []
        if not parts:
            return []
        latest = OffsetSpec.latest()  # type: ignore[no-untyped-call]  # confluent-kafka leaves it unannotated
        ends = self._admin.list_offsets({TopicPartition(name, p): latest for p in parts}, request_timeout=timeout)
        end_by_part = {tp.partition: _result(fut, timeout + 5).offset for tp, fut in ends.items()}
        committed: dict[int, int | None] = {p: None for p in parts}  # an unknown group has committed nothing
        try:
            for tp in self._reader(group).committed([TopicPartition(name, p) for p in parts], timeout=timeout):
                committed[tp.partition] = tp.offset if tp.offset >= 0 else None
        except KafkaException as exc:
            if exc.args and isinstance(exc.args[0], KafkaError) and exc.args[0].code() == KafkaError._TIMED_OUT:
                raise AdminTimeout(f"no committed offsets from the broker within {timeout}s") from exc
            raise
        return [PartitionLag(p, end_by_part[p], committed[p]) for p in parts]

    def delete_prefix(self, timeout: float = 30.0) -> None:
        """Delete every topic under this admin's prefix (test clean-up)."""
        names = [t for t in self._admin.list_topics(timeout=timeout).topics if t.startswith(self._prefix)]
        if names:
            for fut in self._admin.delete_topics(names, operation_timeout=timeout).values():
                _result(fut, timeout + 5)

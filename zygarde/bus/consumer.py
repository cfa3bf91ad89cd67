"""A consumer that stores an offset only after its handler succeeded, and stops cleanly.

Offsets are stored per message after the handler returned (``enable.auto.offset.store=false``)
and committed by the client in the background and on close: a crash re-delivers at most the
messages handled since the last commit (at-least-once), never skips one. An undecodable message
is dead-lettered with its source topic, partition, offset and error, and the consumer carries on.
"""

from __future__ import annotations

import base64
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from zygarde import stop_signal, topics
from zygarde.bus.producer import EventProducer
from zygarde.errors import DecodeError
from zygarde.events import Event, MessageDeadLettered, decode
from zygarde.observability import BUS_CONSUMED, BUS_DEAD_LETTERED, precreate_bus
from zygarde.settings import kafka_client_conf

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageMeta:
    topic: str
    partition: int
    offset: int
    key: str | None


Handler = Callable[[Event, MessageMeta], None]
DeadLetterHook = Callable[[bytes, MessageMeta, str], None]  # (raw value, where, why), after the DLQ write
AssignmentHook = Callable[[list[TopicPartition]], None]  # the whole assignment after each rebalance

STUCK_S = 30.0  # out of a steady group membership, nothing asked of the coordinator: made again (``stuck``)
CLOSE_S = 20.0  # the longest a stopping consumer waits for its commit and group leave (``EventConsumer.close``)
STATS_MS = 5000  # how often librdkafka reports the group's state (served by poll, on the loop's thread)


def stuck(join_state: str | None, since: float | None, now: float, stuck_s: float = STUCK_S) -> bool:
    """Whether a consumer has been outside a steady group membership, with no request in flight to
    its group coordinator, for ``stuck_s`` seconds.

    After a broker restart librdkafka can leave its JoinGroup request queued to a coordinator
    connection that never sends it ("GroupCoordinator: Timed out 0 in-flight, 0 retry-queued,
    1 out-queue" once a minute) and never rejoin: the service then consumes nothing, for good. A
    rebalance that waits for a busy member (a trainer deep in a trial) has its JoinGroup in flight,
    and a member with no partitions is steady: neither is taken for stuck. ``since``: when this
    consumer was last seen steady or waiting on the coordinator (see ``EventConsumer._on_stats``)."""
    return stuck_s > 0 and join_state not in (None, "steady") and since is not None and now - since >= stuck_s


class EventConsumer:
    """Subscribes a consumer group to logical topics and feeds decoded events to a handler."""

    def __init__(self, bootstrap: str, prefix: str, group: str, subscribe: Iterable[topics.TopicSpec], *,
                 dlq: EventProducer, service: str = "zygarde", max_poll_interval_ms: int = 300_000,
                 extra: dict[str, Any] | None = None, on_dead_letter: DeadLetterHook | None = None,
                 on_assignment: AssignmentHook | None = None) -> None:
        conf: dict[str, Any] = {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "enable.auto.commit": True,
            "enable.auto.offset.store": False,
            "auto.commit.interval.ms": 500,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
            "max.poll.interval.ms": max_poll_interval_ms,
            # A fetch returns as soon as a message arrives, so the wait only bounds idle polling: a short
            # one costs the broker CPU for idle consumers and buys no latency (bench/results/design_figures.md).
            "fetch.wait.max.ms": 500,
            "partition.assignment.strategy": "cooperative-sticky",
            "client.id": f"zygarde-{service}",
            "statistics.interval.ms": STATS_MS,
            "stats_cb": self._on_stats,
        }
        conf.update(kafka_client_conf(service))  # credentials, when the broker authenticates
        conf.update(extra or {})
        self._conf = conf
        self._specs = {t.physical(prefix): t for t in subscribe}
        self._join_state: str | None = None
        self._unsteady_since: float | None = None
        self._consumer = Consumer(conf)
        self._dlq = dlq
        self._on_dead_letter = on_dead_letter
        self._service = service
        precreate_bus(service, consumed=[t.name for t in self._specs.values()])
        self.stop_event = threading.Event()
        self._on_assignment = on_assignment
        self._subscribe()

    def _subscribe(self) -> None:
        self._consumer.subscribe(list(self._specs), on_assign=self._assigned, on_revoke=self._revoked,
                                 on_lost=self._revoked)

    def _on_stats(self, raw: str) -> None:
        """librdkafka's statistics: the group's join state, and since when it is unsteady with nothing
        in flight to the coordinator (a request out means a rebalance is waiting on the others)."""
        try:
            stats = json.loads(raw)
            state = stats.get("cgrp", {}).get("join_state")
            asking = int((stats.get("brokers", {}).get("GroupCoordinator") or {}).get("waitresp_cnt", 0)) > 0
        except (ValueError, AttributeError, TypeError):
            return
        if state == "steady" or asking:
            self._unsteady_since = None
        elif self._unsteady_since is None:  # from now on, whichever unsteady states follow
            self._unsteady_since = time.monotonic()
        self._join_state = state

    def _renew_if_stuck(self) -> None:
        """Make the consumer again (same group, same subscription) when ``stuck`` says so: the
        offsets it stored and did not commit are re-delivered, which every consumer here tolerates."""
        if not stuck(self._join_state, self._unsteady_since, time.monotonic()):
            return
        log.warning("consumer group join stuck in %r for %.0f s: making the consumer again",
                    self._join_state, time.monotonic() - (self._unsteady_since or 0.0))
        old = self._consumer
        closing = threading.Thread(target=_close_quietly, args=(old,), name="close-stuck-consumer", daemon=True)
        closing.start()
        closing.join(10)  # a close that hangs on the dead coordinator must not hold the service
        self._join_state, self._unsteady_since = None, None
        self._consumer = Consumer(self._conf)
        self._subscribe()

    # Cooperative rebalancing hands partitions over incrementally: inside the callback the
    # consumer's assignment does not include the change yet, so it is applied here by hand.
    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._report(set(_keys(consumer.assignment())) | set(_keys(partitions)))

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._report(set(_keys(consumer.assignment())) - set(_keys(partitions)))

    def _report(self, owned: set[tuple[str, int]]) -> None:
        if self._on_assignment is not None:
            self._on_assignment([TopicPartition(t, p) for t, p in sorted(owned)])

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT ask the loop to stop after the current message; one caught while the service
        was starting (``zygarde.stop_signal``) stops it before the first."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop_event.set())
        if stop_signal.REQUESTED.is_set():
            self.stop_event.set()

    def stop(self) -> None:
        self.stop_event.set()

    def run(self, handler: Handler, *, idle: Callable[[], None] | None = None, poll_s: float = 0.2) -> None:
        """Loop until ``stop()``: decode, handle, store the offset. ``idle`` runs whenever the topic is
        quiet and at least every ``poll_s`` seconds under a steady stream, so periodic work never starves."""
        last_idle = time.monotonic()
        try:
            while not self.stop_event.is_set():
                msg = self._consumer.poll(poll_s)
                if msg is None:
                    self._renew_if_stuck()
                if idle is not None and (msg is None or time.monotonic() - last_idle >= poll_s):
                    last_idle = time.monotonic()
                    idle()
                if msg is None:
                    continue
                self.handle_one(msg, handler)
        finally:
            self.close()

    def handle_one(self, msg: Message, handler: Handler) -> None:
        err = msg.error()
        if err is not None:
            if err.code() == KafkaError._PARTITION_EOF:
                return
            if err.fatal():
                raise RuntimeError(f"fatal Kafka error: {err}")
            log.warning("kafka error: %s", err)
            return
        topic_name = msg.topic() or ""
        spec = self._specs.get(topic_name)
        meta = MessageMeta(topic_name, msg.partition() or 0, msg.offset() or 0, _key(msg))
        try:
            event = decode(msg.value() or b"")
            if spec is not None and not spec.accepts(event):
                raise DecodeError(f"{event.type} does not belong on topic {spec.name}")
        except DecodeError as exc:
            self._dead_letter(msg, meta, str(exc))
        else:
            handler(event, meta)
            if spec is not None:
                BUS_CONSUMED.labels(topic=spec.name, service=self._service).inc()
        self._consumer.store_offsets(message=msg)

    def _dead_letter(self, msg: Message, meta: MessageMeta, error: str) -> None:
        log.warning("dead-lettering %s[%d]@%d: %s", meta.topic, meta.partition, meta.offset, error)
        raw = msg.value() or b""
        self._dlq.publish(
            MessageDeadLettered(
                job_id=_job_id_guess(raw),
                source_topic=meta.topic,
                partition=meta.partition,
                offset=meta.offset,
                error=error[:2000],
                raw_b64=base64.b64encode(raw[:1_000_000]).decode(),
                key=meta.key,
            )
        )
        # The dead letter must be durable before the poison message's offset is stored.
        self._dlq.flush()
        spec = self._specs.get(meta.topic)
        BUS_DEAD_LETTERED.labels(topic=spec.name if spec else meta.topic, service=self._service).inc()
        if self._on_dead_letter is not None:
            self._on_dead_letter(raw, meta, error)

    def commit(self) -> None:
        """Synchronously commit the offsets stored so far."""
        try:
            self._consumer.commit(asynchronous=False)
        except Exception as exc:  # noqa: BLE001 - nothing stored yet is not an error
            if "NO_OFFSET" not in str(exc):
                raise

    def assignment(self) -> list[TopicPartition]:
        return list(self._consumer.assignment())

    def close(self, timeout_s: float = CLOSE_S) -> None:
        """Commit what was stored and leave the group, waiting at most ``timeout_s``: librdkafka's close
        waits for an outstanding JoinGroup, whose request timeout is ``max.poll.interval.ms`` (30 min
        for a trainer), so a group coordinator that never answers must not hold a stopping service
        past its drain timeout. Offsets stored and not committed by then are re-delivered to the
        group, which every consumer here tolerates (a finished trial is not run again)."""
        failure: list[BaseException] = []

        def close() -> None:
            try:
                try:
                    self.commit()
                finally:
                    self._consumer.close()
            except BaseException as exc:  # noqa: BLE001 - raised again on the caller's thread
                failure.append(exc)

        closing = threading.Thread(target=close, name="close-consumer", daemon=True)
        closing.start()
        closing.join(timeout_s)
        if closing.is_alive():
            log.warning("consumer close did not finish within %.0f s (group coordinator unavailable?): "
                        "leaving it; uncommitted offsets are re-delivered to the group", timeout_s)
            return
        if failure:
            raise failure[0]


def _close_quietly(consumer: Consumer) -> None:
    try:
        consumer.close()
    except Exception:  # noqa: BLE001 - the consumer being replaced was already broken
        log.warning("closing the stuck consumer failed", exc_info=True)


def _keys(partitions: Iterable[TopicPartition]) -> list[tuple[str, int]]:
    return [(tp.topic, tp.partition) for tp in partitions]


def _key(msg: Message) -> str | None:
    key = msg.key()
    if key is None:
        return None
    return key.decode(errors="replace") if isinstance(key, bytes) else str(key)


def _job_id_guess(raw: bytes) -> str:
    """The job id of a poison message when one can be read, so the DLQ can be filtered by job."""
    import json

    try:
        doc = json.loads(raw)
        if isinstance(doc, dict) and isinstance(doc.get("job_id"), str):
            return str(doc["job_id"])[:200]
    except (ValueError, UnicodeDecodeError):
        pass
    return "unknown"

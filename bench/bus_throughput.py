"""Bus throughput: events/s through Zygarde's producer and consumer vs the raw confluent-kafka client.

Same broker, same process, same message bytes; each side produces N TrialCompleted events and
consumes them back. The ratio shows what the typed bus (validation, envelopes, offset storing)
costs on top of the client itself. Runs against ``ZYGARDE_KAFKA_BOOTSTRAP``; on an authenticating broker
(the default) both sides produce as the trainer principal and consume as the planner's, as in a deployment,
each round on a prefix of its own (its topics and ACLs made as the admin, outside the timed part).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, Producer

from bench._report import bar_plot, median, write_markdown
from zygarde import events as ev
from zygarde import topics
from zygarde.bus import EventConsumer, EventProducer
from zygarde.localstack import kafka_auth
from zygarde.settings import Settings, kafka_client_conf

N = 20_000
REPEATS = 3


def _event(i: int) -> ev.TrialCompleted:
    return ev.TrialCompleted(job_id="bench", trial_id=f"bench-{i:06d}", algorithm="noop", params={}, metric="roc_auc",
                             fold_scores=[0.5, 0.5], cv_mean=0.5, cv_std=0.0, fit_seconds=0.0)


def raw_round(s: Settings, prefix: str, payloads: list[bytes]) -> float:
    bootstrap, topic = s.kafka_bootstrap, topics.RESULTS.physical(prefix)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all", "enable.idempotence": True,
                         **kafka_client_conf("trainer")})
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": _group(s, prefix), "auto.offset.reset": "earliest",
                         "enable.auto.commit": True, **kafka_client_conf("planner")})
    consumer.subscribe([topic])
    started = time.perf_counter()
    for p in payloads:
        while True:
            try:
                producer.produce(topic, p, key=b"bench")
                break
            except BufferError:
                producer.poll(0.01)
    producer.flush()
    seen = 0
    while seen < len(payloads):
        for msg in consumer.consume(1000, 1.0):
            if not msg.error():
                ev.decode(msg.value() or b"")  # parse like any real reader would
                seen += 1
    elapsed = time.perf_counter() - started
    consumer.close()
    return 2 * len(payloads) / elapsed


def _group(s: Settings, prefix: str) -> str:
    return s.model_copy(update={"topic_prefix": prefix}).consumer_group("planner")


@dataclass(frozen=True)
class BusRound:
    rate: float  # msg/s of the timed events, produced then consumed back, both ways counted
    producer_connect_s: float | None = None  # with a warm-up: from making the producer to its first ack
    consumer_connect_s: float | None = None  # with a warm-up: from making the consumer to its first event handled


def bus_round(s: Settings, prefix: str, events: list[ev.TrialCompleted], *,
              warmup: Sequence[ev.TrialCompleted] = (), producer_conf: dict[str, Any] | None = None,
              consumer_conf: dict[str, Any] | None = None, group: str | None = None) -> BusRound:
    """Produce ``events``, then consume them back. ``warmup`` events go first, outside the timing: the
    producer sends one and waits for its ack, then the rest; the consumer, made once they are on the topic,
    handles them all (connected, authenticated, partitions assigned) and the timed events are produced from
    the handler of the last, so the rate is the steady state's and the connections are timed apart."""
    made = time.perf_counter()
    producer = EventProducer(s.kafka_bootstrap, prefix, linger_ms=5, service="trainer", extra=producer_conf)
    producer_connect: float | None = None
    for i, e in enumerate(warmup):
        producer.publish(e, key="bench")
        if i == 0:
            producer.flush()
            producer_connect = time.perf_counter() - made
    producer.flush()
    made = time.perf_counter()
    consumer = EventConsumer(s.kafka_bootstrap, prefix, group or _group(s, prefix), [topics.RESULTS], dlq=producer,
                             service="planner", extra=consumer_conf)
    marks: dict[str, float] = {}

    def produce_timed() -> None:
        marks["started"] = time.perf_counter()
        for e in events:
            producer.publish(e, key="bench")
        producer.flush()

    seen = 0

    def handle(event: ev.Event, meta: object) -> None:
        nonlocal seen
        seen += 1
        if seen == 1:
            marks["first"] = time.perf_counter() - made
        if seen == len(warmup):
            produce_timed()
        if seen >= len(warmup) + len(events):
            marks["ended"] = time.perf_counter()
            consumer.stop()

    if not warmup:
        produce_timed()
    consumer.run(handle)
    producer.close()
    return BusRound(2 * len(events) / (marks["ended"] - marks["started"]), producer_connect,
                    marks["first"] if warmup else None)


def main() -> None:
    s = Settings()
    events = [_event(i) for i in range(N)]
    payloads = [e.to_bytes() for e in events]
    raw: list[float] = []
    bus: list[float] = []
    for _ in range(REPEATS):
        for kind, out in (("raw", raw), ("bus", bus)):
            prefix = f"bench{uuid.uuid4().hex[:6]}."
            kafka_auth.open_prefix(s, prefix)
            out.append(raw_round(s, prefix, payloads) if kind == "raw" else bus_round(s, prefix, events).rate)
            kafka_auth.close_prefix(s, prefix)
    r, b = median(raw), median(bus)
    write_markdown("bus_throughput", "Bus throughput (produce + consume, messages/s)",
                   ["client", "median msg/s", "runs", "ratio to raw"],
                   [["raw confluent-kafka + decode", f"{r:,.0f}", REPEATS, "1.00"],
                    ["zygarde.bus (typed, offsets stored per message)", f"{b:,.0f}", REPEATS, f"{b / r:.2f}"]],
                   [f"{N:,} TrialCompleted events each way per run; goal ≥ 10,000 msg/s."])
    bar_plot("bus_throughput", "Bus throughput (msg/s, median)", ["raw client", "zygarde.bus"], [r, b], "msg/s")
    print(f"raw {r:,.0f} msg/s · bus {b:,.0f} msg/s · ratio {b / r:.2f}")


if __name__ == "__main__":
    main()

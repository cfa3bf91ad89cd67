"""Bus throughput: events/s through Zygarde's producer and consumer vs the raw confluent-kafka client.

Same broker, same process, same message bytes; each side produces N TrialCompleted events and
consumes them back. The ratio shows what the typed bus (validation, envelopes, offset storing)
costs on top of the client itself. Runs against ``ZYGARDE_KAFKA_BOOTSTRAP``.
"""

from __future__ import annotations

import time
import uuid

from confluent_kafka import Consumer, Producer

from bench._report import bar_plot, median, write_markdown
from zygarde import events as ev
from zygarde import topics
from zygarde.bus import BusAdmin, EventConsumer, EventProducer
from zygarde.settings import Settings

N = 20_000
REPEATS = 3


def _event(i: int) -> ev.TrialCompleted:
    return ev.TrialCompleted(job_id="bench", trial_id=f"bench-{i:06d}", algorithm="noop", params={}, metric="roc_auc",
                             fold_scores=[0.5, 0.5], cv_mean=0.5, cv_std=0.0, fit_seconds=0.0)


def raw_round(bootstrap: str, topic: str, payloads: list[bytes]) -> float:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all", "enable.idempotence": True})
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex, "auto.offset.reset": "earliest",
                         "enable.auto.commit": True})
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


def bus_round(s: Settings, prefix: str, events: list[ev.TrialCompleted]) -> float:
    producer = EventProducer(s.kafka_bootstrap, prefix, linger_ms=5)
    consumer = EventConsumer(s.kafka_bootstrap, prefix, uuid.uuid4().hex, [topics.RESULTS], dlq=producer)
    started = time.perf_counter()
    for e in events:
        producer.publish(e, key="bench")
    producer.flush()
    seen = [0]

    def handle(event: ev.Event, meta: object) -> None:
        seen[0] += 1
        if seen[0] >= len(events):
            consumer.stop()

    consumer.run(handle)
    elapsed = time.perf_counter() - started
    return 2 * len(events) / elapsed


def main() -> None:
    s = Settings()
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    BusAdmin(s.kafka_bootstrap, prefix).ensure_topics([topics.RESULTS])
    events = [_event(i) for i in range(N)]
    payloads = [e.to_bytes() for e in events]
    raw, bus = [], []
    for _ in range(REPEATS):
        raw.append(raw_round(s.kafka_bootstrap, topics.RESULTS.physical(prefix), payloads))
        bus.append(bus_round(s, prefix, events))
    BusAdmin(s.kafka_bootstrap, prefix).delete_prefix()
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

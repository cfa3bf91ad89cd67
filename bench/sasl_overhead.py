"""What Kafka authentication and ACLs cost the bus: two brokers of this run's own, started by the same
code as ``zygarde up`` (one PLAINTEXT, one with ``ZYGARDE_KAFKA_SASL``: SCRAM-SHA-512 and ACLs), the
same events through ``zygarde.bus`` on each, rounds interleaved. On the SASL broker a trainer
principal produces ``results`` and the planner principal consumes them, as in a deployment.

``python -m bench.sasl_overhead``: results in ``bench/results/sasl_overhead.md``.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._report import median, write_markdown
from zygarde import events as ev
from zygarde import topics
from zygarde.bus import BusAdmin, EventConsumer, EventProducer
from zygarde.localstack import components, process, stack
from zygarde.settings import Settings, read_properties

N = 10_000
REPEATS = 5
PREFIX = "bench."
SUPER = "SASL/SCRAM-SHA-512, as the super user (no ACL lookups)"


def _free_pair() -> int:
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        with socket.socket() as a, socket.socket() as b:
            try:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no two free ports in a row")


def _event(i: int) -> ev.TrialCompleted:
    return ev.TrialCompleted(job_id="bench", trial_id=f"bench-{i:06d}", algorithm="ridge", params={}, metric="rmse",
                             fold_scores=[0.5, 0.5], cv_mean=0.5, cv_std=0.0, fit_seconds=0.0)


def bus_round(s: Settings, events: list[ev.TrialCompleted], producer_conf: dict[str, Any],
              consumer_conf: dict[str, Any], group: str) -> float:
    """Messages per second, produced then consumed back (both ways counted)."""
    producer = EventProducer(s.kafka_bootstrap, PREFIX, linger_ms=5, extra=producer_conf)
    dlq = EventProducer(s.kafka_bootstrap, PREFIX, extra=consumer_conf)
    consumer = EventConsumer(s.kafka_bootstrap, PREFIX, group, [topics.RESULTS], dlq=dlq, extra=consumer_conf)
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
    producer.close()
    dlq.close()
    return 2 * len(events) / elapsed


def main() -> None:
    # both brokers are this run's own: every client is given its broker's settings below (the SASL one's
    # from the principals' files its `up` wrote), none from the shared stack's home
    os.environ["ZYGARDE_KAFKA_SASL"] = "0"
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="zygarde-sasl-bench-"))
    plain = Settings(home=work / "plain", kafka_bootstrap=f"127.0.0.1:{_free_pair()}", topic_prefix=PREFIX,
                     kafka_sasl=False)
    sasl = Settings(home=work / "sasl", kafka_bootstrap=f"127.0.0.1:{_free_pair()}", topic_prefix=PREFIX,
                    kafka_sasl=True)
    brokers = [components.KafkaComponent(plain), components.KafkaComponent(sasl)]
    try:
        for s in (plain, sasl):
            stack.up(s, ["kafka"])
        trainer = read_properties(sasl.home / "kafka" / "trainer.properties")
        planner = read_properties(sasl.home / "kafka" / "planner.properties")
        # the super user skips the ACL lookups: SASL alone, to tell its cost from the ACLs'
        admin = read_properties(sasl.home / "kafka" / "admin.properties")
        BusAdmin(plain.kafka_bootstrap, PREFIX, extra={}).ensure_topics([topics.RESULTS])
        events = [_event(i) for i in range(N)]
        bus_round(plain, events[:500], {}, {}, plain.consumer_group("planner"))  # warm both brokers' JIT
        bus_round(sasl, events[:500], trainer, planner, sasl.consumer_group("planner"))
        rates: dict[str, list[float]] = {"PLAINTEXT": [], "SASL/SCRAM-SHA-512 + ACLs": [],
                                         SUPER: []}
        for _ in range(REPEATS):  # interleaved, so load on the machine falls on both alike
            rates["PLAINTEXT"].append(bus_round(plain, events, {}, {}, plain.consumer_group("planner")))
            rates["SASL/SCRAM-SHA-512 + ACLs"].append(
                bus_round(sasl, events, trainer, planner, sasl.consumer_group("planner")))
            rates[SUPER].append(bus_round(sasl, events, admin, admin, sasl.consumer_group("audit")))
    finally:
        for comp in brokers:
            process.stop(comp.files, comp.marker)
    base = median(rates["PLAINTEXT"])
    rows = [[name, f"{median(v):,.0f}", " / ".join(f"{x:,.0f}" for x in v), f"{median(v) / base:.2f}"]
            for name, v in rates.items()]
    ratio = median(rates["SASL/SCRAM-SHA-512 + ACLs"]) / base
    verdict = "met" if ratio >= 0.9 else "missed"
    write_markdown("sasl_overhead", "Bus throughput with Kafka authentication and ACLs (produce + consume, msg/s)",
                   ["broker", "median msg/s", "runs", "ratio to PLAINTEXT"], rows,
                   [f"{N:,} TrialCompleted events each way per run through zygarde.bus, {REPEATS} runs per broker, "
                    "interleaved; two brokers of the run's own (same JVM settings), started by the local stack's "
                    "code; on the SASL one a trainer principal produces and the planner principal consumes, "
                    "and, in a third row, the super user does both (no ACL lookups: SASL's cost alone).",
                    f"Goal: within 10 % of PLAINTEXT (ratio ≥ 0.90): {verdict} ({ratio:.2f}).",
                    f"Load average of the machine (1 min) before and after: {load_before:.1f} / "
                    f"{os.getloadavg()[0]:.1f}."])
    print(f"PLAINTEXT {base:,.0f} msg/s · SASL {median(rates['SASL/SCRAM-SHA-512 + ACLs']):,.0f} msg/s · "
          f"ratio {ratio:.2f}")


if __name__ == "__main__":
    main()

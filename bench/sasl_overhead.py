"""What Kafka authentication and ACLs cost the bus: two brokers of this run's own, started by the same
code as ``zygarde up`` (one PLAINTEXT, one with ``ZYGARDE_KAFKA_SASL``: SCRAM-SHA-512 and ACLs), the
same events through ``zygarde.bus`` on each, rounds interleaved. On the SASL broker a trainer
principal produces ``results`` and the planner principal consumes them, as in a deployment. Two figures
apart: the steady-state throughput of clients already connected and warmed up, and what connecting costs
(SCRAM's handshakes are per connection, not per message).

``python -m bench sasl_overhead``: results in ``bench/results/sasl_overhead.md``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench._report import median, write_markdown
from bench.bus_throughput import BusRound, bus_round
from zygarde import events as ev
from zygarde import topics
from zygarde.bus import BusAdmin
from zygarde.localstack.private_broker import private_broker
from zygarde.settings import read_properties

N = 50_000  # timed events each way per run: several seconds, so the steady state outweighs any hiccup
WARMUP = 1_000  # events each way before the timing, on the same clients
REPEATS = 5
PREFIX = "bench."
PLAIN = "PLAINTEXT"
ACLS = "SASL/SCRAM-SHA-512 + ACLs"
SUPER = "SASL/SCRAM-SHA-512, as the super user (no ACL lookups)"
HEADER = ["broker", "steady-state msg/s (median)", "runs", "steady-state ratio to PLAINTEXT",
          "producer: new → first ack, ms (median)", "consumer: new → first event, ms (median)"]


def _event(i: int) -> ev.TrialCompleted:
    return ev.TrialCompleted(job_id="bench", trial_id=f"bench-{i:06d}", algorithm="ridge", params={}, metric="rmse",
                             fold_scores=[0.5, 0.5], cv_mean=0.5, cv_std=0.0, fit_seconds=0.0)


def _ms(values: list[float | None]) -> str:
    return f"{1000 * median([v for v in values if v is not None]):,.0f}"


def table(rounds: dict[str, list[BusRound]], base: str = PLAIN) -> tuple[list[list[str]], float]:
    """One row per broker (steady-state msg/s: median, runs, ratio to ``base``; then the median connection
    costs), and the ratio the goal is judged on: the SASL + ACLs broker's steady state over ``base``'s."""
    medians = {name: median([r.rate for r in rs]) for name, rs in rounds.items()}
    rows = [[name, f"{medians[name]:,.0f}", " / ".join(f"{r.rate:,.0f}" for r in rs),
             f"{medians[name] / medians[base]:.2f}", _ms([r.producer_connect_s for r in rs]),
             _ms([r.consumer_connect_s for r in rs])] for name, rs in rounds.items()]
    return rows, medians[ACLS] / medians[base]


def main() -> None:
    # both brokers are this run's own: every client is given its broker's settings below (the SASL one's
    # from the principals' files its `up` wrote), none from the shared stack's home
    os.environ["ZYGARDE_KAFKA_SASL"] = "0"
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="zygarde-sasl-bench-"))
    with (private_broker(work / "plain", PREFIX, sasl=False) as plain,
          private_broker(work / "sasl", PREFIX, sasl=True) as sasl):
        trainer = read_properties(sasl.home / "kafka" / "trainer.properties")
        planner = read_properties(sasl.home / "kafka" / "planner.properties")
        # the super user skips the ACL lookups: SASL alone, to tell its cost from the ACLs'
        admin = read_properties(sasl.home / "kafka" / "admin.properties")
        BusAdmin(plain.kafka_bootstrap, PREFIX, extra={}).ensure_topics([topics.RESULTS])
        events = [_event(i) for i in range(N)]
        warmup = [_event(N + i) for i in range(WARMUP)]
        clients = {PLAIN: (plain, {}, {}, plain.consumer_group("planner")),
                   ACLS: (sasl, trainer, planner, sasl.consumer_group("planner")),
                   SUPER: (sasl, admin, admin, sasl.consumer_group("audit"))}
        for s, producer_conf, consumer_conf, group in list(clients.values())[:2]:  # warm both brokers' JIT
            bus_round(s, PREFIX, events[:500], warmup=warmup[:100], producer_conf=producer_conf,
                      consumer_conf=consumer_conf, group=group)
        rounds: dict[str, list[BusRound]] = {name: [] for name in clients}
        for _ in range(REPEATS):  # interleaved, so load on the machine falls on all alike
            for name, (s, producer_conf, consumer_conf, group) in clients.items():
                rounds[name].append(bus_round(s, PREFIX, events, warmup=warmup, producer_conf=producer_conf,
                                              consumer_conf=consumer_conf, group=group))
    rows, ratio = table(rounds)
    verdict = "met" if ratio >= 0.9 else "missed"
    write_markdown("sasl_overhead", "Bus throughput with Kafka authentication and ACLs: steady state and connecting",
                   HEADER, rows,
                   [f"Steady state: {N:,} TrialCompleted events each way per run through zygarde.bus, timed only "
                    f"after {WARMUP:,} were produced (acknowledged) and consumed back on the same producer and "
                    "consumer (connected, authenticated, partitions assigned); produced, then consumed, both ways "
                    f"counted. {REPEATS} runs per broker, interleaved.",
                    "Connecting, per run with new clients: the producer from its creation to its first event "
                    "acknowledged (acks=all); the consumer, made once the warm-up events are on the topic, from "
                    "its creation to its first event handled (group join and assignment included).",
                    "Two brokers of the run's own (same JVM settings), started by the local stack's code; on the "
                    "SASL one a trainer principal produces and the planner principal consumes, and, in a third "
                    "row, the super user does both (no ACL lookups: SASL's cost alone).",
                    f"Goal: steady state within 10 % of PLAINTEXT (ratio ≥ 0.90): {verdict} ({ratio:.2f}).",
                    f"Load average of the machine (1 min) before and after: {load_before:.1f} / "
                    f"{os.getloadavg()[0]:.1f}."])
    print(" · ".join(f"{row[0]} {row[1]} msg/s, connect {row[4]} / {row[5]} ms" for row in rows)
          + f" · steady-state ratio {ratio:.2f}")


if __name__ == "__main__":
    main()

"""What Kafka authentication and ACLs cost a trial: the platform benchmark's per-trial overhead
(``bench/platform.py``: amortized over a deep queue of noop trials, and request → result stored minus the
trial's work, one trial per trainer in flight) on two brokers of this run's own, one PLAINTEXT and one with
SASL/SCRAM-SHA-512 and ACLs, where planner, selector and 2 trainers run as processes, each with its own
principal as ``zygarde up`` sets them. Both stacks run at once on one MongoDB-wire store of the run's own
(a database each), their rounds interleaved, so load on the shared machine falls on both alike.

``python -m bench sasl_platform``: results in ``bench/results/sasl_platform.md``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench._report import median, write_markdown
from bench._stack import BenchStack, bench_stack
from bench.platform import amortized_round, p95, per_trial_overheads, spec, work_alone
from zygarde.localstack.private_broker import private_broker, private_store

ROUNDS = 4
TRIALS = 300  # noop trials of each amortized job (platform.md: 1,000; fewer, to keep a run near 10 minutes)
LATENCY_TRIALS = 100  # noop trials, 2 in flight, for the per-trial median and p95
PREFIX = "sp."
PLAIN = "PLAINTEXT"
ACLS = "SASL/SCRAM-SHA-512 + ACLs"
GOAL = 1.10  # SASL ÷ PLAINTEXT: within 10 %
# (key, label, judged against the goal)
FIGURES = [("amortized_ms", f"overhead per trial, amortized ({TRIALS} noop trials, 64 in flight, 2 trainers)", True),
           ("median_ms", "overhead per trial, median (request → result stored, minus work; 2 in flight)", True),
           ("p95_ms", "overhead per trial, p95", False),
           ("kafka_cpu_ms", "the broker's CPU per trial in the amortized job", False)]
HEADER = ["figure", f"{PLAIN} (median; each round)", f"{ACLS} (median; each round)", "SASL ÷ PLAINTEXT",
          f"goal ≤ {GOAL:.2f}"]


@dataclass(frozen=True)
class BrokerRound:
    """One round's figures on one broker, in ms per trial."""

    amortized_ms: float
    median_ms: float
    p95_ms: float
    kafka_cpu_ms: float


def measure(stack: BenchStack, alone: float) -> BrokerRound:
    amortized = amortized_round(stack, TRIALS, alone)
    per = per_trial_overheads(stack, LATENCY_TRIALS)
    return BrokerRound(amortized.amortized_ms, statistics.median(per), p95(per), amortized.cpu_ms.get("kafka", 0.0))


def table(rounds: dict[str, list[BrokerRound]], base: str = PLAIN,
          other: str = ACLS) -> tuple[list[list[str]], dict[str, float]]:
    """One row per figure: each broker's median over its rounds (and the rounds), the ratio ``other`` ÷
    ``base`` of those medians, and, for the figures the goal judges, met or missed; and the ratios by key."""
    rows, ratios = [], {}
    for key, label, judged in FIGURES:
        values = {name: [getattr(r, key) for r in rounds[name]] for name in (base, other)}
        medians = {name: median(v) for name, v in values.items()}
        ratios[key] = medians[other] / medians[base]
        verdict = ("met" if ratios[key] <= GOAL else "**missed**") if judged else "-"
        rows.append([label, *(f"{medians[n]:.1f} ms ({' / '.join(f'{v:.1f}' for v in values[n])})"
                              for n in (base, other)), f"{ratios[key]:.2f}", verdict])
    return rows, ratios


def main() -> None:
    os.environ.pop("ZYGARDE_KAFKA_CLIENT_PROPERTIES", None)  # each service reads its principal's file instead
    load_before = os.getloadavg()
    alone = work_alone()  # before anything starts: one noop trial's CV cost on an otherwise idle core
    work = Path(tempfile.mkdtemp(prefix="zygarde-sasl-platform-"))
    rounds: dict[str, list[BrokerRound]] = {PLAIN: [], ACLS: []}
    with ExitStack() as running:
        store = running.enter_context(private_store(work / "store"))
        stacks: dict[str, BenchStack] = {}
        for name, sasl in ((PLAIN, False), (ACLS, True)):
            broker = running.enter_context(private_broker(work / name.split("/")[0].lower(), PREFIX, sasl=sasl))
            stacks[name] = running.enter_context(
                bench_stack(trainers=2, base=broker.model_copy(update={"mongo_uri": store.mongo_uri})))
            stacks[name].wait(stacks[name].submit(spec("noop", 20, 8)))  # warm caches
        for i in range(ROUNDS):  # interleaved, each broker first in every other round
            for name in (PLAIN, ACLS) if i % 2 == 0 else (ACLS, PLAIN):
                rounds[name].append(measure(stacks[name], alone))
                print(f"round {i + 1}: {name} {rounds[name][-1]}", flush=True)
    load_after = os.getloadavg()
    rows, ratios = table(rounds)
    judged = [key for key, _, j in FIGURES if j]
    verdict = "met" if all(ratios[k] <= GOAL for k in judged) else "missed"
    write_markdown("sasl_platform", "Per-trial overhead with Kafka authentication and ACLs, side by side", HEADER, rows,
                   [f"{ROUNDS} rounds, the brokers alternating (each first in every other round); medians over the "
                    f"rounds, ratios of those medians. Each round on each broker: {TRIALS} noop trials with 64 in "
                    f"flight (amortized: wall time ÷ trials minus half of one trial's CV cost alone, "
                    f"{alone:.1f} ms, as in platform.md; {TRIALS} trials per round where platform.md has 1,000, "
                    f"to keep the run near 10 minutes), then {LATENCY_TRIALS} with 2 in flight (per trial: "
                    "request → result stored, minus the trial's CV seconds).",
                    "Two brokers of the run's own (same JVM settings), started by the local stack's code: one "
                    "PLAINTEXT, one with SASL/SCRAM-SHA-512 and ACLs where planner, selector and both trainers "
                    "each connect as their own principal (their client files written by the broker's `up`). Each "
                    "broker has its own planner, selector and 2 trainers as processes, both stacks running all "
                    "along, on one FerretDB/SQLite of the run's own (a database each).",
                    f"Goal: SASL ÷ PLAINTEXT ≤ {GOAL:.2f} on the amortized and the median overhead: {verdict} ("
                    + ", ".join(f"{k.removesuffix('_ms')} {ratios[k]:.2f}" for k in judged) + ").",
                    "Load average of the 2-core machine (1 / 5 / 15 min; above 2 before the run means other work "
                    "competed with it) before: "
                    + " / ".join(f"{v:.1f}" for v in load_before) + ", after: "
                    + " / ".join(f"{v:.1f}" for v in load_after) + "."])
    for row in rows:
        print(" · ".join(row))


if __name__ == "__main__":
    main()

"""``python -m bench [NAME]``: run one benchmark or all; each writes a table and a plot to bench/results/."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "platform": "bench.platform",          # per-trial overhead, parallel efficiency, submit → first trial
    "bus": "bench.bus_throughput",          # events/s through the typed bus vs the raw client
    "scaler": "bench.scaler_sim",           # billed instance-seconds vs ideal, flaps, vs KEDA defaults
    "spark": "bench.spark_engine",          # rows/s of one trial: local engine vs Spark local[2], 1e5..1e7 rows
    "trainer_cv": "bench.trainer_cv",       # one trial in the trainer vs cross_val_score: scores, overhead
    "time_to_quality": "bench.time_to_quality",  # time to RandomizedSearchCV's best score, vs sklearn/Optuna
    "store_growth": "bench.store_growth",   # GET /jobs/{id}, GET /jobs, submit → first trial as the store fills
    "profile": "bench.profile",             # where a trial's CPU goes inside each service (py-spy)
    "automl": "bench.automl",               # Zygarde with defaults vs RS, Optuna, FLAML, AutoGluon on public data
    "final_model": "bench.final_model",     # ensembles + full refit: the end of a job, and per trial
    "ensemble_gate": "bench.ensemble_gate",  # the selector's ensemble gate on the demo job: holdout alone vs pooled
    "sasl_overhead": "bench.sasl_overhead",  # bus throughput, SASL/SCRAM + ACLs vs PLAINTEXT brokers
    "sasl_platform": "bench.sasl_platform",  # per-trial overhead, SASL/SCRAM + ACLs vs PLAINTEXT brokers
    "platform_ab": "bench.platform_ab",     # per-trial overhead and first trial, two versions back to back
    "container_cost": "bench.container_cost",  # trainer container-seconds ÷ busy seconds, compose under podman
}


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[0] in BENCHMARKS and argv[1].startswith("-"):  # one benchmark with its options
        return int(importlib.import_module(BENCHMARKS[argv[0]]).main(argv[1:]) or 0)
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"== {name}")
        importlib.import_module(BENCHMARKS[name]).main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

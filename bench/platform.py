"""Platform benchmarks on the real stack: per-trial overhead, parallel efficiency, submit→first trial.

- overhead: N trials of the ``noop`` algorithm through planner → Kafka → trainers → selector; the
  overhead is everything beyond the trials' own CV work (``fit_seconds``), amortized over the trials,
  and per trial (request → result stored, minus its work).
- efficiency: trials of ~2 s CPU (``burn``) on 2 trainers; ideal makespan = Σ trial seconds / 2.
- first trial: warm stack, ``POST /jobs`` → the first ``TrialStarted`` seen by the planner.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench._report import bar_plot, median, write_markdown
from bench._stack import TOKEN, BenchStack, bench_stack


def spec(algorithm: str, trials: int, parallel: int, space: dict[str, Any] | None = None,
         folds: int = 2) -> dict[str, Any]:
    return {"name": f"bench-{algorithm}", "dataset": {"uri": "builtin:breast_cancer", "target": "target"},
            "metric": "roc_auc", "algorithms": [{"name": algorithm, "space": space} if space else algorithm],
            "search": {"strategy": "random", "max_trials": trials, "max_parallel": parallel, "seed": 1},
            "cv": {"folds": folds}}


def work_alone(repeats: int = 30) -> float:
    """Milliseconds one noop trial's cross-validation takes alone in this process (the pipeline's
    preprocessing, the prior "model" and the scoring, every fold): the work the ideal makespan counts."""
    from zygarde import events as ev
    from zygarde.ml import cv, datasets
    from zygarde.settings import Settings

    settings = Settings()
    job = ev.JobSpec.model_validate(spec("noop", 1, 1))
    frame = datasets.load_frame(job.dataset.uri, settings.data_root_paths, settings.dataset_cache)
    train = cv.train_part(frame, job.dataset, "binary", job.search.seed)
    times = []
    for seed in range(repeats):
        started = time.perf_counter()
        cv.run_cv(job, "binary", "noop", {}, train, seed)
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


@dataclass(frozen=True)
class AmortizedRound:
    """One deep-queue job's figures, per trial in ms: the overhead against the trial's cost alone and
    against the CV seconds the trainers measured, that measured work, the wall time, and each process's CPU."""

    amortized_ms: float
    measured_ms: float
    work_ms: float
    wall_ms: float
    cpu_ms: dict[str, float]


def amortized_round(stack: BenchStack, trials: int, alone: float) -> AmortizedRound:
    """``trials`` noop trials, 64 in flight (both trainers always busy), on a warm ``stack``; ``alone``: one
    trial's CV cost alone in ms (``work_alone``), the ideal makespan's share of each trial on 2 trainers."""
    cpu_before = stack.cpu_seconds()
    job_id = stack.submit(spec("noop", trials, 64))
    job = stack.wait(job_id, poll_s=0.5)
    cpu_after = stack.cpu_seconds()
    wall = (job["finished_at"] - job["created_at"]).total_seconds()
    work = sum(r.get("cv_seconds", 0.0) for r in stack.db.results.find({"job_id": job_id}))
    return AmortizedRound(amortized_ms=wall / trials * 1000 - alone / 2, measured_ms=(wall - work / 2) / trials * 1000,
                          work_ms=work / trials * 1000, wall_ms=wall / trials * 1000,
                          cpu_ms={name: (after - cpu_before.get(name, after)) / trials * 1000
                                  for name, after in cpu_after.items()})


def per_trial_overheads(stack: BenchStack, trials: int) -> list[float]:
    """``trials`` noop trials, 2 in flight (one per trainer, no queueing): each trial's request → result
    stored, minus its own CV time, in ms."""
    job_id = stack.submit(spec("noop", trials, 2))
    stack.wait(job_id)
    results = {r["_id"]: r for r in stack.db.results.find({"job_id": job_id})}
    return [((results[t["_id"]]["stored_at"] - t["requested_at"]).total_seconds()
             - results[t["_id"]].get("cv_seconds", 0)) * 1000 for t in stack.db.trials.find({"job_id": job_id})]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def overhead(trials: int = 1000, repeats: int = 1, latency_trials: int = 100) -> dict[str, float]:
    """Amortized: a deep queue (64 in flight) keeps both trainers busy; the ideal makespan is the
    trials' work as one trial's CV costs alone (``work_alone``) over 2 trainers. (The CV seconds the
    trainers report are inflated by waiting for a core the broker, FerretDB and the other services
    also want: 5x a noop trial's cost alone; they are kept as a second figure.) Per trial: 2 in flight
    (one per trainer, no queueing), request → result stored, minus the trial's own CV time."""
    rounds, medians, p95s = [], [], []
    alone = work_alone()  # before the stack starts: the trial's cost on an otherwise idle core
    with bench_stack(trainers=2) as stack:
        stack.wait(stack.submit(spec("noop", 20, 8)))  # warm caches
        for _ in range(repeats):
            rounds.append(amortized_round(stack, trials, alone))
            per = per_trial_overheads(stack, latency_trials)
            medians.append(statistics.median(per))
            p95s.append(p95(per))
    cpu_names = {name for r in rounds for name in r.cpu_ms}
    return {"amortized_ms": median([r.amortized_ms for r in rounds]), "median_ms": median(medians),
            "p95_ms": median(p95s), "work_ms": median([r.work_ms for r in rounds]),
            "wall_ms": median([r.wall_ms for r in rounds]), "alone_ms": alone,
            "amortized_measured_ms": median([r.measured_ms for r in rounds]),
            **{f"cpu_{name}": median([r.cpu_ms[name] for r in rounds if name in r.cpu_ms]) for name in cpu_names}}


def efficiency(trials: int = 40, seconds: float = 1.0, repeats: int = 1) -> dict[str, float]:
    out = []
    with bench_stack(trainers=2) as stack:
        space = {"seconds": {"float": [seconds, seconds]}}
        for _ in range(repeats):
            job_id = stack.submit(spec("burn", trials, trials, space))
            job = stack.wait(job_id, poll_s=0.5)
            results = list(stack.db.results.find({"job_id": job_id}))
            # the trials' makespan: submission to the last result (the winner's refit is not a trial)
            wall = (max(r["stored_at"] for r in results) - job["created_at"]).total_seconds()
            work = sum(r["cv_seconds"] for r in results)
            out.append((work / 2) / wall)
    return {"efficiency": median(out)}


def first_trial(repeats: int = 15) -> dict[str, float]:
    latencies = []
    with bench_stack(trainers=2) as stack:
        stack.wait(stack.submit(spec("noop", 2, 2)))
        client = httpx.Client(base_url=stack.url, headers={"Authorization": f"Bearer {TOKEN}"})
        for _ in range(repeats):
            started = time.perf_counter()
            job_id = client.post("/jobs", json=spec("noop", 1, 1)).json()["job_id"]
            while True:
                doc = stack.db.trials.find_one({"job_id": job_id, "status": {"$ne": "requested"}})
                if doc is not None:
                    break
                time.sleep(0.002)
            latencies.append((time.perf_counter() - started) * 1000)
            stack.wait(job_id)
    return {"median_ms": median(latencies), "max_ms": max(latencies)}


def cpu_budget(o: dict[str, float]) -> list[str]:
    """Where the CPU of the amortized run went, per trial and process, and the floor it puts under the
    amortized overhead on this machine's 2 cores."""
    cpu = {k.removeprefix("cpu_"): v for k, v in o.items() if k.startswith("cpu_")}
    total = sum(cpu.values())
    lines = ["## CPU per trial in the amortized run", "",
             "CPU time (user + system) each process used during the 1,000-trial job, divided by the trials. "
             "Kafka and FerretDB are the local stack's, shared with whatever else ran on them.", "",
             "| process | CPU per trial |", "|---|---|"]
    lines += [f"| {name} | {value:.1f} ms |" for name, value in sorted(cpu.items(), key=lambda kv: -kv[1])]
    floor = total / 2 - o["alone_ms"] / 2
    lines += [f"| **all** | **{total:.1f} ms** |", "",
              f"Wall time per trial was {o['wall_ms']:.1f} ms. One noop trial's cross-validation costs "
              f"{o['alone_ms']:.1f} ms alone ({o['alone_ms'] / 2:.1f} ms of wall on 2 trainers: the ideal); "
              f"through the stack, the trainers measured it at {o['work_ms']:.1f} ms, waiting for a core. "
              f"Even with both cores busy all the time, {total:.1f} ms of CPU per trial takes "
              f"{total / 2:.1f} ms of wall, so the amortized overhead cannot go below ≈ {floor:.1f} ms on this "
              "machine while the broker, the MongoDB-wire server and every service share its 2 cores: "
              "the ≤ 5 ms goal needs the whole platform to spend under "
              f"~{10 + o['alone_ms']:.0f} ms of CPU per trial, the trial's own work included."]
    return lines


def main() -> None:
    o = overhead()
    e = efficiency()
    f = first_trial()
    rows = [
        ["overhead per trial, amortized (1,000 noop trials, 2 trainers)", f"{o['amortized_ms']:.1f} ms", "≤ 5 ms"],
        ["… the same, against the CV seconds the trainers measured (as in earlier runs)",
         f"{o['amortized_measured_ms']:.1f} ms", "-"],
        ["overhead per trial, median (request → result stored, minus work)", f"{o['median_ms']:.1f} ms", "≤ 15 ms"],
        ["overhead per trial, p95", f"{o['p95_ms']:.1f} ms", "-"],
        ["parallel efficiency (40 × ~2 s burn trials, 2 trainers)", f"{e['efficiency']:.3f}", "≥ 0.95"],
        ["submit → first trial running (warm stack)", f"{f['median_ms']:.0f} ms (max {f['max_ms']:.0f})", "≤ 100 ms"],
    ]
    write_markdown("platform", "Platform overhead and efficiency", ["figure", "measured (median)", "goal"], rows,
                   ["Measured on the real local stack (Kafka 4.1 KRaft, FerretDB/SQLite) with services as processes.",
                    "", *cpu_budget(o)])
    bar_plot("platform", "Per-trial overhead (ms)", ["amortized", "median", "p95"],
             [o["amortized_ms"], o["median_ms"], o["p95_ms"]], "ms")
    for row in rows:
        print(" · ".join(row))


if __name__ == "__main__":
    main()

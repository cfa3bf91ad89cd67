"""Replays a seeded bursty trace of jobs through the real scaling policy, in 1 s ticks.

Modelled: instance start-up latency (billed, doing nothing), trials of known duration taken FIFO,
a decision every ``polling_interval_s``, and scale-in that removes not-ready then idle instances
first while busy ones drain (finish their trial, billed) like trainers on SIGTERM. Reported per
configuration: billed instance-seconds against the ideal (the sum of trial durations), p95 queue
wait, direction changes of the replica count (flaps) and scale-ups within 60 s of a scale-down.
Baseline: KEDA's defaults (pollingInterval 30 s, cooldownPeriod 300 s, lagThreshold 10, HPA's
300 s scale-down window); both use the same max_replicas. Run: ``python -m bench.scaler_sim``.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
from dataclasses import dataclass, field

from bench._report import RESULTS, median, write_markdown
from services.scaler.policy import Observation, PolicyState, ScalerConfig, desired_replicas

STARTUP_S = 8
HORIZON_S = 3600
SEEDS = 7
REBOUND_S = 60


@dataclass
class Instance:
    ready_at: int
    busy_until: int = 0
    leaving: bool = False


@dataclass
class SimResult:
    busy: float
    billed: float = 0.0
    waits: list[int] = field(default_factory=list)
    flaps: int = 0  # direction changes of the replica count
    rebounds: int = 0  # scale-ups less than REBOUND_S after a scale-down: capacity released too early
    replicas: list[int] = field(default_factory=list)
    queue: list[int] = field(default_factory=list)

    @property
    def p95_wait(self) -> float:
        return statistics.quantiles(self.waits, n=20)[18] if len(self.waits) > 1 else 0.0


def trace(seed: int, horizon: int = HORIZON_S) -> dict[int, list[int]]:
    """Bursts (jobs) of 10–60 trials of 2–20 s, separated by idle gaps of 2–10 minutes."""
    rng = random.Random(seed)
    out, t = {}, 30
    while t < horizon - 600:
        out[t] = [rng.randint(2, 20) for _ in range(rng.randint(10, 60))]
        t += rng.randint(120, 600)
    return out


def simulate(cfg: ScalerConfig, seed: int, horizon: int = HORIZON_S) -> SimResult:
    arrivals = trace(seed, horizon)
    res = SimResult(busy=float(sum(sum(d) for d in arrivals.values())))
    queue: list[tuple[int, int]] = []  # (arrived_at, duration), FIFO like a partition
    instances: list[Instance] = []
    state = PolicyState()
    last_move, last_down = 0, -10**9
    poll = max(1, round(cfg.polling_interval_s))
    for now in range(horizon):
        queue += [(now, d) for d in arrivals.get(now, [])]
        instances = [i for i in instances if not (i.leaving and i.busy_until <= now)]
        for inst in instances:
            if not inst.leaving and inst.ready_at <= now and inst.busy_until <= now and queue:
                arrived, d = queue.pop(0)
                res.waits.append(now - arrived)
                inst.busy_until = now + d
        if now % poll == 0:
            staying = [i for i in instances if not i.leaving]
            in_flight = sum(1 for i in staying if i.busy_until > now)
            current = len(staying)
            desired = desired_replicas(cfg, Observation(now, len(queue), in_flight, current), state).desired
            move = (desired > current) - (desired < current)
            res.flaps += move != 0 and last_move not in (0, move)
            res.rebounds += move > 0 and now - last_down < REBOUND_S
            last_move = move or last_move
            last_down = now if move < 0 else last_down
            instances += [Instance(ready_at=now + STARTUP_S) for _ in range(desired - current)]
            # Scale in the cheapest first: not ready yet, then idle, newest first; busy ones drain.
            for inst in sorted(staying, key=lambda i: (i.ready_at <= now, i.busy_until > now, -i.ready_at)):
                if current <= desired:
                    break
                inst.leaving, current = True, current - 1
        res.billed += len(instances)
        res.replicas.append(sum(1 for i in instances if not i.leaving))
        res.queue.append(len(queue))
    return res


def configs() -> dict[str, ScalerConfig]:
    """Our defaults, KEDA's defaults, and one-knob variants that show what each default buys."""
    tuned = ScalerConfig()
    # KEDA's defaults for what KEDA defines; the cluster-size knobs stay the same for a fair comparison.
    keda = dataclasses.replace(tuned, lag_threshold=10, cooldown_s=300, stabilization_window_s=300,
                               polling_interval_s=30)
    variants: list[dict[str, float]] = [
        {"cooldown_s": 30.0}, {"cooldown_s": 300.0}, {"stabilization_window_s": 30.0},
        {"stabilization_window_s": 60.0}, {"lag_threshold": 5}, {"polling_interval_s": 5.0}]
    out = {"zygarde (ScalerConfig defaults)": tuned, "KEDA defaults": keda}
    for change in variants:
        label = ", ".join(f"{k}={v:g}" for k, v in change.items())
        out[f"zygarde with {label}"] = dataclasses.replace(tuned, **change)  # type: ignore[arg-type]
    return out


def _med(runs: list[SimResult], value: str) -> float:
    return median([float(getattr(r, value)) for r in runs])


def _row(name: str, runs: list[SimResult]) -> list[str]:
    return [name, f"{_med(runs, 'billed'):,.0f}", f"{_med(runs, 'busy'):,.0f}",
            f"{median([r.billed / r.busy for r in runs]):.2f}", f"{_med(runs, 'p95_wait'):.0f} s",
            f"{_med(runs, 'flaps'):.0f}", f"{_med(runs, 'rebounds'):.0f}"]


def main(seeds: int = SEEDS) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = {name: [simulate(cfg, seed) for seed in range(seeds)] for name, cfg in configs().items()}
    rows = [_row(name, results) for name, results in runs.items()]
    tuned = ScalerConfig()
    ours, keda = list(runs.values())[:2]
    ratio = median([r.billed / r.busy for r in ours])
    jobs = median([float(len(trace(s))) for s in range(seeds)])
    flaps, keda_flaps = _med(ours, "flaps"), _med(keda, "flaps")
    verdict = [f"Result: billed / ideal {ratio:.2f} ({'met' if ratio <= 1.2 else 'NOT met'}); "
               f"flaps {flaps:.0f} vs {keda_flaps:.0f} ({'met' if flaps < keda_flaps else 'NOT met'}). "
               f"With a median of {jobs:.0f} jobs per trace, any policy that scales in between jobs "
               f"changes direction at least 2 × jobs − 1 = {2 * jobs - 1:.0f} times; "
               "KEDA's defaults change less only because their 300 s windows idle "
               "through most gaps, which is what costs them their billing. Re-scale-ups within "
               f"{REBOUND_S} s of a scale-down (capacity released too early) are the thrashing that matters."]
    write_markdown("scaler_sim", "Scaler simulation: billed vs ideal instance-seconds",
                   ["policy", "billed inst-s", "ideal busy s", "billed / ideal", "p95 queue wait", "flaps",
                    f"re-scale-ups < {REBOUND_S} s"], rows,
                   [f"Medians over {seeds} seeds of a {HORIZON_S // 60}-minute bursty trace "
                    f"(jobs of 10–60 trials of 2–20 s, idle gaps of 2–10 min); "
                    f"start-up latency {STARTUP_S} s, billed; max_replicas {tuned.max_replicas} for both.",
                    f"Tuned defaults: lag_threshold {tuned.lag_threshold}, cooldown_s {tuned.cooldown_s:g}, "
                    f"stabilization_window_s {tuned.stabilization_window_s:g}, polling_interval_s "
                    f"{tuned.polling_interval_s:g}, scale_up_max_step {tuned.scale_up_max_step}.",
                    "Goal: billed ≤ 1.2 × ideal and fewer flaps than KEDA's defaults. "
                    "Flaps = direction changes of the replica count.", *verdict])
    fig, axes = plt.subplots(2, 1, figsize=(11, 6), sharex=True)
    for name, results in list(runs.items())[:2]:
        axes[0].step(range(len(results[0].replicas)), results[0].replicas, where="post", label=name)
        axes[1].plot(results[0].queue, label=name)
    axes[0].set_ylabel("replicas")
    axes[1].set_ylabel("queued trials")
    axes[1].set_xlabel("seconds (seed 0)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "scaler_sim.png", dpi=100)
    plt.close(fig)
    for row in rows:
        print(" | ".join(row))


if __name__ == "__main__":
    main()

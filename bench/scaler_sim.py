"""Replays a bursty trace of jobs through the real scaling policy, in 1 s ticks.

Modelled: instance start-up latency, trials of known duration, trainers that drain (finish their
trial) before leaving, a poll interval. Reported per configuration: billed instance-seconds
against the ideal busy seconds, p95 queue wait, and direction changes (flaps). Baseline: KEDA's
defaults (pollingInterval 30 s, cooldownPeriod 300 s, lagThreshold 10, HPA's 300 s scale-down window).
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field

from bench._report import RESULTS, machine, median, write_markdown
from services.scaler.policy import Observation, PolicyState, ScalerConfig, desired_replicas

STARTUP_S = 8
FLAP_WINDOW_S = 60


@dataclass
class Instance:
    ready_at: int
    busy_until: int = 0
    leaving: bool = False


@dataclass
class SimResult:
    billed: float
    busy: float
    waits: list[int] = field(default_factory=list)
    flaps: int = 0  # a scale-up less than FLAP_WINDOW_S after a scale-down: capacity released too early
    replicas: list[int] = field(default_factory=list)
    queue: list[int] = field(default_factory=list)

    @property
    def p95_wait(self) -> float:
        return statistics.quantiles(self.waits, n=20)[18] if len(self.waits) > 1 else 0.0


def trace(seed: int, horizon: int = 3600) -> list[tuple[int, list[int]]]:
    """Bursts of 10–60 trials of 2–20 s at random moments, with idle gaps between them."""
    rng = random.Random(seed)
    out, t = [], 30
    while t < horizon - 600:
        out.append((t, [rng.randint(2, 20) for _ in range(rng.randint(10, 60))]))
        t += rng.randint(120, 600)
    return out


def simulate(cfg: ScalerConfig, poll_s: int, seed: int, horizon: int = 3600) -> SimResult:
    arrivals = dict(trace(seed, horizon))
    queue: list[tuple[int, int]] = []  # (arrived_at, duration)
    instances: list[Instance] = []
    state = PolicyState()
    res = SimResult(0.0, 0.0)
    last_down: int | None = None
    for now in range(horizon):
        for d in arrivals.get(now, []):
            queue.append((now, d))
        for inst in instances:
            if inst.ready_at <= now and inst.busy_until <= now and queue and not inst.leaving:
                arrived, d = queue.pop(0)
                res.waits.append(now - arrived)
                inst.busy_until = now + d
                res.busy += d
        instances = [i for i in instances if not (i.leaving and i.busy_until <= now)]
        if now % poll_s == 0:
            in_flight = sum(1 for i in instances if i.busy_until > now)
            current = sum(1 for i in instances if not i.leaving)
            decision = desired_replicas(cfg, Observation(now, len(queue), in_flight, current), state)
            if decision.desired > current and last_down is not None and now - last_down < FLAP_WINDOW_S:
                res.flaps += 1
            if decision.desired < current:
                last_down = now
            while current < decision.desired:
                instances.append(Instance(ready_at=now + STARTUP_S))
                current += 1
            # scale in: idle ones first, newest first; busy ones drain
            staying = [i for i in instances if not i.leaving]
            for inst in sorted(staying, key=lambda i: (i.busy_until > now, -i.ready_at)):
                if current <= decision.desired:
                    break
                inst.leaving = True
                current -= 1
        res.billed += len(instances)
        res.replicas.append(sum(1 for i in instances if not i.leaving))
        res.queue.append(len(queue))
    return res


CONFIGS = {
    # The cloud profile: short cooldown and window, since a start-up (8 s) costs less than idling.
    "zygarde": (ScalerConfig(lag_threshold=3, max_replicas=8, cooldown_s=5, stabilization_window_s=5,
                             scale_up_max_step=8), 2),
    "keda-defaults": (ScalerConfig(lag_threshold=10, max_replicas=8, cooldown_s=300, stabilization_window_s=300,
                                   scale_up_max_step=8), 30),
}


def main(seeds: int = 5) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []
    runs = {name: [simulate(cfg, poll, seed) for seed in range(seeds)] for name, (cfg, poll) in CONFIGS.items()}
    for name, results in runs.items():
        ratio = median([r.billed / r.busy for r in results])
        rows.append([name, f"{median([r.billed for r in results]):,.0f}", f"{median([r.busy for r in results]):,.0f}",
                     f"{ratio:.2f}", f"{median([r.p95_wait for r in results]):.0f} s",
                     f"{median([float(r.flaps) for r in results]):.0f}"])
    write_markdown("scaler_sim", "Scaler simulation: billed vs ideal instance-seconds",
                   ["policy", "billed inst-s", "ideal busy s", "billed / ideal", "p95 queue wait", "flaps"], rows,
                   [f"Median over {seeds} seeded bursty traces of 1 h; start-up latency {STARTUP_S} s; "
                    "goal billed ≤ 1.2 × ideal and fewer flaps than KEDA's defaults.", f"Machine: {machine()}"])
    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    for name, results in runs.items():
        axes[0].plot(results[0].replicas, label=name)
        axes[1].plot(results[0].queue, label=name)
    axes[0].set_ylabel("replicas")
    axes[1].set_ylabel("queued trials")
    axes[1].set_xlabel("seconds")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "scaler_sim.png", dpi=100)
    for row in rows:
        print(" | ".join(row))


if __name__ == "__main__":
    main()

"""How many trainers: a pure function with KEDA's semantics and names (no I/O, table-tested).

- ``desired = ceil(work / lag_threshold)``, clamped to ``[min_replicas, max_replicas]``;
- leaving zero needs ``work > activation_lag_threshold`` (KEDA's activation);
- capped at the partition count unless ``allow_idle_consumers`` (idle consumers get no partition);
- back to zero (or ``min_replicas``) only after ``cooldown_s`` with no work (KEDA's cooldownPeriod);
- scale-down stabilisation: the max of the raw desires in the last ``stabilization_window_s`` (HPA);
- scale-up limited to ``scale_up_max_step`` replicas per decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScalerConfig:
    lag_threshold: int = 2
    activation_lag_threshold: int = 0
    min_replicas: int = 0
    max_replicas: int = 4
    partitions: int = 12
    allow_idle_consumers: bool = False
    cooldown_s: float = 30.0
    stabilization_window_s: float = 20.0
    scale_up_max_step: int = 4


@dataclass(frozen=True)
class Observation:
    now: float
    lag: int
    in_flight: int
    current: int


@dataclass
class PolicyState:
    history: list[tuple[float, int]] = field(default_factory=list)
    last_active: float | None = None


@dataclass(frozen=True)
class Decision:
    desired: int
    reason: str


def desired_replicas(cfg: ScalerConfig, obs: Observation, state: PolicyState) -> Decision:
    """The replica count for this observation; updates ``state`` (recent desires, last activity)."""
    work = obs.lag + obs.in_flight
    ceiling = cfg.max_replicas if cfg.allow_idle_consumers else min(cfg.max_replicas, cfg.partitions)
    if work > 0:
        state.last_active = obs.now

    if obs.current == 0 and work <= cfg.activation_lag_threshold:
        raw, reason = cfg.min_replicas, f"work {work} ≤ activation threshold {cfg.activation_lag_threshold}"
    elif work == 0:
        idle_for = obs.now - state.last_active if state.last_active is not None else math.inf
        if idle_for >= cfg.cooldown_s:
            raw, reason = cfg.min_replicas, f"no work for {cfg.cooldown_s:.0f}s (cooldown)"
        else:
            raw, reason = obs.current, f"no work for {idle_for:.0f}s, cooling down"
    else:
        raw = math.ceil(work / cfg.lag_threshold)
        reason = f"work {work} / threshold {cfg.lag_threshold}"
    raw = max(cfg.min_replicas, min(raw, ceiling))
    if raw == ceiling and work > 0 and math.ceil(work / cfg.lag_threshold) > ceiling:
        reason += f", capped at {ceiling}" + ("" if cfg.allow_idle_consumers else " (max or partitions)")

    state.history = [(t, d) for t, d in state.history if obs.now - t < cfg.stabilization_window_s]
    state.history.append((obs.now, raw))
    desired = raw
    if raw < obs.current and not (work == 0 and "cooldown)" in reason):
        stabilised = max(d for _, d in state.history)
        if stabilised > raw:
            desired, reason = min(stabilised, obs.current), reason + f", held by stabilisation window ({stabilised})"
    if desired > obs.current + cfg.scale_up_max_step:
        desired, reason = obs.current + cfg.scale_up_max_step, reason + f", step limited to +{cfg.scale_up_max_step}"
    return Decision(desired, reason)


def deadline_replicas(remaining_trials: int, ewma_trial_s: float, deadline_s: float, cfg: ScalerConfig) -> int:
    """The fewest replicas that finish ``remaining_trials`` of ~``ewma_trial_s`` within ``deadline_s``."""
    if remaining_trials <= 0:
        return cfg.min_replicas
    if deadline_s <= 0:
        return cfg.max_replicas
    need = math.ceil(remaining_trials * ewma_trial_s / deadline_s)
    return max(cfg.min_replicas, min(need, cfg.max_replicas))

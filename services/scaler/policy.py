"""How many trainers: KEDA's Kafka-scaler arithmetic and HPA behaviour as a pure function (no I/O).

- ``raw = ceil(work / lag_threshold)`` with ``work = lag + in_flight``, clamped to ``[min, max]``;
- leaving zero needs ``work > activation_lag_threshold`` (KEDA's activation);
- capped at the partition count unless ``allow_idle_consumers`` (idle consumers get no partition);
- back to zero (or ``min_replicas``) only after ``cooldown_s`` with no work (KEDA's cooldownPeriod),
  or at once when no job is still searching either (``Observation.searching_jobs == 0``): the cooldown
  absorbs the gaps inside a search, between two of its trials; once every search has ended no trial
  can come (KEDA cannot see jobs, so this rule is the scaler's own);
- down to the trainers that are busy when fewer trials run than trainers and no job will plan another
  trial (``planning_jobs == 0``: each active search has requested its last trial): at once when no
  trial waits either (every offset in the lag is a running trial), else when the same held at the
  previous decision too: a trial queued on an idle trainer's partitions is taken within the consumer's
  poll, so trainers idle that long have none, and the trials still queued wait behind busy ones. Nothing
  can come for the idle trainers, so neither the cooldown nor the stabilisation window has anything to
  absorb. Only with ``running`` known, i.e. a backend that stops the idle trainers first (``surplus``);
- scale-down stabilisation: the max of the raw desires in the last ``stabilization_window_s`` (HPA);
- scale-up limited to ``scale_up_max_step`` replicas per decision.

Defaults are the ones tuned by ``bench/scaler_sim.py`` (see ``bench/results/scaler_sim.md``) and
mirrored in ``deploy/k8s/keda-scaledobject.yaml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScalerConfig:
    """The knobs, named after KEDA's ScaledObject fields (``lagThreshold``, ``cooldownPeriod``...)."""

    lag_threshold: int = 2
    activation_lag_threshold: int = 0
    min_replicas: int = 0
    max_replicas: int = 4
    partitions: int = 12
    allow_idle_consumers: bool = False
    cooldown_s: float = 10.0
    stabilization_window_s: float = 10.0
    scale_up_max_step: int = 4
    polling_interval_s: float = 2.0  # KEDA's pollingInterval: how often the scaler loop decides

    def __post_init__(self) -> None:
        # Fail fast like KEDA's Validate(): a zero threshold would divide by zero at the first decision.
        if self.lag_threshold < 1 or self.scale_up_max_step < 1:
            raise ValueError("lag_threshold and scale_up_max_step must be at least 1")
        if not 0 <= self.min_replicas <= self.max_replicas:
            raise ValueError("need 0 <= min_replicas <= max_replicas")

    @property
    def ceiling(self) -> int:
        """Most replicas that can do work: a consumer beyond the partition count gets no partition."""
        return self.max_replicas if self.allow_idle_consumers else min(self.max_replicas, self.partitions)


@dataclass(frozen=True)
class Observation:
    """One look at the world: queued trials (lag), trials being trained, trainers running now, and the
    jobs that may still ask for trials (active, search not finished; None when not known), and for the
    surplus rule the busy trainers and the jobs that may still plan a new trial."""

    now: float
    lag: int
    in_flight: int
    current: int
    searching_jobs: int | None = None
    # trainers busy with a trial now (None: not known, or the backend cannot pick idle ones to stop)
    running: int | None = None
    # active jobs whose search may still request a trial (None: not known)
    planning_jobs: int | None = None


@dataclass
class PolicyState:
    """What the policy remembers between decisions: recent raw desires and the last time work was seen."""

    history: list[tuple[float, int]] = field(default_factory=list)
    last_active: float | None = None
    idle_seen: int = 0  # consecutive decisions that saw idle trainers and no job planning


@dataclass(frozen=True)
class Decision:
    """The replica count to reach; ``reason`` starts with the rule that decided it."""

    desired: int
    reason: str


def _idle_trainers(cfg: ScalerConfig, obs: Observation, work: int) -> bool:
    """Fewer trials running than trainers (and not below the floor) while no job plans another. At least one
    runs: with none running, the queued trials wait for trainers still starting or between two trials."""
    return (obs.planning_jobs == 0 and obs.running is not None and work > 0
            and max(1, cfg.min_replicas) <= obs.running < obs.current)


def _raw(cfg: ScalerConfig, obs: Observation, state: PolicyState, work: int) -> tuple[int, str]:
    """The unstabilised desire and the rule behind it."""
    if obs.current == 0 and work <= cfg.activation_lag_threshold:
        return cfg.min_replicas, f"activation: work {work} <= {cfg.activation_lag_threshold}, stay at zero"
    if work == 0 and obs.searching_jobs == 0:
        return cfg.min_replicas, "idle: no work and no job searching"
    if work == 0:
        idle_for = obs.now - state.last_active if state.last_active is not None else math.inf
        if idle_for >= cfg.cooldown_s:
            return cfg.min_replicas, f"cooldown: no work for {cfg.cooldown_s:g}s"
        # Inside the cooldown KEDA keeps the HPA at one replica at least; the window may hold more.
        return max(1, cfg.min_replicas), f"cooldown-hold: no work for {idle_for:g}s < {cfg.cooldown_s:g}s"
    running = obs.running
    if running is not None and _idle_trainers(cfg, obs, work) and (work <= running or state.idle_seen >= 2):
        # work <= running: the lag holds the running trials' offsets (a trainer stores one only after
        # the trial's result), so nothing waits beyond them; a stale count errs towards more trainers
        waiting = "none waiting" if work <= running else f"{work - running} waiting behind busy ones"
        return running, (f"surplus: {running} trials running, {waiting}, no job planning more: "
                         f"{obs.current - running} idle trainers stop")
    wanted = math.ceil(work / cfg.lag_threshold)
    if wanted > cfg.ceiling:
        rule = "partitions" if cfg.ceiling < cfg.max_replicas else "max_replicas"
        return cfg.ceiling, f"{rule}: work {work} wants {wanted}, capped at {cfg.ceiling}"
    if wanted < cfg.min_replicas:
        return cfg.min_replicas, f"min_replicas: work {work} wants {wanted}, floor {cfg.min_replicas}"
    return wanted, f"lag: ceil({work} / {cfg.lag_threshold}) = {wanted}"


def desired_replicas(cfg: ScalerConfig, obs: Observation, state: PolicyState) -> Decision:
    """The replica count for ``obs``; records the raw desire and the last activity in ``state``."""
    work = max(0, obs.lag) + max(0, obs.in_flight)
    if work > 0:
        state.last_active = obs.now
    state.idle_seen = state.idle_seen + 1 if _idle_trainers(cfg, obs, work) else 0
    raw, reason = _raw(cfg, obs, state, work)
    if reason.startswith(("cooldown:", "activation:", "idle:")):
        # Going to zero is KEDA's own move, outside the HPA and so outside its stabilisation window.
        state.history.clear()
        return Decision(raw, reason)
    if reason.startswith("surplus:"):
        return Decision(raw, reason)  # no trial can come for the idle ones: nothing to stabilise
    state.history = [(t, d) for t, d in state.history if obs.now - t < cfg.stabilization_window_s]
    state.history.append((obs.now, raw))
    desired = raw
    held = min(obs.current, max(d for _, d in state.history))
    if raw < obs.current and held > raw:
        window = cfg.stabilization_window_s
        desired, reason = held, f"stabilization: max desire in {window:g}s is {held} ({reason})"
    if desired > obs.current + cfg.scale_up_max_step:
        desired = obs.current + cfg.scale_up_max_step
        reason = f"scale_up_max_step: +{cfg.scale_up_max_step} per decision ({reason})"
    return Decision(desired, reason)


def deadline_replicas(remaining_trials: int, ewma_trial_s: float, deadline_s: float,
                      cfg: ScalerConfig) -> int:
    """The fewest replicas that finish ``remaining_trials`` of ~``ewma_trial_s`` within ``deadline_s``.

    Trials are whole: ``n`` replicas need ``ceil(remaining / n)`` rounds. When even the ceiling cannot
    make the deadline, the ceiling (max replicas, or partitions) is the cheapest best effort.
    """
    if remaining_trials <= 0:
        return cfg.min_replicas
    for n in range(max(1, cfg.min_replicas), cfg.ceiling + 1):
        if math.ceil(remaining_trials / n) * ewma_trial_s <= deadline_s:
            return n
    return cfg.ceiling

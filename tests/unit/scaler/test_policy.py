"""The scaling policy, one row per KEDA/HPA rule: replay observations, check the last decision."""

from __future__ import annotations

import pytest

from services.scaler.policy import (
    Observation,
    PolicyState,
    ScalerConfig,
    deadline_replicas,
    desired_replicas,
)

CFG = ScalerConfig(lag_threshold=5, activation_lag_threshold=2, min_replicas=0, max_replicas=6, partitions=4,
                   cooldown_s=30, stabilization_window_s=20, scale_up_max_step=2)
Obs = tuple[float, int, int, int]  # now, lag, in_flight, current


@pytest.mark.parametrize("cfg, before, last, desired, rule", [
    # desired = ceil(work / lag_threshold)
    pytest.param(CFG, [], (100, 12, 0, 2), 3, "lag", id="ceil-of-work-over-threshold"),
    # work = lag + in_flight: trials being trained still need their trainer
    pytest.param(CFG, [], (100, 1, 8, 2), 2, "lag", id="in-flight-counts-as-work"),
    # from zero, work at or below activation_lag_threshold keeps zero (KEDA activation)
    pytest.param(CFG, [], (100, 2, 0, 0), 0, "activation", id="activation-holds-zero"),
    # from zero, work above the activation threshold wakes the pool
    pytest.param(CFG, [], (100, 3, 0, 0), 1, "lag", id="activation-leaves-zero"),
    # above zero the activation threshold no longer matters: 1 queued trial keeps 1 trainer
    pytest.param(CFG, [], (100, 1, 0, 1), 1, "lag", id="activation-only-from-zero"),
    # capped at the partition count: a consumer beyond it would get no partition
    pytest.param(CFG, [], (100, 100, 0, 4), 4, "partitions", id="capped-at-partitions"),
    # allow_idle_consumers lifts that cap, max_replicas still applies
    pytest.param(ScalerConfig(lag_threshold=5, max_replicas=6, partitions=4, allow_idle_consumers=True),
                 [], (100, 100, 0, 6), 6, "max_replicas", id="idle-consumers-allowed-max-caps"),
    # min_replicas is a floor, even with no work after the cooldown
    pytest.param(ScalerConfig(min_replicas=1, cooldown_s=0), [], (100, 0, 0, 0), 1, "activation",
                 id="min-replicas-floor-from-zero"),
    # min_replicas also floors a small raw desire
    pytest.param(ScalerConfig(lag_threshold=5, min_replicas=3), [], (100, 4, 0, 3), 3, "min_replicas",
                 id="min-replicas-floor-with-work"),
    # scale-up limited to +scale_up_max_step per decision
    pytest.param(CFG, [], (100, 20, 0, 1), 3, "scale_up_max_step", id="scale-up-step-limit"),
    # no work for less than cooldown_s: the last trainer stays (KEDA cooldownPeriod)
    pytest.param(CFG, [(0, 3, 0, 1)], (10, 0, 0, 1), 1, "cooldown-hold", id="cooldown-holds-one"),
    # no work for cooldown_s: back to zero, whatever the stabilisation window remembers
    pytest.param(ScalerConfig(lag_threshold=5, cooldown_s=10, stabilization_window_s=60), [(0, 30, 0, 4)],
                 (15, 0, 0, 4), 0, "cooldown", id="cooldown-elapsed-zero"),
    # scale-down held at the highest raw desire of the last stabilization_window_s (HPA behaviour)
    pytest.param(CFG, [(0, 20, 0, 4)], (5, 5, 0, 4), 4, "stabilization", id="scale-down-stabilised"),
    # once the high desire has left the window, scale down to the raw desire
    pytest.param(CFG, [(0, 20, 0, 4)], (25, 5, 0, 4), 1, "lag", id="scale-down-after-window"),
    # stabilisation never scales up: it only holds what is already running
    pytest.param(CFG, [(0, 20, 0, 2)], (5, 5, 0, 2), 2, "stabilization", id="stabilisation-caps-at-current"),
])
def test_rule(cfg: ScalerConfig, before: list[Obs], last: Obs, desired: int, rule: str) -> None:
    state = PolicyState()
    for obs in before:
        desired_replicas(cfg, Observation(*obs), state)
    decision = desired_replicas(cfg, Observation(*last), state)
    assert (decision.desired, decision.reason.split(":")[0]) == (desired, rule), decision.reason


def test_bad_config_fails_fast() -> None:
    with pytest.raises(ValueError, match="lag_threshold"):
        ScalerConfig(lag_threshold=0)
    with pytest.raises(ValueError, match="min_replicas"):
        ScalerConfig(min_replicas=5, max_replicas=4)


@pytest.mark.parametrize("remaining, ewma, deadline, expected", [
    # 10 trials of 6 s in 30 s: 2 replicas run 5 rounds each
    pytest.param(10, 6.0, 30.0, 2, id="fewest-that-finish-in-time"),
    # trials are whole: 3 trials of 10 s in 15 s need 3 replicas, not ceil(30 / 15) = 2
    pytest.param(3, 10.0, 15.0, 3, id="whole-trials"),
    # a relaxed deadline needs one replica
    pytest.param(10, 6.0, 1000.0, 1, id="relaxed-deadline-one-replica"),
    # an impossible deadline gets the ceiling: partitions (4) below max_replicas (6)
    pytest.param(100, 6.0, 10.0, 4, id="impossible-deadline-ceiling"),
    # nothing left: back to min_replicas
    pytest.param(0, 6.0, 10.0, 0, id="nothing-left"),
])
def test_deadline_aware_replicas(remaining: int, ewma: float, deadline: float, expected: int) -> None:
    assert deadline_replicas(remaining, ewma, deadline, CFG) == expected


IDLE = ScalerConfig(lag_threshold=2, cooldown_s=10, stabilization_window_s=10)


@pytest.mark.parametrize("last, desired, rule", [
    # no trial waits and no job can ask for one: back to zero now, not after the cooldown or window
    pytest.param((3, 0, 0, 2, 0), 0, "idle", id="no-work-no-job-zero-at-once"),
    # a job still active: a gap between its trials is what the cooldown absorbs
    pytest.param((3, 0, 0, 2, 1), 2, "stabilization", id="active-job-keeps-cooldown"),
    # the job count not known (store down, or a caller without it): the cooldown decides as before
    pytest.param((3, 0, 0, 2, None), 2, "stabilization", id="unknown-jobs-keeps-cooldown"),
    # trials still queued (a cancelled job's, say): the trainers stay for them
    pytest.param((3, 3, 0, 2, 0), 2, "lag", id="backlog-without-job-keeps-trainers"),
])
def test_idle_scale_in(last: tuple[float, int, int, int, int | None], desired: int, rule: str) -> None:
    state = PolicyState()
    desired_replicas(IDLE, Observation(0, 4, 0, 2, 1), state)
    decision = desired_replicas(IDLE, Observation(*last), state)
    assert decision.desired == desired and decision.reason.startswith(rule), decision


def test_idle_scale_in_keeps_min_replicas() -> None:
    cfg = ScalerConfig(min_replicas=1, cooldown_s=10)
    decision = desired_replicas(cfg, Observation(3, 0, 0, 2, 0), PolicyState())
    assert decision.desired == 1 and decision.reason.startswith("idle"), decision

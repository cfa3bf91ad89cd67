"""The scaling policy, one row per KEDA/HPA rule."""

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


@pytest.mark.parametrize("cfg, lag, current, expected", [
    # desired = ceil(work / lag_threshold)
    pytest.param(CFG, 12, 2, 3, id="ceil-of-lag-over-threshold"),
    # from zero, work at or below the activation threshold keeps zero
    pytest.param(CFG, 2, 0, 0, id="activation-threshold-holds-zero"),
    # from zero, work above the activation threshold activates
    pytest.param(CFG, 3, 0, 1, id="activation-leaves-zero"),
    # capped at the partition count: idle consumers would get no partition
    pytest.param(CFG, 100, 4, 4, id="capped-at-partitions"),
    # unless allow_idle_consumers, then max_replicas caps
    pytest.param(ScalerConfig(lag_threshold=5, max_replicas=6, partitions=4, allow_idle_consumers=True,
                              scale_up_max_step=10), 100, 4, 6, id="idle-consumers-allowed"),
    # scale-up limited to scale_up_max_step per decision
    pytest.param(CFG, 20, 1, 3, id="scale-up-step-limit"),
    # min_replicas is a floor even with no work
    pytest.param(ScalerConfig(min_replicas=1, cooldown_s=0), 0, 0, 1, id="min-replicas-floor"),
])
def test_single_decision(cfg: ScalerConfig, lag: int, current: int, expected: int) -> None:
    assert desired_replicas(cfg, Observation(now=100.0, lag=lag, in_flight=0, current=current),
                            PolicyState()).desired == expected


def test_cooldown_before_scaling_to_zero() -> None:
    # KEDA cooldownPeriod: no work for less than cooldown_s keeps the trainers
    state = PolicyState()
    assert desired_replicas(CFG, Observation(0, 10, 0, 2), state).desired == 2
    assert desired_replicas(CFG, Observation(10, 0, 0, 2), state).desired == 2
    decision = desired_replicas(CFG, Observation(31, 0, 0, 2), state)
    assert decision.desired == 0 and "cooldown" in decision.reason


def test_scale_down_is_stabilised_by_recent_desires() -> None:
    # HPA scale-down stabilisation: the max of the raw desires inside the window wins
    state = PolicyState()
    assert desired_replicas(CFG, Observation(0, 20, 0, 4), state).desired == 4
    held = desired_replicas(CFG, Observation(5, 5, 0, 4), state)
    assert held.desired == 4 and "stabilisation" in held.reason
    assert desired_replicas(CFG, Observation(25, 5, 0, 4), state).desired == 1


def test_in_flight_counts_as_work() -> None:
    assert desired_replicas(CFG, Observation(0, 0, 9, 2), PolicyState()).desired == 2


def test_reason_names_the_rule() -> None:
    decision = desired_replicas(CFG, Observation(0, 100, 0, 4), PolicyState())
    assert "capped" in decision.reason


@pytest.mark.parametrize("remaining, ewma, deadline, expected", [
    pytest.param(10, 6.0, 30.0, 2, id="fewest-that-finish-in-time"),
    pytest.param(10, 6.0, 1000.0, 1, id="relaxed-deadline-one-replica"),
    pytest.param(100, 6.0, 10.0, 6, id="impossible-deadline-max"),
    pytest.param(0, 6.0, 10.0, 0, id="nothing-left"),
])
def test_deadline_aware_replicas(remaining: int, ewma: float, deadline: float, expected: int) -> None:
    assert deadline_replicas(remaining, ewma, deadline, CFG) == expected

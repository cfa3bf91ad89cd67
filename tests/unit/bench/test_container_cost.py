"""The container-cost benchmark's split of a trainer container's life (bench/container_cost.py)."""

from __future__ import annotations

import pytest

from bench.container_cost import Life


def test_a_life_splits_into_startup_busy_between_job_end_and_cooldown() -> None:
    life = Life("c1", start=100.0, died=160.0, exit_code=0, trials=[(110.0, 120.0), (125.0, 140.0)])
    # another trainer's last trial of the job ends at 148; one of a later burst (200) is not this one's
    parts = life.split([120.0, 140.0, 148.0, 200.0])
    assert parts == {"startup": 10.0, "busy": 25.0, "between": 5.0, "job_end": 8.0, "cooldown": 12.0, "unused": 0.0}
    assert sum(parts[k] for k in ("startup", "busy", "between", "job_end", "cooldown")) == pytest.approx(life.seconds)
    assert life.split()["cooldown"] == 20.0, "with no other trials the whole tail is the cooldown"


def test_a_container_that_ran_no_trial_is_all_cooldown_and_counted_unused() -> None:
    parts = Life("c2", start=0.0, died=30.0, exit_code=0).split([10.0])
    assert parts["cooldown"] == parts["unused"] == 30.0 and parts["busy"] == 0.0

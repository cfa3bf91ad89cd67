"""The container-cost benchmark's split of a trainer container's life (bench/container_cost.py)."""

from __future__ import annotations

import pytest

from bench.container_cost import Life


def test_a_life_splits_into_startup_busy_between_and_tail() -> None:
    life = Life("c1", start=100.0, died=160.0, exit_code=0, trials=[(110.0, 120.0), (125.0, 140.0)])
    parts = life.split()
    assert parts == {"startup": 10.0, "busy": 25.0, "between": 5.0, "tail": 20.0, "unused": 0.0}
    assert sum(parts[k] for k in ("startup", "busy", "between", "tail")) == pytest.approx(life.seconds)


def test_a_container_that_ran_no_trial_is_all_tail_and_counted_unused() -> None:
    parts = Life("c2", start=0.0, died=30.0, exit_code=0).split()
    assert parts["tail"] == parts["unused"] == 30.0 and parts["busy"] == 0.0

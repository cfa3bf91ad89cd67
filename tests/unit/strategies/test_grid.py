"""Grid search: the whole grid, round-robin across algorithms, deterministic."""

from __future__ import annotations

import pytest

from tests.unit.strategies._helpers import make
from zygarde.ml import space as sp

SMALL: dict[str, sp.Space] = {"b": {"w": sp.FloatDim(0.0, 1.0)}, "c": {"k": sp.CategoricalDim((1, 2))}}


@pytest.mark.parametrize(("points", "max_trials", "expected"), [
    pytest.param(3, 100, 5, id="whole-grid"),  # 3 values of w + 2 of k
    pytest.param(5, 100, 7, id="more-points"),
    pytest.param(3, 4, 4, id="budget-first"),
])
def test_grid_covers_the_grid_round_robin(points: int, max_trials: int, expected: int) -> None:
    strategy = make("grid", spaces=SMALL, max_trials=max_trials, points=points)
    trials = strategy.ask(100)
    assert len(trials) == expected and strategy.exhausted and strategy.ask(1) == []
    assert [t.algorithm for t in trials[:4]] == ["b", "c", "b", "c"]
    if max_trials > expected:  # the whole grid fit in the budget
        for name, space in SMALL.items():
            assert [t.params for t in trials if t.algorithm == name] == list(sp.grid(space, points))


def test_grid_respects_conditionals_and_is_exhausted_exactly_at_its_end() -> None:
    space: dict[str, sp.Space] = {"a": {"m": sp.CategoricalDim(("p", "q")),
                                        "z": sp.IntDim(1, 9, when={"m": ("q",)})}}
    strategy = make("grid", spaces=space, max_trials=50)
    trials = strategy.ask(4)  # p, then q with z in 1, 5, 9
    assert [t.params for t in trials] == [{"m": "p"}, {"m": "q", "z": 1}, {"m": "q", "z": 5},
                                          {"m": "q", "z": 9}]
    assert strategy.exhausted


def test_grid_is_deterministic_and_rebuild_continues_it() -> None:
    whole = make("grid", max_trials=30).ask(30)
    again = make("grid", max_trials=30)
    again.rebuild(whole[:11], {}, {})
    assert whole[:11] + again.ask(30) == whole

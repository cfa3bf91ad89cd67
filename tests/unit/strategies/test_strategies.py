"""Ask-and-tell strategies: budgets, determinism, restart, and that the clever ones are clever."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from services.planner.strategies import make_strategy
from services.planner.strategies._base import TrialResult
from zygarde.ml.space import CategoricalDim, FloatDim, IntDim

SPACES = {
    "a": {"x": FloatDim(1e-4, 1e2, log=True), "y": FloatDim(0, 1), "mode": CategoricalDim(("p", "q")),
          "z": IntDim(1, 9, when={"mode": ("q",)})},
    "b": {"w": FloatDim(0, 1)},
}


def objective(algorithm: str, p: dict) -> float:
    """A narrow optimum on a log scale inside algorithm ``a``; ``b`` is a mediocre plateau."""
    if algorithm == "a":
        return -((math.log10(p["x"]) - 0.5) ** 2) - (p["y"] - 0.3) ** 2
    return -1.5 - (p["w"] - 0.5) ** 2


def drive(name: str, seed: int, budget: int = 40, parallel: int = 4) -> float:
    strategy = make_strategy(name, SPACES, seed=seed, max_trials=budget, greater_is_better=True)
    best = -math.inf
    while not strategy.exhausted:
        batch = strategy.ask(parallel)
        assert batch
        for t in batch:
            value = objective(t.algorithm, t.params)
            best = max(best, value)
            strategy.tell(t.index, TrialResult(value))
    return best


@pytest.mark.parametrize("name", ["grid", "random", "tpe", "asha"])
def test_ask_never_exceeds_the_budget_and_indices_are_contiguous(name: str) -> None:
    strategy = make_strategy(name, SPACES, seed=1, max_trials=7, greater_is_better=True)
    asked = strategy.ask(5) + strategy.ask(5) + strategy.ask(5)
    assert [t.index for t in asked] == list(range(7))
    assert strategy.exhausted and strategy.ask(3) == []


@pytest.mark.parametrize("name", ["random", "tpe"])
def test_conditional_parameters_only_when_active(name: str) -> None:
    strategy = make_strategy(name, SPACES, seed=3, max_trials=60, greater_is_better=True)
    for t in strategy.ask(60):
        if t.algorithm == "a":
            assert ("z" in t.params) == (t.params["mode"] == "q")
        strategy.tell(t.index, TrialResult(objective(t.algorithm, t.params)))


def test_grid_covers_every_combination_round_robin() -> None:
    strategy = make_strategy("grid", {"b": SPACES["b"], "c": {"k": CategoricalDim((1, 2))}}, seed=0,
                             max_trials=100, greater_is_better=True)
    trials = strategy.ask(100)
    assert [t.algorithm for t in trials[:4]] == ["b", "c", "b", "c"]
    assert len(trials) == 3 + 2 and strategy.exhausted


def test_random_is_reproducible_and_rebuild_continues_the_same_sequence() -> None:
    first = make_strategy("random", SPACES, seed=9, max_trials=20, greater_is_better=True).ask(20)
    again = make_strategy("random", SPACES, seed=9, max_trials=20, greater_is_better=True)
    head = again.ask(8)
    restarted = make_strategy("random", SPACES, seed=9, max_trials=20, greater_is_better=True)
    restarted.rebuild(head, {t.index: TrialResult(0.0) for t in head[:5]}, {})
    assert head + restarted.ask(12) == first


def test_tpe_rebuild_restores_its_history() -> None:
    s = make_strategy("tpe", SPACES, seed=2, max_trials=30, greater_is_better=True)
    done = s.ask(12)
    told = {t.index: TrialResult(objective(t.algorithm, t.params)) for t in done}
    fresh = make_strategy("tpe", SPACES, seed=2, max_trials=30, greater_is_better=True)
    fresh.rebuild(done, told, {})
    assert len(fresh.study.trials) == 12
    assert [t.index for t in fresh.ask(5)] == [12, 13, 14, 15, 16]


def test_tpe_beats_random_search_on_a_known_objective() -> None:
    tpe = statistics.mean(drive("tpe", seed) for seed in range(10))
    rnd = statistics.mean(drive("random", seed) for seed in range(10))
    assert tpe > rnd + 0.05, (tpe, rnd)


def test_asha_stops_most_poor_trials_at_the_first_rung_and_keeps_the_best() -> None:
    strategy = make_strategy("asha", {"a": {"q": FloatDim(0, 1)}}, seed=1, max_trials=60, greater_is_better=True,
                             folds=5)
    rng = random.Random(0)
    poor = poor_pruned_first = 0
    best_index, best_q = -1, -1.0
    while not strategy.exhausted:
        for t in strategy.ask(4):
            q = t.params["q"]
            if q > best_q:
                best_index, best_q = t.index, q
            pruned_at = None
            for fold in range(1, 6):
                if strategy.report(t.index, fold, q + rng.gauss(0, 0.02)):
                    pruned_at = fold
                    break
            poor += q < 0.5
            poor_pruned_first += q < 0.5 and pruned_at == 1
            strategy.tell(t.index, TrialResult(None if pruned_at else q))
    assert poor_pruned_first / poor > 0.8
    assert best_index not in strategy.pruned  # type: ignore[attr-defined]


def test_asha_respects_lower_is_better() -> None:
    strategy = make_strategy("asha", {"a": {"q": FloatDim(0, 1)}}, seed=1, max_trials=9, greater_is_better=False,
                             folds=5, min_at_rung=3)
    trials = strategy.ask(9)
    for t in trials[:3]:
        strategy.report(t.index, 1, 0.5)
    assert strategy.report(trials[3].index, 1, 0.9) is True   # an error larger than the others: pruned
    assert strategy.report(trials[4].index, 1, 0.1) is False  # the smallest error goes on

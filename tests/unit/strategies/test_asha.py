"""ASHA: trials are judged at rungs over folds; poor ones stop early, the best one goes on."""

from __future__ import annotations

import random

import pytest

from services.planner.strategies import TrialResult
from services.planner.strategies.asha import AshaStrategy, default_rungs
from tests.unit.strategies._helpers import make
from zygarde.ml.space import FloatDim

QUALITY = {"a": {"q": FloatDim(0.0, 1.0)}}


def asha(**kwargs: object) -> AshaStrategy:
    strategy = make("asha", spaces=QUALITY, **kwargs)  # type: ignore[arg-type]
    assert isinstance(strategy, AshaStrategy)
    return strategy


@pytest.mark.parametrize(("folds", "eta", "rungs"), [
    pytest.param(5, 3, [1, 3], id="5-folds"),
    pytest.param(10, 3, [1, 3, 9], id="10-folds"),
    pytest.param(10, 2, [1, 2, 4, 8], id="eta-2"),
    pytest.param(1, 3, [], id="one-fold-nothing-to-prune"),
])
def test_default_rungs(folds: int, eta: int, rungs: list[int]) -> None:
    assert default_rungs(folds, eta) == rungs
    assert asha(folds=folds, eta=eta).rungs == rungs


Reports = dict[int, list[tuple[int, float]]]


def simulate(strategy: AshaStrategy, seed: int, folds: int = 5,
             reports: Reports | None = None) -> dict[int, tuple[float, int | None]]:
    """Each trial's fold scores are its true quality ``q`` plus noise; index -> (q, fold it was pruned at)."""
    rng = random.Random(seed)
    reports = {} if reports is None else reports
    outcome: dict[int, tuple[float, int | None]] = {}
    while batch := strategy.ask(4):
        for spec in batch:
            q, pruned_at = spec.params["q"], None
            for fold in range(1, folds + 1):
                score = q + rng.gauss(0, 0.02)
                reports.setdefault(spec.index, []).append((fold, score))
                if strategy.report(spec.index, fold, score):
                    pruned_at = fold
                    break
            outcome[spec.index] = (q, pruned_at)
            strategy.tell(spec.index, TrialResult(None if pruned_at else q))
    return outcome


@pytest.mark.parametrize(("sampler", "tolerance"), [
    pytest.param("random", 0.0, id="random"),  # the very best trial is never pruned
    pytest.param("tpe", 0.05, id="tpe"),  # TPE crowds the optimum: a trial within noise of the best survives
])
def test_most_poor_trials_stop_at_the_first_rung_and_the_best_goes_on(sampler: str, tolerance: float) -> None:
    outcome = simulate(asha(seed=1, max_trials=60, folds=5, sampler=sampler), seed=0)
    poor = [pruned_at for q, pruned_at in outcome.values() if q < 0.5]
    assert poor and sum(p == 1 for p in poor) / len(poor) > 0.8
    assert sum(p is not None for _, p in outcome.values()) > len(outcome) / 2  # most of the budget saved
    best_q = max(q for q, _ in outcome.values())
    assert max(q for q, pruned_at in outcome.values() if pruned_at is None) >= best_q - tolerance


@pytest.mark.parametrize(("score", "pruned"), [
    pytest.param(0.9, True, id="larger-error-pruned"),
    pytest.param(0.1, False, id="smallest-error-goes-on"),
])
def test_lower_is_better(score: float, pruned: bool) -> None:
    strategy = asha(max_trials=9, greater_is_better=False, folds=5, min_at_rung=3)
    trials = strategy.ask(9)
    assert not any(strategy.report(t.index, 1, 0.5) for t in trials[:3])  # below min_at_rung: never judged
    assert strategy.report(trials[3].index, 1, score) is pruned


def test_only_rungs_judge_and_explicit_rungs_win() -> None:
    strategy = asha(max_trials=9, rungs=[2], min_at_rung=1)
    a, b = strategy.ask(2)
    assert strategy.report(a.index, 2, 0.9) is False
    assert strategy.report(b.index, 1, 0.1) is False  # fold 1 is not a rung here
    assert strategy.report(b.index, 2, 0.1) is True
    assert strategy.report(b.index, 3, 0.9) is True  # once pruned, always pruned


def test_rebuild_restores_the_rungs() -> None:
    live = asha(seed=3, max_trials=40, folds=5)
    reports: Reports = {}
    simulate(live, seed=1, reports=reports)
    restarted = asha(seed=3, max_trials=40, folds=5)
    restarted.rebuild(list(live.asked.values()), dict(live.told), reports)
    assert restarted.at_rung == live.at_rung
    assert restarted.pruned == live.pruned
    assert restarted.exhausted

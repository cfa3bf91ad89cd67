"""TPE: one Optuna study over the conditional space, rebuilt from stored results, better than random."""

from __future__ import annotations

import statistics

import optuna
import pytest

from services.planner.strategies import TrialResult, TrialSpec
from services.planner.strategies.tpe import TpeStrategy
from tests.unit.strategies._helpers import best_found, make, objective

STATES = optuna.trial.TrialState


def tpe(**kwargs: object) -> TpeStrategy:
    strategy = make("tpe", **kwargs)  # type: ignore[arg-type]
    assert isinstance(strategy, TpeStrategy)
    return strategy


def test_tpe_beats_random_search_on_a_known_objective() -> None:
    seeds = range(10)
    tpe_best = [best_found("tpe", seed) for seed in seeds]
    random_best = [best_found("random", seed) for seed in seeds]
    assert statistics.mean(tpe_best) > statistics.mean(random_best) + 0.1, (tpe_best, random_best)
    assert sum(t > r for t, r in zip(tpe_best, random_best, strict=True)) >= 6, (tpe_best, random_best)


def test_params_are_prefixed_per_algorithm_in_the_study() -> None:
    strategy = tpe(max_trials=6)
    for spec in strategy.ask(6):
        strategy.tell(spec.index, TrialResult(objective(spec.algorithm, spec.params)))
    for spec, trial in zip(strategy.asked.values(), strategy.study.trials, strict=True):
        prefixed = {f"{spec.algorithm}__{k}": v for k, v in spec.params.items()}
        assert trial.params == {"algorithm": spec.algorithm, **prefixed}


@pytest.mark.parametrize(("greater_is_better", "direction"), [
    pytest.param(True, optuna.study.StudyDirection.MAXIMIZE, id="accuracy"),
    pytest.param(False, optuna.study.StudyDirection.MINIMIZE, id="rmse"),
])
def test_direction_follows_the_metric(greater_is_better: bool, direction: object) -> None:
    assert tpe(greater_is_better=greater_is_better).study.direction == direction


def test_failures_are_told_as_fail() -> None:
    strategy = tpe(max_trials=3)
    a, b, c = strategy.ask(3)
    strategy.tell(a.index, TrialResult(None))
    strategy.tell(b.index, TrialResult(0.25))
    assert [t.state for t in strategy.study.trials] == [STATES.FAIL, STATES.COMPLETE, STATES.RUNNING]


def test_rebuild_restores_the_model_from_told_results() -> None:
    before = tpe(seed=2, max_trials=30)
    asked = before.ask(14)
    told = {t.index: TrialResult(objective(t.algorithm, t.params)) for t in asked[:11]}
    told[0] = TrialResult(None)
    stale = TrialSpec(14, "gone", {"p": 1})  # an algorithm no longer in the job's spaces: skipped
    after = tpe(seed=2, max_trials=30)
    after.rebuild([*asked, stale], told, {})
    states = [t.state for t in after.study.trials]
    assert states == [STATES.FAIL] + [STATES.COMPLETE] * 10 + [STATES.RUNNING] * 3
    assert [t.value for t in after.study.trials[1:11]] == [told[i].score for i in range(1, 11)]
    after.tell(12, TrialResult(-0.5))  # still running at the restart: reaches the study
    assert after.study.trials[12].state == STATES.COMPLETE
    assert [t.index for t in after.ask(5)] == [15, 16, 17, 18, 19]


INITIAL = [("b", {"w": 0.5, "n": 10}), ("a", {"x": 1.0, "v": 1.0, "mode": "q", "z": 3})]


def test_initial_points_are_asked_first_and_reach_the_study() -> None:
    strategy = tpe(seed=4, max_trials=10, initial=INITIAL)
    first = strategy.ask(3)
    assert [(s.algorithm, s.params) for s in first[:2]] == INITIAL
    assert first[2].index == 2
    for spec in first:
        strategy.tell(spec.index, TrialResult(objective(spec.algorithm, spec.params)))
    assert [t.value for t in strategy.study.trials[:2]] == [objective(a, p) for a, p in INITIAL]


def test_initial_points_outside_the_spaces_are_ignored() -> None:
    strategy = tpe(max_trials=4, initial=[("gone", {"p": 1}), *INITIAL[:1]])
    assert [(s.algorithm, s.params) for s in strategy.ask(1)] == INITIAL[:1]


def test_a_restart_asks_only_the_initial_points_not_asked_before() -> None:
    before = tpe(seed=3, max_trials=10, initial=INITIAL)
    asked = before.ask(1)
    after = tpe(seed=3, max_trials=10, initial=INITIAL)
    after.rebuild(asked, {0: TrialResult(-3.0)}, {})
    nxt = after.ask(2)
    assert [t.index for t in nxt] == [1, 2]
    assert (nxt[0].algorithm, nxt[0].params) == INITIAL[1]
    assert (nxt[1].algorithm, nxt[1].params) not in INITIAL
    done = tpe(seed=3, max_trials=10, initial=INITIAL)
    done.rebuild([*asked, *nxt], {}, {})
    assert all((s.algorithm, s.params) not in INITIAL for s in done.ask(3))

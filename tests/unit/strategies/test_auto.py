"""The ``auto`` strategy: portfolio first, cheap algorithms first, rows as fidelity, stopping, determinism."""

from __future__ import annotations

import math
from typing import Any

import pytest

from services.planner.strategies import TrialResult, TrialSpec, _eci, make_strategy
from services.planner.strategies import auto as auto_mod
from services.planner.strategies.auto import AutoStrategy, rungs
from tests.unit.strategies._helpers import SPACES, best_found, objective
from zygarde.ml.space import CategoricalDim, FloatDim, Space

# "logistic_regression" is cheap by prior (cost 1), "catboost" dear (15): the names only pick the prior.
CHEAP_DEAR = {
    "logistic_regression": {"c": FloatDim(1e-3, 1e3, log=True), "k": CategoricalDim(("l1", "l2"))},
    "catboost": {"lr": FloatDim(0.01, 0.3, log=True), "depth": FloatDim(2.0, 10.0)},
}


def make(spaces: dict = CHEAP_DEAR, **options: Any) -> AutoStrategy:
    options.setdefault("max_trials", 40)
    strategy = make_strategy("auto", spaces, seed=options.pop("seed", 0), greater_is_better=True, **options)
    assert isinstance(strategy, AutoStrategy)
    return strategy


def run(strategy: AutoStrategy, score: Any, seconds: Any, parallel: int = 2) -> list[TrialSpec]:
    """Drive a whole search, telling each batch before the next; every asked trial in order."""
    asked: list[TrialSpec] = []
    while batch := strategy.ask(parallel):
        asked += batch
        for spec in batch:
            strategy.tell(spec.index, TrialResult(score(spec), seconds(spec)))
    return asked


def test_the_portfolio_is_asked_first_and_a_dear_family_s_members_wait_for_it() -> None:
    portfolio = [("catboost", {"lr": 5.0, "depth": 4.0}), ("logistic_regression", {"c": 1.0, "k": "l2"}),
                 ("gone", {"x": 1}), ("logistic_regression", {"c": 1.0, "k": "l2"})]  # unknown and repeat dropped
    strategy = make(portfolio=portfolio)
    assert strategy.portfolio == [("catboost", {"depth": 4.0, "lr": 0.3}),  # moved into the space
                                  ("logistic_regression", {"c": 1.0, "k": "l2"})]
    asked = run(strategy, lambda t: 0.5, lambda t: 1.0, parallel=1)
    assert (asked[0].algorithm, asked[0].params) == ("logistic_regression", {"c": 1.0, "k": "l2"})
    assert all(t.rows is None for t in asked)  # no train_rows given: every row
    dear = [t for t in asked if t.algorithm == "catboost"]
    assert dear and dear[0].params == {"depth": 4.0, "lr": 0.3} and dear[0].index > 5  # when its turn came


def test_on_small_data_each_dear_family_s_first_member_joins_the_cheap_ones() -> None:
    cheap, dear = ("logistic_regression", {"c": 1.0, "k": "l2"}), ("catboost", {"lr": 0.1, "depth": 4.0})
    portfolio = [cheap, dear, ("catboost", {"lr": 0.2, "depth": 6.0}), ("logistic_regression", {"c": 10.0, "k": "l1"})]
    small = run(make(portfolio=portfolio, train_rows=auto_mod.SMALL_ROWS), lambda t: 0.5, lambda t: 1.0, parallel=1)
    assert [(t.algorithm, t.params) for t in small[:3]] == [cheap, dear, portfolio[3]]  # the second waits for ECI
    larger = run(make(portfolio=portfolio, train_rows=auto_mod.SMALL_ROWS + 1), lambda t: 0.5, lambda t: 1.0,
                 parallel=1)
    assert [(t.algorithm, t.params) for t in larger[:2]] == [cheap, portfolio[3]]  # the dear family waits


def test_cheap_algorithms_go_first_and_the_dear_one_enters_when_they_stall() -> None:
    # the cheap algorithm improves for its first 6 trials, then stalls; the dear one is 15x slower
    def score(t: TrialSpec) -> float:
        if t.algorithm == "catboost":
            return 0.9
        mine = sum(1 for i in range(t.index) if strategy.asked[i].algorithm == t.algorithm)
        return 0.5 + 0.01 * min(mine, 6)

    strategy = make(portfolio=[], max_trials=40)
    asked = run(strategy, score, lambda t: 15.0 if t.algorithm == "catboost" else 1.0, parallel=1)
    algorithms = [t.algorithm for t in asked]
    dear_first = algorithms.index("catboost")
    assert algorithms[0] == "logistic_regression" and dear_first >= 7, algorithms
    assert "catboost" in algorithms[:dear_first + 1]
    # once the dear one is clearly better, it gets most of the remaining trials
    assert algorithms[dear_first:].count("catboost") > len(algorithms[dear_first:]) / 2, algorithms


def test_rungs_by_training_rows() -> None:
    assert rungs(None) == [None] and rungs(19_999) == [None]
    assert rungs(20_000) == [10_000, None] and rungs(79_999) == [10_000, None]
    assert rungs(100_000) == [10_000, 40_000, None]


def test_large_data_explores_on_a_subsample_and_promotes_the_best_to_every_row() -> None:
    strategy = make(SPACES, train_rows=50_000, max_trials=30, portfolio=[])
    asked = run(strategy, lambda t: objective(t.algorithm, t.params) - (0.5 if t.rows else 0.0),
                lambda t: 1.0 if t.rows else 5.0, parallel=3)
    # it stops once the default budget is spent (here sooner: the best stopped improving)
    assert 15 <= len(asked) <= 30 and asked[0].rows == 10_000
    assert {t.rows for t in asked} == {10_000, None}
    full = [t for t in asked if t.rows is None]
    sub = sorted((t for t in asked if t.rows == 10_000), key=lambda t: -objective(t.algorithm, t.params))
    full_keys = {auto_mod.key(t.algorithm, t.params) for t in full}
    # every full-data trial repeats a subsample one, and the best three of the subsample all reached every row
    assert all(auto_mod.key(t.algorithm, t.params) in {auto_mod.key(s.algorithm, s.params) for s in sub}
               for t in full)
    assert {auto_mod.key(t.algorithm, t.params) for t in sub[:3]} <= full_keys
    assert len(full) < len(sub)


def test_a_promotion_waits_for_three_results_at_its_rung() -> None:
    strategy = make(SPACES, train_rows=50_000, max_trials=30, portfolio=[])
    first = strategy.ask(2)
    strategy.tell(first[0].index, TrialResult(1.0, 1.0))
    strategy.tell(first[1].index, TrialResult(0.5, 1.0))
    assert strategy.ask(1)[0].rows == 10_000  # two results: the best is not promoted yet
    strategy.tell(2, TrialResult(0.2, 1.0))
    promoted = strategy.ask(1)[0]
    assert promoted.rows is None and promoted.params == first[0].params


def test_it_stops_when_converged_before_max_trials() -> None:
    strategy = make(SPACES, max_trials=200, portfolio=[("a", {}), ("b", {})])
    asked = run(strategy, lambda t: 1.0, lambda t: 0.01)
    assert len(asked) == 2 + auto_mod.PATIENCE and strategy.exhausted


def test_without_a_time_budget_an_improving_search_stretches_its_budget_to_twice() -> None:
    improving = iter(range(10_000))
    strategy = make(SPACES, max_trials=500, portfolio=[("a", {}), ("b", {})])
    asked = run(strategy, lambda t: float(next(improving)), lambda t: 10.0, parallel=1)  # never converges
    # portfolio: 20 s, so the default budget is max(60, 200) s = 20 trials of 10 s, stretched x2 while improving
    assert len(asked) == 40
    with_budget = make(SPACES, max_trials=30, portfolio=[("a", {}), ("b", {})], time_budget_s=5.0)
    improving = iter(range(10_000))
    assert len(run(with_budget, lambda t: float(next(improving)), lambda t: 10.0)) == 30  # the deadline rules


def test_without_a_time_budget_a_search_that_stopped_improving_stops_at_half_its_budget() -> None:
    # the best comes at the 5th trial (50 s), then nothing better: the budget is 200 s (20 trials of 10 s)
    strategy = make(SPACES, max_trials=500, portfolio=[("a", {}), ("b", {})])
    asked = run(strategy, lambda t: float(min(t.index, 4)), lambda t: 10.0, parallel=1)
    assert len(asked) == 10  # 100 s: half the budget, twice the spend at the last gain (a fixed budget: 20)


def test_the_budget_rule() -> None:
    state = auto_mod.budget_state
    assert state(49.0, 0.0, 100.0) == "open"  # under half the budget: always on
    assert state(50.0, 25.0, 100.0) == "plateau"  # half spent, and its second half gained nothing
    assert state(50.0, 26.0, 100.0) == "open"  # ... it gained something
    assert state(150.0, 80.0, 100.0) == "open"  # past the budget while improving
    assert state(160.0, 80.0, 100.0) == "plateau"
    assert state(200.0, 199.0, 100.0) == "spent"  # never past twice the budget


def test_on_a_plateau_only_an_untried_algorithm_gets_a_trial_then_it_stops() -> None:
    # the best comes at the 2nd trial; the dear family is far from its turn by ECI when the plateau comes
    strategy = make(portfolio=[("logistic_regression", {"c": 1.0, "k": "l2"})], max_trials=500)
    asked = run(strategy, lambda t: 0.9 if t.index == 1 else 0.5, lambda t: 10.0, parallel=1)
    algorithms = [t.algorithm for t in asked]
    # budget 100 s: plateau at 50 s (5 trials), then one catboost trial, then the end
    assert algorithms == ["logistic_regression"] * 5 + ["catboost"], algorithms


def test_same_seed_same_search_and_a_rebuild_continues_it() -> None:
    def drive(strategy: AutoStrategy, steps: int) -> list[TrialSpec]:
        out: list[TrialSpec] = []
        for _ in range(steps):
            batch = strategy.ask(2)
            out += batch
            for spec in batch[:1]:  # one of each batch stays running
                strategy.tell(spec.index, TrialResult(objective(spec.algorithm, spec.params), 1.0))
        return out

    one, two = make(SPACES, seed=5, train_rows=30_000), make(SPACES, seed=5, train_rows=30_000)
    assert drive(one, 8) == drive(two, 8)
    after = make(SPACES, seed=5, train_rows=30_000)
    after.rebuild(list(one.asked.values()), dict(one.told), {})
    assert after.ask(4) == one.ask(4)
    other = make(SPACES, seed=6, train_rows=30_000)
    assert drive(other, 8) != drive(make(SPACES, seed=5, train_rows=30_000), 8)


def test_failures_and_missing_seconds_are_harmless() -> None:
    strategy = make(SPACES, max_trials=20, portfolio=[])
    asked = run(strategy, lambda t: math.nan if t.index % 3 == 0 else objective(t.algorithm, t.params),
                lambda t: None)
    assert len(asked) == 20


def test_finds_the_narrow_optimum_about_as_well_as_tpe() -> None:
    found = [best_found("auto", seed) for seed in range(5)]
    baseline = [best_found("random", seed) for seed in range(5)]
    assert sorted(found)[2] > sorted(baseline)[2], (found, baseline)


TWO_CHEAP: dict[str, Space] = {
    "logistic_regression": {"c": FloatDim(1e-3, 1e3, log=True), "d": FloatDim(0.0, 1.0)},
    "hist_gradient_boosting": {"lr": FloatDim(0.01, 0.3, log=True), "leaves": FloatDim(2.0, 256.0, log=True)},
}


@pytest.mark.parametrize("mechanism", ["a trial's least cost", "an improvement's least size"])
def test_when_trials_run_out_before_seconds_the_fastest_family_does_not_take_them_all(
        mechanism: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # small data: a linear trial takes 0.2 s, a boosting one 1 s; the linear model is ahead but creeps up by
    # a hair a trial, the boosting one gains a real step a trial and overtakes it after four; 30 trials are
    # far below the budget. Counting seconds alone and every hair as progress, the linear model took all 30
    def score(t: TrialSpec) -> float:
        mine = sum(1 for i in range(t.index) if strategy.asked[i].algorithm == t.algorithm)
        return 0.80 + 1e-5 * mine if t.algorithm == "logistic_regression" else 0.77 + 0.01 * min(mine, 10)

    strategy = make(TWO_CHEAP, portfolio=[], max_trials=30)
    # each mechanism alone is enough: the other one is switched off
    if mechanism == "a trial's least cost":
        monkeypatch.setattr(_eci, "IMPROVE", 0.0)
    else:
        monkeypatch.setattr(strategy, "_trial_floor", lambda: 0.0)
    asked = run(strategy, score, lambda t: 0.2 if t.algorithm == "logistic_regression" else 1.0, parallel=1)
    boosting = sum(t.algorithm == "hist_gradient_boosting" for t in asked)
    assert boosting >= 10, [t.algorithm for t in asked]


def test_an_algorithm_whose_local_search_has_settled_leaves_the_draw() -> None:
    # the linear model's 13 proposals never beat its first (its step is below the floor now); boosting,
    # 20 s a trial, improves with every trial. By ECI alone the linear model would get about half of the
    # next trials; settled, it gets none while boosting still moves
    linear = [TrialSpec(i, "logistic_regression", {"c": 10 ** (i / 10 - 0.5), "d": 0.5}) for i in range(13)]
    boosting = [TrialSpec(13 + i, "hist_gradient_boosting", {"lr": 0.01 + 0.02 * i, "leaves": 8.0}) for i in range(4)]
    told = {t.index: TrialResult(0.8, 0.1) for t in linear}
    told |= {t.index: TrialResult(0.81 + 0.02 * i, 20.0) for i, t in enumerate(boosting)}
    picks = []
    for seed in range(10):
        strategy = make(TWO_CHEAP, portfolio=[], max_trials=40, seed=seed, time_budget_s=3600)
        strategy.rebuild([*linear, *boosting], told, {})
        picks += [t.algorithm for t in strategy.ask(1)]
    assert picks == ["hist_gradient_boosting"] * 10, picks


def pruning(portfolio: list[tuple[str, dict[str, Any]]] | None = None) -> AutoStrategy:
    strategy = make(TWO_CHEAP, portfolio=portfolio or [], max_trials=40)
    strategy.ask(8)
    return strategy


def test_a_trial_below_the_median_at_the_second_fold_is_stopped() -> None:
    strategy = pruning()
    # the first PRUNE_MIN - 1 reports are never judged; the other folds are never judged
    assert [strategy.report(i, 2, s) for i, s in enumerate([0.5, 0.9, 0.1])] == [False, False, False]
    assert not strategy.report(3, 1, 0.0) and not strategy.report(3, 3, 0.0)
    assert strategy.report(3, 2, 0.2)  # median of 0.5, 0.9, 0.1, 0.2 is 0.35
    assert not strategy.report(4, 2, 0.8)  # above the median
    assert strategy.report(3, 3, 0.99)  # once stopped, always stopped
    strategy.tell(3, TrialResult(None, 0.4))  # the trainer's failure for a stopped trial
    assert strategy.told[3] == TrialResult(0.2, 0.4)  # teaches its partial score


def test_lower_is_better_metrics_are_judged_the_right_way_round() -> None:
    strategy = make_strategy("auto", TWO_CHEAP, seed=0, greater_is_better=False, portfolio=[], max_trials=40)
    assert isinstance(strategy, AutoStrategy)
    strategy.ask(8)
    for i, rmse in enumerate([30.0, 31.0, 40.0]):
        strategy.report(i, 2, rmse)
    assert strategy.report(3, 2, 45.0) and not strategy.report(4, 2, 29.0)


def test_the_portfolio_s_members_are_never_stopped() -> None:
    member = ("logistic_regression", {"c": 1.0, "d": 0.5})
    strategy = pruning(portfolio=[member])
    assert (strategy.asked[0].algorithm, strategy.asked[0].params) == member
    for i, s in [(1, 0.5), (2, 0.9), (3, 0.8)]:
        strategy.report(i, 2, s)
    assert not strategy.report(0, 2, 0.0)  # the worst of all, a member: it finishes
    assert strategy.report(4, 2, 0.1)


def test_a_rebuild_re_derives_every_stop() -> None:
    strategy = pruning()
    reports = {0: [(1, 0.4), (2, 0.5)], 1: [(2, 0.9)], 2: [(2, 0.1)], 3: [(2, 0.2)], 4: [(2, 0.3)]}
    told = {0: TrialResult(0.55, 1.0), 1: TrialResult(0.91, 1.0)}
    for index in sorted(reports):
        for step, score in reports[index]:
            strategy.report(index, step, score)
    for index, result in told.items():
        strategy.tell(index, result)
    after = make(TWO_CHEAP, portfolio=[], max_trials=40)
    after.rebuild(list(strategy.asked.values()), told, reports)
    assert after.pruned == strategy.pruned and set(after.pruned) == {3}
    assert after.ask(3) == strategy.ask(3)


def test_once_its_members_are_asked_a_family_s_own_search_starts_from_its_defaults() -> None:
    # the portfolio's one linear member sits in a corner of the space; when ECI picks the family again, its
    # defaults come next (not a step from the corner); the dear family's member comes before its defaults
    corner, dear = ("logistic_regression", {"c": 1e-3, "k": "l1"}), ("catboost", {"lr": 0.3, "depth": 8.0})
    initial = [("logistic_regression", {"c": 1.0, "k": "l2"}), ("catboost", {"lr": 0.1, "depth": 6.0})]
    asked = run(make(portfolio=[corner, dear], initial=initial, max_trials=12), lambda t: 0.5, lambda t: 1.0,
                parallel=1)
    linear = [t.params for t in asked if t.algorithm == "logistic_regression"]
    assert linear[:2] == [corner[1], initial[0][1]], linear
    boosting = [t.params for t in asked if t.algorithm == "catboost"]
    assert boosting[:2] == [dear[1], initial[1][1]], boosting
    # a default that is a member is not asked twice
    again = run(make(portfolio=[initial[0]], initial=initial, max_trials=12), lambda t: 0.5, lambda t: 1.0, parallel=1)
    assert [t.params for t in again if t.algorithm == "logistic_regression"].count(initial[0][1]) == 1

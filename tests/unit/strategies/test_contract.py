"""One contract suite run against every strategy (like Optuna's StorageTestCase)."""

from __future__ import annotations

import pytest

from services.planner.strategies import STRATEGIES, TrialResult, TrialSpec, make_strategy
from tests.unit.strategies._helpers import NAMES, SPACES, make, objective
from zygarde.ml import space as sp

ALL = [pytest.param(name, {}, id=name) for name in NAMES] + [
    pytest.param("asha", {"sampler": "tpe"}, id="asha-tpe"),
]


def test_every_name_is_registered_and_unknown_names_are_refused() -> None:
    assert sorted(STRATEGIES) == sorted(NAMES)
    with pytest.raises(ValueError, match="unknown search strategy"):
        make_strategy("annealing", SPACES, seed=0, max_trials=5, greater_is_better=True)


@pytest.mark.parametrize(("name", "options"), ALL)
@pytest.mark.parametrize("sizes", [
    pytest.param([5, 5, 5], id="batches-past-budget"),  # the third batch is cut to the one trial left
    pytest.param([1] * 9, id="one-at-a-time"),
    pytest.param([0, 20], id="zero-then-all"),  # ask(0) asks nothing
])
def test_ask_never_exceeds_the_budget_and_indices_are_contiguous(name: str, options: dict,
                                                                  sizes: list[int]) -> None:
    strategy = make(name, max_trials=7, folds=5, **options)  # the planner passes folds to every strategy
    asked: list[TrialSpec] = []
    for n in sizes:
        batch = strategy.ask(n)
        assert len(batch) <= n
        asked += batch
        for spec in batch:
            strategy.tell(spec.index, TrialResult(objective(spec.algorithm, spec.params)))
    assert [t.index for t in asked] == list(range(7))
    assert strategy.exhausted and strategy.ask(3) == []


@pytest.mark.parametrize(("name", "options"), ALL)
def test_params_are_in_bounds_and_conditionals_only_when_active(name: str, options: dict) -> None:
    strategy = make(name, max_trials=60, seed=3, **options)
    while batch := strategy.ask(4):
        for spec in batch:
            space = SPACES[spec.algorithm]
            for pname, dim in space.items():
                assert (pname in spec.params) == sp.active(dim, spec.params), (pname, spec)
            for pname, value in spec.params.items():
                dim = space[pname]
                if isinstance(dim, sp.CategoricalDim):
                    assert value in dim.choices
                else:
                    assert dim.low <= value <= dim.high
            strategy.tell(spec.index, TrialResult(objective(spec.algorithm, spec.params)))


@pytest.mark.parametrize(("name", "options"), ALL)
def test_telling_twice_or_failing_is_harmless(name: str, options: dict) -> None:
    strategy = make(name, max_trials=12, **options)
    first = strategy.ask(4)
    strategy.tell(first[0].index, TrialResult(None))  # a failed trial
    strategy.tell(first[1].index, TrialResult(float("nan")))  # a broken metric counts as a failure
    strategy.tell(first[2].index, TrialResult(0.5))
    strategy.tell(first[2].index, TrialResult(0.5))  # a redelivered result
    assert [t.index for t in strategy.ask(8)] == list(range(4, 12))


@pytest.mark.parametrize(("name", "options"), ALL)
def test_rebuild_continues_without_a_duplicated_index(name: str, options: dict) -> None:
    before = make(name, max_trials=10, **options)
    asked = before.ask(6)
    told = {t.index: TrialResult(objective(t.algorithm, t.params)) for t in asked[:4]}  # two still running
    reports = {t.index: [(1, told[t.index].score or 0.0)] for t in asked[:4]}
    after = make(name, max_trials=10, **options)
    after.rebuild(asked, told, reports)
    assert [t.index for t in after.ask(10)] == [6, 7, 8, 9]
    after.tell(4, TrialResult(-1.0))  # a trial that was running across the restart still reports
    assert after.exhausted and after.ask(1) == []

"""The pure parts of the time-to-quality benchmark: curves, time to reach, space conversion."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.model_selection import ParameterSampler, RandomizedSearchCV, StratifiedKFold

from bench import _quality as q
from bench._baselines import CatalogClassifier, FoldScorer, _records
from zygarde.ml import space as sp
from zygarde.ml.algorithms.trees import FOREST_SPACE


@pytest.mark.parametrize(("points", "greater", "expected"), [
    pytest.param([(2.0, 0.7), (1.0, 0.6), (3.0, 0.65), (4.0, 0.8)], True, [(1.0, 0.6), (2.0, 0.7), (4.0, 0.8)],
                 id="higher-is-better: out of order in, improvements only out"),
    pytest.param([(1.0, 40.0), (2.0, 50.0), (3.0, 31.0)], False, [(1.0, 40.0), (3.0, 31.0)],
                 id="lower-is-better (rmse)"),
    pytest.param([(1.0, math.nan), (2.0, 0.5)], True, [(2.0, 0.5)], id="a NaN score (failed fold) is skipped"),
    pytest.param([(1.0, 0.5), (2.0, 0.5)], True, [(1.0, 0.5)], id="a tie is not an improvement"),
    pytest.param([], True, [], id="no results"),
])
def test_best_so_far(points: list[tuple[float, float]], greater: bool, expected: q.Curve) -> None:
    assert q.best_so_far(points, greater) == expected


@pytest.mark.parametrize(("curve", "target", "greater", "expected"), [
    pytest.param([(1.0, 0.6), (5.0, 0.75), (9.0, 0.8)], 0.75, True, 5.0, id="reached exactly"),
    pytest.param([(1.0, 0.6), (5.0, 0.74)], 0.75, True, None, id="never reached"),
    pytest.param([(1.0, 40.0), (3.0, 31.0)], 32.0, False, 3.0, id="rmse: at or below the target"),
    pytest.param([(2.0, 0.75 - 1e-12)], 0.75, True, 2.0, id="float noise forgiven"),
    pytest.param([], 0.5, True, None, id="empty curve"),
])
def test_time_to_reach(curve: q.Curve, target: float, greater: bool, expected: float | None) -> None:
    assert q.time_to_reach(curve, target, greater) == expected


def test_median_time_counts_not_reached_as_infinitely_late() -> None:
    assert q.median_time([3.0, None, 5.0]) == 5.0
    assert q.median_time([3.0, None, None]) is None
    assert q.median_time([]) is None


def test_completed_candidates_groups_folds_and_keeps_only_the_last_rung() -> None:
    records = [
        # successive halving: two candidates on 100 rows, the better one again on ~300 rows
        *({"t": 1.0 + i, "key": "a", "n": 100, "score": 0.9} for i in range(3)),
        *({"t": 1.5 + i, "key": "b", "n": 100, "score": 0.5} for i in range(3)),
        {"t": 7.0, "key": "a", "n": 300, "score": 0.6},
        {"t": 9.0, "key": "a", "n": 299, "score": 0.8},  # fold sizes differ by a row
        {"t": 8.0, "key": "a", "n": 300, "score": 0.7},
        {"t": 9.5, "key": "c", "n": 300, "score": 0.99},  # only one fold scored: not complete
    ]
    assert q.completed_candidates(records, folds=3) == [(9.0, pytest.approx(0.7), "a")]
    assert q.completed_candidates([], folds=3) == []


def test_median_curve_waits_for_most_runs() -> None:
    curves = [[(1.0, 0.5), (3.0, 0.7)], [(2.0, 0.6)], [(5.0, 0.9)]]
    out = q.median_curve(curves, [0.5, 1.5, 2.5, 3.5, 6.0], greater=True)
    assert math.isnan(out[0]) and math.isnan(out[1])  # fewer than two runs have a result
    assert out[2:] == [0.5, 0.6, 0.7]


def test_sklearn_distribution_keeps_bounds_and_scale() -> None:
    rng = np.random.RandomState(0)
    log_float = q.sklearn_distribution(sp.FloatDim(1e-3, 1e3, log=True))
    draws = log_float.rvs(size=4000, random_state=rng)
    assert draws.min() >= 1e-3 and draws.max() <= 1e3
    assert abs(statistics.median(np.log10(draws))) < 0.15  # log-uniform: median near the geometric mean
    flat = q.sklearn_distribution(sp.FloatDim(0.5, 1.0))
    assert isinstance(flat.dist, type(stats.uniform)) and flat.support() == (0.5, 1.0)
    ints = q.sklearn_distribution(sp.IntDim(2, 6))
    assert set(ints.rvs(size=500, random_state=rng)) == {2, 3, 4, 5, 6}
    log_int = q.sklearn_distribution(sp.IntDim(8, 128, log=True))
    values = log_int.rvs(size=2000, random_state=rng)
    assert values.min() >= 8 and values.max() <= 128 and values.dtype.kind == "i"
    assert isinstance(log_int.rvs(random_state=rng), int)
    assert q.sklearn_distribution(sp.CategoricalDim(("sqrt", None))) == ["sqrt", None]


def test_sklearn_space_is_uniform_over_algorithms_and_drops_inactive_conditionals() -> None:
    spaces: dict[str, sp.Space] = {"random_forest": dict(FOREST_SPACE),
                                   "ridge": {"alpha": sp.FloatDim(1e-3, 1e3, log=True)}}
    dists = q.sklearn_space(spaces)
    assert [d["algorithm"] for d in dists] == [["random_forest"], ["ridge"]]
    assert set(dists[0]) == {"algorithm", *(f"random_forest__{p}" for p in FOREST_SPACE)}
    picks = [p["algorithm"] for p in ParameterSampler(dists, n_iter=400, random_state=0)]
    assert 150 < picks.count("ridge") < 250
    flat = {"random_forest__bootstrap": False, "random_forest__max_samples": 0.5, "random_forest__max_depth": 4,
            "ridge__alpha": 1.0}
    assert q.active_params("random_forest", spaces["random_forest"], flat) == {"bootstrap": False, "max_depth": 4}
    flat["random_forest__bootstrap"] = True
    assert q.active_params("random_forest", spaces["random_forest"], flat)["max_samples"] == 0.5


def test_catalog_estimator_in_a_real_search_logs_every_fold(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    y = pd.Series(np.where(X["a"] + rng.normal(scale=0.5, size=120) > 0, "Yes", "No"))
    spaces: dict[str, sp.Space] = {"logistic_regression": {"C": sp.FloatDim(1e-2, 1e2, log=True)}}
    est = CatalogClassifier(spaces, "binary", "none", 0, None, logistic_regression__C=None)
    assert clone(est).get_params()["logistic_regression__C"] is None
    log = tmp_path / "folds.jsonl"
    search = RandomizedSearchCV(est, q.sklearn_space(spaces), n_iter=3, cv=StratifiedKFold(3, shuffle=True,
                                random_state=0), scoring=FoldScorer("roc_auc", log), random_state=0, n_jobs=1)
    search.fit(X, y)
    done = q.completed_candidates(_records(log), folds=3)
    assert len(done) == 3
    assert max(s for _, s, _ in done) == pytest.approx(search.best_score_)
    assert set(search.best_estimator_.predict(X.head())) <= {"Yes", "No"}


def test_best_configs_keep_the_configuration_of_each_improvement() -> None:
    points = [(2.0, 0.7, "b"), (1.0, 0.6, "a"), (3.0, 0.7, "c"), (4.0, math.nan, "d"), (5.0, 0.8, "e")]
    assert q.best_configs(points, greater=True) == [(1.0, 0.6, "a"), (2.0, 0.7, "b"), (5.0, 0.8, "e")]
    assert q.best_configs([(1.0, 40.0, "a"), (2.0, 31.0, "b")], greater=False)[-1] == (2.0, 31.0, "b")


def test_a_config_key_names_a_configuration_that_can_be_fitted_again() -> None:
    drawn = {"max_depth": np.int64(4), "learning_rate": np.float64(0.1), "loss": "log_loss", "max_features": None}
    key = q.config_key("hist_gradient_boosting", drawn)
    algorithm, params = q.config_of(key)
    assert algorithm == "hist_gradient_boosting"
    assert params == {"max_depth": 4, "learning_rate": 0.1, "loss": "log_loss", "max_features": None}
    assert type(params["max_depth"]) is int  # not "4": scipy's integer draws are numpy scalars
    assert q.config_key(algorithm, params) == key


def test_holdout_curves_refit_each_best_configuration_once() -> None:
    from bench import _baselines as b
    from bench.time_to_quality import _holdout_ratios
    from zygarde import events as ev

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    frame["y"] = np.where(frame["a"] + rng.normal(scale=0.5, size=300) > 0, "Yes", "No")
    spec = ev.JobSpec.model_validate({"name": "t", "dataset": {"uri": "builtin:x", "target": "y"}, "metric": "roc_auc",
                                      "algorithms": ["logistic_regression"], "cv": {"folds": 3}})
    problem = b.Problem("t", spec, "binary", {}, frame.iloc[:200], frame.iloc[200:])
    weak, strong = (q.config_key("logistic_regression", {"C": c}) for c in (1e-4, 1.0))
    base = b.RunResult("RS", 1, [(1.0, 0.6), (4.0, 0.9)], 10.0, 0.9, 0.0, 30, best_keys=[weak, strong])
    fast = b.RunResult("Z", 1, [(0.5, 0.9)], 8.0, 0.9, 0.0, 30, best_keys=[strong])
    b.holdout_curves(problem, [base, fast], seed=1)
    assert [t for t, _ in base.holdout_curve] == [1.0, 4.0] and fast.holdout_curve[0][0] == 0.5
    assert base.holdout_curve[-1][1] == fast.holdout_curve[0][1] > 0.7  # one configuration, one score
    assert _holdout_ratios([fast, base], {1: base}, greater=True) == [0.05, 0.4]
